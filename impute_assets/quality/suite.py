"""The validation suite: what an imputed table must satisfy, as plain serializable data.

Built from the profile of the OBSERVED values (taken before imputing and stored with the
model), so a filled partition is judged against the training data and not against itself.

Expectations come in two checks. ``invariants`` must hold for any honest fill and block
publishing: the row count, no unexplained nulls, values within the observed range and
vocabulary. ``distribution`` compares the filled column's mean, spread and shape with the
observed ones (mean, stdev, KL divergence, KS statistic): honest fills of a small or skewed
column can stray from them, so they warn unless the suite is told to block on them too.
Kept as pydantic data (YAML/JSON friendly, no Great Expectations import); the runner turns it
into GE expectations only when it validates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from impute_assets.core.datetimes import epoch_iso
from impute_assets.core.kinds import ColumnKind
from impute_assets.core.profile import QUANTILES, ColumnProfile, TableProfile

#: The two checks an expectation belongs to (see the module docstring).
Check = Literal["invariants", "distribution"]
INVARIANTS: Check = "invariants"
DISTRIBUTION: Check = "distribution"

#: Expectation type of the scipy two-sample KS check (GE 1.x has none); see ``quality.ks``.
KS_TYPE = "expect_column_ks_statistic_to_be_less_than"
#: Probability GE's KL check gives to values beyond the histogram (and to its empty bins), so
#: that a few such values raise the divergence instead of making it infinite; the range and
#: vocabulary checks are the ones that catch them.
KL_HOLDOUT = 1e-3


class Tolerances(BaseModel):
    """How far an imputed column may stray from its observed values.

    Attributes:
        allowed_missing: share of cells allowed to stay empty (cells left under the confidence
            threshold); the not-null check uses ``mostly = 1 - allowed_missing``.
        range_quantiles: bounds for numeric values as profile quantile names, e.g.
            ``("q01", "q99")``; ``None`` uses the observed min and max.
        range_mostly: share of values that must lie within the bounds.
        unseen_share: extra share of categorical values allowed outside the observed
            vocabulary (on top of the share the profile counted outside its ``top_k``).
        mean: the mean may move this many observed standard deviations.
        std: the standard deviation may change by this fraction of the observed one.
        kl_divergence: threshold of GE's KL divergence against the observed histogram.
        ks_statistic: threshold of the KS statistic against the observed distribution.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed_missing: float = Field(0.0, ge=0.0, le=1.0)
    range_quantiles: tuple[str, str] | None = Field(None, examples=[("q01", "q99")])
    range_mostly: float = Field(1.0, ge=0.0, le=1.0)
    unseen_share: float = Field(0.0, ge=0.0, le=1.0)
    mean: float = Field(0.25, ge=0.0)
    std: float = Field(0.25, ge=0.0)
    kl_divergence: float = Field(0.1, ge=0.0)
    ks_statistic: float = Field(0.1, ge=0.0, le=1.0)

    @field_validator("range_quantiles")
    @classmethod
    def _known_quantiles(cls, value: tuple[str, str] | None) -> tuple[str, str] | None:
        if value is not None:
            unknown = [q for q in value if q not in QUANTILES]
            if unknown:
                raise ValueError(f"unknown quantiles {unknown}; use two of {list(QUANTILES)}")
        return value


class ExpectationSpec(BaseModel):
    """One expectation: a GE expectation type (or :data:`KS_TYPE`) and its keyword arguments.

    ``check`` is the check it belongs to; ``tolerance`` names the :class:`Tolerances` keys that
    set its bounds (shown next to a failure, so the user knows what to loosen).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    check: Check = INVARIANTS
    tolerance: str | None = None

    @field_validator("type")
    @classmethod
    def _expectation_name(cls, value: str) -> str:
        if not value.startswith("expect_"):
            raise ValueError(f"expectation type {value!r} must start with 'expect_'")
        return value

    @property
    def column(self) -> str | None:
        """The column the expectation is about, if it is about one."""
        return self.kwargs.get("column")


class Suite(BaseModel):
    """A named list of expectations for one table; failures in ``blocking`` checks fail it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    expectations: list[ExpectationSpec]
    blocking: tuple[Check, ...] = (INVARIANTS,)

    @property
    def columns(self) -> list[str]:
        """Columns the suite's expectations name, in order of first mention."""
        return list(dict.fromkeys(e.column for e in self.expectations if e.column))

    def only(self, check: Check) -> Suite:
        """The same suite with only the expectations of one check."""
        return self.model_copy(
            update={"expectations": [e for e in self.expectations if e.check == check]}
        )


def build_suite(
    profile: TableProfile,
    columns: Sequence[str],
    tolerances: Tolerances | Mapping[str, Any] | None = None,
    column_tolerances: Mapping[str, Tolerances | Mapping[str, Any]] | None = None,
    extra: Iterable[ExpectationSpec | Mapping[str, Any]] = (),
    row_count: int | None = None,
    name: str = "imputed",
    expected: Mapping[str, ColumnProfile] | None = None,
    block_distribution: bool = False,
) -> Suite:
    """The suite for a table whose ``columns`` were imputed, from their observed ``profile``.

    Args:
        profile: observed values of the table before imputing.
        columns: the imputed columns to check.
        tolerances: defaults for every column.
        column_tolerances: per-column overrides, whole :class:`Tolerances` or partial dicts
            merged onto the defaults.
        extra: the user's own expectations, ``{"type": "expect_...", "kwargs": {...}}``.
        row_count: the input's row count; the output must have exactly as many rows.
        name: the suite's name (shown in results).
        expected: per column, the profile its distribution checks compare against instead of
            the observed one (e.g. :func:`~impute_assets.quality.expected.mean_mode_filled`).
        block_distribution: distribution checks fail the suite too (by default they warn).

    Example:
        >>> import pandas as pd
        >>> prices = pd.DataFrame({"price": [9.5, 10.0, 12.5, None]})
        >>> profile = TableProfile.from_frame(prices, {"price": "numeric"})
        >>> suite = build_suite(profile, ["price"], column_tolerances={"price": {"mean": 0.5}})
        >>> mean = next(e for e in suite.expectations if e.tolerance == "mean")
        >>> round(mean.kwargs["min_value"], 2), round(mean.kwargs["max_value"], 2)  # 10.67 +- sd/2
        (9.86, 11.47)
    """
    default = _tolerances(tolerances or Tolerances(), "the table")
    overrides = dict(column_tolerances or {})
    unknown = (set(columns) | set(overrides)) - set(profile.columns)
    if unknown:
        raise KeyError(
            f"suite {name!r}: columns {sorted(unknown)} are not in the profile; "
            f"have {sorted(profile.columns)}"
        )
    expectations: list[ExpectationSpec] = []
    if row_count is not None:
        expectations.append(ExpectationSpec(type="expect_table_row_count_to_equal",
                                            kwargs={"value": int(row_count)}))  # fmt: skip
    for column in columns:
        tol = default
        if column in overrides:
            tol = _tolerances(overrides[column], f"column {column!r}", base=default)
        expectations.extend(
            column_expectations(profile[column], tol, (expected or {}).get(column), profile.rows)
        )
    for i, spec in enumerate(extra):
        try:
            expectations.append(ExpectationSpec.model_validate(spec))
        except ValidationError as exc:
            raise ValueError(f"suite {name!r}: extra expectation #{i}: {_errors(exc)}") from None
    blocking = (INVARIANTS, DISTRIBUTION) if block_distribution else (INVARIANTS,)
    return Suite(name=name, expectations=expectations, blocking=blocking)


def column_expectations(
    col: ColumnProfile,
    tol: Tolerances,
    expected: ColumnProfile | None = None,
    rows: int | None = None,
) -> list[ExpectationSpec]:
    """Expectations for one imputed column, by its kind (``rows``: the profiled table's rows).

    Invariants come from ``col`` (the observed values); distribution checks from ``expected``
    when given (what the column's fill method can produce), else from ``col``.
    """
    specs = [_spec("expect_column_values_to_not_be_null", col.name, tolerance="allowed_missing",
                   mostly=_share(1.0 - tol.allowed_missing))]  # fmt: skip
    if col.count == 0:
        return specs
    target = expected or col
    if col.kind is ColumnKind.NUMERIC and col.min is not None:  # None: only infinities seen
        low, high = _bounds(col, tol)
        # Observed infinities stay as they are: that side is left open (``fills_finite``
        # checks that no fill is infinite).
        low, high = (None if col.infinite[0] else low), (None if col.infinite[1] else high)
        if low is not None or high is not None:
            specs.append(_spec("expect_column_values_to_be_between", col.name,
                               tolerance=RANGE_KEYS, min_value=low, max_value=high,
                               mostly=tol.range_mostly))  # fmt: skip
        specs += _numeric_distribution(target, tol)
    elif col.kind is ColumnKind.DATETIME:
        low, high = _bounds(col, tol)
        specs.append(_spec("expect_column_values_to_be_between", col.name, tolerance=RANGE_KEYS,
                           min_value=epoch_iso(low), max_value=epoch_iso(high),
                           mostly=tol.range_mostly))  # fmt: skip
    elif col.kind is ColumnKind.CATEGORICAL:
        # A vocabulary cut to the most frequent values cannot tell a fill of a rarer observed
        # value from an invented one, so it counts only on the observed cells it keeps, as if
        # every other cell, observed or filled, lay outside it (it had asked the fills for the
        # observed cells' share: fills of rarer cities failed a 300-city column at 1M rows).
        kept = (col.count - col.other) / max(rows or col.count, col.count) if col.other else 1.0
        specs.append(_spec("expect_column_values_to_be_in_set", col.name, tolerance="unseen_share",
                           value_set=col.vocabulary,
                           mostly=_share(kept - tol.unseen_share)))  # fmt: skip
        specs += _categorical_distribution(target, tol)
    return specs


#: The tolerance keys of the range check.
RANGE_KEYS = "range_quantiles, range_mostly"


def _numeric_distribution(col: ColumnProfile, tol: Tolerances) -> list[ExpectationSpec]:
    spread = col.std or 1e-9 * max(1.0, abs(col.mean))
    counts = col.histogram_counts
    weights = [c / sum(counts) for c in counts]
    kl_kwargs: dict[str, Any] = {"partition_object": {"bins": list(col.histogram_edges),
                                                      "weights": weights},
                                 "threshold": tol.kl_divergence,
                                 "tail_weight_holdout": KL_HOLDOUT}  # fmt: skip
    if 0 in counts:
        kl_kwargs["internal_weight_holdout"] = KL_HOLDOUT
    return [
        _spec("expect_column_mean_to_be_between", col.name, check=DISTRIBUTION, tolerance="mean",
              min_value=col.mean - tol.mean * spread, max_value=col.mean + tol.mean * spread),
        _spec("expect_column_stdev_to_be_between", col.name, check=DISTRIBUTION, tolerance="std",
              min_value=col.std * (1 - tol.std), max_value=col.std * (1 + tol.std)),
        _spec("expect_column_kl_divergence_to_be_less_than", col.name, check=DISTRIBUTION,
              tolerance="kl_divergence", **kl_kwargs),
        _spec(KS_TYPE, col.name, check=DISTRIBUTION, tolerance="ks_statistic",
              edges=list(col.histogram_edges), counts=list(counts), threshold=tol.ks_statistic),
    ]  # fmt: skip


def _categorical_distribution(col: ColumnProfile, tol: Tolerances) -> list[ExpectationSpec]:
    if col.other:
        return []
    weights = [c / col.count for _, c in col.top_values]
    return [_spec("expect_column_kl_divergence_to_be_less_than", col.name, check=DISTRIBUTION,
                  tolerance="kl_divergence",
                  partition_object={"values": col.vocabulary, "weights": weights},
                  threshold=tol.kl_divergence, tail_weight_holdout=KL_HOLDOUT)]  # fmt: skip


def _bounds(col: ColumnProfile, tol: Tolerances) -> tuple[float, float]:
    if tol.range_quantiles is None:
        return col.min, col.max
    low, high = tol.range_quantiles
    return col.quantiles[low], col.quantiles[high]


def _spec(
    type_: str, column: str, check: Check = INVARIANTS, tolerance: str | None = None, **kwargs: Any
) -> ExpectationSpec:
    return ExpectationSpec(type=type_, kwargs={"column": column, **kwargs}, check=check,
                           tolerance=tolerance)  # fmt: skip


def _share(value: float) -> float:
    return min(1.0, max(0.0, value))


def _tolerances(
    value: Tolerances | Mapping[str, Any], where: str, base: Tolerances | None = None
) -> Tolerances:
    if isinstance(value, Tolerances):
        return value
    try:
        merged = (base or Tolerances()).model_dump() | dict(value)
        return Tolerances.model_validate(merged)
    except ValidationError as exc:
        raise ValueError(f"tolerances for {where}: {_errors(exc)}") from None


def _errors(exc: ValidationError) -> str:
    """Pydantic's errors on one line: ``key: message; ...``."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']} (got {e.get('input')!r})"
        for e in exc.errors()
    )
