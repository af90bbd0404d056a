"""The registry: every candidate model, by name, in the order they are fitted and scored
(ties on categorical targets go to the earlier). Adding a candidate: one module with a
:class:`~impute_assets.core.candidates.base.Candidate` subclass, one line here (and its name in
:mod:`.names`, where ``ImputerConfig.candidates`` reads it)."""

from __future__ import annotations

from impute_assets.core.candidates.base import Candidate
from impute_assets.core.candidates.blend import Blend
from impute_assets.core.candidates.boosted import Boosted
from impute_assets.core.candidates.forest import Forest
from impute_assets.core.candidates.knn import Knn
from impute_assets.core.candidates.linear import Linear
from impute_assets.core.candidates.mean_mode import MeanMode
from impute_assets.core.candidates.nearest_copy import NearestCopy
from impute_assets.core.candidates.network import Network
from impute_assets.core.candidates.shared import SharedNetwork

CANDIDATES: dict[str, Candidate] = {
    c.name: c
    for c in (
        Network(),
        SharedNetwork(),
        Linear(),
        Knn(),
        Boosted(),
        Forest(),
        Blend(),
        MeanMode(),
        NearestCopy(),
    )
}
#: The baseline every column gets (see ``Candidate.baseline``).
BASELINE: Candidate = next(c for c in CANDIDATES.values() if c.baseline)
#: The candidate free-text targets get.
TEXT: NearestCopy = next(c for c in CANDIDATES.values() if isinstance(c, NearestCopy))
