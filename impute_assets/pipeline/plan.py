"""The plan of a table's models: which columns, their inputs and kinds, config, fingerprints.

Computed from the spec and the training rows without training anything, so a typo in a key or
input column fails here, before any model is fitted.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from impute_assets.pipeline.spec import TableSpec

if TYPE_CHECKING:
    from impute_assets.core.config import ImputerConfig
    from impute_assets.core.plan import ColumnPlan


class UnknownColumns(KeyError):
    """The spec names columns the table does not have; the message names the table, the key,
    the closest column to each typo and the table's columns."""

    def __str__(self) -> str:  # KeyError's own str() quotes the message
        return str(self.args[0])


def unknown_columns(
    spec: TableSpec, key: str, names: Iterable[str], columns: Iterable[str]
) -> UnknownColumns:
    """The error for ``names`` (given under ``key``) missing from the table's ``columns``."""
    have = list(columns)
    guesses = []
    for name in names:
        close = difflib.get_close_matches(name, have, n=1)
        guesses.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return UnknownColumns(
        f"table {spec.table!r}: {key} names columns not in the table: "
        f"{', '.join(guesses)}; the table has {', '.join(have)}"
    )


def check_declared_columns(spec: TableSpec, columns: Iterable[str]) -> None:
    """Fail naming the key when the spec names a column the table does not have (a YAML key
    naming a column too: ``column_model``, ``inputs``, ``kinds``, ``confidence``...; a typo
    there would lose its settings silently)."""
    columns = list(columns)
    present = set(columns)
    declared = {
        "key": spec.key,
        "partition.column": [spec.partition.column] if spec.partition else [],
        "order_by": _names(spec.order_by),
        "group_by": _names(spec.group_by),
        "columns": spec.columns or [],
        "skip": spec.skip,
        "exclude": spec.exclude,
        "kinds": list(spec.kinds),
        "inputs": list(spec.inputs),
        **{f"inputs.{c}": names for c, names in spec.inputs.items()},
        "column_model": list(spec.column_model),
        "confidence": list(spec.confidence) if isinstance(spec.confidence, dict) else [],
        "validation.column_tolerances": list(spec.validation.column_tolerances),
        **{
            f"structural[{i}]": [gap.when_missing, *gap.columns]
            for i, gap in enumerate(spec.structural)
        },
    }
    for key, names in declared.items():
        unknown = [n for n in names if n not in present]
        if unknown:
            raise unknown_columns(spec, key, unknown, columns)


def ordered(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by ``group_by`` then ``order_by`` (sequences kept together and in order)."""
    keys = [*_names(spec.group_by), *_names(spec.order_by)]
    return frame.sort_values(keys, kind="stable") if keys else frame


def _names(value: str | list[str] | None) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def sequence_keys(spec: TableSpec) -> tuple[str | None, list[str]]:
    """The table's sequence: its time column (or None) and its entity columns."""
    order = _names(spec.order_by)
    return (order[0] if order else None), _names(spec.group_by)


def sequence_of(spec: TableSpec) -> Any:
    """The core ``SequenceSpec`` models of this table are fitted with (None without order_by)."""
    from impute_assets.core.sequence.context import SequenceSpec

    order, groups = sequence_keys(spec)
    return SequenceSpec(order, tuple(groups)) if order else None


def column_config(spec: TableSpec, column: str, device: Mapping[str, Any]) -> ImputerConfig:
    """The config of ``column``'s model: the spec's settings for it (:meth:`TableSpec.config_for`)
    and the device's; the one place a column's config is built."""
    from impute_assets.core.config import ImputerConfig

    return ImputerConfig(**{**spec.config_for(column), **device})


def fill_config(spec: TableSpec, columns: list[str], device: Mapping[str, Any]) -> ImputerConfig:
    """The config filling ``columns`` runs with: the table's model settings (refinement rounds,
    sequence window, free-text copying...), the device's, and each column's gates (``fill``
    mode, confidence threshold, ...: table settings, then ``column_model`` overrides; a gate
    set for no column keeps its ``fill`` mode's default)."""
    from impute_assets.core.config import GATE_FIELDS, ImputerConfig

    gates = {
        name: {c: v for c in columns if (v := _gate(spec, c, name)) is not None}
        for name in GATE_FIELDS
    }
    return ImputerConfig(
        **{k: v for k, v in spec.model.items() if k not in GATE_FIELDS},
        **device,
        **{name: values for name, values in gates.items() if values},
    )


def _gate(spec: TableSpec, column: str, name: str) -> Any:
    """The spec's value of one gate field for a column (None: not set for it)."""
    value = spec.config_for(column).get(name)
    return value.get(column) if isinstance(value, Mapping) else value


def plan_columns(
    spec: TableSpec,
    frame: pd.DataFrame,
    columns: Iterable[str],
    device: Mapping[str, Any],
    unsupported: Mapping[str, str] | None = None,
) -> tuple[list[ColumnPlan], dict[str, str]]:
    """Inputs, config and fingerprint of each column's model, computed without training, as
    :meth:`Imputer.fit <impute_assets.core.imputer.Imputer.fit>` computes them (one
    :func:`~impute_assets.core.plan.plan_table`); and the columns no model fills (free text,
    ids: see :func:`not_imputed`), each with why.

    ``unsupported`` (column -> SQL type: the warehouse's ``unsupported`` kind) is what the
    warehouse says no model may read or fill, whatever pandas would guess from the text read."""
    from impute_assets.core.kinds import ColumnKind, infer_kinds
    from impute_assets.core.plan import plan_table

    columns = list(columns)
    unsupported = {c: t for c, t in (unsupported or {}).items() if c in frame.columns}
    overridden = sorted(set(unsupported) & set(spec.kinds))
    if overridden:
        raise ValueError(
            f"table {spec.table!r}: kinds names columns of a type never imputed or "
            f"read by models: {_typed(overridden, unsupported)}"
        )
    kinds = {
        **infer_kinds(frame, overrides=spec.kinds),
        **dict.fromkeys(unsupported, ColumnKind.UNSUPPORTED),
    }
    sequence = sequence_of(spec)
    if sequence is not None:  # the keys read as Imputer.fit reads them
        kinds = sequence.key_kinds(frame, kinds, given=set(spec.kinds or {}))
    for column in columns:
        if column not in frame.columns:
            raise unknown_columns(spec, "columns", [column], frame.columns)
        if column in unsupported:
            raise ValueError(
                f"table {spec.table!r}: columns names a column of a type never "
                f"imputed: {_typed([column], unsupported)}; it is passed through "
                "as read, leave it out of columns"
            )
        missing = sorted(set(spec.inputs.get(column) or []) - set(frame.columns))
        if missing:
            raise unknown_columns(spec, f"inputs.{column}", missing, frame.columns)
    # in the table's order, whatever order they were asked in (Dagster's selected asset keys
    # are a set): the fitted models, so the gates' verdicts, depend on the targets' order
    asked = set(columns)
    columns = [c for c in frame.columns if c in asked]
    configs = {column: column_config(spec, column, device) for column in columns}
    left = _not_imputed(kinds, configs)
    declared = sorted(set(left) & set(spec.columns or ()))
    if declared:
        raise ValueError(
            f"table {spec.table!r}: columns names columns no model fills: "
            + "; ".join(f"{c}: {left[c]}" for c in declared)
        )
    columns = [c for c in columns if c not in left]
    plan = plan_table(
        frame, kinds, columns, {c: configs[c] for c in columns}, sequence, spec.inputs
    )
    return list(plan.columns.values()), left


def not_imputed(
    spec: TableSpec, frame: pd.DataFrame, columns: Iterable[str], device: Mapping[str, Any]
) -> dict[str, str]:
    """The columns among ``columns`` no model fills, as the engine reads ``frame`` (free text
    and ids, unless the spec gives them a kind or copies text), each with why: they are
    left as read, like a skipped column, instead of failing the table's training or fill."""
    from impute_assets.core.kinds import infer_kinds

    columns = [c for c in columns if c in frame.columns]
    kinds = infer_kinds(
        frame[columns], overrides={c: spec.kinds[c] for c in columns if c in spec.kinds}
    )
    return _not_imputed(kinds, {c: column_config(spec, c, device) for c in columns})


def _not_imputed(kinds: Mapping[str, Any], configs: Mapping[str, ImputerConfig]) -> dict[str, str]:
    from impute_assets.core.kinds import imputable_kinds

    return {
        column: NOT_IMPUTED.get(kind.value, f"read as {kind.value}, which is never imputed")
        for column, config in configs.items()
        if (kind := kinds[column]) not in imputable_kinds(config.copy_free_text)
    }


#: Why a column read as this kind is left as read (kinds: ``impute_assets.core.kinds``).
NOT_IMPUTED = {
    "text": (
        "free text (long, mostly distinct strings): no model invents text; give it a kind "
        "(kinds: {column: categorical}) or set copy_free_text to fill it"
    ),
    "id": "an id (every observed value distinct): ids are never imputed",
}


def _typed(columns: Iterable[str], types: Mapping[str, str]) -> str:
    return ", ".join(f"{c} ({types[c]})" for c in columns)
