"""With order_by each column keeps its sequence model or its tabular rival, whichever fills better."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from impute_assets.core.config import ImputerConfig
from impute_assets.core.fitting.column_model import fingerprint
from impute_assets.core.imputer import Imputer
from impute_assets.core.profile import TableProfile
from impute_assets.core.sequence.context import SequenceSpec, gap_runs, ordering
from impute_assets.core.sequence.fit import SEQUENCE_MARGIN, better, paired_difference
from impute_assets.store import ModelStore
from impute_assets.store.reuse import ReusePolicy
from tests.core.test_sequence import hide, nrmse, quiet, sensors
from tests.factories import LEARNING_MODEL

#: Long enough for the networks to learn the weekday. Without the boosted candidate: trees on
#: the weekday and the neighbours may learn the rhythm in the sequence fit too, and these tests
#: are about what happens when the neighbours mislead every sequence candidate.
WEEKLY = {
    **LEARNING_MODEL,
    "epochs": 60,
    "candidates": ("network", "linear", "knn", "blend", "mean_mode"),
}


def weekly(days: int = 700, seed: int = 0) -> pd.DataFrame:
    """A daily series that is 10 on weekends and 0 on weekdays, plus noise, and an unrelated
    column: a row's neighbours in time (Friday, Monday) say little about a Saturday."""
    rng = np.random.default_rng(seed)
    date = pd.date_range("2023-01-02", periods=days, freq="D")
    weekend = np.isin(date.day_of_week, (5, 6))
    return pd.DataFrame(
        {
            "date": date,
            "riders": np.where(weekend, 10.0, 0.0) + rng.normal(0, 1, days),
            "other": rng.normal(size=days),
        }
    )


def unordered(days: int = 400, seed: int = 0) -> pd.DataFrame:
    """i.i.d. rows on a daily clock, shuffled: ``y`` and ``z`` depend on ``x`` and ``w`` within
    each row, and a row's neighbours in time say nothing about it."""
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=days), rng.normal(size=days)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2023-01-02", periods=days, freq="D"),
            "x": x,
            "w": w,
            "y": 2 * x + rng.normal(size=days),
            "z": x - w + rng.normal(size=days),
        }
    )
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def mixed() -> pd.DataFrame:
    """One table with a weekly column and a smooth one, on the same daily clock."""
    frame = weekly(600)
    frame["level"] = np.sin(np.arange(len(frame)) / 15) * 10
    return frame


def test_a_weekly_rhythm_is_filled_as_well_as_without_order_by_and_by_the_tabular_model() -> None:
    truth = weekly()
    masked, masks = hide(truth, ["riders"], 0.2)
    tabular = quiet(Imputer(**WEEKLY).fit_impute, masked).frame
    fitted = quiet(Imputer(order_by="date", **WEEKLY).fit, masked)
    ordered = fitted.transform(masked)
    plain, sequence = (
        nrmse(f["riders"], truth["riders"], masks["riders"]) for f in (tabular, ordered)
    )
    mean_fill = nrmse(
        masked["riders"].fillna(masked["riders"].mean()), truth["riders"], masks["riders"]
    )
    assert plain < 0.4 * mean_fill  # the weekday is learnt ...
    assert sequence <= 1.1 * plain  # ... and declaring the order does not lose it
    model = fitted.column_models_["riders"]
    rivals = model.holdout.sequence_vs_tabular
    assert rivals["kept"] == "tabular" and not model.reads_context
    assert rivals["tabular"]["score"] < rivals["sequence"]["score"]
    assert model.sequence is not None and "date" in model.inputs  # time features stay inputs


def test_a_smooth_series_keeps_its_sequence_model() -> None:
    truth = sensors()
    masked, _ = hide(truth, ["level"], 0.2)
    model = quiet(
        Imputer(order_by="when", group_by="machine", **LEARNING_MODEL).fit, masked
    ).column_models_["level"]
    rivals = model.holdout.sequence_vs_tabular
    assert rivals["kept"] == "sequence" and model.reads_context
    assert rivals["sequence"]["score"] < rivals["tabular"]["score"]
    assert rivals["cells"] == model.holdout.rows  # compared on the model's own held-out cells


def test_without_a_temporal_signal_columns_keep_the_tabular_imputers_models() -> None:
    # i.i.d. rows: the neighbours are noise. Compared on cells the refitted models had already
    # seen, the sequence models won most columns of such tables and filled them worse
    columns = ["x", "w", "y", "z"]
    masked, _ = hide(unordered(), columns, 0.2)
    tabular = quiet(Imputer(**LEARNING_MODEL).fit_impute, masked).frame
    fitted = quiet(Imputer(order_by="date", **LEARNING_MODEL).fit, masked)
    filled = fitted.transform(masked)
    kept = []
    for column in columns:
        model = fitted.column_models_[column]
        rivals = model.holdout.sequence_vs_tabular
        assert rivals["runs"] <= rivals["cells"]
        if rivals["kept"] == "tabular":
            kept.append(column)
            assert not model.reads_context
            # filled as the tabular Imputer fills it, not by a rival trained on fewer cells
            pd.testing.assert_series_equal(filled[column], tabular[column])
        else:  # only on a lead in held-out cells its fit had not trained on
            assert rivals["sequence"]["score"] < rivals["tabular"]["score"]
    assert len(kept) >= 3, kept


def test_gap_runs_are_hidden_rows_next_in_time_within_a_group() -> None:
    frame = pd.DataFrame({"t": [3, 1, 2, 1, 5, 4], "g": ["a", "a", "a", "b", "a", "a"]})
    hidden = np.array([False, True, True, True, True, True])  # all but a's t=3
    runs = gap_runs(hidden, ordering(frame, SequenceSpec("t", "g")))
    assert runs[0] == -1
    assert runs[1] == runs[2]  # a: t=1, 2
    assert runs[4] == runs[5]  # a: t=4, 5 (t=3 between them is not hidden)
    assert len({runs[1], runs[3], runs[4]}) == 3  # b's t=1 is a run of its own


def test_the_paired_standard_error_counts_each_run_once() -> None:
    difference = np.array([1.0, 1.0, -1.0, -1.0])
    mean, cells = paired_difference(difference)
    assert mean == 0.0 and cells == pytest.approx(np.std(difference, ddof=1) / 2)
    # two runs that each moved together: two draws, not four
    assert paired_difference(difference, runs=np.array([7, 7, 9, 9])) == (0.0, 1.0)
    weighted, _ = paired_difference(difference, weights=np.array([3.0, 1.0, 1.0, 1.0]))
    assert weighted == pytest.approx(2 / 6)


def test_the_sequence_model_is_kept_only_on_a_lead_beyond_its_noise() -> None:
    model = quiet(Imputer(**LEARNING_MODEL).fit, hide(weekly(120), ["riders"], 0.2)[0])
    sequence = model.column_models_["riders"]
    rng = np.random.default_rng(0)
    tabular_loss = rng.exponential(size=200)
    noise = rng.normal(size=200)
    for lead, kept in ((SEQUENCE_MARGIN - 0.3, "tabular"), (SEQUENCE_MARGIN + 1.5, "sequence")):
        # the sequence's losses below the tabular ones by ``lead`` standard errors
        shift = noise - noise.mean() + lead * noise.std(ddof=1) / np.sqrt(200)
        rivals = copy.deepcopy(sequence), copy.deepcopy(sequence)
        chosen = better(*rivals, tabular_loss - shift, tabular_loss, 1.0)
        assert chosen is rivals[0 if kept == "sequence" else 1]
        record = chosen.holdout.sequence_vs_tabular
        assert record["kept"] == kept
        assert record["tabular_advantage_se"] == pytest.approx(-lead)
    # strictly better on every cell (no spread to measure): the sequence model
    rivals = copy.deepcopy(sequence), copy.deepcopy(sequence)
    assert better(*rivals, np.zeros(10), np.ones(10), 1.0) is rivals[0]


def test_both_fits_are_compared_on_the_same_cells_and_the_tabular_imputers_unit_is_kept() -> None:
    masked, _ = hide(mixed(), ["riders", "level"], 0.2)
    on = quiet(Imputer(order_by="date", **WEEKLY).fit, masked).column_models_
    off = quiet(
        Imputer(order_by="date", sequence_tabular=False, **WEEKLY).fit, masked
    ).column_models_
    plain = quiet(Imputer(**WEEKLY).fit, masked).column_models_
    tabular = on["riders"]
    assert tabular.holdout.sequence_vs_tabular["kept"] == "tabular"
    assert tabular.holdout.sequence_vs_tabular["cells"] == off["riders"].holdout.rows
    # mean/mode is fitted on the training cells and scored on the held-out ones: equal scores
    # mean the kept unit was split (and so trained) as the tabular Imputer's
    assert tabular.holdout.baseline_score == plain["riders"].holdout.baseline_score
    assert tabular.holdout.score == plain["riders"].holdout.score


def test_a_mixed_imputer_saves_loads_and_is_reused_under_the_tables_fingerprint(tmp_path) -> None:
    truth = mixed()
    masked, _ = hide(truth, ["riders", "level"], 0.2)
    fitted = quiet(Imputer(order_by="date", **WEEKLY).fit, masked)
    models = fitted.column_models_
    assert not models["riders"].reads_context and models["level"].reads_context
    result = fitted.impute(masked)
    for column in ("riders", "level"):
        observed = masked[column].notna()
        assert result.frame[column].notna().all()
        assert (result.frame[column][observed] == masked[column][observed]).all()
    loaded = Imputer.load(fitted.save(tmp_path / "mixed"))
    assert loaded.sequence_ == fitted.sequence_
    pd.testing.assert_frame_equal(loaded.impute(masked).frame, result.frame)
    # the pipeline plans an ordered table's fingerprint from its order_by/group_by alone
    planned = SequenceSpec("date")
    config = ImputerConfig.from_dict(models["riders"].config)
    for column, model in models.items():
        assert model.fingerprint == fingerprint(column, model.input_kinds, config, planned)
    store = ModelStore(str(tmp_path / "store"))
    profile = TableProfile.from_frame(masked, fitted.kinds_)
    for model in models.values():
        store.save("t", model, profile)
    reused = {c: store.load("t", c) for c in models}
    decision = store.decide(
        "t", "riders", models["riders"].fingerprint, masked, ReusePolicy(mode="always")
    )
    assert decision.reuse
    later = masked.iloc[300:]
    earlier = truth.iloc[:300]
    again = Imputer.from_column_models(reused, fitted.config_)
    assert again.sequence_ is not None  # still accepts context rows
    pd.testing.assert_frame_equal(
        again.impute(later, context=earlier).frame, fitted.impute(later, context=earlier).frame
    )
    only_tabular = Imputer.from_column_models({"riders": reused["riders"]}, fitted.config_)
    filled = only_tabular.impute(later, context=earlier).frame
    assert filled["riders"].notna().all()


def test_sequence_tabular_is_validated() -> None:
    with pytest.raises(ValueError, match="sequence_tabular"):
        ImputerConfig(sequence_tabular="yes")
