"""Train or reuse one model per column of a table (no Dagster here: the assets call this)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from impute_assets.pipeline.spec import TableSpec
from impute_assets.store import ModelStore, ReuseDecision, StoredModel

if TYPE_CHECKING:
    from impute_assets.core.kinds import ColumnKind
    from impute_assets.warehouse import Warehouse


@dataclass(frozen=True)
class ColumnPlan:
    """What one column's model is made of: its and its inputs' kinds, config, fingerprint."""

    column: str
    kinds: dict[str, ColumnKind]
    config: dict[str, Any]
    fingerprint: str

    @property
    def inputs(self) -> list[str]:
        """The model's input columns."""
        return [c for c in self.kinds if c != self.column]


@dataclass(frozen=True)
class ModelOutcome:
    """The result for one column: the decision and the stored model now in use."""

    column: str
    decision: ReuseDecision
    stored: StoredModel | None
    fingerprint: str
    inputs: list[str]


def read_training_frame(spec: TableSpec, warehouse: Warehouse) -> pd.DataFrame:
    """The rows models learn from: the whole table (every partition), sampled if large.

    The declared key is checked first, in SQL: a key column that is not in the table, or a key
    repeated on rows (whose audit rows could not be traced), stops the run before training.
    """
    warehouse.check_key(spec.table, spec.key, schema=spec.db_schema)
    frame = warehouse.read(spec.table, schema=spec.db_schema, sample=spec.training_rows)
    return ordered(spec, frame.drop(columns=[c for c in spec.exclude if c in frame.columns]))


def ordered(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by ``group_by`` then ``order_by`` (sequences kept together and in order)."""
    keys = [*_names(spec.group_by), *_names(spec.order_by)]
    return frame.sort_values(keys, kind="stable") if keys else frame


def _names(value: str | list[str] | None) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def sequence_keys(spec: TableSpec) -> tuple[str | None, list[str]]:
    """The table's sequence: its time column (or None) and its entity columns."""
    order = _names(spec.order_by)
    if len(order) > 1:
        raise ValueError(f"table {spec.table!r}: order_by takes one time column, got {order}")
    return (order[0] if order else None), _names(spec.group_by)


def sequence_of(spec: TableSpec) -> Any:
    """The core ``SequenceSpec`` models of this table are fitted with (None without order_by)."""
    from impute_assets.core.sequence import SequenceSpec

    order, groups = sequence_keys(spec)
    return SequenceSpec(order, tuple(groups)) if order else None


def plan_columns(
    spec: TableSpec, frame: pd.DataFrame, columns: Iterable[str], device: Mapping[str, Any]
) -> list[ColumnPlan]:
    """Inputs, config and fingerprint of each column's model, computed without training."""
    from impute_assets.core.column_model import fingerprint
    from impute_assets.core.config import ImputerConfig
    from impute_assets.core.imputer import usable_inputs
    from impute_assets.core.kinds import infer_kinds

    kinds = infer_kinds(frame, overrides=spec.kinds)
    plans = []
    for column in columns:
        if column not in frame.columns:
            raise KeyError(f"table {spec.table!r}: column {column!r} to impute is not in the table")
        wanted = spec.inputs.get(column) or [c for c in frame.columns if c != column]
        missing = sorted(set(wanted) - set(frame.columns))
        if missing:
            raise KeyError(f"table {spec.table!r}: inputs.{column} names unknown columns {missing}")
        # The same inputs Imputer.fit uses.
        inputs = usable_inputs(frame, {c: kinds[c] for c in wanted if c != column})
        config = spec.config_for(column)
        kinds_with_target = {column: kinds[column], **inputs}
        full = ImputerConfig(**{**config, **device})
        plans.append(
            ColumnPlan(
                column, kinds_with_target, config,
                fingerprint(column, inputs, full, sequence_of(spec)),
            )
        )
    return plans


def train_or_reuse(
    spec: TableSpec,
    frame: pd.DataFrame,
    plans: list[ColumnPlan],
    store: ModelStore,
    device: Mapping[str, Any],
    log: logging.Logger | Any,
) -> dict[str, ModelOutcome]:
    """Reuse what the store's policy allows; train the rest, batched per shared inputs+config."""
    decisions = {
        p.column: store.decide(spec.table, p.column, p.fingerprint, frame[p.inputs], spec.reuse)
        for p in plans
    }
    outcomes: dict[str, ModelOutcome] = {}
    batches: dict[tuple[Any, ...], list[ColumnPlan]] = {}
    for plan in plans:
        decision = decisions[plan.column]
        log.info(
            f"{spec.table}.{plan.column}: {'reuse' if decision.reuse else 'train'} "
            f"({decision.reason})"
        )
        if decision.reuse:
            outcomes[plan.column] = ModelOutcome(
                plan.column,
                decision,
                store.latest(spec.table, plan.column),
                plan.fingerprint,
                plan.inputs,
            )
        else:
            batch_key = (tuple(sorted(plan.kinds)), repr(sorted(plan.config.items())))
            batches.setdefault(batch_key, []).append(plan)
    for batch in batches.values():
        outcomes.update(_train_batch(spec, frame, batch, decisions, store, device, log))
    return outcomes


def _train_batch(
    spec: TableSpec,
    frame: pd.DataFrame,
    batch: list[ColumnPlan],
    decisions: Mapping[str, ReuseDecision],
    store: ModelStore,
    device: Mapping[str, Any],
    log: logging.Logger | Any,
) -> dict[str, ModelOutcome]:
    from impute_assets.core.config import ImputerConfig
    from impute_assets.core.imputer import Imputer
    from impute_assets.core.profile import TableProfile

    targets = [p.column for p in batch]
    kinds = {c: k for p in batch for c, k in p.kinds.items()}
    used = frame[list(kinds)]
    config = ImputerConfig(**{**batch[0].config, **device})
    order, groups = sequence_keys(spec)
    imputer = Imputer(columns=targets, kinds=kinds, config=config, order_by=order,
                      group_by=groups or None).fit(used)
    profile = TableProfile.from_frame(used, kinds)
    outcomes = {}
    for plan in batch:
        model = imputer.column_models_.get(plan.column)
        if model is None:
            log.warning(f"{spec.table}.{plan.column}: nothing to learn from (no gaps or no rows)")
            outcomes[plan.column] = ModelOutcome(
                plan.column, decisions[plan.column], None, plan.fingerprint, plan.inputs
            )
            continue
        stored = store.save(spec.table, model, profile, fingerprint=plan.fingerprint)
        log.info(f"{spec.table}.{plan.column}: trained version {model.version} ({model.chosen})")
        outcomes[plan.column] = ModelOutcome(
            plan.column, decisions[plan.column], stored, plan.fingerprint, plan.inputs
        )
    return outcomes
