"""The candidate registry: one entry per candidate, agreeing with the names the config reads."""

from __future__ import annotations

from impute_assets.core.candidates.base import Calibration
from impute_assets.core.candidates.names import SELECTABLE
from impute_assets.core.candidates.registry import BASELINE, CANDIDATES, TEXT
from impute_assets.core.config import DEFAULT_CANDIDATES


def test_every_selectable_name_has_its_candidate_in_registry_order():
    assert tuple(n for n, c in CANDIDATES.items() if not c.text) == SELECTABLE
    assert DEFAULT_CANDIDATES == SELECTABLE


def test_each_candidate_describes_itself_and_one_each_is_baseline_and_text():
    assert all(c.description for c in CANDIDATES.values())
    assert [c.name for c in CANDIDATES.values() if c.baseline] == [BASELINE.name]
    assert [c.name for c in CANDIDATES.values() if c.text] == [TEXT.name]



def test_a_calibration_saves_only_what_was_fitted_and_reads_back_equal():
    blend = Calibration(sigma=0.4, members={"linear": 1.0, "knn": 1.0})
    assert blend.to_dict() == {"sigma": 0.4, "members": {"linear": 1.0, "knn": 1.0}}
    assert Calibration.from_dict(blend.to_dict()) == blend
