"""Train or reuse one model per column of a table (no orchestrator here: the faces call this)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from impute_assets.core.memory import release_free_memory
from impute_assets.pipeline.context import TableContext
from impute_assets.pipeline.detect import unsupported_columns
from impute_assets.pipeline.plan import (
    check_declared_columns,
    ordered,
    plan_columns,
    sequence_keys,
)
from impute_assets.pipeline.records import ModelRecord, TrainRecord
from impute_assets.store import ReuseDecision

if TYPE_CHECKING:
    from impute_assets.core.plan import ColumnPlan


def read_training_frame(ctx: TableContext) -> pd.DataFrame:
    """The rows models learn from: the whole table (every partition), sampled if large (in
    the order of its primary key, else of the spec's key, hashed: see ``Warehouse.read``).

    Fails naming the key when the spec declares a column the table lacks, when the declared key
    repeats on rows (counted in SQL; their audit rows could not be traced), and when the engine
    would cut the output or audit table's name short, all before any training.
    """
    ctx = ctx.described()
    spec, warehouse, source = ctx.spec, ctx.warehouse, ctx.source
    check_declared_columns(spec, source.column_names)  # before the sample is ordered by the key
    frame = warehouse.read(
        source, schema=spec.db_schema, sample=spec.training_rows, sample_key=spec.key
    )
    warehouse.check_key(source, spec.key, schema=spec.db_schema)
    for name in (spec.output_name, spec.audit_name):
        warehouse.check_name(name, spec.db_schema)
    return ordered(spec, frame.drop(columns=[c for c in spec.exclude if c in frame.columns]))


def train_or_reuse(
    ctx: TableContext, columns: Iterable[str], force_retrain: bool = False
) -> TrainRecord:
    """Plan each column's model, reuse what the store's policy allows (nothing with
    ``force_retrain``), train the rest batched per shared inputs and config."""
    started = time.perf_counter()
    ctx = ctx.described()  # the read, the key check and the plans share one description
    spec = ctx.spec
    frame = read_training_frame(ctx)
    unsupported = unsupported_columns(ctx.source)
    plans, left = plan_columns(spec, frame, list(columns), dict(ctx.device), unsupported)
    for column, why in left.items():
        ctx.log.info(f"{spec.table}.{column}: left as read, {why}")
    records = decide_and_train(ctx, frame, plans, force_retrain)
    del frame
    release_free_memory()  # the sample's and the fits' freed memory, before the fill's peak
    seconds = time.perf_counter() - started
    ctx.log.info(f"{spec.table}: {len(plans)} models in {seconds:.1f}s")
    return TrainRecord(spec.table, tuple(records[p.column] for p in plans), seconds, left)


def decide_and_train(
    ctx: TableContext, frame: pd.DataFrame, plans: list[ColumnPlan], force_retrain: bool
) -> dict[str, ModelRecord]:
    """The reuse decision of every planned column, and the models trained for the others
    (batched per shared inputs and config; the device is in each plan's config)."""
    spec, store, log = ctx.spec, ctx.store, ctx.log
    name = spec.store_name
    previous = {p.column: store.latest(name, p.column) for p in plans}
    decisions = {
        p.column: ReuseDecision(False, "retrain forced by the run (force_retrain)")
        if force_retrain
        else store.decide(name, p.column, p.fingerprint, frame[[*p.inputs, p.column]], spec.reuse)
        for p in plans
    }
    records: dict[str, ModelRecord] = {}
    batches: dict[tuple[Any, ...], list[ColumnPlan]] = {}
    for plan in plans:
        decision = decisions[plan.column]
        log.info(
            f"{spec.table}.{plan.column}: {'reuse' if decision.reuse else 'train'} "
            f"({decision.reason})"
        )
        if decision.reuse:
            records[plan.column] = ModelRecord.of(
                plan.column,
                decision,
                previous[plan.column],
                plan.fingerprint,
                plan.inputs,
                previous[plan.column],
            )
        else:
            batch_key = (tuple(sorted(plan.kinds)), json.dumps(plan.config.to_dict(), default=str))
            batches.setdefault(batch_key, []).append(plan)
    for batch in batches.values():
        stored = _train_batch(ctx, frame, batch)
        for plan in batch:
            records[plan.column] = ModelRecord.of(
                plan.column,
                decisions[plan.column],
                stored.get(plan.column),
                plan.fingerprint,
                plan.inputs,
                previous[plan.column],
            )
    return records


def _train_batch(ctx: TableContext, frame: pd.DataFrame, batch: list[ColumnPlan]) -> dict[str, Any]:
    """Fit one imputer over the batch's columns and store each column's model."""
    from impute_assets.core.imputer import Imputer
    from impute_assets.core.profile import TableProfile

    spec, store, log = ctx.spec, ctx.store, ctx.log
    targets = [p.column for p in batch]
    kinds = {c: k for p in batch for c, k in p.kinds.items()}
    used = frame[list(kinds)]
    config = batch[0].config
    order, groups = sequence_keys(spec)
    imputer = Imputer(
        columns=targets, kinds=kinds, config=config, order_by=order, group_by=groups or None
    ).fit(used)
    profile = TableProfile.from_frame(used, kinds)
    stored = {}
    for plan in batch:
        model = imputer.column_models_.get(plan.column)
        if model is None:
            log.warning(f"{spec.table}.{plan.column}: nothing to learn from (no gaps or no rows)")
            continue
        stored[plan.column] = store.save(spec.store_name, model, profile)
        log.info(f"{spec.table}.{plan.column}: trained version {model.version} ({model.chosen})")
    return stored
