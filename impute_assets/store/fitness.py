"""Does a stored model still fit the rows it is about to fill?

A model is stale when the table changed under it: an input gone or retyped, the target's
observed values outside the vocabulary or range it was trained on (target drift), or an input's
distribution shifted (input drift, PSI against the training profile). Every run that fills asks
this about the rows it fills, so a model trained on ``{red, blue}`` never fills a partition that
observes ``{green, yellow}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from impute_assets.core.profile import ColumnProfile, TableProfile
    from impute_assets.store.reuse import ReusePolicy
    from impute_assets.store.stored import StoredModel

#: Fewest observed values a PSI is measured on (fewer give a PSI that is mostly noise: about
#: (bins - 1) / values, 0.1 at 200 values on the profile's 20 bins).
MIN_DRIFT_VALUES = 200
#: Fewest observed target values outside the training vocabulary or range that count as drift
#: (one odd value in a small partition is not a new vocabulary).
MIN_UNSEEN_VALUES = 2
_SHOWN = 3


@dataclass(frozen=True)
class Fitness:
    """Why a stored model does not fit ``current`` (``problems`` empty: it fits), and the PSI of
    each input measured on the way."""

    problems: list[str] = field(default_factory=list)
    drift: dict[str, float] = field(default_factory=dict)

    @property
    def fits(self) -> bool:
        """True when nothing speaks against using the model on these rows."""
        return not self.problems


def fitness(
    stored: StoredModel,
    profile: TableProfile,
    current: pd.DataFrame,
    policy: ReusePolicy,
    input_drift: bool = True,
    measured: PsiMemo | None = None,
) -> Fitness:
    """Judge ``stored`` (with its training ``profile``) against ``current``, the rows to fill.

    Schema and kinds are always checked (a model cannot read a column that is gone or retyped);
    target drift unless the policy is ``always``; input drift too when ``input_drift`` (not for
    one partition: partitions are slices whose inputs differ from the whole table's by design,
    the partition column most of all, while a target value the model never saw is stale in any
    slice). ``measured``: the PSIs already measured on ``current`` (see :data:`PsiMemo`).
    """
    target = stored.column
    kinds = {**stored.info.get("input_kinds", {}), target: stored.info.get("kind", "")}
    problems = [
        f"input {name!r} is no longer in the table"
        for name in stored.info.get("inputs", [])
        if name not in current.columns
    ]
    problems += [
        problem
        for name, kind in kinds.items()
        if name in current.columns
        for problem in [_retyped(name, kind, current[name])]
        if problem
    ]
    if problems or policy.mode == "always":
        return Fitness(problems)
    if target in current.columns and target in profile.columns:
        problems += _target_drift(profile[target], current[target], policy)
    inputs = stored.info.get("inputs", [])
    drift = _input_drift(profile, current, inputs, measured) if input_drift else {}
    problems += [
        f"input {name!r} drifted: PSI {value:.3f} > max_drift {policy.max_drift:g}"
        for name, value in drift.items()
        if value > policy.max_drift
    ]
    return Fitness(problems, drift)


def _retyped(name: str, kind: str, series: pd.Series) -> str | None:
    """Why ``series`` no longer holds the ``kind`` it was trained as (None: it still does)."""
    dtype = series.dtype
    if kind == "numeric":
        holds = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    elif kind == "datetime":
        holds = pd.api.types.is_datetime64_any_dtype(dtype) or _is_arrow_temporal(dtype)
    else:
        return None
    if holds or series.isna().all():
        return None
    return f"column {name!r} was {kind} when the model was trained and is now {dtype}"


def _is_arrow_temporal(dtype: Any) -> bool:
    import pyarrow as pa

    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_temporal(dtype.pyarrow_dtype)


def _target_drift(reference: ColumnProfile, current: pd.Series, policy: ReusePolicy) -> list[str]:
    """Observed target values the model never saw (outside its vocabulary or range)."""
    from impute_assets.core.profile import FREQUENCY_KINDS, numeric_values

    observed = current.dropna()
    if observed.empty or reference.count == 0:
        return []
    name = reference.name
    if reference.kind in FREQUENCY_KINDS:
        if reference.other:  # the profile kept only the top values: unseen is unknowable
            return []
        known = {str(v) for v in reference.vocabulary}
        unseen = observed[~observed.astype(str).isin(known)]
        what = f"never seen in training (e.g. {_examples(unseen)})"
    elif reference.min is not None:
        values = pd.Series(numeric_values(observed, reference.kind))
        unseen = values[(values < reference.min) | (values > reference.max)]
        what = (
            f"outside the training range [{reference.min:g}, {reference.max:g}] "
            f"(observed {values.min():g} to {values.max():g})"
        )
    else:
        return []
    share = len(unseen) / len(observed)
    if len(unseen) < MIN_UNSEEN_VALUES or share <= policy.max_unseen:
        return []
    return [
        (
            f"target {name!r}: {len(unseen)} of {len(observed)} observed values are {what}; "
            f"{share:.0%} > max_unseen {policy.max_unseen:g}"
        )
    ]


#: PSIs measured on one frame of rows, by input and its training profile (as JSON): the models
#: of a table trained together store the same profile of each input, so a fill that checks all
#: of them measures each input once, not once per model (20 inputs x 6 models of 1M rows: 120
#: passes over a million values instead of 20).
PsiMemo = dict[tuple[str, str], float]


def _input_drift(
    profile: TableProfile, current: pd.DataFrame, inputs: list[str], measured: PsiMemo | None
) -> dict[str, float]:
    """PSI of each input with enough observed values, against its training profile (taken
    from ``measured`` when there, and added to it)."""
    from impute_assets.core.profile import psi

    memo: PsiMemo = {} if measured is None else measured
    drift = {}
    for name in inputs:
        if not (
            name in current.columns
            and name in profile.columns
            and profile[name].count
            and current[name].count() >= MIN_DRIFT_VALUES
        ):
            continue
        key = (name, json.dumps(profile[name].to_dict(), sort_keys=True))
        if key not in memo:
            memo[key] = float(psi(profile[name], current[name]))
        drift[name] = memo[key]
    return drift


def _examples(values: pd.Series) -> str:
    shown = list(dict.fromkeys(values.astype(str)))
    more = ", ..." if len(shown) > _SHOWN else ""
    return ", ".join(repr(v) for v in shown[:_SHOWN]) + more
