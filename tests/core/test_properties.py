"""Property tests: observed values are sacred, rows are kept, every gap is accounted for, in
the tabular and the sequence mode."""

from __future__ import annotations

import datetime as dt
import os
import uuid
import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impute_assets.core.imputer import Imputer
from tests.factories import TINY_MODEL

#: Hypothesis fits dozens of tiny frames: the network from five rows on, one round.
FAST = {**TINY_MODEL, "min_rows_for_network": 5, "refinement_rounds": 1, "knn_reference_rows": 64}


@st.composite
def frames(draw) -> pd.DataFrame:
    rows = draw(st.integers(min_value=1, max_value=40))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    builders = {
        "float": lambda: rng.normal(size=rows),
        "int": lambda: pd.array(rng.integers(0, 5, size=rows), dtype="Int64"),
        "text": lambda: pd.array(rng.choice(["a", "b", "c ü", "😀"], size=rows), dtype="str"),
        "bool": lambda: pd.Series(rng.random(rows) < 0.5, dtype=object),
        "category": lambda: pd.Categorical(rng.choice(["x", "y"], size=rows)),
        "when": lambda: pd.date_range("2024-01-01", periods=rows, freq="h", tz="UTC"),
        "constant": lambda: np.full(rows, 7.0),
        "objects": lambda: pd.Series([(1, 2), 3, "s", 4.5][i % 4] for i in range(rows)),
        "flag": lambda: pd.array(rng.random(rows) < 0.5, dtype="boolean"),
        "arrow_text": lambda: pd.array(
            rng.choice(["p", "q", "r"], size=rows), dtype="string[pyarrow]"
        ),
        "arrow_float": lambda: pd.array(rng.normal(size=rows), dtype="double[pyarrow]"),
        "price": lambda: pd.Series([Decimal(f"{v:.2f}") for v in rng.normal(10, 2, size=rows)]),
        "uuid": lambda: pd.Series([uuid.UUID(int=int(v)) for v in rng.integers(0, 4, size=rows)]),
        "wait": lambda: pd.to_timedelta(rng.integers(0, 90, size=rows), unit="min"),
        "small": lambda: pd.array(rng.integers(-3, 3, size=rows), dtype="Int8"),
        "single": lambda: rng.normal(size=rows).astype("float32"),
        "level": lambda: pd.Categorical(rng.choice([1, 2, 3], size=rows)),
        "day": lambda: pd.Series(
            [dt.date(2024, 1, 1 + int(v)) for v in rng.integers(0, 9, size=rows)]
        ),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(builders)), min_size=1, max_size=5, unique=True))
    frame = pd.DataFrame({name: builders[name]() for name in chosen})
    for name in chosen:
        pattern = draw(st.sampled_from(["none", "some", "all"]))
        hide = {"none": 0.0, "some": 0.3, "all": 1.01}[pattern]
        frame[name] = frame[name].mask(rng.random(rows) < hide)
    if "float" in chosen and rows > 2:
        frame.loc[0, "float"] = np.inf
    frame.index = rng.permutation(rows) + 100  # a non-default index must be kept as is
    return frame


@settings(
    max_examples=int(os.environ.get("IMPUTE_ASSETS_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(frames(), st.booleans(), st.booleans())
def test_observed_cells_rows_and_caller_frame_are_untouched(
    frame: pd.DataFrame, chained: bool, shared: bool
) -> None:
    original = frame.copy(deep=True)
    # the table's shared network as a candidate too (see core/nets/shared.py)
    more = {"candidates": ("shared_network", "linear", "mean_mode")} if shared else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = Imputer(**FAST, **more, chained=chained).fit_impute(frame)

    pd.testing.assert_frame_equal(frame, original)  # caller's frame not mutated
    out = result.frame
    assert list(out.index) == list(frame.index) and list(out.columns) == list(frame.columns)
    for column in frame.columns:
        observed = frame[column].notna().to_numpy()
        before = frame[column][observed].tolist()
        after = out[column][observed].tolist()
        assert after == before, f"observed cells of {column!r} changed"
        filled = result.imputed[column].to_numpy()
        assert not (filled & observed).any()
        assert out[column][filled].notna().all()
        assert result.confidence[column][filled].between(0, 1).all()


@settings(
    max_examples=int(os.environ.get("IMPUTE_ASSETS_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(frames())
def test_every_missing_cell_is_filled_or_counted_with_a_reason(frame: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = Imputer(**FAST).fit_impute(frame)
    by_column = {r.column: r for r in result.report}
    for column in frame.columns:
        missing = int(frame[column].isna().sum())
        still = int(result.frame[column].isna().sum())
        if missing == 0:
            continue
        report = by_column[column]
        assert report.missing == missing
        assert report.filled == int(result.imputed[column].sum())
        assert report.left == still
        assert sum(report.reasons.values()) == report.left


@settings(
    max_examples=int(os.environ.get("IMPUTE_ASSETS_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(frames(), st.integers(0, 2**16), st.sampled_from(["daily", "repeated", "with NaT"]))
def test_sequence_mode_keeps_observed_cells_rows_and_the_caller_frame(
    frame: pd.DataFrame, seed: int, times: str
) -> None:
    rng = np.random.default_rng(seed)
    rows = len(frame)
    steps = np.arange(rows) if times == "daily" else rng.integers(0, 3, size=rows)
    when = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(steps, unit="D"))
    if times == "with NaT" and rows > 1:  # a time column entirely missing is refused by name
        when.iloc[-1] = pd.NaT
    groups = rng.choice(["a", "b", None], size=rows).astype(object)
    groups[0] = "a"  # a group column entirely missing is refused by name
    frame = frame.assign(t=when.to_numpy(), g=groups)
    original = frame.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = Imputer(**FAST, order_by="t", group_by="g").fit_impute(frame)

    pd.testing.assert_frame_equal(frame, original)
    out = result.frame
    assert list(out.index) == list(frame.index) and list(out.columns) == list(frame.columns)
    for column in frame.columns:
        observed = frame[column].notna().to_numpy()
        assert out[column][observed].tolist() == frame[column][observed].tolist(), column


@settings(
    max_examples=int(os.environ.get("IMPUTE_ASSETS_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(frame=frames(), shared=st.booleans())
def test_a_saved_and_loaded_imputer_fills_as_the_fitted_one(
    frame: pd.DataFrame, shared: bool, tmp_path_factory
) -> None:
    more = {"candidates": ("shared_network", "linear", "mean_mode")} if shared else {}
    folder = tmp_path_factory.mktemp("saved") / "imputer"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        imputer = Imputer(**FAST, **more).fit(frame)
        imputer.save(folder)
        pd.testing.assert_frame_equal(
            Imputer.load(folder).transform(frame), imputer.transform(frame)
        )
