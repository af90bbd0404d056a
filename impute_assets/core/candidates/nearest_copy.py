"""Opt-in filling of free-text cells by copying the text of the most similar observed row.

Free text is never invented: without ``copy_free_text`` it stays missing. With it, a missing
cell takes the text of its nearest row (by the same dense design the kNN candidate uses, the
column's own value left out). Texts are stored as UTF-8 bytes plus offsets, so the unit still
saves as plain arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from impute_assets.core.candidates import names
from impute_assets.core.candidates.base import (
    Calibration,
    Candidate,
    ColumnPrediction,
    FittedColumn,
    Holdout,
    RawInputs,
)
from impute_assets.core.candidates.design import Design
from impute_assets.core.candidates.knn import knn_references
from impute_assets.core.config import ImputerConfig
from impute_assets.core.encoding.encoders import observed_mask
from impute_assets.core.encoding.features import FeatureSpace

QUERY_CHUNK = 2048


@dataclass
class TextFit:
    """What a text column's unit saves: the copy's arrays, calibration and held-out check."""

    arrays: dict[str, np.ndarray]
    calibration: Calibration
    holdout: Holdout
    training_rows: int


class NearestCopy(Candidate):
    name = names.NEAREST_COPY
    description = "the text of the most similar observed row (opt-in: copy_free_text)"
    text = True

    def fit_text(
        self,
        space: FeatureSpace,
        design: Design,
        series: pd.Series,
        config: ImputerConfig,
        rng: np.random.Generator,
    ) -> TextFit:
        """Copying ``series``' text from the nearest observed row, scored on held-out rows."""
        name = str(series.name)
        observed = np.flatnonzero(observed_mask(series))
        texts = [str(v) for v in series.to_numpy(dtype=object)[observed]]
        z = design.matrix[observed][:, design.without(space.position(name))]
        holdout = rng.random(len(observed)) < config.holdout_fraction
        if holdout.all() or not holdout.any():
            holdout[:] = False
        train_z, train_idx = knn_references(
            z[~holdout], np.flatnonzero(~holdout), config.knn_reference_rows, config.seed
        )
        score = baseline = scale = None
        if holdout.any():
            nearest, distance = nearest_rows(train_z, z[holdout])
            truth = [t for t, h in zip(texts, holdout, strict=True) if h]
            score = float(
                np.mean([texts[train_idx[i]] == t for i, t in zip(nearest, truth, strict=True)])
            )
            baseline = float(pd.Series(texts).value_counts(normalize=True).iloc[0])
            scale = float(np.median(distance))
        refs, ref_idx = knn_references(
            z, np.arange(len(observed)), config.knn_reference_rows, config.seed
        )
        kept = sorted(set(ref_idx.tolist()))
        renumber = {old: new for new, old in enumerate(kept)}
        data, offsets = _pack([texts[i] for i in kept])
        return TextFit(
            arrays={
                "knn_refs": refs,
                "knn_y": np.array([renumber[i] for i in ref_idx], dtype=np.int64),
                "text_bytes": data,
                "text_offsets": offsets,
            },
            calibration=Calibration(distance_scale=scale or 1.0),
            holdout=Holdout(
                metric="exact_match",
                rows=int(holdout.sum()),
                score=score,
                baseline_score=baseline,
                scores={self.name: score} if score is not None else {},
            ),
            training_rows=len(observed),
        )

    def raw(self, model: FittedColumn, inputs: RawInputs) -> np.ndarray:
        return copy_outputs(model.arrays, inputs.z)

    def decode(self, model: FittedColumn, raw: np.ndarray) -> ColumnPrediction:
        return ColumnPrediction(*copied_texts(model.arrays, raw, model.calibration.distance_scale))


def nearest_rows(refs: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and distance to each query row's nearest reference row."""
    ref_t = torch.from_numpy(np.ascontiguousarray(refs, dtype=np.float32))
    index, distance = [], []
    for start in range(0, len(query), QUERY_CHUNK):
        chunk = torch.from_numpy(
            np.ascontiguousarray(query[start : start + QUERY_CHUNK], dtype=np.float32)
        )
        best = torch.cdist(chunk, ref_t).min(dim=1)
        index.append(best.indices.numpy())
        distance.append(best.values.numpy())
    if not index:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(index), np.concatenate(distance).astype(np.float64)


def copy_outputs(arrays: Mapping[str, np.ndarray], z: np.ndarray) -> np.ndarray:
    """(rows, 2): the nearest reference's text number and the distance to it."""
    index, distance = nearest_rows(arrays["knn_refs"], z)
    return np.stack([arrays["knn_y"][index].astype(np.float64), distance], axis=1)


def copied_texts(
    arrays: Mapping[str, np.ndarray], raw: np.ndarray, scale: float
) -> tuple[list[str], np.ndarray]:
    """The copied texts and their confidence (1 for an identical row, falling with distance)."""
    texts = _unpack(arrays["text_bytes"], arrays["text_offsets"])
    values = [texts[int(i)] for i in raw[:, 0]] if len(raw) else []
    return values, np.exp(-raw[:, 1] / max(scale, 1e-9)) if len(raw) else np.zeros(0)


def _pack(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.concatenate([[0], np.cumsum([len(e) for e in encoded])]).astype(np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


def _unpack(data: np.ndarray, offsets: np.ndarray) -> list[str]:
    raw = data.tobytes()
    return [raw[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(len(offsets) - 1)]
