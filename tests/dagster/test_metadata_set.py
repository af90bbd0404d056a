"""The typed metadata record: every key namespaced, markdown rendered, read back unchanged."""

from __future__ import annotations

import dagster as dg
import pytest

from impute_assets.dagster import ImputationMetadata


def test_round_trip_through_dagster_metadata_values():
    record = ImputationMetadata(
        decision="train", inputs=["x", "g"], holdout_score=0.25, drift_psi={"x": 0.1},
        columns="| column |\n|---|\n| y |", cells_filled=3,
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
