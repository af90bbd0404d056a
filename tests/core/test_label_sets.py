"""Prediction sets kept as label codes are the tuples they stand for: coded, taken, placed
and ranked (ties included) as the same sets of the same label objects."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impute_assets.core.uncertainty.conformal import _sets
from impute_assets.core.uncertainty.label_sets import LabelSets

#: Labels that compare equal across types (1, 1.0, True) must keep their own codes.
LABELS = ["a", "b", True, 1, 1.0, 0, False, None, 2.5]

sets_strategy = st.lists(
    st.none() | st.lists(st.sampled_from(range(len(LABELS))), max_size=5),
    max_size=40,
).map(lambda rows: [None if r is None else tuple(LABELS[i] for i in r) for r in rows])


def _same(got: list[tuple | None], want: list[tuple | None]) -> bool:
    """Equal set for set, label for label by identity (1 is not True)."""
    return len(got) == len(want) and all(
        (g is None and w is None)
        or (
            (g is not None and w is not None and len(g) == len(w))
            and all(a is b for a, b in zip(g, w, strict=True))
        )
        for g, w in zip(got, want, strict=True)
    )


@settings(max_examples=60, deadline=None)
@given(sets_strategy, st.integers(1, 7))
def test_coded_tuples_come_back_as_the_same_label_objects(sets, batch):
    coded = LabelSets.from_tuples(sets, batch=batch)
    assert len(coded) == len(sets)
    assert _same(coded.tuples(), sets)
    assert coded.sizes.tolist() == [0 if s is None else len(s) for s in sets]


@settings(max_examples=60, deadline=None)
@given(sets_strategy, st.data())
def test_taken_and_placed_sets_are_those_cells_sets(sets, data):
    coded = LabelSets.from_tuples(sets)
    positions = data.draw(st.lists(st.integers(0, max(len(sets) - 1, 0)), max_size=30))
    positions = positions if sets else []
    assert _same(coded.take(np.array(positions, np.int64)).tuples(), [sets[i] for i in positions])
    # two parts placed among more cells: each part's sets where it says, none elsewhere
    other = LabelSets.from_tuples([("x",), ("y", "x")])
    cells = 2 * len(sets) + 4
    at = np.arange(len(sets)) * 2  # even positions, in order
    placed = LabelSets.placed(cells, [(at, coded), (np.array([1, 3]), other)])
    want: list[tuple | None] = [None] * cells
    for i, s in zip(at, sets, strict=True):
        want[i] = s
    want[1], want[3] = other.tuples()
    assert _same(placed.tuples(), want)


def test_no_cells_and_cells_without_sets():
    assert LabelSets.from_tuples([]).tuples() == []
    assert LabelSets.placed(2, []).tuples() == [None, None]


@pytest.mark.parametrize("seed", range(4))
def test_ranked_sets_hold_the_labels_whose_more_probable_mass_is_within_coverage(seed):
    """Without held-out scores a set holds, most probable first (ties in label order), the
    labels whose strictly more probable mass is at most the coverage, at least one; labels
    tied in probability share the mass of the first of them, so come in together."""
    rng = np.random.default_rng(seed)
    k, n, coverage = 12, 300, 0.705  # masses are multiples of 0.01: none on the edge
    probabilities = np.round(rng.dirichlet(np.full(k, 0.7), size=n), 2)  # many ties
    labels = [f"l{j}" for j in range(k)]
    model = SimpleNamespace(encoder=SimpleNamespace(values=labels))
    got = _sets(model, probabilities, None, rng.random(n), coverage).tuples()
    for row, p in zip(got, probabilities, strict=True):
        order = sorted(range(k), key=lambda j: (-p[j], j))
        above = [p[p > p[j] + 1e-12].sum() for j in order]
        size = max(sum(a <= coverage for a in above), 1)
        assert row == tuple(labels[j] for j in order[:size])
