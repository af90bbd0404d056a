"""The candidates' names: what ``ImputerConfig.candidates`` holds and a saved unit's ``chosen``.

A module of names alone, so :mod:`impute_assets.core.config` can read them without importing
the candidates (which import the config). :mod:`.registry` maps each name to its candidate.
"""

from __future__ import annotations

NETWORK = "network"
SHARED_NETWORK = "shared_network"
LINEAR = "linear"
KNN = "knn"
BOOSTED = "boosted"
FOREST = "forest"
BLEND = "blend"
MEAN_MODE = "mean_mode"
NEAREST_COPY = "nearest_copy"

#: The names ``ImputerConfig.candidates`` may hold (every one of them by default), in the
#: registry's order. Free-text copying (``nearest_copy``) is switched by ``copy_free_text``.
SELECTABLE = (NETWORK, SHARED_NETWORK, LINEAR, KNN, BOOSTED, FOREST, BLEND, MEAN_MODE)
