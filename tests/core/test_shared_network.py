"""The shared masked network candidate: one network per table, cost linear in columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from impute_assets.core.candidates.names import SHARED_NETWORK as SHARED
from impute_assets.core.candidates.network import Network
from impute_assets.core.candidates.shared import SharedNetwork
from impute_assets.core.config import ImputerConfig
from impute_assets.core.encoding.features import FeatureSpace
from impute_assets.core.imputer import Imputer
from impute_assets.core.kinds import ColumnKind, infer_kinds
from impute_assets.core.nets import shared
from impute_assets.core.nets.mlp import StackedNet, batch_tensors
from impute_assets.core.nets.shared import SHARED_CELLS, SharedNet
from impute_assets.core.nets.training import _per_row_losses

FAST = {
    "epochs": 30,
    "hidden_dim": 16,
    "embedding_dim": 4,
    "max_steps": 600,
    "candidates": (SHARED, "mean_mode"),
    "fill": "all",
}
#: Enough to check plumbing, not learning.
BRIEF = {**FAST, "max_steps": 60}


def mixed_frame(rows: int = 400, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(complete, with 20% of every modelled column hidden): numbers, a category, free text."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=rows)
    complete = pd.DataFrame(
        {
            "a": a,
            "b": 2 * a + 0.05 * rng.normal(size=rows),
            "level": np.where(a > 0, "high", "low"),
            "note": rng.choice(["red apple", "green pear", "blue sky"], size=rows),
            "c": rng.normal(size=rows),
        }
    )
    masked = complete.copy()
    for column in ("a", "b", "level", "c"):
        masked[column] = masked[column].mask(rng.random(rows) < 0.2)
    return complete, masked


def test_fits_and_fills_a_mixed_frame_and_learns_the_relations() -> None:
    complete, masked = mixed_frame()
    imputer = Imputer(seed=0, **FAST)
    filled = imputer.fit_transform(masked)

    models = imputer.column_models_
    assert models["b"].chosen == SHARED and models["level"].chosen == SHARED
    assert models["b"].holdout.score < 0.7 * models["b"].holdout.baseline_score
    assert models["level"].holdout.score > 0.8
    gaps = masked["b"].isna() & masked["a"].notna()  # b = 2a + noise: known where a is
    error = filled.loc[gaps, "b"] - complete.loc[gaps, "b"]
    assert np.sqrt(np.mean(error**2)) < 0.3 * complete["b"].std()
    for column in ("a", "b", "level"):
        assert filled[column].notna().all()
    observed = masked.notna()
    for column in masked.columns:  # observed cells are never changed
        kept = observed[column]
        assert filled.loc[kept, column].tolist() == masked.loc[kept, column].tolist()


def test_a_target_never_reads_its_own_cell() -> None:
    """Predicting an observed cell gives what predicting it as a gap gives: the cell is
    hidden from its own head, as it was in training."""
    _, masked = mixed_frame()
    imputer = Imputer(seed=0, **BRIEF).fit(masked)
    rows = np.flatnonzero(masked["b"].notna().to_numpy())[:50]
    seen = imputer.predict_cells(masked, {"b": rows})["b"]
    blanked = masked.copy()
    blanked.loc[blanked.index[rows], "b"] = np.nan
    hidden = imputer.predict_cells(blanked, {"b": rows})["b"]
    np.testing.assert_allclose(
        np.asarray(seen.values, float), np.asarray(hidden.values, float), rtol=1e-5
    )


def test_deterministic_for_a_seed_and_round_trips_through_save(tmp_path) -> None:
    _, masked = mixed_frame()
    first = Imputer(seed=3, **BRIEF).fit(masked)
    second = Imputer(seed=3, **BRIEF).fit(masked)
    pd.testing.assert_frame_equal(first.transform(masked), second.transform(masked))
    weights = [m.column_models_["b"].shared[1] for m in (first, second)]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])

    first.save(tmp_path / "units")
    loaded = Imputer.load(tmp_path / "units")
    assert loaded.column_models_["b"].shared[0] == first.column_models_["b"].shared[0]
    pd.testing.assert_frame_equal(loaded.transform(masked), first.transform(masked))


def _wide(columns: int) -> tuple[FeatureSpace, list[int], list[bool]]:
    """A feature space of ``columns`` columns, two numeric to one 5-level categorical."""
    rng = np.random.default_rng(0)
    data, kinds = {}, {}
    for j in range(columns):
        if j % 3 == 2:
            data[f"k{j}"], kinds[f"k{j}"] = rng.choice(list("vwxyz"), 50), ColumnKind.CATEGORICAL
        else:
            data[f"x{j}"], kinds[f"x{j}"] = rng.normal(size=50), ColumnKind.NUMERIC
    space = FeatureSpace.fit(pd.DataFrame(data), kinds, 256, 64)
    numeric = [k == ColumnKind.NUMERIC for k in kinds.values()]
    dims = [2 if n else space.encoders[c].size for c, n in zip(kinds, numeric, strict=True)]
    return space, dims, numeric


def _shared_cost(columns: int) -> tuple[int, int]:
    space, dims, numeric = _wide(columns)
    net = SharedNet(space, dims, numeric, hidden_dim=64, embedding_dim=8)
    return sum(p.numel() for p in net.parameters()), net.flops_per_row()


@pytest.mark.parametrize("index", [0, 1])  # parameters, forward multiply-adds
def test_cost_grows_linearly_with_columns(index: int) -> None:
    costs = [_shared_cost(c)[index] for c in (30, 60, 120, 240)]
    steps = np.diff(costs)
    # equal column increments cost equal amounts: each doubling adds twice the last step
    np.testing.assert_allclose(steps[1:] / steps[:-1], 2.0, rtol=1e-9)
    # the per-column networks it replaces grow with columns squared
    stacked = []
    for c in (30, 60):
        space, dims, _ = _wide(c)
        net = StackedNet(space, list(space.columns), dims, hidden_dim=64, embedding_dim=8)
        stacked.append(sum(p.numel() for p in net.parameters()))
    assert stacked[1] / stacked[0] > 3.0  # 2.0 would be linear
    assert costs[1] / costs[0] < 2.0


@pytest.mark.parametrize(("threshold", "trained"), [(4, SHARED), (5, "network")])
def test_wide_tables_train_the_shared_network_instead_of_per_column_ones(
    threshold: int, trained: str
) -> None:
    _, masked = mixed_frame(200)  # four modelled columns: a, b, level, c
    config = {
        **BRIEF,
        "candidates": ("network", SHARED, "mean_mode"),
        "shared_network_columns": threshold,
    }
    models = Imputer(seed=0, **config).fit(masked).column_models_
    scored = {name for model in models.values() for name in model.holdout.scores}
    assert trained in scored
    assert ({"network", SHARED} - {trained}).isdisjoint(scored)


def test_tall_narrow_tables_train_the_shared_network_too() -> None:
    config = ImputerConfig()

    def networks(targets: int, sequence: bool, rows: int) -> set[str]:
        trained = (
            c for c in (Network(), SharedNetwork()) if c.trains(config, targets, sequence, rows)
        )
        return {c.name for c in trained}

    tall = SHARED_CELLS // 13 + 1
    assert networks(13, False, tall) == {SHARED}
    assert networks(13, False, tall - 1) == {"network"}
    assert networks(13, True, tall) == {SHARED}  # sequences: the same rule
    assert networks(13, True, tall - 1) == {"network"}
    assert networks(40, False, 100) == {SHARED}


def test_tall_tables_train_on_a_bounded_number_of_rows_x_steps(monkeypatch) -> None:
    """``MAX_ROW_STEPS`` caps steps x batch rows below ``max_steps`` (here 600 steps)."""
    _, masked = mixed_frame()
    trained = []
    train = shared.train_shared
    monkeypatch.setattr(shared, "train_shared", lambda *a: trained.append(train(*a)) or trained[-1])
    monkeypatch.setattr(shared, "MAX_ROW_STEPS", 100 * len(masked))
    Imputer(seed=0, **FAST).fit(masked)
    (net,) = trained
    # early stopping waits for MIN_SHARED_STEPS (400): the budget alone ends training
    assert net.steps * net.batch_size <= shared.MAX_ROW_STEPS
    assert net.steps > shared.MAX_ROW_STEPS // net.batch_size - shared.MIN_CHECK_STEPS
    assert net.steps < FAST["max_steps"]


def test_output_heads_stay_in_full_precision_under_bf16() -> None:
    """Fills and log variances keep fp32's resolution; the trunk may run in bf16."""
    _, masked = mixed_frame()
    kinds = infer_kinds(masked)
    space = FeatureSpace.fit(masked, kinds, 256, 64)
    numeric = [kinds[c] == ColumnKind.NUMERIC for c in space.columns]
    dims = [2 if n else space.encoders[c].size for c, n in zip(space.columns, numeric, strict=True)]
    net = SharedNet(space, dims, numeric, hidden_dim=32, embedding_dim=4)
    batch = batch_tensors(space.encode(masked), np.arange(64), torch.device("cpu"))
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        out = net(batch)
    assert out.dtype == torch.float32
    assert (out != out.to(torch.bfloat16).float()).any()  # not on bf16's coarse grid


def test_numeric_targets_train_on_a_huber_loss_whose_gradient_is_bounded() -> None:
    """Squared error within ``HUBER_DELTA`` robust units, linear beyond: a far value moves the
    shared trunk no more than one ``HUBER_DELTA`` away does (see ``shared.HUBER_DELTA``)."""
    delta = shared.HUBER_DELTA
    y = torch.tensor([[0.5, 1.0], [6000.0, 1.0]])  # a near and a far numeric target value
    out = torch.zeros((2, 2, 2), requires_grad=True)  # (rows, targets, mean and log-variance)
    numeric = torch.tensor([True, False])
    losses = _per_row_losses(out, numeric, y, nll=False, huber=delta)
    assert losses[0, 0].item() == pytest.approx(0.25)  # 0.5 ** 2, as squared error
    assert losses[1, 0].item() == pytest.approx(2 * delta * 6000.0 - delta**2)
    losses[:, 0].sum().backward()
    assert out.grad[:, 0, 0].tolist() == pytest.approx([-1.0, -2 * delta])
    squared = _per_row_losses(out.detach(), numeric, y, nll=False)
    assert squared[1, 0].item() == pytest.approx(6000.0**2)  # the held-out checks' score
