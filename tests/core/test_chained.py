"""Chained (MICE-style) training: a second round fitted on the first round's fills, kept per
column only where it scores better held-out, saved inside its column's unit and refused when
that unit loses it."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from impute_assets.core.imputer import Imputer
from impute_assets.core.integrity import UnitIntegrityError
from impute_assets.store import ModelStore

FAST = {
    "epochs": 20,
    "hidden_dim": 16,
    "embedding_dim": 4,
    "seed": 0,
    "candidates": ("linear", "boosted", "mean_mode"),
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Three columns that predict each other, each with a third of its cells missing: filling
    one first gives the others more to read."""
    rng = np.random.default_rng(0)
    latent = rng.normal(size=600)
    table = pd.DataFrame(
        {
            "a": latent + rng.normal(0, 0.3, 600),
            "b": latent + rng.normal(0, 0.3, 600),
            "c": np.where(latent + rng.normal(0, 0.3, 600) > 0, "up", "down"),
            "d": latent + rng.normal(0, 0.3, 600),
        }
    )
    for column in table.columns:
        table[column] = table[column].mask(rng.random(600) < 0.35)
    return table


@pytest.fixture(scope="module")
def fitted(frame) -> Imputer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Imputer(chained=True, **FAST).fit(frame)


def _chained(imputer: Imputer) -> dict:
    return {n: m for n, m in imputer.column_models_.items() if m.chained is not None}


def test_kept_second_rounds_score_better_on_the_same_held_out_cells(fitted):
    kept = _chained(fitted)
    assert kept, "no column kept its chained model on a table built for it"
    for name, model in kept.items():
        info = model.holdout.chained
        better = (
            info["score"] < info["first_round_score"]
            if model.numeric
            else info["score"] > info["first_round_score"]
        )
        assert better, name
        assert model.holdout.score == info["score"]
        assert model.chained_fills == list(fitted.column_models_)


def test_observed_cells_stay_and_every_gap_is_filled(fitted, frame):
    result = fitted.impute(frame)
    observed = frame.notna()
    pd.testing.assert_frame_equal(result.frame[observed], frame[observed], check_dtype=False)
    assert result.frame.notna().all().all()


def test_fewer_requested_rows_predict_the_same_values(fitted, frame):
    """The second round reads every gap's first-round fill, however few rows are asked for
    (equal up to float rounding: batch size may reorder a sum; categories compare exactly)."""
    name = next(iter(_chained(fitted)))
    gaps = np.flatnonzero(frame[name].isna().to_numpy())
    every = fitted.predict_cells(
        frame, {c: np.flatnonzero(frame[c].isna().to_numpy()) for c in frame.columns}
    )
    some = fitted.predict_cells(frame, {name: gaps[:5]})
    pd.testing.assert_series_equal(
        pd.Series(some[name].values),
        pd.Series(every[name].values[:5]),
        check_exact=False,
        rtol=1e-6,
        atol=1e-9,
    )


def test_saved_and_stored_units_fill_alike(fitted, frame, tmp_path):
    expected = fitted.transform(frame)
    loaded = Imputer.load(fitted.save(tmp_path / "saved"))
    assert set(_chained(loaded)) == set(_chained(fitted))
    pd.testing.assert_frame_equal(loaded.transform(frame), expected)
    store = ModelStore(str(tmp_path / "store"))
    from impute_assets.core.profile import TableProfile

    profile = TableProfile.from_frame(frame, fitted.kinds_)
    for model in fitted.column_models_.values():
        store.save("t", model, profile)
    models = {c: store.load("t", c) for c in fitted.column_models_}
    assert {c: m.version for c, m in models.items()} == {
        c: m.version for c, m in fitted.column_models_.items()
    }
    restored = Imputer.from_column_models(models, fitted.config_)
    pd.testing.assert_frame_equal(restored.transform(frame), expected)


def test_a_unit_that_lost_its_chained_model_is_refused(fitted, tmp_path):
    root = fitted.save(tmp_path / "saved")
    name = next(iter(_chained(fitted)))
    unit = next(
        p
        for p in root.iterdir()
        if p.is_dir() and (p / "chained").is_dir() and p.name.endswith(name)
    )
    shutil.rmtree(unit / "chained")
    with pytest.raises(UnitIntegrityError, match="chained model the manifest names is missing"):
        Imputer.load(root)


def test_chaining_is_off_by_default_and_for_ordered_tables(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = Imputer(**FAST).fit(frame)
        ordered = frame.assign(t=pd.date_range("2024-01-01", periods=len(frame), freq="D"))
        sequenced = Imputer(order_by="t", chained=True, **FAST).fit(ordered)
    assert not _chained(plain) and not _chained(sequenced)


def test_chained_must_be_a_boolean():
    with pytest.raises(ValueError, match="chained must be true or false"):
        Imputer(chained="yes").settings()
