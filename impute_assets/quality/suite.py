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
        range_mostly: share of values that must lie within the bounds (a part of the
            training rows, such as a partition, also lets through the few fills chance alone
            would put beyond its own bounds, see ``SMALL_SAMPLE_RISK``).
        unseen_share: extra share of categorical values allowed outside the observed
            vocabulary (on top of the share the profile counted outside its ``top_k``, and of
            the fills chance alone would make unseen labels of a partition).
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
    trained: Mapping[str, ColumnProfile] | None = None,
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
        trained: per column, what its model was trained on, when ``profile`` holds only a part
            of it (one partition): see :func:`column_expectations`.

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
    expected, trained = dict(expected or {}), dict(trained or {})
    expectations: list[ExpectationSpec] = []
    if row_count is not None:
        expectations.append(ExpectationSpec(type="expect_table_row_count_to_equal",
                                            kwargs={"value": int(row_count)}))  # fmt: skip
    for column in columns:
        tol = default
        if column in overrides:
            tol = _tolerances(overrides[column], f"column {column!r}", base=default)
        expectations.extend(
            column_expectations(
                profile[column], tol, expected.get(column), profile.rows, trained.get(column)
            )
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
    trained: ColumnProfile | None = None,
) -> list[ExpectationSpec]:
    """Expectations for one imputed column, by its kind (``rows``: the profiled table's rows).

    Invariants come from ``col`` (the observed values); distribution checks from ``expected``
    when given (what the column's fill method can produce), else from ``col``. ``trained``:
    what the column's model was trained on, when ``col`` is a part of it (a partition's rows):
    fills must then lie within its range and vocabulary, and within those of ``col`` but for
    the few that chance alone would put beyond them (:func:`_by_chance`).
    """
    specs = [_spec("expect_column_values_to_not_be_null", col.name, tolerance="allowed_missing",
                   mostly=_share(1.0 - tol.allowed_missing))]  # fmt: skip
    if col.count == 0:
        return specs
    target = expected or col
    total = max(rows or col.count, col.count)
    if col.kind is ColumnKind.NUMERIC and col.min is not None:  # None: only infinities seen
        specs += _range_checks(col, tol, total, trained)
        specs += _numeric_distribution(target, tol)
    elif col.kind is ColumnKind.DATETIME:
        specs += _range_checks(col, tol, total, trained)
    elif col.kind is ColumnKind.CATEGORICAL:
        specs += _vocabulary_checks(col, tol, total, trained)
        specs += _categorical_distribution(target, tol)
    return specs


#: The tolerance keys of the range check.
RANGE_KEYS = "range_quantiles, range_mostly"
#: The chance that honest fills fail a range or vocabulary check only because the rows they
#: are judged against are few (see :func:`_by_chance`).
SMALL_SAMPLE_RISK = 1e-3


def _by_chance(fills: int, a: float, b: float) -> float:
    """How many of ``fills`` values drawn like the observed ones may fall where no observed
    value lies, by chance alone: the ``1 - SMALL_SAMPLE_RISK`` quantile of a beta-binomial
    whose Beta(a, b) is the probability mass the observed values did not reach.

    A partition of ten rows shows little of a column: a new value lies beyond the range of
    ``n`` observed values with probability 2 / (n + 1) (that mass is Beta(2, n - 1)), and
    checks that asked every fill to lie within it refused 13 of 54 honestly filled partitions
    of ten rows (``benchmarks/small_partitions.py``). The allowance is at most about five
    values beyond a range at any size, so a stale model whose fills all lie outside still
    fails; a vocabulary's grows with its labels seen once (Good-Turing's estimate of the
    unseen mass).
    """
    if fills <= 0:
        return 0.0
    from scipy.stats import betabinom

    allowed = float(betabinom.ppf(1.0 - SMALL_SAMPLE_RISK, fills, a, b))
    return allowed + 0.5 if allowed else 0.0  # half a value: float rounding never fails it


def _range_checks(
    col: ColumnProfile, tol: Tolerances, total: int, trained: ColumnProfile | None
) -> list[ExpectationSpec]:
    """The range checks (see :func:`column_expectations`)."""
    if trained is None or _bounds(trained, tol) == _bounds(col, tol):
        judged = [(col, 0.0)]
    else:
        judged = [(trained, 0.0), (col, _by_chance(col.missing, 2, max(col.count - 1, 1)))]
    return [
        spec
        for profile, chance in judged
        if (spec := _range(profile, tol, _share(tol.range_mostly - chance / total))) is not None
    ]


def _range(profile: ColumnProfile, tol: Tolerances, mostly: float) -> ExpectationSpec | None:
    """Values within ``profile``'s range (None: both sides open)."""
    low, high = _bounds(profile, tol)
    if profile.kind is ColumnKind.DATETIME:
        low, high = epoch_iso(low), epoch_iso(high)
    else:
        # Observed infinities stay as they are: that side is left open (``fills_finite``
        # checks that no fill is infinite).
        low = None if profile.infinite[0] else low
        high = None if profile.infinite[1] else high
        if low is None and high is None:
            return None
    return _spec("expect_column_values_to_be_between", profile.name, tolerance=RANGE_KEYS,
                 min_value=low, max_value=high, mostly=mostly)  # fmt: skip


def _vocabulary_checks(
    col: ColumnProfile, tol: Tolerances, total: int, trained: ColumnProfile | None
) -> list[ExpectationSpec]:
    """The vocabulary checks (see :func:`column_expectations`)."""
    if trained is None or _vocabulary(trained) == _vocabulary(col):
        judged = [(col, 0.0)]
    else:
        once = sum(1 for _, count in col.top_values if count == 1)
        judged = [(trained, 0.0), (col, _by_chance(col.missing, once + 1, col.count - once + 1))]
    return [
        _spec("expect_column_values_to_be_in_set", col.name, tolerance="unseen_share",
              value_set=profile.vocabulary,
              mostly=_share(_kept(profile, col, total) - tol.unseen_share - chance / total))
        for profile, chance in judged
    ]  # fmt: skip


def _vocabulary(col: ColumnProfile) -> tuple[frozenset[Any], bool]:
    """The labels a profile keeps, and whether it left any out."""
    return frozenset(col.vocabulary), bool(col.other)


def _kept(vocabulary: ColumnProfile, col: ColumnProfile, total: int) -> float:
    """The share of ``total`` values an in-set check on ``vocabulary`` must find in it.

    All, when it holds every observed value. A vocabulary cut to the most frequent values
    cannot tell a fill of a rarer observed value from an invented one, so it counts only on
    ``col``'s observed cells it keeps, as if every other cell, observed or filled, lay outside
    it (it had asked the fills for the observed cells' share: fills of rarer cities failed a
    300-city column at 1M rows).
    """
    if not vocabulary.other:
        return 1.0
    kept = set(vocabulary.vocabulary)
    return sum(count for value, count in col.top_values if value in kept) / total


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
