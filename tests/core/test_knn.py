"""The kNN candidate's neighbours do not depend on how its arrays lie in memory: a fitted model
holds a view of the design, a loaded one a row-major copy, and with rows at equal distances the
two once chose different neighbours (a saved and reloaded Datawig imputer predicted an observed
row otherwise; found by a save/load fuzz)."""

from __future__ import annotations

import numpy as np

from impute_assets.core.candidates.knn import knn_predict


def test_the_neighbours_do_not_depend_on_the_memory_layout() -> None:
    rng = np.random.default_rng(0)
    # a few distinct rows, each many times over: every query has ties at its k-th distance
    refs = np.repeat(rng.normal(size=(40, 12)), 25, axis=0).astype(np.float32)
    rng.shuffle(refs)
    queries = rng.normal(size=(600, 12)).astype(np.float32)
    y = rng.normal(size=len(refs))
    wider = np.hstack([refs, np.zeros((len(refs), 5), np.float32)])[:, :12]  # a strided view
    expected = knn_predict(refs, y, queries, 7, True, 0)
    for refs_as, queries_as in [
        (np.asfortranarray(refs), queries),
        (refs, np.asfortranarray(queries)),
        (wider, queries),
    ]:
        np.testing.assert_array_equal(knn_predict(refs_as, y, queries_as, 7, True, 0), expected)
