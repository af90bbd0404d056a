"""A fill's plots: the before/after missingness plot and the most-filled columns', capped."""

from __future__ import annotations

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from impute_assets.dagster import ImputationMetadata
from impute_assets.dagster.metadata import fill_metadata
from impute_assets.pipeline.records import ColumnFill, FillRecord
from impute_assets.pipeline.spec import TableSpec


def _record(filled_counts: dict[str, int], rows: int = 50) -> FillRecord:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({c: rng.normal(size=rows) for c in filled_counts})
    imputed = pd.DataFrame({c: np.arange(rows) < n for c, n in filled_counts.items()})
    columns = tuple(
        ColumnFill(column=c, missing=n, filled=n, left=0, mean_confidence=0.9, model_version="v1")
        for c, n in filled_counts.items()
    )
    return FillRecord(
        table="t",
        output_table="t_imputed",
        audit_table="t_imputed_audit",
        partition=None,
        rows=rows,
        columns=columns,
        audit_rows=sum(filled_counts.values()),
        validation=None,
        publish=None,
        filled=frame,
        imputed=imputed,
    )


def _titles(spec: TableSpec, record: FillRecord) -> list[str]:
    plots = ImputationMetadata.from_metadata(fill_metadata(spec, record, dg.AssetKey("t"))).plots
    return [line.strip("*") for line in str(plots or "").splitlines() if line.startswith("**")]


@pytest.mark.parametrize(("cap", "plotted"), [(12, ["a", "b", "d", "e"]), (2, ["b", "d"])])
def test_the_most_filled_columns_are_plotted_in_table_order(cap: int, plotted: list[str]) -> None:
    record = _record({"a": 3, "b": 20, "c": 0, "d": 9, "e": 5})  # c: nothing filled
    titles = _titles(TableSpec(table="t", plots=cap), record)
    assert titles == ["Missing before and after", *(f"{c}: observed vs imputed" for c in plotted)]


def test_no_plots_at_all_when_zero() -> None:
    assert _titles(TableSpec(table="t", plots=0), _record({"a": 3})) == []


def test_a_negative_cap_is_refused_naming_the_key() -> None:
    with pytest.raises(ValueError, match="plots"):
        TableSpec.parse({"table": "t", "plots": -1})
