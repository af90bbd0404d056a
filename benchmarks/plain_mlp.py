"""The reference a user could write in an afternoon: one masked MLP over every column.

Numbers standardized (0 where missing), categories one-hot, a missing indicator per column; each
step hides a further 25% of the observed input cells at random and the network predicts every
column from what is left (MSE on numbers, cross-entropy on categories, observed cells only).
3,000 steps of 1,024 rows, no model choice, no held-out split. Used by ``benchmarks/scale.py``
as the yardstick our engine's time and accuracy are compared with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

STEPS = 3_000
BATCH = 1_024
HIDDEN = 256
MASK_RATE = 0.25
PREDICT_CHUNK = 65_536


def plain_mlp(frame: pd.DataFrame, categorical: list[str], seed: int = 0) -> pd.DataFrame:
    """``frame`` with every gap filled by one masked MLP (observed cells kept)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    numeric = [c for c in frame.columns if c not in categorical]
    values = frame[numeric].to_numpy(dtype=np.float32)
    mean, std = np.nanmean(values, axis=0), np.nanstd(values, axis=0) + 1e-6
    scaled = np.nan_to_num((values - mean) / std)
    vocab = {c: frame[c].dropna().unique() for c in categorical}
    codes = (
        np.stack([pd.Categorical(frame[c], categories=vocab[c]).codes for c in categorical], axis=1)
        if categorical
        else np.zeros((len(frame), 0), dtype=np.int64)
    )
    observed = np.concatenate([~np.isnan(values), codes >= 0], axis=1)
    sizes = [len(vocab[c]) for c in categorical]
    p, width = len(numeric), len(numeric) + sum(sizes)
    net = nn.Sequential(
        nn.Linear(width + observed.shape[1], HIDDEN),
        nn.GELU(),
        nn.Linear(HIDDEN, HIDDEN),
        nn.GELU(),
        nn.Linear(HIDDEN, width),
    )
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
    x_num, x_cat = torch.from_numpy(scaled), torch.from_numpy(codes.astype(np.int64))
    seen = torch.from_numpy(observed)

    def inputs(rows: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        onehot = [
            F.one_hot(x_cat[rows, j].clamp(min=0), s) * keep[:, p + j, None]
            for j, s in enumerate(sizes)
        ]
        return torch.cat([x_num[rows] * keep[:, :p], *onehot, keep.float()], dim=1).float()

    for _ in range(STEPS):
        rows = torch.from_numpy(rng.integers(0, len(frame), BATCH))
        keep = seen[rows] & torch.from_numpy(rng.random((BATCH, seen.shape[1])) >= MASK_RATE)
        out = net(inputs(rows, keep))
        w = seen[rows].float()
        loss = (((out[:, :p] - x_num[rows]) ** 2) * w[:, :p]).sum() / w[:, :p].sum().clamp(min=1)
        start = p
        for j, s in enumerate(sizes):
            ce = F.cross_entropy(
                out[:, start : start + s], x_cat[rows, j].clamp(min=0), reduction="none"
            )
            loss = loss + (ce * w[:, p + j]).sum() / w[:, p + j].sum().clamp(min=1)
            start += s
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    filled = frame.copy()
    with torch.no_grad():
        outs = [
            net(
                inputs(
                    torch.arange(s, min(s + PREDICT_CHUNK, len(frame))), seen[s : s + PREDICT_CHUNK]
                )
            ).numpy()
            for s in range(0, len(frame), PREDICT_CHUNK)
        ]
    out = np.concatenate(outs)
    for j, column in enumerate(numeric):
        gaps = ~observed[:, j]
        filled.loc[gaps, column] = out[gaps, j] * std[j] + mean[j]
    start = p
    for j, column in enumerate(categorical):
        gaps = ~observed[:, p + j]
        filled.loc[gaps, column] = vocab[column][out[gaps, start : start + sizes[j]].argmax(axis=1)]
        start += sizes[j]
    return filled
