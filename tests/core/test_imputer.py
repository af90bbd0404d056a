"""The Imputer's contract: accuracy where there is signal, dtypes kept, reasons, persistence."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from impute_assets.core.config import ImputerConfig
from impute_assets.core.imputer import Imputer
from impute_assets.core.result import BELOW_THRESHOLD, FREE_TEXT, ID_COLUMN
from tests.factories import LEARNING_MODEL


def correlated_frame(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    group = np.where(x > 0, "high", "low")
    frame = pd.DataFrame(
        {
            "x": x,
            "y": 3 * x + rng.normal(scale=0.1, size=rows),
            "count": pd.array(np.round(10 + 2 * x).astype(int), dtype="Int64"),
            "group": pd.array(group, dtype="str"),
            "flag": pd.Series(x > 0.5, dtype=object),
            "when": pd.date_range("2024-01-01", periods=rows, freq="D", tz="Europe/Paris"),
            "tier": pd.Categorical(np.where(x > 1, "gold", "basic")),
        }
    )
    return frame


def hide(frame: pd.DataFrame, share: float, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    mask = rng.random(frame.shape) < share
    mask[:, 0] = False
    out = frame.copy()
    for j, column in enumerate(frame.columns):
        out[column] = out[column].mask(mask[:, j])
    return out, mask


def test_fills_beat_mean_mode_where_columns_carry_signal() -> None:
    truth = correlated_frame()
    masked, mask = hide(truth, 0.2)
    result = Imputer(**LEARNING_MODEL).fit_impute(masked)
    y_mask = mask[:, truth.columns.get_loc("y")]
    nrmse = (
        np.sqrt(np.mean((result.frame["y"][y_mask] - truth["y"][y_mask]) ** 2)) / truth["y"].std()
    )
    assert nrmse < 0.3
    g_mask = mask[:, truth.columns.get_loc("group")]
    assert (result.frame["group"][g_mask] == truth["group"][g_mask]).mean() > 0.9
    report = {r.column: r for r in result.report}
    assert report["y"].model in {"network", "linear", "knn"}
    assert report["y"].holdout_score < report["y"].baseline_score
    assert report["y"].improvement > 2
    importance = report["y"].importance  # permutation importance on the held-out split
    assert set(importance) == set(truth.columns) - {"y"}
    assert max(importance, key=importance.get) in {"x", "count"}  # the inputs y is made of
    assert importance["when"] < max(importance.values()) / 4  # dates carry no signal here
    assert "importance" in result.report_frame().columns


def test_filled_columns_keep_their_dtypes_and_vocabularies() -> None:
    masked, _ = hide(correlated_frame(200), 0.2)
    out = Imputer(**LEARNING_MODEL, fill="all").fit_impute(masked).frame
    assert out.dtypes.to_dict() == masked.dtypes.to_dict()
    assert (out["count"].dropna() % 1 == 0).all()
    assert set(out["flag"].dropna()) <= {True, False}
    assert all(isinstance(v, bool) for v in out["flag"].dropna())
    assert set(out["tier"].dropna()) <= {"gold", "basic"}
    assert out["when"].dt.tz is not None and out["when"].notna().all()
    assert out.notna().all().all()


def test_low_confidence_cells_stay_missing_and_are_counted() -> None:
    frame = correlated_frame(200)[["x", "y", "group"]]
    frame["noisy"] = frame["x"] + np.random.default_rng(3).normal(size=200)
    masked, _ = hide(frame, 0.2)
    result = Imputer(confidence_threshold={"noisy": 0.9}, **LEARNING_MODEL).fit_impute(masked)
    report = {r.column: r for r in result.report}
    assert report["noisy"].left > 0
    assert report["noisy"].reasons == {f"{BELOW_THRESHOLD} (0.9)": report["noisy"].left}
    assert result.frame["noisy"].isna().sum() == report["noisy"].left
    assert report["y"].left == 0  # the threshold is per column


def test_id_and_free_text_columns_are_left_with_reasons() -> None:
    rows = 60
    frame = pd.DataFrame(
        {
            "id": pd.array(np.arange(rows), dtype="Int64"),
            "note": [
                f"a long free text note number {i} about things that happened" for i in range(rows)
            ],
            "value": np.arange(rows, dtype=float),
        }
    )
    frame["id"] = frame["id"].mask(frame.index == 3)
    frame["note"] = frame["note"].mask(frame.index == 4)
    frame["value"] = frame["value"].mask(frame.index == 5)
    result = Imputer(**LEARNING_MODEL, fill="all").fit_impute(frame)
    reasons = {r.column: r.reasons for r in result.report}
    assert reasons["id"] == {ID_COLUMN: 1}
    assert reasons["note"] == {FREE_TEXT: 1}
    assert not result.imputed["id"].any() and result.imputed["value"].sum() == 1


def test_text_inputs_inform_a_categorical_target() -> None:
    rng = np.random.default_rng(0)
    labels = rng.choice(["refund", "delivery", "login"], size=500)
    notes = [
        f"customer wrote about {label} issue number {rng.integers(1e6)} today" for label in labels
    ]
    truth = pd.DataFrame({"note": notes, "topic": labels, "noise": rng.normal(size=500)})
    masked = truth.copy()
    hidden = rng.random(500) < 0.2
    masked["topic"] = masked["topic"].mask(hidden)
    result = Imputer(kinds={"note": "text"}, **{**LEARNING_MODEL, "epochs": 40}).fit_impute(masked)
    accuracy = (result.frame["topic"][hidden] == truth["topic"][hidden]).mean()
    assert accuracy > 0.9


def test_bad_input_names_the_column() -> None:
    frame = correlated_frame(50)
    frame["empty"] = np.nan
    with pytest.raises(ValueError, match="'empty' is entirely missing"):
        Imputer(columns=["empty"]).fit(frame)
    with pytest.raises(KeyError, match="'nope'"):
        Imputer(columns=["nope"]).fit(frame)
    with pytest.raises(ValueError, match="empty"):
        Imputer().fit(frame.iloc[:0])
    with pytest.raises(ValueError, match="unknown kind 'bogus'"):
        Imputer(kinds={"x": "bogus"}).fit(frame)
    for unfitted in (Imputer().impute, Imputer().transform, Imputer().model_frame):
        with pytest.raises(NotFittedError, match="not fitted"):
            unfitted(frame)
    with pytest.raises(ValueError, match=r"ImputerConfig\.epochs"):
        Imputer(epochs=0).fit(frame)


def test_an_all_missing_column_found_by_itself_is_reported_not_imputed() -> None:
    frame = correlated_frame(50)
    frame["empty"] = np.nan
    result = Imputer(**LEARNING_MODEL).fit_impute(frame)
    report = {r.column: r for r in result.report}["empty"]
    assert report.left == 50 and report.filled == 0 and report.reasons


def test_save_load_round_trip_predicts_identically(tmp_path) -> None:
    masked, _ = hide(correlated_frame(200), 0.2)
    fitted = Imputer(**LEARNING_MODEL).fit(masked)
    before = fitted.impute(masked)
    loaded = Imputer.load(fitted.save(tmp_path / "model"))
    after = loaded.impute(masked)
    pd.testing.assert_frame_equal(before.frame, after.frame)
    assert before.model_versions == after.model_versions
    assert {p.name for p in (tmp_path / "model").iterdir()} >= {"imputer.json", "profile.json"}
    assert loaded.profile_.to_dict() == fitted.profile_.to_dict()


def test_saving_over_an_imputer_replaces_it_whole(tmp_path) -> None:
    masked, _ = hide(correlated_frame(150), 0.2)
    root = tmp_path / "model"
    Imputer(columns=["y", "group"], **LEARNING_MODEL).fit(masked).save(root)
    first_files = {p.name for p in root.iterdir()}
    second = Imputer(columns=["x"], **LEARNING_MODEL).fit(masked)
    second.save(root)
    units = {p.name for p in root.iterdir() if p.is_dir()}
    assert units == {"000_x"} and first_files - {p.name for p in root.iterdir()}
    assert list(Imputer.load(root).column_models_) == ["x"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no staging folder left


def test_saving_into_a_folder_of_other_files_is_refused(tmp_path) -> None:
    masked, _ = hide(correlated_frame(100), 0.2)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a saved imputer"):
        Imputer(columns=["y"], **LEARNING_MODEL).fit(masked).save(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_units_from_separate_fits_combine(tmp_path) -> None:
    masked, _ = hide(correlated_frame(150)[["x", "y", "group", "when"]], 0.2)
    first = Imputer(columns=["y"], **LEARNING_MODEL).fit(masked)
    second = Imputer(columns=["group"], **LEARNING_MODEL).fit(masked.drop(columns=["when"]))
    combined = Imputer.from_column_models({**first.column_models_, **second.column_models_})
    result = combined.impute(masked)
    assert result.imputed["y"].sum() == masked["y"].isna().sum()
    assert result.imputed["group"].sum() == masked["group"].isna().sum()


def test_same_seed_same_fills() -> None:
    masked, _ = hide(correlated_frame(100), 0.2)
    config = ImputerConfig(epochs=5, seed=7, hidden_dim=16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = Imputer(config=config).fit_impute(masked).frame
        b = Imputer(config=config).fit_impute(masked).frame
    pd.testing.assert_frame_equal(a, b)


def test_the_order_columns_are_listed_in_does_not_change_the_fills() -> None:
    """Targets are fitted in the frame's order, however ``columns`` lists them (a pipeline
    hands them over from a set): on msleep two orders chose different models before."""
    frame = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "msleep.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fills = [
            Imputer(seed=0, fill="all", columns=columns).fit_impute(frame).frame
            for columns in (["vore", "sleep_rem", "brainwt"], ["brainwt", "sleep_rem", "vore"])
        ]
    pd.testing.assert_frame_equal(*fills)


def test_cells_lists_each_fill_once() -> None:
    masked, _ = hide(correlated_frame(120)[["x", "y", "group", "when"]], 0.1)
    result = Imputer(**LEARNING_MODEL, fill="all").fit_impute(masked)
    cells = result.cells()
    assert len(cells) == result.filled == int(masked.isna().sum().sum())
    assert cells["model_version"].notna().all()
    assert not cells.duplicated(["row", "column"]).any()


def test_a_frame_with_gaps_in_only_some_modelled_columns_is_filled() -> None:
    masked, _ = hide(correlated_frame(150)[["x", "y", "group"]], 0.2)
    fitted = Imputer(**LEARNING_MODEL).fit(masked)
    assert {m.chosen for m in fitted.column_models_.values()}  # both columns got models
    only_y = correlated_frame(150)[["x", "y", "group"]]
    only_y["y"] = only_y["y"].mask(only_y.index % 5 == 0)
    result = fitted.impute(only_y)
    assert result.imputed["y"].sum() == 30 and not result.imputed["group"].any()
