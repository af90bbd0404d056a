"""ModelStore on a local folder and on fsspec's memory filesystem, with real core models."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from impute_assets.core.integrity import UnitIntegrityError
from impute_assets.store import ModelStore, ReusePolicy
from impute_assets.store.keys import name_key


@pytest.fixture(params=["local", "memory"])
def store(request, tmp_path) -> ModelStore:
    if request.param == "local":
        return ModelStore(str(tmp_path / "models"))
    return ModelStore(f"memory://models-{uuid.uuid4().hex[:8]}")


def _frame(seed: int = 0, shift: float = 0.0, rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(shift, 1.0, rows)
    frame = pd.DataFrame(
        {"a": a, "b": 2 * a + rng.normal(0, 0.1, rows), "c": rng.choice(["x", "y"], rows)}
    )
    frame.loc[rng.random(rows) < 0.15, "b"] = np.nan
    return frame


@pytest.fixture(scope="module")
def fitted():
    """A real fitted imputer and the profile of its training frame."""
    core = pytest.importorskip("impute_assets.core.imputer")
    profiles = pytest.importorskip("impute_assets.core.profile")
    from impute_assets.core.config import ImputerConfig

    frame = _frame()
    imputer = core.Imputer(config=ImputerConfig(epochs=2, seed=0)).fit(frame)
    return imputer, profiles.TableProfile.from_frame(frame, imputer.kinds_)


@pytest.mark.parametrize(
    "name", ["plain", "a/b", "../../etc", ".", "..", "Ünï cödé", "x" * 300, "A", "a", "semi;colon'"]
)
def test_name_keys_are_safe_and_distinct(name):
    key = name_key(name)
    assert "/" not in key and "\\" not in key and not key.startswith(".")
    assert len(key) < 80
    assert name_key("A") != name_key("a")


def test_empty_name_is_an_error():
    with pytest.raises(ValueError, match="empty name"):
        name_key("")


def test_policy_rejects_unknown_mode_and_keys():
    with pytest.raises(ValidationError):
        ReusePolicy(mode="sometimes")
    with pytest.raises(ValidationError):
        ReusePolicy(max_psi=0.1)


def test_decide_without_stored_model(store):
    decision = store.decide("t", "b", "f" * 64, _frame(), ReusePolicy())
    assert not decision.reuse and decision.reason == "no stored model"
    assert not store.decide("t", "b", "f", _frame(), ReusePolicy(mode="never")).reuse
    assert store.versions("t", "b") == []


def test_save_load_round_trip(store, fitted):
    imputer, profile = fitted
    model = imputer.column_models_["b"]
    stored = store.save("weird/table name", model, profile)
    assert stored.version == model.version and stored.column == "b"
    loaded = store.load("weird/table name", "b")
    assert loaded.fingerprint == model.fingerprint and loaded.version == model.version
    assert store.load_profile("weird/table name", "b").to_dict() == profile.to_dict()
    assert [v.version for v in store.versions("weird/table name", "b")] == [model.version]
    with pytest.raises(KeyError, match=r"weird/table name\.b"):
        store.load("weird/table name", "b", version="nope")


def test_decide_policies(store, fitted):
    imputer, profile = fitted
    model = imputer.column_models_["b"]
    store.save("t", model, profile)
    same = _frame()  # the training data itself: no drift
    assert store.decide("t", "b", model.fingerprint, same, ReusePolicy(mode="always")).reuse
    fresh = store.decide("t", "b", model.fingerprint, same, ReusePolicy())
    assert fresh.reuse, fresh.reason
    assert not store.decide("t", "b", "0" * 64, same, ReusePolicy()).reuse
    assert not store.decide("t", "b", model.fingerprint, same, ReusePolicy(mode="never")).reuse
    later = datetime.now(UTC) + timedelta(days=10)
    aged = store.decide("t", "b", model.fingerprint, same, ReusePolicy(max_age_days=7), now=later)
    assert not aged.reuse and "days old" in aged.reason
    drifted = store.decide("t", "b", model.fingerprint, _frame(seed=2, shift=5.0), ReusePolicy())
    assert not drifted.reuse and "drifted" in drifted.reason, drifted.reason


def test_edited_unit_in_the_store_is_refused_naming_the_store_file(store, fitted):
    imputer, profile = fitted
    stored = store.save("t", imputer.column_models_["b"], profile)
    manifest_path = f"{stored.path}/model/manifest.json"
    manifest = json.loads(store.fs.cat_file(manifest_path))
    next(c for c in manifest["space"]["columns"] if c["name"] == "b")["center"] += 1.0
    store.fs.pipe_file(manifest_path, json.dumps(manifest).encode())
    with pytest.raises(UnitIntegrityError, match=r"manifest\.json: model of t\.b version") as caught:
        store.load("t", "b")
    assert caught.value.path.startswith(store.root.rstrip("/"))
    assert caught.value.path.endswith(f"{stored.path.rsplit('/', 1)[-1]}/model/manifest.json")
