"""The suite on in-memory frames: a good imputation passes, broken ones fail by name."""

from __future__ import annotations

import decimal
import json
import math

import numpy as np
import pandas as pd
import pytest
from quality_cases import BROKEN, DISTRIBUTION_ONLY, failed

from impute_assets.core.kinds import ColumnKind
from impute_assets.quality import Tolerances, build_suite, validate_frame


def test_good_imputation_passes(good, suite):
    result = validate_frame(good, suite)
    assert result.success, result.to_markdown()
    assert result.engine == "dataframe"
    assert len(result.results) == len(suite.expectations)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_imputation_fails_with_the_right_expectation(case, observed, good, profile, suite):
    breaker, expected = BROKEN[case]
    result = validate_frame(breaker(observed, good, profile), suite)
    assert failed(result) == expected, result.to_markdown()
    assert result.success == (case in DISTRIBUTION_ONLY)  # distribution checks only warn


def test_distribution_checks_block_when_asked(observed, good, profile):
    breaker, expected = BROKEN["shifted"]
    suite = build_suite(profile, ["x", "c"], row_count=len(observed), block_distribution=True)
    result = validate_frame(breaker(observed, good, profile), suite)
    assert not result.success and {(r.type, r.column) for r in result.failures} == expected
    assert {r.check for r in result.failures} == {"distribution"} and not result.warnings


def test_unexpected_values_are_counted_and_shown(observed, good, profile, suite):
    breaker, _ = BROKEN["unseen_category"]
    outcome = validate_frame(breaker(observed, good, profile), suite).failures[0]
    assert (outcome.unexpected_count, outcome.unexpected_examples) == (1, ("purple",))


def test_allowed_missing_share_lets_a_few_nulls_pass(observed, good, profile):
    breaker, _ = BROKEN["nulls_left"]
    suite = build_suite(profile, ["x"], column_tolerances={"x": {"allowed_missing": 0.05}})
    assert validate_frame(breaker(observed, good, profile), suite).success


def test_result_is_json_and_markdown(observed, good, profile, suite):
    breaker, _ = BROKEN["shifted"]
    result = validate_frame(breaker(observed, good, profile), suite)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert (data["failed"], data["warnings"], data["success"]) == (0, 3, True)
    ks = next(r for r in data["results"] if r["type"].endswith("ks_statistic_to_be_less_than"))
    assert ks["observed_value"] > 0.1 and 0 <= ks["details"]["p_value"] < 0.05
    assert (ks["check"], ks["tolerance"]) == ("distribution", "ks_statistic")
    markdown = result.to_markdown()
    assert "passed, 3 warnings" in markdown
    assert "| ⚠️ | `expect_column_mean_to_be_between` | x |" in markdown
    assert "- warning: column 'x': expect_column_mean_to_be_between" in result.explain()
    assert "tolerance: mean (validation.column_tolerances.x.<key>" in result.explain()


def test_user_expectations_run_and_fail_by_name(good, profile):
    extra = [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}},
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "x", "max_value": 0}},
    ]
    result = validate_frame(good, build_suite(profile, ["x"], extra=extra))
    assert failed(result) == {("expect_column_max_to_be_between", "x")}


def test_unknown_user_expectation_is_named(good, profile):
    suite = build_suite(profile, [], extra=[{"type": "expect_the_moon", "kwargs": {}}])
    with pytest.raises(ValueError, match="expect_the_moon"):
        validate_frame(good, suite)


def test_missing_column_is_named(good, suite):
    with pytest.raises(KeyError, match="'c'"):
        validate_frame(good.drop(columns="c"), suite)


def test_quantile_range_override(good, profile):
    tol = Tolerances(range_quantiles=("q05", "q95"), range_mostly=0.8)
    result = validate_frame(good, build_suite(profile, ["x"], tolerances=tol))
    between = next(r for r in result.results if r.type == "expect_column_values_to_be_between")
    assert between.success and between.unexpected_count > 0


def test_observed_cells_unchanged_is_a_blocking_invariant(observed, good, suite):
    from impute_assets.quality import observed_unchanged

    assert observed_unchanged(observed, good).success
    row = observed.index[observed["x"].notna()][0]
    tampered = good.copy()
    tampered.loc[row, "x"] += 1.0
    outcome = observed_unchanged(observed, tampered)
    assert not outcome.success and outcome.unexpected_count == 1
    assert outcome.unexpected_examples[0].startswith(f"x[{row}]: ")
    result = validate_frame(tampered, suite).including(outcome)
    assert not result.success and result.failures == [outcome]


def test_decimal_and_tz_aware_columns_are_checked_like_warehouse_reads():
    """Arrow decimals and UTC timestamps (what a DuckDB staging table reads as) are validated
    by value: a fill within the observed range passes, one beyond it fails its range check."""
    import decimal

    import pyarrow as pa

    from impute_assets.core.profile import TableProfile

    rows = 400
    rng = np.random.default_rng(3)
    cents = rng.integers(0, 100_000, rows)
    frame = pd.DataFrame(
        {
            "d": pd.array(
                [decimal.Decimal(int(c)) / 100 for c in cents],
                dtype=pd.ArrowDtype(pa.decimal128(14, 2)),
            ),
            "t": pd.to_datetime(1_700_000_000 + rng.integers(0, 10**6, rows), unit="s", utc=True),
        }
    )
    kinds = {"d": ColumnKind.NUMERIC, "t": ColumnKind.DATETIME}
    suite = build_suite(TableProfile.from_frame(frame, kinds), ["d", "t"], row_count=rows)
    assert validate_frame(frame, suite).success
    beyond = frame.copy()
    beyond.loc[0, "d"] = decimal.Decimal("99999.99")
    beyond.loc[1, "t"] = pd.Timestamp("2030-01-01", tz="UTC")
    result = validate_frame(beyond, suite)
    ranges = [r for r in result.results if r.type == "expect_column_values_to_be_between"]
    assert [(r.column, r.success, r.unexpected_count) for r in ranges] == [
        ("d", False, 1),
        ("t", False, 1),
    ]


@pytest.mark.parametrize(
    "extra",
    [
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["id", "x"]}},
        {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["id", "x", "c"]}},
        {"type": "expect_column_to_exist", "kwargs": {"column": "id", "column_index": 0}},
    ],
)
def test_user_expectations_see_the_columns_they_name(good, profile, extra):
    """GE is handed only the columns the suite reads; a user's expectation still sees its own."""
    result = validate_frame(good, build_suite(profile, ["x"], extra=[extra]))
    outcome = next(r for r in result.results if r.type == extra["type"])
    assert outcome.success and outcome.error is None, result.to_markdown()


def test_a_result_with_unchecked_subjects_is_never_a_clean_pass(good, suite):
    result = validate_frame(good, suite)
    assert result.success and result.complete
    skipped = result.skipping({"w": "left unfilled (free text): no fills to check"})
    assert skipped.success and not skipped.complete  # passed what ran, but not complete
    assert "- skipped: w: left unfilled (free text)" in skipped.explain()
    assert (
        "1 not checked" in skipped.to_markdown()
        and "| ⏭️ | not checked | w |" in skipped.to_markdown()
    )
    assert json.loads(json.dumps(skipped.to_dict()))["skipped"] == {"w": skipped.skipped["w"]}


def test_an_infinite_fill_is_caught_and_an_observed_infinity_is_not():
    from impute_assets.quality import fills_finite

    filled = pd.DataFrame({"y": [math.inf, 1.0, -math.inf], "c": ["a", "b", "a"]})
    imputed = pd.DataFrame({"y": [False, True, True], "c": [False, True, False]})
    outcome = fills_finite(filled, imputed)
    assert not outcome.success and outcome.unexpected_count == 1
    assert outcome.unexpected_examples == ("y[2]: -inf",)
    assert fills_finite(filled, imputed.assign(y=[True, True, False])).success is False
    assert fills_finite(filled, imputed.assign(y=[False, True, False])).success


def test_fills_of_observed_values_beyond_a_cut_vocabulary_pass():
    """Top-10 of 60 near-equal cities: fills of the rarer observed cities are not invented."""
    from impute_assets.core.profile import TableProfile

    rng = np.random.default_rng(0)
    cities = [f"city_{i:02d}" for i in range(60)]
    observed = pd.DataFrame({"c": rng.choice(cities, 3000).astype(object)})
    observed.loc[rng.random(3000) < 0.2, "c"] = None
    profile = TableProfile.from_frame(observed, {"c": ColumnKind.CATEGORICAL}, top_k=10)
    assert profile["c"].other > 0
    suite = build_suite(profile, ["c"])
    filled = observed.copy()
    rare = [c for c in cities if c not in profile["c"].vocabulary]
    filled.loc[filled["c"].isna(), "c"] = rare[0]  # an observed city outside the top 10
    assert validate_frame(filled, suite).success
    whole = TableProfile.from_frame(observed, {"c": ColumnKind.CATEGORICAL}, top_k=100)
    filled.loc[observed["c"].isna(), "c"] = "invented"  # a whole vocabulary still tells
    assert not validate_frame(filled, build_suite(whole, ["c"])).success


def test_ge_looks_for_decimals_only_in_object_arrays(good, profile):
    """GE's mean and stdev metrics look for ``Decimal`` values in an object array (and convert
    them), never value by value in a numeric one; the mean check still reads the column."""
    import great_expectations.util as ge_util

    suite = build_suite(profile, ["x"])
    result = validate_frame(good, suite)
    means = [r for r in result.results if r.type == "expect_column_mean_to_be_between"]
    assert len(means) == 1 and means[0].observed_value == pytest.approx(good["x"].mean())
    contains = ge_util.does_ndarray_contain_decimal_dtype
    assert contains(np.array([decimal.Decimal("1.5"), 2.0], dtype=object))
    assert not contains(np.array(["a", 1], dtype=object))
    assert not contains(np.array([1, 2]))

    class Unread(np.ndarray):
        def __iter__(self):
            raise AssertionError("a numeric array was read value by value")

    assert not contains(np.array([1.5, 2.0]).view(Unread))
