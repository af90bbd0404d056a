"""The candidate registry: one entry per candidate, agreeing with the names the config reads."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from impute_assets.core.candidates.base import Calibration, Holdout, Split, TableFit
from impute_assets.core.candidates.knn import NETWORK_ROWS, outgrown
from impute_assets.core.candidates.names import SELECTABLE
from impute_assets.core.candidates.registry import BASELINE, CANDIDATES, TEXT
from impute_assets.core.config import DEFAULT_CANDIDATES, ImputerConfig
from impute_assets.core.nets.training import TargetData


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


def test_a_holdout_record_reads_back_the_manifest_it_saves_key_for_key():
    text = {"metric": "exact_match", "rows": 4, "score": None, "baseline_score": None}
    text |= {"scores": {}, "facts": {"missing_share": 0.5}}  # no spread fields: not measured
    numeric = {"metric": "nrmse", "rows": 30, "score": 0.4, "baseline_score": 1.0}
    numeric |= {"scores": {"linear": 0.4}, "splits": 0, "spread": None, "gain": None}
    numeric |= {"gain_spread": None, "importance": {}, "facts": {}, "from_an_older_unit": 1}
    for saved in (text, numeric):
        assert list(Holdout.from_dict(saved).to_dict().items()) == list(saved.items())


def test_knn_steps_aside_where_a_table_network_learnt_a_tall_column() -> None:
    rows = NETWORK_ROWS
    target = TargetData("t", True, 1, np.zeros(rows + 10), np.ones(rows + 10, bool), np.zeros(0))

    def split(train: int, served: tuple[str, ...]) -> Split:
        tables = {"shared_network": TableFit(holdout={name: np.zeros(10) for name in served})}
        return Split(
            None, None, target, np.arange(train), np.arange(10), ImputerConfig(), 0, tables
        )

    assert outgrown(split(rows, ("t",)))
    assert CANDIDATES["knn"].holdout_fit(split(rows, ("t",))) is None
    assert not outgrown(split(rows - 1, ("t",)))  # fewer rows: kNN stays a candidate
    assert not outgrown(split(rows, ("other",)))  # no network learnt this column
    assert not outgrown(replace(split(rows, ("t",)), tables={}))
