"""The candidate registry: one entry per candidate, agreeing with the names the config reads."""

from __future__ import annotations

import numpy as np

from impute_assets.core.candidates.base import Calibration, Holdout, Split
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


def test_knn_steps_aside_where_a_table_network_learns_a_tall_column() -> None:
    rows = NETWORK_ROWS

    def split(
        train: int, networks=("shared_network",), config: ImputerConfig | None = None
    ) -> Split:
        """``train`` training rows, then 10 held out, as the target's own masks say."""
        at = np.arange(train + 10)
        target = TargetData("t", True, 1, np.zeros(train + 10), at < train, at >= train)
        return Split(
            None,
            None,
            target,
            np.arange(train),
            np.arange(train, train + 10),
            config or ImputerConfig(),
            networks=frozenset(networks),
        )

    assert outgrown(split(rows))
    assert CANDIDATES["knn"].holdout_fit(split(rows)) is None
    assert not outgrown(split(rows - 1))  # fewer rows: kNN stays a candidate
    assert not outgrown(split(rows, networks=()))  # no network trains on this table
    # the networks skip a column of fewer rows than min_rows_for_network
    assert not outgrown(split(rows, config=ImputerConfig(min_rows_for_network=rows + 1)))
