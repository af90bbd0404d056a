"""The filled partition's suite: statistics, ranges and vocabularies from the partition's own
observed values (the models' training data only for a column the partition never observes)."""

from __future__ import annotations

import pandas as pd

from impute_assets.core.kinds import ColumnKind
from impute_assets.core.profile import TableProfile
from impute_assets.dagster import TableSpec
from impute_assets.pipeline.filling import ValidationFailed
from impute_assets.pipeline.suite import build_table_suite
from impute_assets.quality import validate_frame


def test_fills_are_judged_against_the_partitions_own_observed_values() -> None:
    training = pd.DataFrame(
        {
            "x": [float(v) for v in range(101)],
            "c": ["a", "b", "c"] * 33 + ["a", "b"],
            "e": ["p", "q"] * 50 + ["p"],
        }
    )
    reference = TableProfile.from_frame(
        training,
        {"x": ColumnKind.NUMERIC, "c": ColumnKind.CATEGORICAL, "e": ColumnKind.CATEGORICAL},
    )
    partition = pd.DataFrame(
        {
            "x": [40.0, 45.0, 50.0, 55.0, None, 60.0] * 5,
            "c": ["a", "b", "a", "b", None, "a"] * 5,
            "e": [None] * 30,
        }
    )  # never observed here: judged by training
    spec = TableSpec.parse(
        {
            "table": "t",
            "columns": ["x", "c", "e"],
            "validation": {
                "tolerances": {"mean": 10, "std": 10, "kl_divergence": 10, "ks_statistic": 1}
            },
        }
    )
    suite = build_table_suite(spec, partition, reference, stored={})
    inside = partition.fillna({"x": 50.0, "c": "b", "e": "q"})
    assert validate_frame(inside, suite).success
    # a little beyond the partition's extremes: 10% of the training range (100) on each side
    assert validate_frame(partition.fillna({"x": 69.0, "c": "b", "e": "q"}), suite).success
    # inside the training data, outside what this partition observes: a stale model's fills
    trained_only = partition.fillna({"x": 20.0, "c": "c", "e": "q"})
    failed = {(r.type, r.column) for r in validate_frame(trained_only, suite).failures}
    assert failed == {
        ("expect_column_values_to_be_between", "x"),
        ("expect_column_values_to_be_in_set", "c"),
    }
    never = partition.fillna({"x": 50.0, "c": "b", "e": "zzz"})
    failed = {(r.type, r.column) for r in validate_frame(never, suite).failures}
    assert ("expect_column_values_to_be_in_set", "e") in failed


def test_distribution_blocks_when_asked_and_the_failure_names_the_tolerance_key() -> None:
    partition = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, None, 5.0] * 5})
    reference = TableProfile.from_frame(partition, {"x": ColumnKind.NUMERIC})
    filled = partition.fillna({"x": 3.0})  # a mean fill shrinks the spread
    for distribution, blocks in (("warn", False), ("block", True)):
        spec = TableSpec.parse(
            {
                "table": "t",
                "columns": ["x"],
                "validation": {
                    "distribution": distribution,
                    "column_tolerances": {"x": {"std": 0.01}},
                },
            }
        )
        result = validate_frame(filled, build_table_suite(spec, partition, reference, stored={}))
        assert result.success is not blocks
    message = str(ValidationFailed("t_imputed", result))
    assert "table 't_imputed': validation failed" in message
    assert "column 'x': expect_column_stdev_to_be_between" in message
    assert "tolerance: std (validation.column_tolerances.x.<key>" in message
