"""Sequence mode on messy real-world series: odd time columns, indexes, groups and gaps.

Every fit checks the contract: observed cells, row order, index, columns and dtypes are kept,
and every modelled column is filled.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from impute_assets.core import result as reasons
from impute_assets.core.config import DEFAULT_CANDIDATES, ImputerConfig
from impute_assets.core.datawig.simple import SimpleImputer
from impute_assets.core.imputer import Imputer
from impute_assets.core.kinds import ColumnKind
from tests.core.test_sequence import nrmse

#: Small enough that a fit takes well under a second on one core: the boosted candidate (and
#: the blend over it) doubles that, so only the tests of tiny groups, short series and the
#: public tables keep every default candidate (:data:`EVERY`).
#: These tests are about the sequence edges, not about what the gates leave: fill everything.
TINY = {
    "epochs": 3,
    "max_steps": 30,
    "hidden_dim": 8,
    "embedding_dim": 4,
    "patience": 2,
    "knn_reference_rows": 64,
    "candidates": ("network", "linear", "knn", "mean_mode"),
    "fill": "all",
}
EVERY = {"candidates": DEFAULT_CANDIDATES}
DATA = Path(__file__).resolve().parents[1] / "data"


def series(rows: int = 120, seed: int = 0, share: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(truth, the same with ``share`` of x, y and c hidden): a smooth daily series, a column
    that follows it and a category of its sign."""
    rng = np.random.default_rng(seed)
    x = np.sin(np.arange(rows) / 10) * 5 + rng.normal(0, 0.3, rows)
    truth = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=rows, freq="D").astype("datetime64[s]"),
            "x": x,
            "y": 2 * x + rng.normal(0, 0.3, rows),
            "c": pd.array(np.where(x > 0, "hi", "lo"), dtype="str"),
        }
    )
    masked = truth.copy()
    for column in ("x", "y", "c"):
        masked[column] = masked[column].mask(rng.random(rows) < share)
    return truth, masked


def fill(frame: pd.DataFrame, **settings) -> tuple[Imputer, pd.DataFrame]:
    """Fit and fill ``frame``, checking the contract; (the fitted imputer, the filled frame)."""
    original = frame.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        imputer = Imputer(**{**TINY, **settings}).fit(frame)
        out = imputer.transform(frame)
    pd.testing.assert_frame_equal(frame, original)  # the caller's frame is untouched
    assert list(out.index) == list(frame.index) and list(out.columns) == list(frame.columns)
    for column in frame.columns:
        assert out[column].dtype == frame[column].dtype, column
        observed = frame[column].notna().to_numpy()
        assert out[column][observed].tolist() == frame[column][observed].tolist(), column
    for column in imputer.column_models_:
        assert out[column].notna().all(), column
    return imputer, out


#: The same daily clock held in every form a real table brings it in.
DAILY_FORMS = {
    "datetime64[ms]": lambda d: d.astype("datetime64[ms]"),
    "tz-aware": lambda d: d.dt.tz_localize("Asia/Tokyo"),  # no DST: the same clock
    "date objects": lambda d: d.dt.date,
    "date strings": lambda d: d.dt.strftime("%Y-%m-%d"),
    "object date strings": lambda d: d.dt.strftime("%Y-%m-%d").astype(object),
    "arrow date32": lambda d: d.dt.date.astype(pd.ArrowDtype(pa.date32())),
    "arrow timestamp": lambda d: d.astype(pd.ArrowDtype(pa.timestamp("us"))),
}


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """:func:`series` filled with ``order_by="date"`` as datetime64 on a plain index."""
    return fill(series()[1], order_by="date")[1]


@pytest.mark.parametrize("form", sorted(DAILY_FORMS))
def test_every_form_of_a_date_column_orders_the_rows_like_datetime64(
    reference: pd.DataFrame, form: str
) -> None:
    _, masked = series()
    imputer, out = fill(masked.assign(date=DAILY_FORMS[form](masked["date"])), order_by="date")
    assert imputer.kinds_["date"] == ColumnKind.DATETIME
    assert imputer.sequence_.step == 86400.0
    pd.testing.assert_frame_equal(out.drop(columns="date"), reference.drop(columns="date"))


def test_an_integer_step_counter_is_a_time_not_an_id() -> None:
    truth, masked = series()
    steps = masked.assign(date=np.arange(len(masked)))  # unique integers: guessed an id alone
    imputer, out = fill(steps, order_by="date")
    assert imputer.kinds_["date"] == ColumnKind.NUMERIC and imputer.sequence_.step == 1.0
    _, floats = fill(steps.assign(date=steps["date"] * 1.0), order_by="date")
    pd.testing.assert_frame_equal(out.drop(columns="date"), floats.drop(columns="date"))
    _, nullable = fill(steps.assign(date=pd.array(steps["date"], dtype="Int64")), order_by="date")
    pd.testing.assert_frame_equal(out.drop(columns="date"), nullable.drop(columns="date"))
    _, tabular = fill(steps)
    hidden = masked["x"].isna().to_numpy()
    assert nrmse(out["x"], truth["x"], hidden) < 0.5 * nrmse(tabular["x"], truth["x"], hidden)


@pytest.mark.parametrize(
    ("column", "match"),
    [
        (pd.to_timedelta(np.arange(60), unit="h"), "dtype timedelta"),
        (pd.period_range("2024-01", periods=60, freq="M"), "dtype period"),
        (np.arange(60) % 2 == 0, "dtype bool"),
        (np.where(np.arange(60) % 2 == 0, "up", "down"), "not dates"),
    ],
)
def test_a_time_column_that_is_no_time_is_refused_by_name(column, match: str) -> None:
    _, masked = series(60)
    with pytest.raises(TypeError, match=f"order_by column 'date'.*{match}"):
        fill(masked.assign(date=column), order_by="date")


def test_keys_excluded_missing_or_absent_are_refused_by_name() -> None:
    _, masked = series(60)
    with pytest.raises(KeyError, match="'date' is excluded"):
        fill(masked, order_by="date", exclude=["date"])
    with pytest.raises(ValueError, match="'date' is entirely missing"):
        fill(masked.assign(date=pd.NaT).astype({"date": "datetime64[s]"}), order_by="date")
    with pytest.raises(KeyError, match="'station' is not in the frame"):
        fill(masked, order_by="date", group_by="station")


@pytest.mark.parametrize("index", ["strings", "shuffled", "duplicates", "multi"])
def test_the_index_never_changes_the_fills(reference: pd.DataFrame, index: str) -> None:
    _, masked = series()
    rows = len(masked)
    labels = {
        "strings": [f"r{i}" for i in range(rows)],
        "shuffled": np.random.default_rng(3).permutation(rows) + 1000,
        "duplicates": np.arange(rows) // 2,
        "multi": pd.MultiIndex.from_arrays([np.arange(rows) % 3, np.arange(rows)]),
    }[index]
    _, out = fill(masked.set_axis(labels), order_by="date")
    np.testing.assert_array_equal(out.to_numpy(), reference.to_numpy())


def test_unsorted_rows_duplicate_times_and_missing_times() -> None:
    _, masked = series()
    messy = pd.concat([masked, masked.iloc[20:60]], ignore_index=True)  # duplicate timestamps
    messy.loc[messy.sample(15, random_state=1).index, "date"] = pd.NaT  # rows without a time
    messy = messy.sample(frac=1.0, random_state=2)
    imputer, _ = fill(messy, order_by="date")
    assert imputer.sequence_.step == 86400.0


def groups_of(sizes, seed: int = 0) -> pd.DataFrame:
    """One masked series per entity ``g0, g1, ...`` of the given lengths, stacked."""
    parts = [series(int(n), seed=seed + i)[1].assign(g=f"g{i}") for i, n in enumerate(sizes)]
    return pd.concat(parts, ignore_index=True)


def test_singleton_groups_a_group_without_values_and_missing_group_keys() -> None:
    frame = groups_of([60, 60, 60, 1, 1, 1])
    frame.loc[frame["g"] == "g1", "x"] = np.nan  # one entity never reports x
    frame.loc[frame.index[-1], "x"] = np.nan  # a gap in a group of one row
    frame.loc[frame.sample(12, random_state=4).index, "g"] = np.nan  # rows of no known entity
    fill(frame, order_by="date", group_by="g", **EVERY)


def test_hundreds_of_tiny_groups_and_all_distinct_group_keys() -> None:
    sizes = np.random.default_rng(5).integers(1, 5, size=200)
    fill(groups_of(sizes), order_by="date", group_by="g", **EVERY)
    _, masked = series(120)
    lonely = masked.assign(g=[f"id{i}" for i in range(len(masked))])  # distinct: guessed an id
    imputer, _ = fill(lonely, order_by="date", group_by="g")
    assert imputer.kinds_["g"] == ColumnKind.CATEGORICAL


def test_a_tz_aware_value_column_whose_neighbours_are_all_missing() -> None:
    # every group one row: no row has a neighbour, so the column's prev/next context is all
    # NaT (it once went through numpy as naive datetimes and could not be cast back: TypeError)
    _, masked = series(40)
    seen = pd.Series(pd.date_range("2024-03-01", periods=40, freq="h", tz="UTC"))
    frame = masked.assign(seen=seen.mask(seen.index % 4 == 0), g=[f"e{i % 40}" for i in range(40)])
    fill(frame, order_by="date", group_by="g")


@pytest.mark.parametrize("rows", [3, 5, 10])
def test_very_short_series(rows: int) -> None:
    truth, _ = series(rows)
    frame = truth.copy()
    frame.loc[0, "x"] = np.nan  # a gap at the start ...
    frame.loc[rows - 1, "y"] = np.nan  # ... and at the end
    fill(frame, order_by="date", **EVERY)


def test_gaps_at_the_ends_long_runs_constant_and_empty_columns() -> None:
    truth, _ = series(200)
    frame = truth.assign(level=5.0, empty=np.nan)
    frame.loc[:15, "x"] = np.nan
    frame.loc[185:, "x"] = np.nan
    frame.loc[80:130, "y"] = np.nan
    frame.loc[[3, 40, 41, 42], "level"] = np.nan
    _, out = fill(frame, order_by="date")
    assert (out["level"] == 5.0).all()
    assert out["empty"].isna().all()  # nothing to learn it from: stays missing


def test_irregular_clocks_business_days_and_random_gaps() -> None:
    _, masked = series()
    business = masked.assign(date=pd.bdate_range("2024-01-01", periods=len(masked)))
    assert fill(business, order_by="date")[0].sequence_.step == 86400.0
    hours = np.cumsum(np.random.default_rng(6).exponential(3.0, len(masked)))
    fill(
        masked.assign(date=pd.Timestamp("2024-01-01") + pd.to_timedelta(hours, unit="h")),
        order_by="date",
    )


def test_iso_strings_across_a_daylight_saving_change() -> None:
    _, masked = series(120)
    hours = pd.date_range("2024-03-29", periods=120, freq="h", tz="Europe/Berlin")
    imputer, _ = fill(masked.assign(date=[t.isoformat() for t in hours]), order_by="date")
    assert imputer.sequence_.step == 3600.0  # +01:00 and +02:00 on one clock


def test_datetimes_outside_the_nanosecond_range() -> None:
    _, masked = series(120)
    start = np.datetime64("1500-01-01", "s")
    imputer, _ = fill(
        masked.assign(date=start + np.arange(120) * np.timedelta64(1, "D")), order_by="date"
    )
    assert imputer.sequence_.step == 86400.0


def test_context_rows_in_another_timezone_and_a_naive_frame_refused() -> None:
    _, masked = series(200)
    aware = masked.assign(date=masked["date"].dt.tz_localize("UTC"))
    imputer, _ = fill(aware.iloc[:150], order_by="date")
    later = aware.iloc[150:].assign(date=lambda f: f["date"].dt.tz_convert("Asia/Tokyo"))
    out = imputer.transform(later, context=aware.iloc[:150])
    assert out[["x", "y", "c"]].notna().all().all() and list(out.index) == list(later.index)
    with pytest.raises(TypeError, match="column 'date' held datetimes in UTC"):
        imputer.transform(masked.iloc[150:])


def test_a_saved_model_fills_later_rows_of_a_string_dated_series(tmp_path) -> None:
    _, masked = series(200)
    frame = masked.assign(date=masked["date"].dt.strftime("%Y-%m-%d"))
    earlier, later = frame.iloc[:140], frame.iloc[140:]
    imputer, _ = fill(earlier, order_by="date")
    loaded = Imputer.load(imputer.save(tmp_path / "daily"))
    assert loaded.sequence_ == imputer.sequence_
    for context in (None, earlier):
        out = loaded.transform(later, context=context)
        pd.testing.assert_frame_equal(out, imputer.transform(later, context=context))
        assert out[["x", "y", "c"]].notna().all().all() and out["date"].equals(later["date"])


def test_simple_imputer_orders_by_a_step_counter() -> None:
    truth, masked = series()
    frame = masked.assign(date=np.arange(len(masked)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SimpleImputer(
            ["y"], "x", order_by="date", numeric_latent_dim=8, config=ImputerConfig(**TINY)
        ).fit(frame, num_epochs=3, patience=2)
    assert model.imputer_.kinds_["date"] == ColumnKind.NUMERIC
    predicted = model.predict(frame.sample(frac=1.0, random_state=1))["x_imputed"].sort_index()
    assert predicted.notna().all()
    hidden = masked["x"].isna().to_numpy()
    mean_fill = masked["x"].fillna(masked["x"].mean())
    assert nrmse(predicted, truth["x"], hidden) < 0.5 * nrmse(mean_fill, truth["x"], hidden)


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("seattle_weather", {"order_by": "date"}),
        ("weather", {"order_by": "time_hour", "group_by": "origin"}),
        ("storms", {"order_by": "time", "group_by": "name"}),
    ],
)
def test_public_series_with_extra_cells_hidden(name: str, keys: dict) -> None:
    truth = pd.read_parquet(DATA / f"{name}_tail.parquet")  # the series' last tenth, tests/data
    rng = np.random.default_rng(7)
    numbers = [c for c in truth.columns if pd.api.types.is_float_dtype(truth[c])][:4]
    masked = truth.copy()
    hidden = {c: rng.random(len(truth)) < 0.15 for c in numbers}
    for column in numbers:
        masked[column] = masked[column].mask(hidden[column])
    masked = masked.sample(frac=1.0, random_state=8)  # arrival order is not time order
    _, out = fill(masked, **keys, **EVERY)
    out = out.loc[truth.index]
    scored = [c for c in numbers if (hidden[c] & truth[c].notna().to_numpy()).sum() >= 10]
    assert scored
    for column in scored:
        mask = hidden[column] & truth[column].notna().to_numpy()
        mean_fill = truth[column].where(~hidden[column]).fillna(masked[column].mean())
        assert nrmse(out[column], truth[column], mask) < nrmse(mean_fill, truth[column], mask), (
            column
        )


def test_sequence_keys_are_never_imputed() -> None:
    frame = pd.DataFrame(
        {
            "day": pd.date_range("2024-01-01", periods=60, freq="D"),
            "site": ["a", "b"] * 30,
            "temp": np.sin(np.arange(60) / 5.0),
        }
    )
    frame.loc[[5, 17], "day"] = pd.NaT
    frame.loc[[8], "site"] = None
    frame.loc[[3, 20, 41], "temp"] = np.nan
    imputer = Imputer(order_by="day", group_by="site", candidates=("linear", "mean_mode"), seed=0)
    result = imputer.fit(frame).impute(frame)
    assert set(imputer.column_models_) == {"temp"}
    assert result.frame["temp"].notna().all()
    assert result.frame["day"].isna().sum() == 2 and result.frame["site"].isna().sum() == 1
    day = next(r for r in result.report if r.column == "day")
    assert day.reasons == {reasons.SEQUENCE_KEY: 2}
    with pytest.raises(ValueError, match="'day' orders or groups the rows"):
        Imputer(order_by="day", columns=["day", "temp"]).fit(frame)
