"""The plan of a table's models, computed once before anything is trained: each target's inputs
and their kinds, its config and its fingerprint.

:meth:`Imputer.fit <impute_assets.core.imputer.Imputer.fit>` fits what its plan says, and the
pipeline plans the same way to decide which stored models it can reuse before training any,
so the fingerprint a model is stored under is the one the reuse decision compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from impute_assets.core.config import ImputerConfig
from impute_assets.core.fitting.column_model import fingerprint
from impute_assets.core.kinds import IMPUTABLE_KINDS, ColumnKind
from impute_assets.core.sequence.context import SequenceSpec

#: Kinds the models can read as inputs.
INPUT_KINDS = IMPUTABLE_KINDS | {ColumnKind.TEXT}


@dataclass(frozen=True)
class ColumnPlan:
    """What one column's model is made of: its and its inputs' kinds, config, fingerprint."""

    column: str
    #: The target's kind first, then its inputs'.
    kinds: dict[str, ColumnKind]
    config: ImputerConfig
    fingerprint: str

    @property
    def inputs(self) -> list[str]:
        """The model's input columns."""
        return [c for c in self.kinds if c != self.column]


@dataclass(frozen=True)
class TablePlan:
    """The models of one table: the columns they may read, and one plan per target."""

    #: Every column a model may read (of an input kind, with an observed value), by kind.
    inputs: dict[str, ColumnKind]
    #: One plan per target, in target order.
    columns: dict[str, ColumnPlan]
    #: How rows form sequences, as declared (``None``: they do not).
    sequence: SequenceSpec | None

    @property
    def fingerprints(self) -> dict[str, str]:
        """Each target's fingerprint."""
        return {c: p.fingerprint for c, p in self.columns.items()}


def usable_inputs(frame: pd.DataFrame, kinds: Mapping[str, ColumnKind]) -> dict[str, ColumnKind]:
    """The columns models can read: of an input kind, with at least one observed value."""
    return {c: k for c, k in kinds.items() if k in INPUT_KINDS and frame[c].notna().any()}


def plan_table(
    frame: pd.DataFrame,
    kinds: Mapping[str, ColumnKind],
    targets: Sequence[str],
    config: ImputerConfig | Mapping[str, ImputerConfig],
    sequence: SequenceSpec | None = None,
    inputs: Mapping[str, Sequence[str]] | None = None,
) -> TablePlan:
    """The plan of ``targets``' models on ``frame`` (``kinds``: every column's, sequence keys
    read as keys); computes nothing it does not need, trains nothing.

    ``config``: one for every target, or one per target. ``inputs``: per target, the only
    columns its model may read (in that order); a target not listed reads every usable column.
    """
    usable = usable_inputs(frame, kinds)
    columns = {}
    for target in targets:
        allowed = (inputs or {}).get(target) or list(usable)
        own = {c: usable[c] for c in allowed if c in usable and c != target}
        settings = config if isinstance(config, ImputerConfig) else config[target]
        columns[target] = ColumnPlan(
            target,
            {target: kinds[target], **own},
            settings,
            fingerprint(target, own, settings, sequence),
        )
    return TablePlan(usable, columns, sequence)
