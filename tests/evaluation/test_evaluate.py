"""The mask-and-score harness: what it hides, and that its scores match hand-computed values."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from impute_assets.core.kinds import ColumnKind
from impute_assets.evaluation import (
    PATTERNS,
    EvaluationReport,
    evaluate,
    macro_f1,
    mask_cells,
    score,
)

NUM, CAT = ColumnKind.NUMERIC, ColumnKind.CATEGORICAL


def mixed_frame(n: int = 2000, seed: int = 7) -> pd.DataFrame:
    """Numeric, categorical, datetime and id columns, some with real gaps."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "key": np.arange(n) * 3 + 11,
            "x": x,
            "y": 2 * x + rng.normal(scale=0.5, size=n),
            "color": rng.choice(["red", "green", "blue"], size=n),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), "h"),
        }
    )
    frame.loc[rng.random(n) < 0.1, "y"] = np.nan
    frame.loc[rng.random(n) < 0.05, "color"] = None
    return frame


def mean_mode(frame: pd.DataFrame) -> pd.DataFrame:
    """The simplest peer: column mean for numbers, mode for everything else."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].fillna(out[column].mean())
        else:
            out[column] = out[column].fillna(out[column].mode().iloc[0])
    return out


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.5])
def test_hides_the_requested_share_of_observed_cells_only(pattern, fraction):
    df = mixed_frame()
    masked, mask = mask_cells(df, pattern, fraction, seed=3)
    for column in ["x", "y", "color", "when"]:
        observed = int(df[column].notna().sum())
        assert mask[column].sum() == round(fraction * observed), column
    assert not mask["key"].any(), "id columns are never masked"
    assert not (mask & df.isna()).any().any(), "already-missing cells are not touched"
    assert masked.isna().equals(df.isna() | mask)
    kept = ~mask
    pd.testing.assert_frame_equal(masked.where(kept), df.where(kept), check_dtype=False)
    assert df["y"].isna().sum() < masked["y"].isna().sum(), "the caller's frame is not mutated"


@pytest.mark.parametrize("pattern", PATTERNS)
def test_masking_is_seeded(pattern):
    df = mixed_frame()
    _, first = mask_cells(df, pattern, 0.2, seed=5)
    _, again = mask_cells(df, pattern, 0.2, seed=5)
    _, other = mask_cells(df, pattern, 0.2, seed=6)
    assert first.equals(again)
    assert not first.equals(other)


def test_never_hides_every_value_of_a_column():
    df = pd.DataFrame({"a": [1.0, 2.0, np.nan, np.nan], "b": [1.0, np.nan, np.nan, np.nan]})
    masked, mask = mask_cells(df, "mcar", 0.9, seed=0)
    assert mask["a"].sum() == 1 and masked["a"].notna().sum() == 1
    assert not mask["b"].any(), "a single observed value stays"


def test_refuses_id_columns_and_unknown_columns():
    df = mixed_frame(50)
    with pytest.raises(ValueError, match="key"):
        mask_cells(df, columns=["key"])
    with pytest.raises(KeyError, match="nope"):
        mask_cells(df, columns=["nope"])
    with pytest.raises(ValueError, match="pattern"):
        mask_cells(df, pattern="random")
    with pytest.raises(ValueError, match="fraction"):
        mask_cells(df, fraction=1.0)


def test_mar_hides_more_where_the_driver_is_large():
    df = mixed_frame(4000)
    _, mask = mask_cells(df, "mar", 0.2, seed=1, columns=["y"])
    observed = df["y"].notna()
    # "x" is the only complete maskable column besides the target, so it drives y's mask.
    hidden_x = df.loc[mask["y"], "x"]
    kept_x = df.loc[observed & ~mask["y"], "x"]
    assert hidden_x.mean() > kept_x.mean() + 0.3
    assert hidden_x.rank(pct=True).size == mask["y"].sum()


def test_mnar_hides_larger_values_more_often():
    df = mixed_frame(4000)
    _, mask = mask_cells(df, "mnar", 0.2, seed=1)
    for column in ["x", "y"]:
        hidden = df.loc[mask[column], column]
        kept = df.loc[df[column].notna() & ~mask[column], column]
        assert hidden.mean() > kept.mean() + 0.3, column
    hidden_when = df.loc[mask["when"], "when"].astype("int64").mean()
    kept_when = df.loc[~mask["when"], "when"].astype("int64").mean()
    assert hidden_when > kept_when, "later dates are hidden more often"


def test_mcar_does_not_depend_on_values():
    df = mixed_frame(4000)
    _, mask = mask_cells(df, "mcar", 0.2, seed=1)
    hidden = df.loc[mask["x"], "x"]
    kept = df.loc[~mask["x"], "x"]
    assert abs(hidden.mean() - kept.mean()) < 0.15


def test_scores_match_hand_computed_values():
    truth = pd.DataFrame({"y": [0.0, 1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "b", "b", "c"]})
    mask = pd.DataFrame(
        {"y": [False, True, True, False, False], "c": [True, False, True, True, True]}
    )
    imputed = pd.DataFrame({"y": [0.0, 2.0, 2.0, 3.0, 4.0], "c": ["a", "a", "a", "b", "a"]})
    report = score(truth, imputed, mask, {"y": NUM, "c": CAT})
    rows = report.to_frame().set_index("column")
    std = math.sqrt(2.0)  # population std of 0..4
    assert rows.loc["y", "nrmse"] == pytest.approx(math.sqrt(0.5) / std)  # errors 1 and 0
    assert rows.loc["y", "mae"] == pytest.approx(0.5)
    assert rows.loc["y", "nmae"] == pytest.approx(0.5 / std)
    assert rows.loc["y", "wasserstein"] == pytest.approx(0.5 / std)  # {2, 2} vs {1, 2}
    # hidden c: truth a, b, b, c; imputed a, a, b, a
    assert rows.loc["c", "accuracy"] == pytest.approx(0.5)
    f1_a, f1_b, f1_c = 2 / 4, 2 / 3, 0.0
    assert rows.loc["c", "macro_f1"] == pytest.approx((f1_a + f1_b + f1_c) / 3)
    assert rows.loc["c", "hidden"] == 4 and rows.loc["c", "left"] == 0
    assert report.overall["nrmse"] == pytest.approx(0.5)
    assert report.hidden == 6


def test_macro_f1_agrees_with_sklearn():
    rng = np.random.default_rng(0)
    true = list(rng.choice(list("abcd"), size=300))
    pred = list(rng.choice(list("abcde"), size=300))
    assert macro_f1(true, pred) == pytest.approx(f1_score(true, pred, average="macro"))


def test_cells_left_missing_count_as_misses():
    truth = pd.DataFrame({"y": [0.0, 1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "b", "b", "c"]})
    hidden = [False, True, True, False, False]
    mask = pd.DataFrame({"y": hidden, "c": hidden})
    imputed = truth.copy()
    imputed.loc[1, ["y", "c"]] = [np.nan, None]
    rows = score(truth, imputed, mask, {"y": NUM, "c": CAT}).to_frame().set_index("column")
    assert rows.loc["y", "left"] == 1 and rows.loc["c", "left"] == 1
    # the left y cell is scored as the mean of the known values (2.0): error 1 on 1.0
    assert rows.loc["y", "mae"] == pytest.approx(0.5)
    assert rows.loc["y", "wasserstein"] == 0.0, "only filled cells enter the distribution"
    assert rows.loc["c", "accuracy"] == pytest.approx(0.5)


def test_labels_compare_across_dtypes():
    truth = pd.DataFrame({"term": [36, 60, 36, 60], "flag": [True, False, True, False]})
    mask = pd.DataFrame(True, index=truth.index, columns=truth.columns)
    flags = pd.Series([True, False, True, True], dtype="object")
    imputed = pd.DataFrame({"term": [36.0, 60.0, 36.0, 36.0], "flag": flags})
    rows = score(truth, imputed, mask, {"term": CAT, "flag": CAT}).to_frame().set_index("column")
    assert rows.loc["term", "accuracy"] == 0.75 and rows.loc["flag", "accuracy"] == 0.75


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_perfect_imputer_scores_zero_error_and_full_accuracy(pattern):
    df = mixed_frame()
    report = evaluate(df, lambda frame: df.where(frame.notna() | df.notna()), pattern, 0.2, seed=0)
    overall = report.overall
    assert overall["nrmse"] == 0.0 and overall["wasserstein"] == 0.0
    assert overall["accuracy"] == 1.0 and overall["macro_f1"] == 1.0
    assert overall["left"] == 0
    assert set(report.to_frame()["column"]) == {"x", "y", "color", "when"}


def test_mean_imputation_scores_nrmse_about_one_on_a_normal_sample():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(5, 3, 20_000), "b": rng.normal(-1, 0.1, 20_000)})
    report = evaluate(df, mean_mode, "mcar", 0.2, seed=0)
    assert report.overall["nrmse"] == pytest.approx(1.0, abs=0.03)
    assert report.method == "mean_mode"


def test_evaluate_accepts_an_estimator_returning_a_result():
    class Estimator:
        def fit_transform(self, frame: pd.DataFrame) -> SimpleNamespace:
            return SimpleNamespace(frame=mean_mode(frame))

    report = evaluate(mixed_frame(200), Estimator(), "mar", 0.2, seed=0)
    assert report.method == "Estimator" and report.left == 0
    # The result's frame is what was scored: the same scores as the plain function's.
    direct = evaluate(mixed_frame(200), mean_mode, "mar", 0.2, seed=0)
    pd.testing.assert_frame_equal(report.to_frame(), direct.to_frame())


def test_evaluate_rejects_an_imputer_that_changes_the_shape():
    with pytest.raises(ValueError, match="imputed frame"):
        evaluate(mixed_frame(100), lambda frame: frame.drop(columns="x"))
    with pytest.raises(TypeError, match="ndarray"):
        evaluate(mixed_frame(100), lambda frame: frame.to_numpy())


def test_report_renders_as_frame_and_markdown():
    report = evaluate(mixed_frame(300), lambda frame: frame, "mcar", 0.2, seed=0)
    assert isinstance(report, EvaluationReport)
    frame = report.to_frame()
    assert list(frame.columns[:4]) == ["column", "kind", "hidden", "left"]
    assert (frame["left"] == frame["hidden"]).all()
    text = report.to_markdown()
    assert re.search(r"\| x +\| numeric +\|", text) and "left missing by the imputer" in text
    assert f"{report.hidden} cells hidden, {report.hidden} left missing" in text


def test_a_constant_column_is_noted_not_averaged():
    truth = pd.DataFrame({"k": [5.0] * 6, "y": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    mask = pd.DataFrame({"k": [True, False] * 3, "y": [True, False] * 3})
    imputed = truth.assign(k=[6.0, 5.0] * 3)
    report = score(truth, imputed, mask, {"k": NUM, "y": NUM})
    assert math.isnan(report.to_frame().set_index("column").loc["k", "nrmse"])
    assert report.overall["nrmse"] == 0.0
    assert any("'k' is constant" in note for note in report.notes)
    assert "'k' is constant" in report.to_markdown()
