"""Sequence context: neighbours in time within a group, never the row's own value."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impute_assets.core.config import ImputerConfig
from impute_assets.core.datawig.simple import SimpleImputer
from impute_assets.core.fitting.column_model import fingerprint
from impute_assets.core.imputer import Imputer
from impute_assets.core.kinds import ColumnKind
from impute_assets.core.sequence.context import (
    SequenceSpec,
    context_columns,
    context_name,
    hide_gaps,
)
from tests.factories import LEARNING_MODEL

#: SimpleImputer.fit's Datawig arguments matching LEARNING_MODEL.
SIMPLE_FIT = {"num_epochs": 15, "patience": 4, "batch_size": 256}


def sensors(rows_per_group: int = 150, groups: int = 3, seed: int = 0) -> pd.DataFrame:
    """Smooth readings per machine on an irregular clock, plus i.i.d. noise."""
    rng = np.random.default_rng(seed)
    parts = []
    for g in range(groups):
        steps = rng.choice([30, 60, 60, 60, 120], size=rows_per_group).cumsum()
        when = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(steps, unit="min")
        phase = rng.uniform(0, 6)
        level = np.sin(steps / 600 + phase) * 10 + 20 * g
        parts.append(
            pd.DataFrame(
                {
                    "machine": f"m{g}",
                    "when": when,
                    "level": level,
                    "noise": rng.normal(size=rows_per_group),
                    "state": np.where(level > 20 * g, "up", "down"),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def hide(frame: pd.DataFrame, columns: list[str], share: float, seed: int = 1):
    rng = np.random.default_rng(seed)
    out = frame.copy()
    masks = {}
    for column in columns:
        masks[column] = rng.random(len(frame)) < share
        out[column] = out[column].mask(masks[column])
    return out, masks


def nrmse(filled: pd.Series, truth: pd.Series, mask: np.ndarray) -> float:
    return float(np.sqrt(np.mean((filled[mask] - truth[mask]) ** 2)) / truth.std())


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def test_neighbours_skip_the_row_itself_and_missing_cells_and_stay_in_the_group() -> None:
    frame = pd.DataFrame(
        {
            "t": [3, 1, 2, 1, 5, np.nan, 4],
            "g": ["a", "a", "a", "b", "a", "a", "a"],
            "x": [3.0, 1.0, np.nan, 10.0, 5.0, 7.0, 4.0],
        }
    )
    spec = SequenceSpec("t", "g", columns=("x",), interpolated=("x",))
    ctx = context_columns(frame, spec)
    prev, nxt = ctx[context_name("prev", "x")], ctx[context_name("next", "x")]
    assert prev.tolist()[0] == 1.0 and nxt.tolist()[0] == 4.0  # t=2 is missing: skipped
    assert np.isnan(prev[1]) and nxt[1] == 3.0  # first of its group
    assert np.isnan(prev[3]) and np.isnan(nxt[3])  # a group of one row
    assert np.isnan(prev[5]) and np.isnan(nxt[5])  # no time: no neighbours
    assert prev[6] == 3.0 and nxt[6] == 5.0
    assert ctx[context_name("interp", "x")][2] == pytest.approx(2.0)  # between 1 and 3
    assert ctx[context_name("gap_prev", "x")][0] == pytest.approx(np.log1p(2))
    own = frame["x"].to_numpy()
    observed = ~np.isnan(own)
    # no row's context is its own value (values are distinct here)
    assert not np.any((prev.to_numpy() == own)[observed]) and not np.any(
        (nxt.to_numpy() == own)[observed]
    )


def test_no_leakage_noise_cannot_be_predicted_from_its_own_value() -> None:
    frame = sensors(200, groups=2)
    model = quiet(
        SimpleImputer(
            ["level"],
            "noise",
            order_by="when",
            group_by="machine",
            numeric_latent_dim=LEARNING_MODEL["hidden_dim"],
            config=ImputerConfig(**LEARNING_MODEL),
        ).fit,
        frame,
        **SIMPLE_FIT,
    )
    raw = model.predict(frame.drop(columns=["noise"]))["noise_imputed"]
    error = nrmse(raw, frame["noise"], np.ones(len(frame), dtype=bool))
    assert error > 0.8  # it would be 0 if a row's own value reached its context


def test_sequence_context_beats_the_tabular_model_on_smooth_series() -> None:
    truth = sensors()
    masked, masks = hide(truth, ["level"], 0.2)
    tabular = quiet(Imputer(**LEARNING_MODEL).fit_impute, masked).frame
    sequence = quiet(
        Imputer(order_by="when", group_by="machine", **LEARNING_MODEL).fit_impute, masked
    ).frame
    plain, ordered = (
        nrmse(f["level"], truth["level"], masks["level"]) for f in (tabular, sequence)
    )
    assert ordered < 0.5 * plain
    assert ordered < 0.15


def test_unsorted_rows_are_filled_alike_and_returned_in_their_own_order() -> None:
    truth = sensors(80)
    masked, _ = hide(truth, ["level", "state"], 0.2)
    fitted = quiet(Imputer(order_by="when", group_by="machine", **LEARNING_MODEL).fit, masked)
    in_order = fitted.impute(masked).frame
    shuffled = masked.sample(frac=1.0, random_state=3)
    out = fitted.impute(shuffled).frame
    assert list(out.index) == list(shuffled.index)
    pd.testing.assert_frame_equal(out.loc[in_order.index], in_order)


def test_duplicate_timestamps_irregular_spacing_and_single_row_groups() -> None:
    truth = sensors(60)
    lonely = truth.iloc[:3].assign(machine=["solo1", "solo2", "solo3"])
    frame = pd.concat([truth, truth.iloc[10:20], lonely], ignore_index=True)  # duplicates
    masked, _ = hide(frame, ["level", "state"], 0.25)
    masked.loc[len(frame) - 1, "level"] = np.nan  # a gap in a group of one row
    result = quiet(
        Imputer(order_by="when", group_by="machine", **LEARNING_MODEL).fit_impute, masked
    )
    assert result.frame["level"].notna().all() and result.frame["state"].notna().all()
    observed = masked["level"].notna()
    assert (result.frame["level"][observed] == masked["level"][observed]).all()


def test_context_rows_from_an_earlier_partition_are_read_but_never_returned() -> None:
    frame = sensors(200, groups=1)
    earlier, later = frame.iloc[:150], frame.iloc[150:].copy()
    later.loc[later.index[0], "level"] = np.nan  # the first row of the new partition
    fitted = quiet(Imputer(columns=["level"], order_by="when", **LEARNING_MODEL).fit, frame)
    inputs = fitted.model_frame(later, context=earlier)
    assert inputs[context_name("prev", "level")].iloc[0] == earlier["level"].iloc[-1]
    assert np.isnan(fitted.model_frame(later)[context_name("prev", "level")].iloc[0])
    result = fitted.impute(later, context=earlier)
    assert list(result.frame.index) == list(later.index) and len(result.frame) == len(later)
    truth = frame["level"].iloc[150]
    assert abs(result.frame["level"].iloc[0] - truth) < 0.25 * frame["level"].std()
    with pytest.raises(ValueError, match="order_by"):
        quiet(Imputer(columns=["level"], **LEARNING_MODEL).fit, frame).impute(
            later, context=earlier
        )


def test_training_gaps_are_single_cells_and_runs_within_groups() -> None:
    frame = pd.DataFrame({"t": np.arange(4000), "g": np.arange(4000) % 4, "x": np.ones(4000)})
    spec = SequenceSpec("t", "g", columns=("x",), gap_share=0.2, max_run=12)
    view, cells = hide_gaps(frame, spec, np.random.default_rng(0))
    hidden = view["x"].isna().to_numpy()
    assert (hidden == cells["x"]).all()
    assert 0.12 < hidden.mean() < 0.25
    per_group = hidden.reshape(-1, 4).T  # rows of each group in time
    runs = [
        len(r) for g in per_group for r in "".join("x" if h else "." for h in g).split(".") if r
    ]
    assert max(runs) >= 3 and min(runs) == 1 and max(runs) <= 2 * spec.max_run


def test_training_gaps_copy_the_columns_own_gap_lengths() -> None:
    x = np.ones(6000)
    x[np.arange(5, 6000, 40)[:, None] + np.arange(6)] = np.nan  # its own gaps: runs of 6
    frame = pd.DataFrame({"t": np.arange(6000), "x": x})
    spec = SequenceSpec("t", columns=("x",), gap_share=0.1, max_run=12)
    _, cells = hide_gaps(frame, spec, np.random.default_rng(0))
    padded = np.concatenate([[False], cells["x"] | np.isnan(x), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(int)))
    runs = edges[1::2] - edges[::2]
    assert np.median(runs[runs != 6]) >= 6  # hidden runs are 6 long (or merge with others)


def test_sequence_settings_are_saved_and_fingerprinted(tmp_path) -> None:
    masked, _ = hide(sensors(60), ["level"], 0.2)
    fitted = quiet(Imputer(order_by="when", group_by="machine", **LEARNING_MODEL).fit, masked)
    model = fitted.column_models_["level"]
    assert model.inputs == ["machine", "when", "noise", "state"]
    kinds = model.input_kinds
    config = ImputerConfig.from_dict(model.config)
    assert model.fingerprint == fingerprint("level", kinds, config, model.sequence)
    assert model.fingerprint != fingerprint("level", kinds, config)
    loaded = Imputer.load(fitted.save(tmp_path / "m"))
    manifest = json.loads(next((tmp_path / "m").glob("*_level/manifest.json")).read_text())
    assert manifest["sequence"]["order_by"] == "when" and manifest["sequence"]["group_by"] == [
        "machine"
    ]
    pd.testing.assert_frame_equal(loaded.impute(masked).frame, fitted.impute(masked).frame)


def test_bad_sequence_settings_name_the_column() -> None:
    frame = sensors(30)
    with pytest.raises(ValueError, match="needs order_by"):
        Imputer(group_by="machine").fit(frame)
    with pytest.raises(KeyError, match="nope"):
        Imputer(order_by="nope").fit(frame)
    with pytest.raises(TypeError, match="order_by column 'state'"):
        quiet(
            Imputer(order_by="state", **LEARNING_MODEL).fit,
            frame.assign(level=frame["level"].mask(frame.index == 3)),
        )


@st.composite
def ordered_frames(draw) -> pd.DataFrame:
    rows = draw(st.integers(min_value=1, max_value=40))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    frame = pd.DataFrame(
        {
            "when": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 50, rows), unit="h"),
            "entity": rng.choice(["a", "b", "c"], size=rows),
            "x": rng.normal(size=rows),
            "n": pd.array(rng.integers(0, 5, size=rows), dtype="Int64"),
            "label": pd.array(rng.choice(["p", "q", "ü😀"], size=rows), dtype="str"),
        }
    )
    for name in ("x", "n", "label"):
        share = draw(st.sampled_from([0.0, 0.3, 1.01]))
        frame[name] = frame[name].mask(rng.random(rows) < share)
    frame.index = rng.permutation(rows) + 100
    return frame


@settings(
    max_examples=int(os.environ.get("IMPUTE_ASSETS_HYPOTHESIS_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(ordered_frames())
def test_observed_cells_and_row_order_are_kept_with_sequences(frame: pd.DataFrame) -> None:
    original = frame.copy(deep=True)
    result = quiet(
        Imputer(
            order_by="when",
            group_by="entity",
            epochs=2,
            hidden_dim=8,
            embedding_dim=4,
            min_rows_for_network=5,
            refinement_rounds=1,
            knn_reference_rows=64,
        ).fit_impute,
        frame,
    )
    pd.testing.assert_frame_equal(frame, original)
    out = result.frame
    assert list(out.index) == list(frame.index) and list(out.columns) == list(frame.columns)
    for column in frame.columns:
        observed = frame[column].notna().to_numpy()
        assert out[column][observed].tolist() == frame[column][observed].tolist()
        assert not (result.imputed[column].to_numpy() & observed).any()
    for report in result.report:
        assert report.left == int(out[report.column].isna().sum())
        assert sum(report.reasons.values()) == report.left


def test_derived_kinds_follow_the_context_columns() -> None:
    spec = SequenceSpec("t", columns=("x", "c"), interpolated=("x",))
    kinds = spec.derived_kinds({"x": ColumnKind.NUMERIC, "c": ColumnKind.CATEGORICAL})
    assert kinds[context_name("prev", "c")] == ColumnKind.CATEGORICAL
    assert context_name("interp", "c") not in kinds
    assert kinds[context_name("interp", "x")] == ColumnKind.NUMERIC


def test_recurrent_window_encoder_trains_saves_and_never_sees_the_row_itself(tmp_path) -> None:
    truth = sensors(80, groups=2)
    masked, _masks = hide(truth, ["level"], 0.2)
    fitted = quiet(
        Imputer(
            order_by="when",
            group_by="machine",
            sequence_window=3,
            candidates=("network",),
            **LEARNING_MODEL,
        ).fit,
        masked,
    )
    model = fitted.column_models_["level"]
    assert model.chosen == "network" and "gru_hh" in model.network
    inputs = fitted.model_frame(masked)
    window = [c for c in inputs.columns if c.startswith("__seq__win")]
    assert len(window) == 6 * 3  # 3 rows each side x (level, noise, time offset)
    assert "__seq__win+0:level" not in inputs.columns
    result = fitted.impute(masked)
    assert result.frame["level"].notna().all()
    loaded = Imputer.load(fitted.save(tmp_path / "gru"))
    pd.testing.assert_frame_equal(loaded.impute(masked).frame, result.frame)
    config = ImputerConfig(sequence_window=3, candidates=("network",), **LEARNING_MODEL)
    raw = quiet(
        SimpleImputer(
            ["level"],
            "noise",
            order_by="when",
            group_by="machine",
            numeric_latent_dim=LEARNING_MODEL["hidden_dim"],
            config=config,
        ).fit,
        truth,
        **SIMPLE_FIT,
    )
    predicted = raw.predict(truth.drop(columns=["noise"]))["noise_imputed"]
    assert nrmse(predicted, truth["noise"], np.ones(len(truth), dtype=bool)) > 0.8  # no leakage


@pytest.mark.parametrize("wide", [False, True])
def test_the_shared_network_fills_sequences_reading_context_it_never_predicts(
    tmp_path, wide: bool
) -> None:
    """Forced (``shared_network_columns=1``) or by width (40 modelled columns), the shared net
    trains on an ordered table: it reads the context columns, is chosen, fills every gap of its
    targets, keeps observed cells and survives a save/load round trip. Forced, with the tabular
    rival: the smooth column keeps the sequence fit's shared net, ``y`` (twice ``noise``, i.i.d.
    in time) the tabular fit's, two nets over two feature spaces in one imputer."""
    rng = np.random.default_rng(0)
    truth = sensors(60 if wide else 120, groups=2)
    if wide:
        extra = {f"x{i}": truth["level"] + rng.normal(size=len(truth)) for i in range(38)}
        truth = truth.assign(**extra)
        hidden = [c for c in truth.columns if c not in ("machine", "when", "state")]
    else:
        truth["y"] = 2 * truth["noise"] + 0.1 * rng.normal(size=len(truth))
        hidden = ["level", "y"]
    masked, _ = hide(truth, hidden, 0.2, seed=0)
    config = {
        **LEARNING_MODEL,
        "candidates": ("network", "shared_network", "mean_mode"),
        "fill": "all",  # no confidence gate: every gap of a target is filled
        **({"sequence_tabular": False} if wide else {"shared_network_columns": 1}),
    }
    fitted = quiet(Imputer(order_by="when", group_by="machine", **config).fit, masked)
    models = fitted.column_models_
    for model in models.values():
        assert "network" not in model.holdout.scores
    level = models["level"]
    assert level.chosen == "shared_network" and level.sequence is not None
    assert any(c.startswith("__seq__") for c in fitted.model_frame(masked).columns)
    if not wide:
        y = models["y"]
        assert level.holdout.sequence_vs_tabular["kept"] == "sequence"
        assert y.chosen == "shared_network" and y.holdout.sequence_vs_tabular["kept"] == "tabular"
        assert level.shared[0]["id"] != y.shared[0]["id"]
    result = fitted.impute(masked)
    assert list(result.frame.columns) == list(masked.columns)  # context columns never filled
    assert result.frame[hidden].notna().all().all()
    for column in masked.columns:
        kept = masked[column].notna()
        assert result.frame.loc[kept, column].tolist() == masked.loc[kept, column].tolist()
    loaded = Imputer.load(fitted.save(tmp_path / "shared"))
    pd.testing.assert_frame_equal(loaded.impute(masked).frame, result.frame)
