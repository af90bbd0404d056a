"""The typed metadata record: every key namespaced, markdown rendered, read back unchanged."""

from __future__ import annotations

import dagster as dg
import pytest

from impute_assets.dagster import ImputationMetadata


def test_round_trip_through_dagster_metadata_values():
    record = ImputationMetadata(
        decision="train",
        inputs=["x", "g"],
        holdout_score=0.25,
        drift_psi={"x": 0.1},
        columns="| column |\n|---|\n| y |",
        cells_filled=3,
    )
    metadata = record.to_metadata()
    assert set(metadata) == {
        f"impute_assets/{k}"
        for k in ("decision", "inputs", "holdout_score", "drift_psi", "columns", "cells_filled")
    }
    assert isinstance(metadata["impute_assets/columns"], dg.MarkdownMetadataValue)
    normalized = dg.AssetMaterialization("t", metadata=metadata).metadata  # as events store it
    assert ImputationMetadata.from_metadata({**normalized, "dagster/row_count": 5}) == record


def test_keys_are_checked():
    assert ImputationMetadata.key("cells_filled") == "impute_assets/cells_filled"
    with pytest.raises(KeyError, match="cells_filed"):
        ImputationMetadata.key("cells_filed")


def test_the_missing_values_check_of_an_empty_table_says_it_did_not_run() -> None:
    from impute_assets.dagster.missing import gaps_summary
    from impute_assets.pipeline.records import MissingCounts

    assert (
        gaps_summary(MissingCounts("t", 0, {"y": 0}))
        == "skipped: t has no rows, so nothing was checked"
    )
    assert gaps_summary(MissingCounts("t", 5, {"y": 0})).startswith(
        "ok: no missing values in 5 rows"
    )
