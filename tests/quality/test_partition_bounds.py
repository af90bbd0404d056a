"""Fills of a partition of a few rows are judged against the rows it holds but let through what
chance alone would put beyond them; what the model was trained on still bounds every fill."""

from __future__ import annotations

import numpy as np
import pandas as pd

from impute_assets.core.kinds import ColumnKind
from impute_assets.core.profile import TableProfile
from impute_assets.quality import build_suite, validate_frame

KINDS = {"x": ColumnKind.NUMERIC, "c": ColumnKind.CATEGORICAL}


def _training() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"x": rng.normal(size=600), "c": rng.choice(["a", "b", "c", "d", "e"], 600).astype(object)}
    )


def _partition() -> pd.DataFrame:
    """Ten rows: x observed in -0.5..0.5, c observes a, b; x and c missing in rows 8 and 9."""
    return pd.DataFrame(
        {
            "x": [-0.5, -0.3, -0.1, 0.0, 0.1, 0.2, 0.4, 0.5, None, None],
            "c": ["a", "a", "b", "b", "a", "b", "a", "b", None, None],
        }
    )


def _suite(partition: pd.DataFrame):
    trained = TableProfile.from_frame(_training(), KINDS)
    own = TableProfile.from_frame(partition, KINDS)
    return build_suite(own, ["x", "c"], trained=trained.columns, row_count=len(partition))


def _filled(x: list[float], c: list[str]) -> pd.DataFrame:
    filled = _partition()
    filled.loc[8:, "x"], filled.loc[8:, "c"] = x, c
    return filled


def _failed(frame: pd.DataFrame) -> list[tuple[str, str | None]]:
    result = validate_frame(frame, _suite(_partition()))
    return sorted((r.type, r.column) for r in result.failures)


def test_honest_fills_beyond_what_ten_rows_show_pass():
    # 1.2 lies beyond the partition's range (and its margin), "d" beyond its labels: both are
    # common values of the column the model was trained on
    assert _failed(_filled([1.2, 0.0], ["d", "a"])) == []


def test_fills_beyond_what_the_model_was_trained_on_still_fail():
    assert _failed(_filled([40.0, 0.0], ["zzz", "a"])) == [
        ("expect_column_values_to_be_between", "x"),
        ("expect_column_values_to_be_in_set", "c"),
    ]


def test_every_fill_of_a_large_partition_outside_its_own_values_fails():
    """A stale model's fills: 60 of 300 rows, all beyond the partition's range and labels."""
    rng = np.random.default_rng(1)
    rows = 300
    partition = pd.DataFrame(
        {
            "x": rng.uniform(-0.5, 0.5, rows),
            "c": rng.choice(["a", "b"], rows).astype(object),
        }
    )
    partition.loc[:59, ["x", "c"]] = None
    suite = _suite(partition)
    filled = partition.copy()
    filled.loc[:59, "x"] = rng.uniform(1.5, 2.5, 60)  # within the training range
    filled.loc[:59, "c"] = "d"  # a training label
    failures = validate_frame(filled, suite).failures
    assert sorted((r.type, r.column) for r in failures) == [
        ("expect_column_values_to_be_between", "x"),
        ("expect_column_values_to_be_in_set", "c"),
    ]
    assert {r.unexpected_count for r in failures} == {60}
    honest = partition.copy()
    honest.loc[:59, "x"] = rng.uniform(-0.5, 0.5, 60)
    honest.loc[:59, "c"] = rng.choice(["a", "b"], 60)
    assert validate_frame(honest, suite).success


def test_a_whole_table_keeps_one_strict_check_per_column():
    """Judged against the rows its model was trained on, a column gets no allowance."""
    training = _training()
    profile = TableProfile.from_frame(training, KINDS)
    suite = build_suite(profile, ["x", "c"], trained=profile.columns)
    checks = [(e.type, e.column, e.kwargs.get("mostly")) for e in suite.expectations]
    assert ("expect_column_values_to_be_between", "x", 1.0) in checks
    assert ("expect_column_values_to_be_in_set", "c", 1.0) in checks
    bounds = {"expect_column_values_to_be_between", "expect_column_values_to_be_in_set"}
    assert len([c for c in checks if c[0] in bounds]) == 2
