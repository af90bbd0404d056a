"""The feature space: every input column encoded into numeric, categorical and text blocks.

Each block remembers which column owns each of its slots, so a column's own value can be hidden
from its own model (and at random from the others, while training).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from impute_assets.core.encoding.embeddings import SentenceEncoder
from impute_assets.core.encoding.encoders import (
    CategoricalEncoder,
    DatetimeEncoder,
    Encoder,
    NumericEncoder,
    TextEncoder,
    encoder_from_state,
    encoder_state,
    fit_encoder,
)
from impute_assets.core.kinds import ColumnKind
from impute_assets.core.sequence.context import owner

#: Scaled numeric inputs are clipped to +-this: a column whose bulk barely varies (a derived
#: sequence feature of a year column) would otherwise feed values of 1e5 to linear models.
INPUT_CLIP = 20.0
#: Encoders whose output is a block of numbers (the rest are categories or bags of n-grams).
DENSE = (NumericEncoder, DatetimeEncoder, SentenceEncoder)


@dataclass
class Features:
    """One frame, encoded. Arrays are aligned on rows; ``*_owner`` index ``FeatureSpace.columns``."""

    numeric: np.ndarray  # float32 (n, p), 0 where missing
    numeric_missing: np.ndarray  # float32 (n, p), 1 where missing
    numeric_owner: np.ndarray  # int64 (p,)
    categorical: np.ndarray  # int64 (n, q), 0 = missing, 1 = rare
    categorical_owner: np.ndarray  # int64 (q,)
    text: list[tuple[np.ndarray, np.ndarray]]  # per text column: (bucket ids, offsets)
    text_owner: np.ndarray  # int64 (t,)

    @property
    def rows(self) -> int:
        return self.numeric.shape[0]

    @classmethod
    def concat(cls, parts: Sequence[Features]) -> Features:
        """The rows of ``parts`` (encoded by one space) one after the other."""
        first = parts[0]
        text = []
        for j in range(len(first.text)):
            starts = np.cumsum([0] + [len(p.text[j][0]) for p in parts[:-1]])
            text.append(
                (
                    np.concatenate([p.text[j][0] for p in parts]),
                    np.concatenate([p.text[j][1] + s for p, s in zip(parts, starts, strict=True)]),
                )
            )
        return cls(
            numeric=np.concatenate([p.numeric for p in parts]),
            numeric_missing=np.concatenate([p.numeric_missing for p in parts]),
            numeric_owner=first.numeric_owner,
            categorical=np.concatenate([p.categorical for p in parts]),
            categorical_owner=first.categorical_owner,
            text=text,
            text_owner=first.text_owner,
        )

    def permuted(self, owner: int, order: np.ndarray) -> Features:
        """A copy whose slots owned by column ``owner`` hold their rows in ``order`` (the
        other slots unchanged): the encoding of the frame with that column shuffled."""

        def shuffle(block: np.ndarray, owners: np.ndarray) -> np.ndarray:
            out = block.copy()
            mine = owners == owner
            out[:, mine] = block[order][:, mine]
            return out

        return Features(
            numeric=shuffle(self.numeric, self.numeric_owner),
            numeric_missing=shuffle(self.numeric_missing, self.numeric_owner),
            numeric_owner=self.numeric_owner,
            categorical=shuffle(self.categorical, self.categorical_owner),
            categorical_owner=self.categorical_owner,
            text=[
                gather_bags(ids, offsets, order) if mine == owner else (ids, offsets)
                for (ids, offsets), mine in zip(self.text, self.text_owner, strict=True)
            ],
            text_owner=self.text_owner,
        )


def gather_bags(
    ids: np.ndarray, offsets: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The bags of ``rows`` (in that order) of the bags ``ids`` split at ``offsets``."""
    ends = np.append(offsets[1:], len(ids))
    lengths = (ends - offsets)[rows]
    starts = offsets[rows]
    batch_offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    positions = np.repeat(starts - batch_offsets, lengths) + np.arange(lengths.sum())
    return ids[positions].astype(np.int64), batch_offsets


class FeatureSpace:
    """Encoders for a fixed, ordered set of columns, fitted on their observed values."""

    def __init__(self, encoders: Mapping[str, Encoder]) -> None:
        self.encoders: dict[str, Encoder] = dict(encoders)
        self.columns: list[str] = list(self.encoders)
        self._position = {name: i for i, name in enumerate(self.columns)}
        self._owner = [self._position.get(owner(name), i) for i, name in enumerate(self.columns)]

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        kinds: Mapping[str, ColumnKind],
        max_categories: int,
        text_buckets: int,
        text_encoder: str = "ngrams",
    ) -> FeatureSpace:
        return cls(
            {
                name: (
                    SentenceEncoder.fit(frame[name])
                    if kind == ColumnKind.TEXT and text_encoder == "minilm"
                    else fit_encoder(frame[name], kind, max_categories, text_buckets)
                )
                for name, kind in kinds.items()
            }
        )

    def position(self, column: str) -> int:
        return self._position[column]

    def owner(self, position: int) -> int:
        """The position of the column whose own value column ``position`` carries (itself,
        except for derived sequence features of a column's own value)."""
        return self._owner[position]

    @property
    def categorical_sizes(self) -> list[int]:
        return [e.size for e in self.encoders.values() if isinstance(e, CategoricalEncoder)]

    @property
    def text_buckets(self) -> list[int]:
        return [e.buckets for e in self.encoders.values() if isinstance(e, TextEncoder)]

    @property
    def numeric_width(self) -> int:
        return sum(e.width for e in self.encoders.values() if isinstance(e, DENSE))

    def encode(self, frame: pd.DataFrame) -> Features:
        """Encode ``frame`` (it must hold every column of the space)."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise KeyError(f"input columns missing from the frame: {missing}")
        n = len(frame)
        numeric, owners_n, categorical, owners_c, text, owners_t = [], [], [], [], [], []
        for index, (name, encoder) in enumerate(self.encoders.items()):
            column, pos = frame[name], self.owner(index)
            if isinstance(encoder, DENSE):
                block = encoder.features(column)
                numeric.append(block)
                owners_n += [pos] * block.shape[1]
            elif isinstance(encoder, CategoricalEncoder):
                categorical.append(encoder.indices(column))
                owners_c.append(pos)
            else:
                text.append(encoder.bags(column))
                owners_t.append(pos)
        values = np.concatenate(numeric, axis=1) if numeric else np.zeros((n, 0))
        values = np.clip(values, -INPUT_CLIP, INPUT_CLIP)  # NaN stays NaN
        missing_numeric = np.isnan(values)
        return Features(
            numeric=np.where(missing_numeric, 0.0, values).astype(np.float32),
            numeric_missing=missing_numeric.astype(np.float32),
            numeric_owner=np.asarray(owners_n, dtype=np.int64),
            categorical=(
                np.stack(categorical, axis=1) if categorical else np.zeros((n, 0), dtype=np.int64)
            ),
            categorical_owner=np.asarray(owners_c, dtype=np.int64),
            text=text,
            text_owner=np.asarray(owners_t, dtype=np.int64),
        )

    def to_state(self) -> dict[str, Any]:
        return {"columns": [{"name": n, **encoder_state(e)} for n, e in self.encoders.items()]}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> FeatureSpace:
        encoders = {}
        for item in state["columns"]:
            data = dict(item)
            name = data.pop("name")
            dense_text = data["kind"] == ColumnKind.TEXT.value and "model" in data
            encoders[name] = (
                SentenceEncoder(model=data["model"]) if dense_text else encoder_from_state(data)
            )
        return cls(encoders)

    @property
    def signature(self) -> str:
        """Identical for spaces that encode identically (so their models can run batched)."""
        payload = json.dumps(self.to_state(), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
