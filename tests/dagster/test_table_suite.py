"""The filled partition's suite: statistics from the partition's observed values, ranges and
vocabularies widened to the models' training data."""

from __future__ import annotations

import pandas as pd

from impute_assets.core.kinds import ColumnKind
from impute_assets.core.profile import TableProfile
from impute_assets.dagster import TableSpec
from impute_assets.pipeline.filling import ValidationFailed
from impute_assets.pipeline.suite import build_table_suite
from impute_assets.quality import validate_frame


def test_a_fill_inside_the_training_range_passes_and_one_outside_fails() -> None:
    training = pd.DataFrame({"x": [float(v) for v in range(101)],
                             "c": ["a", "b", "c"] * 33 + ["a", "b"]})
    reference = TableProfile.from_frame(training, {"x": ColumnKind.NUMERIC, "c": ColumnKind.CATEGORICAL})
    partition = pd.DataFrame({"x": [40.0, 45.0, 50.0, 55.0, None, 60.0] * 5,
                              "c": ["a", "b", "a", "b", None, "a"] * 5})
    spec = TableSpec.parse({"table": "t", "columns": ["x", "c"],
                            "validation": {"tolerances": {"mean": 10, "std": 10, "kl_divergence": 10,
                                                          "ks_statistic": 1}}})
    suite = build_table_suite(spec, partition, reference, stored={})
    inside = partition.fillna({"x": 30.0, "c": "c"})  # outside this partition, inside training
    assert validate_frame(inside, suite).success
    outside = partition.fillna({"x": 130.0, "c": "a"})
    failed = {(r.type, r.column) for r in validate_frame(outside, suite).failures}
    assert ("expect_column_values_to_be_between", "x") in failed


def test_distribution_blocks_when_asked_and_the_failure_names_the_tolerance_key() -> None:
    partition = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, None, 5.0] * 5})
    reference = TableProfile.from_frame(partition, {"x": ColumnKind.NUMERIC})
    filled = partition.fillna({"x": 3.0})  # a mean fill shrinks the spread
    for distribution, blocks in (("warn", False), ("block", True)):
        spec = TableSpec.parse({"table": "t", "columns": ["x"],
                                "validation": {"distribution": distribution,
                                               "column_tolerances": {"x": {"std": 0.01}}}})
        result = validate_frame(filled, build_table_suite(spec, partition, reference, stored={}))
        assert result.success is not blocks
    message = str(ValidationFailed("t_imputed", result))
    assert "table 't_imputed': validation failed" in message
    assert "column 'x': expect_column_stdev_to_be_between" in message
    assert "tolerance: std (validation.column_tolerances.x.<key>" in message
