"""Chunked prediction fills the same cells as one pass, and reports its progress per chunk;
audit rows made as each chunk is predicted are those of all its cells."""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import pyarrow as pa
import pytest

from impute_assets.core.config import ImputerConfig
from impute_assets.core.imputer import Imputer
from impute_assets.core.result import FilledCells
from impute_assets.pipeline.chunks import predict_in_chunks
from impute_assets.warehouse.audit import audit_frame, audit_rows
from tests.factories import TINY_MODEL, sample_frame


def test_chunks_fill_what_one_pass_fills_and_log_progress(caplog):
    frame = sample_frame(rows=250).drop(columns=["month"])
    imputer = Imputer(columns=["y", "z", "w"], config=ImputerConfig(**TINY_MODEL)).fit(frame)
    whole = imputer.impute(frame)
    seen: list[tuple[int, int]] = []
    with caplog.at_level(logging.INFO):
        chunked = predict_in_chunks(
            imputer,
            frame,
            None,
            "t_imputed",
            logging.getLogger("t"),
            chunk_rows=100,
            on_rows=lambda d, n: seen.append((d, n)),
        )
    # Same cells; values equal up to the float rounding of a smaller matmul batch.
    pd.testing.assert_frame_equal(chunked.frame, whole.frame, rtol=1e-9)
    pd.testing.assert_frame_equal(chunked.imputed, whole.imputed)
    modelled = ["y", "z", "w"]  # the confidences kept: the other columns are never filled
    pd.testing.assert_frame_equal(chunked.confidence, whole.confidence[modelled], rtol=1e-6)
    texts = ["value", "lower", "upper"]  # values and interval ends as text
    pd.testing.assert_frame_equal(
        chunked.cells.drop(columns=texts), whole.cells().drop(columns=texts), rtol=1e-6
    )
    for column in ("lower", "upper"):
        pd.testing.assert_series_equal(
            pd.to_numeric(chunked.cells[column]), pd.to_numeric(whole.cells()[column]), rtol=1e-9
        )
    # each column's report merged over chunks is the one pass's: the counts and reasons exactly,
    # the means closely (widths are put against the spread of the chunk's own observed values,
    # so that ratio only comes close)
    report = {r.column: r for r in whole.report}
    assert set(chunked.reports) == set(report)
    for column, merged in chunked.reports.items():
        expected = report[column]
        counts = ("missing", "filled", "left", "reasons", "model", "model_version")
        assert [getattr(merged, n) for n in counts] == [getattr(expected, n) for n in counts]
        for name in ("coverage", "holdout_coverage", "mean_confidence", "mean_width",
                     "width_to_spread", "mean_set_size"):  # fmt: skip
            value, wanted = getattr(merged, name), getattr(expected, name)
            if wanted is None:
                assert value is None, (column, name)
            else:
                rel = 0.1 if name == "width_to_spread" else 1e-6
                assert value == pytest.approx(wanted, rel=rel), (column, name)
    assert seen == [(100, 250), (200, 250), (250, 250)]
    lines = [r.getMessage() for r in caplog.records if "rows filled" in r.getMessage()]
    assert lines[0].startswith("t_imputed: rows filled 100 of 250 (chunk 1/3, ")
    assert lines[-1].startswith("t_imputed: rows filled 250 of 250 (chunk 3/3, ")


def test_sequences_go_through_in_one_chunk():
    frame = sample_frame(rows=120).drop(columns=["month"])
    frame["t"] = pd.date_range("2024-01-01", periods=len(frame), freq="h")
    imputer = Imputer(columns=["y"], order_by="t", config=ImputerConfig(**TINY_MODEL)).fit(frame)
    seen: list[tuple[int, int]] = []
    predict_in_chunks(
        imputer,
        frame,
        None,
        "t",
        logging.getLogger("t"),
        chunk_rows=50,
        on_rows=lambda d, n: seen.append((d, n)),
    )
    assert seen == [(120, 120)]  # neighbours in time are never cut apart


def test_audit_rows_made_a_chunk_at_a_time_are_those_of_all_its_cells():
    """The fill makes each chunk's audit rows as it is predicted (its cells' texts and sets
    never outlive it): the same rows, in the same order, as the audit rows of every chunk's
    cells together, prediction sets (the text column ``z``) and intervals included."""
    frame = sample_frame(rows=250).drop(columns=["month"])
    imputer = Imputer(columns=["y", "z", "w"], config=ImputerConfig(**TINY_MODEL)).fit(frame)
    at = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    cells: list[pd.DataFrame] = []

    def audit(rows: pd.DataFrame, chunk: FilledCells, imputed: pd.DataFrame):
        assert imputed.index.equals(rows.index)
        cells.append(chunk.to_frame())
        return audit_rows(chunk, rows, ["id"], run_id="r", table="t", at=at)

    chunked = predict_in_chunks(
        imputer, frame, None, "t", logging.getLogger("t"), chunk_rows=100, audit=audit
    )
    every = pd.concat(cells, ignore_index=True)
    assert len(cells) == 3 and every["prediction_set"].notna().any()
    assert every["lower"].notna().any()
    whole = audit_frame(every, frame, ["id"], run_id="r", table="t", at=at)
    got = pa.concat_tables(chunked.cells.tables(), promote_options="permissive")
    assert got.to_pylist() == pa.Table.from_pandas(whole, preserve_index=False).to_pylist()
