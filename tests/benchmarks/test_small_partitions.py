"""The small-partition benchmark's table, and its count of partitions refused."""

from __future__ import annotations

import pandas as pd


def test_the_table_has_six_partitions_of_the_asked_rows_and_a_fifth_missing(
    benchmark_module,
) -> None:
    bench = benchmark_module("small_partitions")
    table = bench.make_table(seed=0, rows=40, labels=8)
    assert table.shape == (6 * 40, 7)
    assert (table["day"].value_counts() == 40).all()
    assert table["c1"].nunique() == 8
    gaps = table[["x1", "x2", "x3", "c1", "c2"]].isna().mean()
    assert gaps.between(0.12, 0.28).all() and table[["id", "day"]].notna().all().all()
    pd.testing.assert_frame_equal(table, bench.make_table(seed=0, rows=40, labels=8))


def test_every_honestly_filled_partition_of_ten_rows_publishes(benchmark_module) -> None:
    """The table of seed 2 and 20 labels had a partition refused before the allowance."""
    filled, failed = benchmark_module("small_partitions").failures(None, 2, 10, 20)
    assert (filled, failed) == (6, [])
