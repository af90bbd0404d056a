"""Prediction sets of many cells as codes of their labels, not as a tuple per cell.

A 300-label column's 90% sets hold ~260 labels each: for 100,000 cells, 26M label references.
As tuples of label objects they cost seconds to build and seconds more to code again for the
audit table; as one array of codes (two bytes a label) they are built and taken in NumPy, and
made tuples only where a caller asks for them (``ImputationResult.cells()``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LabelSets:
    """Cell ``i``'s set is ``labels[codes[offsets[i]:offsets[i + 1]]]``, most probable first;
    ``present[i]`` is False for a cell without a set (a numeric cell; it holds no codes).

    ``labels`` holds the label objects themselves (a column's own, e.g. its encoder's
    values): two labels that compare equal across types (``1`` and ``True``) keep their codes.
    """

    labels: np.ndarray
    offsets: np.ndarray
    codes: np.ndarray
    present: np.ndarray

    @classmethod
    def ranked(cls, order: np.ndarray, sizes: np.ndarray, labels: Sequence[object]) -> LabelSets:
        """The first ``sizes[i]`` labels of each row of ``order`` (label positions, most
        probable first) as every row's set."""
        objects = np.fromiter(labels, dtype=object, count=len(labels))
        order = order.astype(_code_type(len(objects)), copy=False)
        taken = np.arange(order.shape[1]) < np.asarray(sizes)[:, None]
        return cls(objects, _offsets(sizes), order[taken], np.ones(len(order), dtype=bool))

    @classmethod
    def from_tuples(cls, sets: Sequence[tuple | None], batch: int = 20_000) -> LabelSets:
        """The sets of a sequence of tuples of labels (None: a cell without one), coded
        ``batch`` cells at a time (bounds the flat list of their labels). Labels are told apart
        by identity (the sets of a column share its label objects), so 1 and True, or 1 and
        1.0, never share a code."""
        values = np.fromiter(sets, dtype=object, count=len(sets))  # tuples stay elements
        present = np.fromiter((s is not None for s in values), bool, len(values))
        sizes = np.fromiter((len(s) if s is not None else 0 for s in values), np.int64, len(values))
        numbers: dict[int, int] = {}  # id of a label object -> its code
        objects: list[object] = []  # the label objects, by code
        codes = [
            _identity_codes(values[i : i + batch], numbers, objects)
            for i in range(0, len(values), batch)
        ]
        labels = np.fromiter(objects, dtype=object, count=len(objects))
        flat = np.concatenate([np.empty(0, np.int64), *codes])
        return cls(labels, _offsets(sizes), flat.astype(_code_type(len(labels))), present)

    @classmethod
    def placed(cls, cells: int, parts: Iterable[tuple[np.ndarray, LabelSets]]) -> LabelSets:
        """``cells`` cells, those at positions ``at`` of each ``(at, sets)`` part holding that
        part's sets (in order), the others none; the parts' labels one after the other."""
        parts = [(np.asarray(at, np.int64), sets) for at, sets in parts]
        sizes = np.zeros(cells, np.int64)
        present = np.zeros(cells, dtype=bool)
        for at, sets in parts:
            sizes[at] = sets.sizes
            present[at] = sets.present
        offsets = _offsets(sizes)
        labels = np.concatenate([np.empty(0, dtype=object), *(s.labels for _, s in parts)])
        codes = np.zeros(int(offsets[-1]), _code_type(len(labels)))
        first = 0  # the code of a part's first label among all the labels
        for at, sets in parts:
            codes[_spans(offsets[at], sets.sizes)] = sets.codes.astype(codes.dtype) + first
            first += len(sets.labels)
        return cls(labels, offsets, codes, present)

    def __len__(self) -> int:
        return len(self.present)

    @property
    def sizes(self) -> np.ndarray:
        """How many labels each cell's set holds (0 for a cell without one)."""
        return np.diff(self.offsets)

    def take(self, positions: np.ndarray) -> LabelSets:
        """The sets of the cells at ``positions`` (integers), in that order."""
        positions = np.asarray(positions, np.int64)
        sizes = self.sizes[positions]
        codes = self.codes[_spans(self.offsets[positions], sizes)]
        return LabelSets(self.labels, _offsets(sizes), codes, self.present[positions])

    def tuples(self) -> list[tuple | None]:
        """Each cell's set as a tuple of its label objects (None: the cell has none)."""
        flat = self.labels[self.codes].tolist()
        bounds = self.offsets.tolist()
        return [
            tuple(flat[bounds[i] : bounds[i + 1]]) if present else None
            for i, present in enumerate(self.present.tolist())
        ]


def _offsets(sizes: np.ndarray) -> np.ndarray:
    """Where each of the cells' codes start, and (last) where the last ends."""
    offsets = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return offsets


def _spans(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions ``starts[i]``, ``starts[i] + 1``, ... (``sizes[i]`` of them) of every
    ``i``, one after the other."""
    within = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(_offsets(sizes)[:-1], sizes)
    return np.repeat(np.asarray(starts, np.int64), sizes) + within


def _code_type(labels: int) -> type[np.unsignedinteger | np.signedinteger]:
    """The narrowest code type for ``labels`` labels (two bytes for up to 65,536)."""
    return np.uint16 if labels <= np.iinfo(np.uint16).max + 1 else np.int64


def _identity_codes(sets: np.ndarray, numbers: dict[int, int], objects: list[object]) -> np.ndarray:
    """The codes of the labels of a batch of ``sets`` (tuples or None), in order; a label
    object seen first gets the next code (``numbers``) and joins ``objects``."""
    labels = list(chain.from_iterable(s for s in sets if s is not None))
    local, ids = pd.factorize(np.fromiter(map(id, labels), np.intp, len(labels)))
    firsts = np.flatnonzero(np.diff(np.maximum.accumulate(local), prepend=-1) > 0)
    for i, at in zip(ids.tolist(), firsts.tolist(), strict=True):
        if i not in numbers:
            numbers[i] = len(objects)
            objects.append(labels[at])
    return np.array([numbers[i] for i in ids.tolist()], np.int64)[local]
