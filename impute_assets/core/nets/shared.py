"""One masked network per table: a shared trunk over every column, one output head per target.

The per-column networks (:mod:`.network`) give each of C targets its own MLP reading ~C
inputs, so their cost grows with C squared. Here one trunk reads every column (scaled numbers
and their missing flags, category and text embeddings, as :mod:`.features` encodes them) and
each target's head reads the trunk's last hidden layer: parameters and forward FLOPs grow
linearly with the columns. It trains once per table, masked-autoencoder style (ReMasker,
MIDAS, a plain masked MLP): each step hides random observed cells (and, with
``copy_mask_share``, other rows' missingness patterns) and learns to predict them from the
rest. A target's loss counts only its hidden cells, and a target is always predicted with its
own cell hidden (:func:`shared_outputs`), so its value never leaks into its prediction.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from impute_assets.core.config import ImputerConfig
from impute_assets.core.device import autocast, full_precision
from impute_assets.core.encoding.features import Features, FeatureSpace
from impute_assets.core.nets.averaging import WeightAverage
from impute_assets.core.nets.mlp import _offsets, batch_tensors, width_buckets
from impute_assets.core.nets.training import (
    CHECK_ROWS,
    PREDICT_BATCH,
    TargetData,
    _hidden_cells,
    _optimizers,
    _per_row_losses,
    _rate_scales,
    _target_tensors,
    learnable,
    missing_cells,
    schedule,
)
from impute_assets.core.sequence.context import is_context_column

#: Width of the trunk's hidden layers as a multiple of ``hidden_dim``: one network serves
#: every column, so it is wider than one column's, and still fixed whatever the column count.
WIDTH_FACTOR = 4
#: Rows per step as a multiple of the per-column networks' batch: a step of the shared net
#: costs about one column network's, so it can afford to see more rows.
BATCH_FACTOR = 4
#: Rows x steps the shared network trains on at most: a tall table's batches of 2,048 rows
#: take 1,000 steps, not ``max_steps`` (tables under ~33,000 training rows, whose batches are
#: at most 1,024 rows, keep ``max_steps``); two thirds of the plain masked MLP's 3,000 x 1,024.
#: 200,000 x 13 (``benchmarks/scale.py``, bf16): 22 CPU s instead of 37; nRMSE / accuracy
#: latent3 0.445 / 0.587 (2,000 steps: 0.411 / 0.605), factors6 0.615 / 0.641 (0.607 / 0.643),
#: against the plain MLP's 0.570 / 0.555 and 0.642 / 0.633 (benchmarks/results/HISTORY.md).
MAX_ROW_STEPS = 2_048_000
#: Steps between held-out checks at least, and steps before early stopping may end training:
#: one network learns every column from a share of the cells, so it needs more steps than
#: any one column network (on 600 rows x 5, 100 steps left it at nRMSE 0.98 where the column
#: networks reached 0.76).
MIN_CHECK_STEPS = 20
MIN_SHARED_STEPS = 400
#: A table of at least this many training cells (rows x modelled columns) trains the shared
#: network whatever its width: with many rows the per-column networks' small batched matmuls
#: are bound by per-op overhead and the shared trunk learns more per step. 200,000 x 13
#: (``benchmarks/scale.py``): per-column networks nRMSE 0.439, accuracy 0.607; shared network
#: 0.411, 0.605 (benchmarks/results/HISTORY.md, 2026-12-06).
SHARED_CELLS = 1_000_000
#: The trunk's numeric targets train on a Huber loss: errors beyond this many robust units
#: (the interquartile range / 1.349, a standard deviation for normal data) count linearly.
#: Under squared error one far value (a log-normal amount thousands of units from its median)
#: blew up AdamW's second moments for every trunk weight at once, and the other targets
#: stopped learning: 200,000 x 13 ``skewed`` (``benchmarks/scale.py``), the shared network
#: alone, accuracy of two 4-level columns 0.464 / 0.596 against a plain MLP's 0.527 / 0.641;
#: 0.556 / 0.668 with this (benchmarks/results/HISTORY.md, section u). The held-out checks
#: still score squared error.
HUBER_DELTA = 3.0
#: Padded output slots of a categorical head group hold this (nothing for cross-entropy).
PAD = -1e4


class SharedNet(nn.Module):
    """One trunk over the encoded columns; per-target heads packed into one linear layer."""

    def __init__(
        self,
        space: FeatureSpace,
        out_dims: Sequence[int],
        numeric: Sequence[bool],
        hidden_dim: int,
        embedding_dim: int,
    ) -> None:
        super().__init__()
        cat_sizes, text_sizes = space.categorical_sizes, space.text_buckets
        e = embedding_dim
        d = 2 * space.numeric_width + e * (len(cat_sizes) + len(text_sizes))
        self.out_dims = [int(o) for o in out_dims]
        self.register_buffer("cat_offsets", _offsets(cat_sizes)[:-1])
        self.register_buffer("text_offsets", _offsets(text_sizes)[:-1])
        self.cat_emb = nn.Embedding(max(sum(cat_sizes), 1), e)
        self.text_emb = nn.Parameter(torch.randn(max(sum(text_sizes), 1), e) * 0.1)
        self.trunk = nn.Sequential(
            nn.Linear(max(d, 1), hidden_dim),
            nn.GELU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.GELU(),
        )
        self.heads = nn.Linear(hidden_dim, sum(self.out_dims))
        with torch.no_grad():
            self.heads.weight.mul_(0.1)
        starts = np.concatenate([[0], np.cumsum(self.out_dims)[:-1]]).astype(np.int64)
        self.starts = starts.tolist()
        self.groups = _head_groups(self.out_dims, list(numeric), starts, sum(self.out_dims))
        for g, (positions, index) in enumerate(self.groups):
            self.register_buffer(f"group_positions_{g}", torch.as_tensor(positions))
            self.register_buffer(f"group_index_{g}", torch.as_tensor(index))

    def forward(self, batch: Mapping[str, torch.Tensor | list]) -> torch.Tensor:
        """Packed outputs (batch, sum of out_dims): target ``i``'s are at ``starts[i]``."""
        parts = [batch["numeric"], batch["numeric_missing"]]
        categorical = batch["categorical"]
        if categorical.shape[1]:
            parts.append(self.cat_emb(categorical + self.cat_offsets).flatten(1))
        for j, (ids, offsets, keep) in enumerate(batch["text"]):
            bags = F.embedding_bag(ids + self.text_offsets[j], self.text_emb, offsets, mode="mean")
            parts.append(bags * keep[:, None])
        x = torch.cat(parts, dim=1)
        if not x.shape[1]:
            x = x.new_zeros((x.shape[0], 1))
        hidden = self.trunk(x)
        with full_precision(hidden.device):
            return self.heads(hidden.float())

    def grouped(self, packed: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(target positions, outputs (batch, targets, width)) per head group: numeric heads
        (2 wide) together, categorical ones by width bucket (padded with :data:`PAD`)."""
        padded = torch.cat([packed, packed.new_full((packed.shape[0], 1), PAD)], dim=1)
        return [
            (getattr(self, f"group_positions_{g}"), padded[:, getattr(self, f"group_index_{g}")])
            for g in range(len(self.groups))
        ]

    def flops_per_row(self) -> int:
        """Multiply-adds of one row's forward pass through the dense layers."""
        return sum(
            m.in_features * m.out_features for m in self.modules() if isinstance(m, nn.Linear)
        )


def _head_groups(
    out_dims: Sequence[int], numeric: Sequence[bool], starts: np.ndarray, pad_slot: int
) -> list[tuple[list[int], np.ndarray]]:
    """(target positions, packed output index (targets, width)) per group of heads."""
    groups = []
    numbers = [i for i, n in enumerate(numeric) if n]
    if numbers:
        groups.append((numbers, np.stack([starts[numbers], starts[numbers] + 1], axis=1)))
    classes = [i for i, n in enumerate(numeric) if not n]
    for local, width in width_buckets([out_dims[i] for i in classes]):
        positions = [classes[k] for k in local]
        index = np.full((len(positions), width), pad_slot, dtype=np.int64)
        for row, i in enumerate(positions):
            index[row, : out_dims[i]] = starts[i] + np.arange(out_dims[i])
        groups.append((positions, index))
    return groups


@dataclass
class SharedNetwork:
    """A trained shared network and what rebuilds it: the targets its heads serve."""

    net: SharedNet
    targets: list[str]
    numeric: list[bool]
    best_epoch: int
    epochs_run: int
    seconds: float
    steps: int
    batch_size: int

    def state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """(JSON-safe description, tensors): what a column unit saves to rebuild the net."""
        tensors = {
            k: v.detach().cpu().contiguous()
            for k, v in self.net.state_dict().items()
            if not k.startswith(("group_", "cat_offsets", "text_offsets"))
        }
        digest = hashlib.sha256()
        for name in sorted(tensors):
            digest.update(name.encode())
            digest.update(tensors[name].float().numpy().tobytes())
        meta = {
            "id": digest.hexdigest()[:16],
            "targets": self.targets,
            "numeric": self.numeric,
            "out_dims": self.net.out_dims,
            "hidden_dim": self.net.heads.in_features,
            "embedding_dim": self.net.cat_emb.embedding_dim,
        }
        return meta, tensors


def load_shared(
    space: FeatureSpace,
    meta: Mapping[str, Any],
    tensors: Mapping[str, torch.Tensor],
    device: torch.device,
) -> SharedNet:
    """The network a column unit saved (see :meth:`SharedNetwork.state`), on ``device``."""
    net = SharedNet(
        space, meta["out_dims"], meta["numeric"], meta["hidden_dim"], meta["embedding_dim"]
    )
    net.load_state_dict(dict(tensors), strict=False)
    return net.to(device).eval()


def train_shared(
    space: FeatureSpace,
    features: Features,
    targets: Sequence[TargetData],
    config: ImputerConfig,
    device: torch.device,
) -> SharedNetwork:
    """Train one shared network for ``targets``; returns it with its best weights loaded.

    Early stopping watches the mean over targets of each one's held-out loss relative to its
    mean/mode loss (so numeric and categorical targets weigh alike).
    """
    started = time.perf_counter()
    generator = np.random.default_rng(config.seed)
    torch.manual_seed(config.seed)
    numeric_flags = [t.numeric for t in targets]
    net = SharedNet(
        space,
        [t.out_dim for t in targets],
        numeric_flags,
        config.hidden_dim * WIDTH_FACTOR,
        config.embedding_dim,
    ).to(device)
    optimizers = _optimizers(net, config)
    y, train_w, hold_w = _target_tensors(targets, device)
    numeric = torch.tensor(numeric_flags, device=device)
    position = np.array([space.position(t.name) for t in targets])
    train_rows = np.flatnonzero(np.any([t.train for t in targets], axis=0))
    hold_rows = np.flatnonzero(np.any([t.holdout for t in targets], axis=0))
    if len(hold_rows) > CHECK_ROWS:
        hold_rows = np.sort(generator.choice(hold_rows, size=CHECK_ROWS, replace=False))
    base_batch, steps, checks = schedule(len(train_rows), config)
    steps = max(steps, MIN_CHECK_STEPS)
    batch_size = min(base_batch * BATCH_FACTOR, len(train_rows))
    max_steps = max(1, min(config.max_steps, MAX_ROW_STEPS // batch_size))
    checks = max(1, min(config.epochs, max_steps // steps))
    baseline = _baseline_losses(targets)
    droppable = np.array([not is_context_column(c) for c in space.columns])
    patterns = missing_cells(features, len(space.columns)) if config.copy_mask_share else None
    rates = _rate_scales(steps * checks, max_steps // steps < config.epochs)
    best, best_epoch, stale, epoch = float("inf"), 0, 0, 0
    average = WeightAverage(net, config.weight_average)  # what is checked and kept
    best_state = copy.deepcopy(average.net.state_dict())
    for epoch in range(1, checks + 1):
        net.train()
        for step in range((epoch - 1) * steps, epoch * steps):
            for optimizer in optimizers:
                for group in optimizer.param_groups:
                    group["lr"] = group["initial_lr"] * rates[step]
            rows = generator.choice(train_rows, size=batch_size, replace=False)
            drop = _hidden_cells(generator, rows, len(space.columns), patterns, config) & droppable
            batch = batch_tensors(features, rows, device, drop)
            # a target learns only where its cell was hidden: its own value is never an input
            hidden = torch.from_numpy(drop[:, position]).to(device)
            with autocast(device, config.precision):
                packed = net(batch).float()
            loss = _loss(net, packed, numeric, y[rows], train_w[rows] * hidden)
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
            average.update()
        held = _holdout_loss(
            average.net,
            features,
            hold_rows,
            targets,
            position,
            len(space.columns),
            numeric,
            y,
            hold_w,
            baseline,
            device,
            config.precision,
        )
        if held < best - 1e-4:
            best, best_epoch, stale = held, epoch, 0
            best_state = copy.deepcopy(average.net.state_dict())
        else:
            stale += 1
        if epoch * steps >= MIN_SHARED_STEPS and stale >= config.patience:
            break
        if config.time_budget is not None and time.perf_counter() - started > config.time_budget:
            break
    net.load_state_dict(best_state)
    net.eval()
    return SharedNetwork(
        net,
        [t.name for t in targets],
        numeric_flags,
        best_epoch,
        epoch,
        time.perf_counter() - started,
        epoch * steps,
        batch_size,
    )


def _loss(
    net: SharedNet,
    packed: torch.Tensor,
    numeric: torch.Tensor,
    y: torch.Tensor,
    weight: torch.Tensor,
) -> torch.Tensor:
    """Sum over targets of each one's weighted mean loss (Gaussian NLL + Huber, or CE)."""
    total = packed.new_zeros(())
    for positions, out in net.grouped(packed):
        w = weight[:, positions]
        per_row = _per_row_losses(
            out, numeric[positions], y[:, positions], nll=True, huber=HUBER_DELTA
        )
        total = total + ((per_row * w).sum(0) / w.sum(0).clamp(min=1.0)).sum()
    return total


def _baseline_losses(targets: Sequence[TargetData]) -> np.ndarray:
    """Each target's mean/mode loss on its training cells: the variance of its scaled values,
    or the entropy of its classes (the yardstick its held-out loss is divided by)."""
    out = []
    for t in targets:
        y = t.y[t.train]
        if t.numeric:
            out.append(float(np.nanvar(y)) if len(y) > 1 else 1.0)
        else:
            p = np.bincount(y.astype(int), minlength=t.classes) / max(len(y), 1)
            out.append(float(-(p[p > 0] * np.log(p[p > 0])).sum()))
    return np.maximum(np.asarray(out), 1e-3)


def _holdout_loss(
    net: SharedNet,
    features: Features,
    rows: np.ndarray,
    targets: Sequence[TargetData],
    position: np.ndarray,
    columns: int,
    numeric: torch.Tensor,
    y: torch.Tensor,
    weight: torch.Tensor,
    baseline: np.ndarray,
    device: torch.device,
    precision: str,
) -> float:
    """The mean over targets of held-out loss / mean-mode loss, every held-out cell hidden."""
    if not len(rows):
        return 0.0
    drop = np.zeros((len(rows), columns), dtype=bool)
    drop[:, position] = np.stack([t.holdout[rows] for t in targets], axis=1)
    packed = torch.from_numpy(shared_pass(net, features, rows, drop, device, precision)).to(device)
    index = torch.from_numpy(rows).to(device)
    losses = torch.zeros(len(targets), device=device)
    seen = torch.zeros(len(targets), dtype=torch.bool, device=device)
    for positions, out in net.grouped(packed):
        w = weight[index][:, positions]
        per_row = _per_row_losses(out, numeric[positions], y[index][:, positions], nll=False)
        losses[positions] = (per_row * w).sum(0) / w.sum(0).clamp(min=1e-9)
        seen[positions] = w.sum(0) > 0
    ratio = (losses / torch.from_numpy(baseline).float().to(device))[seen]
    return float(ratio.mean()) if len(ratio) else 0.0


def shared_pass(
    net: SharedNet,
    features: Features,
    rows: np.ndarray,
    drop: np.ndarray,
    device: torch.device,
    precision: str,
) -> np.ndarray:
    """Packed outputs (rows, sum of out_dims) for ``rows`` of ``features``, with the cells
    ``drop`` (rows, columns) hidden: a target is predicted with its own cell hidden, as it
    was trained."""
    chunks = []
    with torch.no_grad():
        for start in range(0, len(rows), PREDICT_BATCH):
            part = slice(start, start + PREDICT_BATCH)
            batch = batch_tensors(features, rows[part], device, drop[part])
            with autocast(device, precision):
                chunks.append(net(batch).float().cpu().numpy())
    return np.concatenate(chunks) if chunks else np.zeros((0, sum(net.out_dims)), np.float32)


def shared_outputs(
    net: SharedNet,
    targets: Sequence[str],
    features: Features,
    space: FeatureSpace,
    rows_of: Mapping[str, np.ndarray],
    device: torch.device,
    precision: str,
) -> dict[str, np.ndarray]:
    """Each target's raw outputs (rows, out_dim) at its rows ``rows_of[target]`` (positions in
    ``features``), from one pass over the union of the rows; each row hides the cells of the
    targets asked for there (gaps to fill are hidden already; held-out cells are not)."""
    asked = [t for t in rows_of if len(rows_of[t])]
    if not asked:
        return {}
    union = np.unique(np.concatenate([rows_of[t] for t in asked]))
    drop = np.zeros((len(union), len(space.columns)), dtype=bool)
    for name in asked:
        drop[np.searchsorted(union, rows_of[name]), space.position(name)] = True
    packed = shared_pass(net, features, union, drop, device, precision)
    out = {}
    for name in asked:
        i = targets.index(name)
        start = net.starts[i]
        out[name] = packed[np.searchsorted(union, rows_of[name]), start : start + net.out_dims[i]]
    return out


@dataclass
class SharedFit:
    """The table's shared network as its columns' units save it, and each served target's
    held-out outputs (for the held-out choice and calibration)."""

    trained: SharedNetwork | None = None
    meta: dict[str, Any] | None = None
    tensors: dict[str, torch.Tensor] | None = None
    holdout: dict[str, np.ndarray] | None = None


def fit_shared(
    space: FeatureSpace,
    features: Features,
    data: Sequence[TargetData],
    config: ImputerConfig,
    device: torch.device,
) -> SharedFit:
    """Train the shared network over the targets with a held-out split and enough rows (the
    per-column networks' rule); empty when none qualifies."""
    eligible = [t for t in data if learnable(t, config)]
    if not eligible:
        return SharedFit()
    trained = train_shared(space, features, eligible, config, device)
    outputs = shared_outputs(
        trained.net,
        trained.targets,
        features,
        space,
        {t.name: np.flatnonzero(t.holdout) for t in eligible},
        device,
        config.precision,
    )
    meta, tensors = trained.state()
    return SharedFit(trained, meta, tensors, outputs)
