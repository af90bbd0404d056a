"""Broken imputations for the quality tests, and table helpers (imported by the tests)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa


def _gaps(observed: pd.DataFrame, column: str) -> pd.Index:
    return observed.index[observed[column].isna()]


def out_of_range(observed, good, profile):
    bad = good.copy()
    bad.loc[_gaps(observed, "x")[0], "x"] = profile["x"].max + 100.0
    return bad


def unseen_category(observed, good, profile):
    bad = good.copy()
    bad.loc[_gaps(observed, "c")[0], "c"] = "purple"
    return bad


def nulls_left(observed, good, profile):
    bad = good.copy()
    bad.loc[_gaps(observed, "x")[:3], "x"] = np.nan
    return bad


def shifted(observed, good, profile):
    bad = good.copy()
    bad.loc[_gaps(observed, "x"), "x"] = profile["x"].quantiles["q95"]
    return bad


def dropped_row(observed, good, profile):
    return good.drop(index=good.index[-1])


#: Broken imputations and the expectations (type, column) each must fail.
BROKEN: dict[str, tuple[Callable, set[tuple[str, str | None]]]] = {
    "out_of_range": (out_of_range, {("expect_column_values_to_be_between", "x")}),
    "unseen_category": (unseen_category, {("expect_column_values_to_be_in_set", "c")}),
    "nulls_left": (nulls_left, {("expect_column_values_to_not_be_null", "x")}),
    "shifted": (
        shifted,
        {
            ("expect_column_mean_to_be_between", "x"),
            ("expect_column_kl_divergence_to_be_less_than", "x"),
            ("expect_column_ks_statistic_to_be_less_than", "x"),
        },
    ),
    "dropped_row": (dropped_row, {("expect_table_row_count_to_equal", None)}),
}


def failed(result) -> set[tuple[str, str | None]]:
    """Every expectation that did not hold: blocking failures and warnings."""
    return {(r.type, r.column) for r in result.results if not r.success}


#: The broken imputations only the distribution checks catch (they warn by default).
DISTRIBUTION_ONLY = {"shifted"}


def write_table(url: str, table: str, frame: pd.DataFrame, schema: str | None = None) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        frame.to_sql(table, conn, schema=schema, index=False)
    engine.dispose()


def drop_table(url: str, table: str, schema: str | None = None) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        sa.Table(table, sa.MetaData(), schema=schema).drop(conn, checkfirst=True)
    engine.dispose()
