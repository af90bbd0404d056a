"""One small MLP per target column, with stacked weights so all columns train as one job.

Target ``c``'s network sees every column of the feature space except its own: the rows of its
first-layer weights that read its own column are masked to zero, so its value cannot leak in.
Categorical inputs go through per-target embeddings, text through per-target EmbeddingBags.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from impute_assets.core.device import full_precision
from impute_assets.core.encoding.features import DENSE, Features, FeatureSpace, gather_bags
from impute_assets.core.nets.recurrent import (
    GRU_PARAMETERS,
    StackedGRU,
    select_targets,
    window_offsets,
)

#: Per-target parameter names; each tensor's first dimension is the target.
PARAMETERS = ("cat_emb", "text_emb", "w1", "b1", "w2", "b2", "w3", "b3")


class StackedNet(nn.Module):
    """``len(targets)`` independent MLPs evaluated together with batched matmuls."""

    def __init__(
        self,
        space: FeatureSpace,
        targets: Sequence[str],
        out_dims: Sequence[int],
        hidden_dim: int,
        embedding_dim: int,
        recurrent_dim: int = 0,
    ) -> None:
        super().__init__()
        c, e, h = len(targets), embedding_dim, hidden_dim
        self.embedding_dim = e
        self.out_dims = list(out_dims)
        cat_sizes, text_sizes = space.categorical_sizes, space.text_buckets
        p = space.numeric_width
        d = 2 * p + e * (len(cat_sizes) + len(text_sizes))
        o = max(out_dims)
        self.register_buffer("cat_offsets", _offsets(cat_sizes))
        self.register_buffer("text_offsets", _offsets(text_sizes))
        window = window_offsets(space) if recurrent_dim else None
        self.recurrent = None
        self.parameter_names = PARAMETERS
        keep = _input_keep(space, targets, e)
        if window is not None:
            # the GRU block reads only other rows, so every target may read all of it
            self.register_buffer("window_index", torch.from_numpy(window))
            self.recurrent = StackedGRU(c, 2 * window.shape[1], recurrent_dim)
            self.parameter_names = PARAMETERS + GRU_PARAMETERS
            keep = torch.cat([keep, torch.ones(c, 2 * recurrent_dim)], dim=1)
            d += 2 * recurrent_dim
        self.register_buffer("input_keep", keep)
        self.register_buffer("out_valid", _out_valid(out_dims))
        self.cat_emb = nn.Parameter(torch.randn(c, max(sum(cat_sizes), 1), e) * 0.1)
        self.text_emb = nn.Parameter(torch.randn(c, max(sum(text_sizes), 1), e) * 0.1)
        self.w1 = nn.Parameter(_uniform(c, d, h))
        self.b1 = nn.Parameter(torch.zeros(c, h))
        self.w2 = nn.Parameter(_uniform(c, h, h))
        self.b2 = nn.Parameter(torch.zeros(c, h))
        self.w3 = nn.Parameter(_uniform(c, h, o) * 0.1)
        self.b3 = nn.Parameter(torch.zeros(c, o))
        # (the active tensor, its buckets): one attribute, so a reader never pairs a key with
        # another key's buckets
        self._buckets_of: tuple[torch.Tensor | None, list[tuple[torch.Tensor, int]]] | None = None

    def forward(
        self, batch: Mapping[str, torch.Tensor | list], active: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Outputs (batch, targets, max_out); invalid output slots hold a large negative.

        ``active`` (target indices) evaluates only those targets, in that order: a held-out
        check or a fill of one column's rows need not run every target.
        """
        take = partial(select_targets, active=active)
        parts = [batch["numeric"], batch["numeric_missing"]]
        shared = torch.cat(parts, dim=1)  # (b, 2p)
        b, p2 = shared.shape
        w1 = take(self.w1) * take(self.input_keep)[:, :, None]
        c, h = w1.shape[0], w1.shape[2]
        # every target's first layer over the shared block as one dense matmul, then
        # (targets, batch, .) layout with batched matmuls: far cheaper than einsum's permutes
        hidden = (shared @ w1[:, :p2].permute(1, 0, 2).reshape(p2, c * h)).view(b, c, h)
        hidden = hidden.transpose(0, 1)  # (c, b, h)
        per_target = self._embedded(batch, active)  # (c, b, k*e)
        end = p2
        if per_target is not None:
            end = p2 + per_target.shape[2]
            hidden = hidden + torch.bmm(per_target, w1[:, p2:end])
        if self.recurrent is not None:
            idx = self.window_index
            window = torch.cat([batch["numeric"][:, idx], batch["numeric_missing"][:, idx]], dim=2)
            recurrent = self.recurrent(window, active).transpose(0, 1)  # (c, b, g)
            hidden = hidden + torch.bmm(recurrent, w1[:, end:])
        hidden = F.gelu(hidden + take(self.b1)[:, None])
        hidden = F.gelu(torch.bmm(hidden, take(self.w2)) + take(self.b2)[:, None])
        return self._outputs(hidden, active)

    def _outputs(self, hidden: torch.Tensor, active: torch.Tensor | None) -> torch.Tensor:
        """The last layer, one batched matmul per output-width bucket (see
        :func:`width_buckets`): numeric targets need 2 outputs, not the widest category's;
        in full precision under bf16 autocast (see :func:`full_precision`)."""
        with full_precision(hidden.device):
            return self._last_layer(hidden.float(), active)

    def _last_layer(self, hidden: torch.Tensor, active: torch.Tensor | None) -> torch.Tensor:
        """:meth:`_outputs` in the precision of ``hidden``."""
        c, b = hidden.shape[0], hidden.shape[1]
        w3, b3 = select_targets(self.w3, active), select_targets(self.b3, active)
        invalid = ~select_targets(self.out_valid, active)
        out = hidden.new_full((c, b, w3.shape[2]), -1e4)
        for positions, width in self._buckets(active):
            part = (
                torch.bmm(hidden[positions], w3[positions, :, :width]) + b3[positions, None, :width]
            )
            out[positions, :, :width] = part.masked_fill(invalid[positions, None, :width], -1e4)
        return out.transpose(0, 1)  # (b, c, o)

    def _buckets(self, active: torch.Tensor | None) -> list[tuple[torch.Tensor, int]]:
        """The width buckets of the ``active`` targets (positions among them), cached per
        ``active`` tensor: every training step of a net asks for the same buckets."""
        cached = self._buckets_of
        if cached is not None and cached[0] is active:
            return cached[1]
        dims = self.out_dims if active is None else [self.out_dims[i] for i in active.tolist()]
        buckets = [(torch.tensor(p, device=self.w3.device), w) for p, w in width_buckets(dims)]
        self._buckets_of = (active, buckets)
        return buckets

    def _embedded(
        self, batch: Mapping[str, torch.Tensor | list], active: torch.Tensor | None
    ) -> torch.Tensor | None:
        e = self.embedding_dim
        targets = (
            torch.arange(self.w1.shape[0], device=self.w1.device) if active is None else active
        )
        c = len(targets)
        blocks = []
        categorical = batch["categorical"]
        if categorical.shape[1]:
            idx = categorical + self.cat_offsets[:-1]  # (b, q)
            emb = (
                self.cat_emb[:, idx] if active is None else self.cat_emb[active[:, None, None], idx]
            )
            blocks.append(emb.reshape(c, idx.shape[0], -1))  # (c, b, q*e)
        for j, (ids, offsets, keep) in enumerate(batch["text"]):
            vocab = self.text_emb.shape[1]
            shifted = ids + self.text_offsets[j]
            all_ids = shifted[None, :] + targets[:, None] * vocab
            all_offsets = (
                offsets[None, :] + torch.arange(c, device=ids.device)[:, None] * ids.numel()
            )
            bags = F.embedding_bag(
                all_ids.reshape(-1),
                self.text_emb.reshape(-1, e),
                all_offsets.reshape(-1),
                mode="mean",
            )
            blocks.append(bags.reshape(c, -1, e) * keep[None, :, None])
        if len(blocks) < 2:  # a concatenation of one block would only copy it
            return blocks[0] if blocks else None
        return torch.cat(blocks, dim=2)

    def subset(self, positions: Sequence[int]) -> StackedNet:
        """A copy holding only the targets at ``positions``, in that order (their weights
        copied): training goes on with it once columns retire, so their weights stop costing
        gradients and optimizer updates at every step."""
        part = copy.deepcopy(self)
        index = torch.as_tensor(positions, dtype=torch.long, device=self.w1.device)
        with torch.no_grad():
            for module in [part] if part.recurrent is None else [part, part.recurrent]:
                for name, param in list(module.named_parameters(recurse=False)):
                    setattr(module, name, nn.Parameter(select_targets(param, index)))
            for name in ("input_keep", "out_valid"):
                setattr(part, name, select_targets(getattr(part, name), index))
        part.out_dims = [self.out_dims[i] for i in positions]
        part._buckets_of = None
        return part

    def target_state(self, index: int) -> dict[str, torch.Tensor]:
        """Target ``index``'s own weights (the per-column unit that is saved), unpadded."""
        state = {
            name: self._parameter(name)[index].detach().clone() for name in self.parameter_names
        }
        out = self.out_dims[index]
        state["w3"], state["b3"] = state["w3"][:, :out].clone(), state["b3"][:out].clone()
        return state

    def _parameter(self, name: str) -> nn.Parameter:
        return getattr(self.recurrent, name) if name in GRU_PARAMETERS else getattr(self, name)

    def load_target_states(self, states: Sequence[Mapping[str, torch.Tensor]]) -> None:
        """Set every target's weights from per-column states (padding outputs as needed)."""
        with torch.no_grad():
            for index, state in enumerate(states):
                for name in self.parameter_names:
                    param = self._parameter(name)
                    value = state[name].to(param.device, param.dtype)
                    slot = param[index]
                    slot.zero_()
                    slot[tuple(slice(0, s) for s in value.shape)] = value


def width_buckets(out_dims: Sequence[int]) -> list[tuple[list[int], int]]:
    """Targets grouped by output width rounded up to a power of two: (positions, width) per
    group. Few groups, each one matmul, and little padding: on a table with one 236-class
    column, a single padded last layer did 12x the needed work."""
    groups: dict[int, list[int]] = {}
    for position, dim in enumerate(out_dims):
        groups.setdefault(max(2, 1 << (int(dim) - 1).bit_length()), []).append(position)
    return [(positions, width) for width, positions in sorted(groups.items())]


def _uniform(c: int, fan_in: int, fan_out: int) -> torch.Tensor:
    bound = 1 / math.sqrt(max(fan_in, 1))
    return torch.empty(c, fan_in, fan_out).uniform_(-bound, bound)


def _offsets(sizes: Sequence[int]) -> torch.Tensor:
    return torch.tensor([0, *np.cumsum(sizes).tolist()], dtype=torch.long)


def _out_valid(out_dims: Sequence[int]) -> torch.Tensor:
    width = max(out_dims)
    return torch.tensor([[o < d for o in range(width)] for d in out_dims], dtype=torch.bool)


def _input_keep(space: FeatureSpace, targets: Sequence[str], e: int) -> torch.Tensor:
    """(targets, input width) 1/0: which first-layer rows each target may read."""
    owners = _input_owners(space, e)
    return torch.tensor(
        np.stack([(owners != space.position(t)).astype(np.float32) for t in targets]),
    )


def _input_owners(space: FeatureSpace, e: int) -> np.ndarray:
    """The column that owns each first-layer input row, in the order forward() builds them."""
    numeric, categorical, text = [], [], []
    for index, encoder in enumerate(space.encoders.values()):
        kind, pos = encoder.kind.value, space.owner(index)
        if isinstance(encoder, DENSE):
            numeric += [pos] * encoder.width
        elif kind == "categorical":
            categorical += [pos] * e
        else:
            text += [pos] * e
    return np.asarray(numeric * 2 + categorical + text, dtype=np.int64)


def batch_tensors(
    features: Features,
    rows: np.ndarray,
    device: torch.device,
    drop: np.ndarray | None = None,
) -> dict[str, torch.Tensor | list]:
    """The rows ``rows`` of ``features`` as tensors; ``drop`` (rows, columns) hides cells."""
    numeric = features.numeric[rows].copy()
    missing = features.numeric_missing[rows].copy()
    categorical = features.categorical[rows].copy()
    text_keep = np.ones((len(rows), len(features.text)), dtype=np.float32)
    if drop is not None:
        hide_n = drop[:, features.numeric_owner]
        numeric[hide_n] = 0.0
        missing[hide_n] = 1.0
        categorical[drop[:, features.categorical_owner]] = 0
        text_keep[drop[:, features.text_owner]] = 0.0
    text = []
    for j, (ids, offsets) in enumerate(features.text):
        batch_ids, batch_offsets = gather_bags(ids, offsets, rows)
        text.append(
            (
                torch.from_numpy(batch_ids).to(device),
                torch.from_numpy(batch_offsets).to(device),
                torch.from_numpy(text_keep[:, j]).to(device),
            )
        )
    return {
        "numeric": torch.from_numpy(numeric).to(device),
        "numeric_missing": torch.from_numpy(missing).to(device),
        "categorical": torch.from_numpy(categorical).to(device),
        "text": text,
    }
