"""Building the suite: plain data, tolerances and overrides, errors that name the culprit."""

from __future__ import annotations

import pytest

from impute_assets.quality import Suite, Tolerances, build_suite


def _kwargs(suite, type_, column):
    return next(e.kwargs for e in suite.expectations if e.type == type_ and e.column == column)


def test_suite_describes_each_imputed_column(profile, suite):
    types = {(e.type, e.column) for e in suite.expectations}
    assert ("expect_table_row_count_to_equal", None) in types
    assert ("expect_column_values_to_be_in_set", "c") in types
    assert ("expect_column_ks_statistic_to_be_less_than", "x") in types
    between = _kwargs(suite, "expect_column_values_to_be_between", "x")
    assert (between["min_value"], between["max_value"]) == (profile["x"].min, profile["x"].max)
    assert sorted(_kwargs(suite, "expect_column_values_to_be_in_set", "c")["value_set"]) == [
        "blue", "green", "red"]  # fmt: skip


def test_suite_round_trips_as_json(suite):
    assert Suite.model_validate_json(suite.model_dump_json()) == suite


def test_column_override_merges_onto_defaults(profile):
    suite = build_suite(
        profile, ["x"], tolerances={"std": 0.5}, column_tolerances={"x": {"mean": 1.0}}
    )
    mean = _kwargs(suite, "expect_column_mean_to_be_between", "x")
    assert mean["max_value"] - profile["x"].mean == pytest.approx(profile["x"].std)
    std = _kwargs(suite, "expect_column_stdev_to_be_between", "x")
    assert std["max_value"] == pytest.approx(1.5 * profile["x"].std)


def test_allowed_missing_sets_mostly(profile):
    suite = build_suite(profile, ["c"], tolerances=Tolerances(allowed_missing=0.1))
    not_null = _kwargs(suite, "expect_column_values_to_not_be_null", "c")
    assert not_null["mostly"] == pytest.approx(0.9)


def test_errors_name_the_column_or_key(profile):
    with pytest.raises(KeyError, match="nope"):
        build_suite(profile, ["nope"])
    with pytest.raises(ValueError, match=r"column .x.: mean: Input should be greater"):
        build_suite(profile, ["x"], column_tolerances={"x": {"mean": -1}})
    with pytest.raises(ValueError, match="q42"):
        Tolerances(range_quantiles=("q01", "q42"))
    with pytest.raises(ValueError, match=r"#0.*must start with 'expect_'"):
        build_suite(profile, ["x"], extra=[{"type": "values_positive", "kwargs": {}}])


def test_invariants_and_distribution_checks_are_told_apart_with_their_tolerance_keys(suite):
    kinds = {(e.type, e.column): (e.check, e.tolerance) for e in suite.expectations}
    assert kinds[("expect_table_row_count_to_equal", None)] == ("invariants", None)
    assert kinds[("expect_column_values_to_not_be_null", "x")] == ("invariants", "allowed_missing")
    assert kinds[("expect_column_values_to_be_in_set", "c")] == ("invariants", "unseen_share")
    assert kinds[("expect_column_stdev_to_be_between", "x")] == ("distribution", "std")
    assert kinds[("expect_column_ks_statistic_to_be_less_than", "x")] == (
        "distribution", "ks_statistic")  # fmt: skip
    assert suite.blocking == ("invariants",)
    assert {e.check for e in suite.only("distribution").expectations} == {"distribution"}


@pytest.mark.parametrize("column", ["x", "c"])
def test_mean_mode_filled_profile_is_the_profile_of_the_filled_column(observed, profile, column):
    from impute_assets.core.profile import ColumnProfile
    from impute_assets.quality import mean_mode_filled

    col = profile[column]
    value = col.mean if column == "x" else col.top_values[0][0]
    series = observed[column].fillna(value)
    expected = mean_mode_filled(col, value, col.missing)
    actual = ColumnProfile.from_series(series, col.kind)
    if column == "x":
        assert expected.mean == pytest.approx(actual.mean)
        assert expected.std == pytest.approx(actual.std)
        assert expected.histogram_counts == actual.histogram_counts  # same edges: mean in range
    else:
        assert dict(expected.top_values) == dict(actual.top_values)
    assert (expected.count, expected.missing) == (len(series), 0)
