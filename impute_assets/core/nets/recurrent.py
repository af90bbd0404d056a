"""A bidirectional GRU over each row's window of neighbours, one per target column, stacked.

With ``ImputerConfig.sequence_window = W`` every row carries the values of its W previous and W
next rows in its group (``__seq__win-3:temp`` ...; the row itself is never in its own window)
and their time offsets. Each target's GRU reads the past slots forward in time and the future
slots backward, and its two final states join the target's first layer as an extra input block.
Like the MLP weights, every GRU weight has the target as its first dimension, so each column
keeps its own encoder and all of them train as one job.
"""

from __future__ import annotations

import math
import re

import numpy as np
import torch
from torch import nn

from impute_assets.core.encoding.features import DENSE, FeatureSpace
from impute_assets.core.sequence.context import PREFIX

#: GRU parameter names; each tensor is (targets, 2 directions, ...).
GRU_PARAMETERS = ("gru_ih", "gru_hh", "gru_bih", "gru_bhh")
_WINDOW = re.compile(rf"^{re.escape(PREFIX)}win([+-]\d+):(.*)$")


def window_offsets(space: FeatureSpace) -> np.ndarray | None:
    """(2W slots, features) positions in the numeric block of the window columns, slots ordered
    -W..-1 then +1..+W; ``None`` when the space has no window."""
    slots: dict[int, dict[str, int]] = {}
    offset = 0
    for name, encoder in space.encoders.items():
        if not isinstance(encoder, DENSE):
            continue
        match = _WINDOW.match(str(name))
        if match:
            slots.setdefault(int(match.group(1)), {})[match.group(2)] = offset
        offset += encoder.width
    if not slots:
        return None
    features = sorted(next(iter(slots.values())))
    return np.array([[slots[k][f] for f in features] for k in sorted(slots)], dtype=np.int64)


def select_targets(tensor: torch.Tensor, active: torch.Tensor | None) -> torch.Tensor:
    """The ``active`` targets' part of a per-target tensor (targets first); all when None."""
    return tensor if active is None else tensor.index_select(0, active)


class StackedGRU(nn.Module):
    """``targets`` independent bidirectional single-layer GRUs, evaluated together."""

    def __init__(self, targets: int, inputs: int, hidden: int) -> None:
        super().__init__()
        bound = 1 / math.sqrt(hidden)
        self.hidden = hidden
        self.gru_ih = nn.Parameter(
            torch.empty(targets, 2, inputs, 3 * hidden).uniform_(-bound, bound)
        )
        self.gru_hh = nn.Parameter(
            torch.empty(targets, 2, hidden, 3 * hidden).uniform_(-bound, bound)
        )
        self.gru_bih = nn.Parameter(torch.zeros(targets, 2, 3 * hidden))
        self.gru_bhh = nn.Parameter(torch.zeros(targets, 2, 3 * hidden))

    def forward(self, window: torch.Tensor, active: torch.Tensor | None = None) -> torch.Tensor:
        """``window`` (batch, 2W, inputs) -> (batch, targets, 2 * hidden), for the ``active``
        targets only when given (indices)."""
        half = window.shape[1] // 2
        past = window[:, :half]  # -W .. -1: read forward in time
        future = window[:, half:].flip(1)  # +W .. +1: read backward in time
        return torch.cat([self._run(past, 0, active), self._run(future, 1, active)], dim=2)

    def _run(
        self, steps: torch.Tensor, direction: int, active: torch.Tensor | None
    ) -> torch.Tensor:
        w_ih, w_hh, b_ih, b_hh = (
            select_targets(p, active)[:, direction]
            for p in (self.gru_ih, self.gru_hh, self.gru_bih, self.gru_bhh)
        )
        b, c, h = steps.shape[0], w_ih.shape[0], self.hidden
        gates_x = torch.einsum("btf,cfg->btcg", steps, w_ih) + b_ih  # (b, T, c, 3h)
        state = steps.new_zeros(b, c, h)
        for t in range(steps.shape[1]):
            gates_h = torch.einsum("bch,chg->bcg", state, w_hh) + b_hh
            xr, xz, xn = gates_x[:, t].split(h, dim=2)
            hr, hz, hn = gates_h.split(h, dim=2)
            reset, update = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            state = (1 - update) * torch.tanh(xn + reset * hn) + update * state
        return state
