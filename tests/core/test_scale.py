"""Bounded cost at scale: the step budget, growing batches, chunked filling, the boosted candidate."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from impute_assets.core.candidates import boosted
from impute_assets.core.config import ImputerConfig
from impute_assets.core.fitting import prediction
from impute_assets.core.imputer import Imputer
from impute_assets.core.nets import training
from impute_assets.core.nets.training import ANNEAL_FLOOR, ANNEAL_SHARE, _rate_scales, schedule

CHEAP = {"candidates": ("linear", "knn", "mean_mode"), "seed": 0}


def step_frame(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """A target that is a step function of x (trees get it, a line does not) plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=rows)
    noise = rng.normal(size=rows)
    frame = pd.DataFrame(
        {
            "x": x,
            "noise": noise,
            "y": np.where(np.abs(x) > 1.5, 4.0, -1.0) + 0.05 * rng.normal(size=rows),
            "band": np.where(x > 1, "top", np.where(x < -1, "bottom", "mid")),
        }
    )
    frame.loc[rng.random(rows) < 0.2, "y"] = np.nan
    frame.loc[rng.random(rows) < 0.2, "band"] = None
    return frame


def test_schedule_bounds_steps_and_grows_batches_with_rows() -> None:
    config = ImputerConfig(max_steps=600)
    small_batch, small_steps, small_checks = schedule(500, config)
    big_batch, big_steps, big_checks = schedule(1_000_000, config)
    assert small_batch == config.batch_size
    assert big_batch == config.max_batch_size
    assert big_steps * big_checks <= config.max_steps
    assert small_checks == config.epochs or small_steps * small_checks <= config.max_steps


def test_training_stops_at_the_step_budget() -> None:
    frame = step_frame(3000)
    imputer = Imputer(
        columns=["y"],
        max_steps=40,
        patience=100,
        hidden_dim=8,
        seed=0,
        candidates=("network", "mean_mode"),
    ).fit(frame)
    model = imputer.column_models_["y"]
    _, steps, _ = schedule(model.training_rows, imputer.config_)
    assert model.epochs * steps <= 40


def test_chunked_filling_matches_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = step_frame()
    imputer = Imputer(**CHEAP).fit(frame)
    whole = imputer.impute(frame).frame
    monkeypatch.setattr(prediction, "FILL_CHUNK", 7)
    chunked = imputer.impute(frame).frame
    pd.testing.assert_frame_equal(whole, chunked)


def test_boosted_candidate_is_chosen_saved_and_reused(tmp_path) -> None:
    frame = step_frame()
    imputer = Imputer(columns=["y"], candidates=("linear", "boosted", "mean_mode"), seed=0).fit(
        frame
    )
    model = imputer.column_models_["y"]
    assert model.chosen == "boosted"
    assert model.holdout.scores["boosted"] < model.holdout.scores["linear"]
    before = imputer.impute(frame).frame
    after = Imputer.load(imputer.save(tmp_path / "model")).impute(frame).frame
    pd.testing.assert_frame_equal(before, after)


def test_without_lightgbm_the_boosted_candidate_is_skipped_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)
    boosted.lightgbm.cache_clear()
    try:
        with pytest.warns(UserWarning, match="LightGBM is not installed"):
            imputer = Imputer(
                columns=["y"], candidates=("boosted", "linear", "mean_mode"), seed=0
            ).fit(step_frame())
        assert "boosted" not in imputer.column_models_["y"].holdout.scores
    finally:
        boosted.lightgbm.cache_clear()


def test_learning_rate_anneals_only_when_the_step_budget_binds() -> None:
    config = ImputerConfig()
    _, small_steps, small_checks = schedule(500, config)
    assert config.max_steps // small_steps >= config.epochs  # epochs end small tables
    assert np.all(_rate_scales(small_steps * small_checks, budget_binds=False) == 1.0)
    _, steps, checks = schedule(200_000, config)
    assert config.max_steps // steps < config.epochs  # the step budget ends big ones
    rates = _rate_scales(steps * checks, budget_binds=True)
    tail = int(len(rates) * ANNEAL_SHARE)
    assert np.all(rates[:-tail] == 1.0)
    assert np.all(np.diff(rates[-tail:]) < 0) and rates[-1] == pytest.approx(ANNEAL_FLOOR)


def test_at_the_row_cap_the_boosted_candidate_is_fitted_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    fit = boosted.boosted_fit
    monkeypatch.setattr(
        boosted, "boosted_fit", lambda *a, **k: calls.append(len(a[0])) or fit(*a, **k)
    )
    # one held-out split: repeated splits (small tables) would fit the booster once more each
    settings = {
        "columns": ["y"],
        "candidates": ("boosted", "mean_mode"),
        "seed": 0,
        "score_repeats": 1,
    }
    Imputer(**settings).fit(step_frame())
    assert len(calls) == 2  # held-out fit, then a refit on every observed row
    calls.clear()
    imputer = Imputer(**settings, max_cheap_rows=100).fit(step_frame())
    assert calls == [100]  # a refit would see 100 rows again: the held-out fit is kept
    assert imputer.column_models_["y"].chosen == "boosted"
    assert imputer.transform(step_frame())["y"].notna().all()


def test_networks_predicting_their_own_rows_match_the_stacked_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = step_frame(600)
    frame.loc[frame.index[:300], "noise"] = np.nan  # a third column to fill, gaps elsewhere
    imputer = Imputer(candidates=("network",), max_steps=60, hidden_dim=8, seed=0).fit(frame)
    assert all(m.uses_network for m in imputer.column_models_.values())
    monkeypatch.setattr(training, "SPARSE_SHARE", 10**6)  # every chunk: one pass per network
    own = imputer.impute(frame)
    monkeypatch.setattr(training, "SPARSE_SHARE", 0)  # every chunk: one stacked pass
    stacked = imputer.impute(frame)
    pd.testing.assert_frame_equal(own.frame, stacked.frame, rtol=1e-5)
    pd.testing.assert_frame_equal(own.confidence, stacked.confidence, rtol=1e-4)


def test_the_boosted_candidate_stops_where_held_out_loss_stops_falling() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(600, 4)).astype(np.float32)
    noise = rng.normal(size=600)  # nothing to learn: held-out loss rises after a few rounds
    valid = (z[400:], noise[400:])
    stopped = boosted.booster(boosted.boosted_fit(z[:400], noise[:400], True, 1, 0, valid=valid))
    assert boosted.rounds(stopped) < boosted.ROUNDS - boosted.EARLY_STOPPING_ROUNDS
    full = boosted.booster(boosted.boosted_fit(z[:400], noise[:400], True, 1, 0))
    assert boosted.rounds(full) == boosted.ROUNDS
    end = 400 + boosted.MIN_STOPPING_ROWS - 1
    few = (z[400:end], noise[400:end])
    unstopped = boosted.booster(boosted.boosted_fit(z[:400], noise[:400], True, 1, 0, valid=few))
    assert boosted.rounds(unstopped) == boosted.ROUNDS  # too few rows to stop on
    assert boosted.rounds(boosted.booster(boosted.boosted_fit(z, noise, True, 1, 0, rounds=7))) == 7


def test_the_refit_runs_the_rounds_the_held_out_fit_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    fit = boosted.boosted_fit

    def counted(*args, **kwargs):
        state = fit(*args, **kwargs)
        calls.append(boosted.rounds(boosted.booster(state)))
        return state

    monkeypatch.setattr(boosted, "boosted_fit", counted)
    # 1,500 rows: a held-out split of ~240 cells, enough to stop on
    imputer = Imputer(columns=["y"], candidates=("boosted", "mean_mode"), seed=0, score_repeats=1)
    imputer.fit(step_frame(1500))
    assert imputer.column_models_["y"].chosen == "boosted"
    held_out, refit = calls
    assert refit == held_out < boosted.ROUNDS  # a step function needs few rounds


def test_a_booster_of_many_classes_grows_a_bounded_number_of_trees() -> None:
    """One tree per class a round: past ``TREE_CLASSES`` classes a fit grows fewer rounds, so
    its trees stay within ``ROUNDS * TREE_CLASSES``; a few classes keep every round."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(600, 4)).astype(np.float32)
    labels = rng.integers(0, 30, size=600)
    many = boosted.booster(boosted.boosted_fit(z, labels, False, 30, seed=0))
    assert boosted.rounds(many) == boosted.ROUNDS * boosted.TREE_CLASSES // 30
    assert many.num_trees() <= boosted.ROUNDS * boosted.TREE_CLASSES
    few = boosted.booster(boosted.boosted_fit(z, labels % 3, False, 3, seed=0))
    assert boosted.rounds(few) == boosted.ROUNDS
    number = boosted.booster(boosted.boosted_fit(z, z[:, 0], True, 0, seed=0))
    assert boosted.rounds(number) == boosted.ROUNDS
