"""ModelStore on a local folder and on fsspec's memory filesystem, with real core models."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from impute_assets.core.names import store_key
from impute_assets.store import ModelStore, ReusePolicy
from impute_assets.store.atomic import put_file, sha256_of
from impute_assets.store.model_store import DamagedVersion, _sealed
from tests.factories import TINY_MODEL, wide_frame


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
    imputer = core.Imputer(config=ImputerConfig(**TINY_MODEL)).fit(frame)
    return imputer, profiles.TableProfile.from_frame(frame, imputer.kinds_)


#: Names a warehouse may hold, among them pairs that sanitize or truncate to the same slug.
NAMES = [
    "plain",
    "a/b",
    "a_b",
    "a b",
    "../../etc",
    ".",
    "..",
    "Ünï cödé",
    "x" * 300,
    "x" * 301,
    "A",
    "a",
    "semi;colon'",
]


@pytest.mark.parametrize("name", NAMES)
def test_name_keys_are_safe_and_stable(name):
    key = store_key(name)
    assert "/" not in key and "\\" not in key and not key.startswith(".")
    assert len(key) < 80
    assert store_key(name) == key  # the same name finds its folder again


def test_name_keys_are_distinct_where_slugs_collide():
    keys = [store_key(name) for name in NAMES]
    assert len(set(keys)) == len(NAMES)
    assert store_key("a/b").split("-")[0] == store_key("a b").split("-")[0]  # same slug, own hash


def test_empty_name_is_an_error():
    with pytest.raises(ValueError, match="empty name"):
        store_key("")


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


def test_measured_psis_are_shared_only_between_equal_training_profiles(store, fitted):
    """A fill checks every model on the same rows with one ``measured`` memo: an input's PSI
    is reused where another model stored the same profile of it, never by name alone."""
    from impute_assets.core.profile import TableProfile

    imputer, profile = fitted
    model = imputer.column_models_["b"]
    shifted = TableProfile.from_frame(_frame(seed=2, shift=5.0), imputer.kinds_)
    stored = [
        store.save(t, model, p) for t, p in (("t1", profile), ("t2", profile), ("t3", shifted))
    ]
    rows = _frame(seed=1)
    alone = [store.fitness(s, rows, ReusePolicy()).drift for s in stored]
    measured: dict = {}
    shared = [store.fitness(s, rows, ReusePolicy(), measured=measured).drift for s in stored]
    assert shared == alone
    assert shared[0] == shared[1] and shared[0]["a"] != shared[2]["a"]
    inputs = sorted({name for name, _ in measured})
    assert inputs == ["a", "c"] and len(measured) == 2 * len(inputs)  # two profiles each


def test_edited_unit_in_the_store_is_refused_naming_the_store_file(store, fitted):
    imputer, profile = fitted
    model = imputer.column_models_["b"]
    stored = store.save("t", model, profile)
    manifest_path = f"{stored.path}/model/manifest.json"
    manifest = json.loads(store.fs.cat_file(manifest_path))
    next(c for c in manifest["space"]["columns"] if c["name"] == "b")["center"] += 1.0
    store.fs.pipe_file(manifest_path, json.dumps(manifest).encode())
    with pytest.raises(DamagedVersion, match=r"manifest\.json: content changed") as caught:
        store.load("t", "b")
    assert caught.value.path.startswith(store.root.rstrip("/"))
    assert caught.value.path.endswith(f"{stored.path.rsplit('/', 1)[-1]}/model/manifest.json")
    with pytest.raises(DamagedVersion, match=r"manifest\.json"):
        store.load("t", "b", version=stored.version)
    # the next run does not reuse the refused unit: it trains again
    decision = store.decide("t", "b", model.fingerprint, _frame(), ReusePolicy(mode="always"))
    assert (
        not decision.reuse and "damaged" in decision.reason and "manifest.json" in decision.reason
    )
    assert store.latest("t", "b") is None


@pytest.mark.parametrize("damage", [b"", b'{"table": "t", "col', b"\xff\xfe", b"[]"])
def test_torn_entry_is_skipped_naming_the_file_and_never_wedges(store, fitted, damage):
    imputer, profile = fitted
    model = imputer.column_models_["b"]
    older = store.save("t", model, profile)
    newer = store.save("t", model, profile)
    store.fs.pipe_file(f"{newer.path}/entry.json", damage)
    assert [v.path for v in store.versions("t", "b")] == [older.path]
    assert store.latest("t", "b") == older  # the next (older) sound version
    decision = store.decide("t", "b", model.fingerprint, _frame(), ReusePolicy(mode="always"))
    assert not decision.reuse and "entry.json" in decision.reason, decision.reason
    assert store.load("t", "b").version == older.version
    store.fs.pipe_file(f"{older.path}/entry.json", damage)
    assert store.latest("t", "b") is None
    with pytest.raises(DamagedVersion, match=r"entry\.json"):
        store.load("t", "b")
    retrained = store.save("t", model, profile)  # training again is never blocked
    assert store.latest("t", "b") == retrained


def test_edited_entry_and_profile_are_covered_by_the_checksums(store, fitted):
    imputer, profile = fitted
    model = imputer.column_models_["b"]
    stored = store.save("t", model, profile)
    entry_path = f"{stored.path}/entry.json"
    original = store.fs.cat_file(entry_path)
    entry = json.loads(original)
    entry["fingerprint"] = "0" * 64
    store.fs.pipe_file(entry_path, json.dumps(entry).encode())
    assert store.latest("t", "b") is None
    store.fs.pipe_file(entry_path, original)
    assert store.latest("t", "b") == stored
    profile_path = f"{stored.path}/profile.json"
    edited = json.loads(store.fs.cat_file(profile_path))
    edited["columns"]["b"]["max"] = 1e9
    store.fs.pipe_file(profile_path, json.dumps(edited).encode())
    with pytest.raises(DamagedVersion, match=r"profile\.json: content changed"):
        store.load_profile("t", "b")


def test_a_renamed_old_version_folder_does_not_replay_as_the_newest(store, fitted):
    imputer, profile = fitted
    model = imputer.column_models_["b"]
    old = store.save("t", model, profile)
    new = store.save("t", model, profile)
    replay = new.path.rsplit("/", 1)[0] + "/99991231T000000000000Z-" + old.version
    store.fs.mv(old.path, replay, recursive=True)
    assert store.latest("t", "b") == new
    decision = store.decide("t", "b", model.fingerprint, _frame(), ReusePolicy(mode="always"))
    assert not decision.reuse and "moved version" in decision.reason


def test_interrupted_saves_are_swept_and_writes_leave_no_temporary_files(store, fitted):
    imputer, profile = fitted
    model = imputer.column_models_["b"]
    first = store.save("t", model, profile)
    column_dir = first.path.rsplit("/", 1)[0]
    stale = f"{column_dir}/20200101T000000000000Z-{model.version}"
    fresh = f"{column_dir}/{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{model.version}"
    for folder in (stale, fresh):  # killed before entry.json: weights written, entry not
        store.fs.makedirs(f"{folder}/model", exist_ok=True)
        store.fs.pipe_file(f"{folder}/model/.weights.safetensors.tmp-abc", b"torn")
    assert store.versions("t", "b") == [first]
    second = store.save("t", model, profile)
    left = {p.rstrip("/") for p in store.fs.ls(column_dir, detail=False)}
    assert stale not in left and fresh in left  # a save in progress elsewhere is left alone
    assert store.versions("t", "b") == [first, second]
    written = store.fs.find(second.path)
    assert written and not [p for p in written if ".tmp-" in p]
    assert sorted(p[len(second.path) + 1 :] for p in written) == sorted(
        [*second.files, "entry.json"]
    )


def test_repr_and_errors_mask_credentials():
    store = ModelStore("memory://analyst:s3cr3t@bucket/models")
    assert "s3cr3t" not in repr(store) and "analyst" in repr(store)
    with pytest.raises(KeyError) as caught:
        store.load("t", "b")
    assert "s3cr3t" not in str(caught.value)


@pytest.fixture(scope="module")
def colours():
    """A model of ``z`` (red/blue, driven by ``a``) and of ``y`` (0..10), with its profile."""
    core = pytest.importorskip("impute_assets.core.imputer")
    from impute_assets.core.config import ImputerConfig
    from impute_assets.core.profile import TableProfile

    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 300)
    frame = pd.DataFrame({"a": a, "z": np.where(a > 0, "red", "blue"), "y": 5 + 5 * np.tanh(a)})
    frame.loc[rng.random(300) < 0.2, ["z", "y"]] = None
    imputer = core.Imputer(config=ImputerConfig(**TINY_MODEL)).fit(frame)
    return imputer, TableProfile.from_frame(frame, imputer.kinds_), frame


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        ("z", ["green", "yellow"] * 15, "never seen in training (e.g. 'green', 'yellow')"),
        ("y", list(np.linspace(18, 31, 16)), "outside the training range"),
    ],
)
def test_target_drift_is_a_reason_to_retrain(store, colours, column, values, expected):
    imputer, profile, frame = colours
    model = imputer.column_models_[column]
    store.save("t", model, profile)
    same = store.decide("t", column, model.fingerprint, frame, ReusePolicy())
    assert same.reuse, same.reason
    changed = frame.head(len(values)).assign(**{column: values})
    decision = store.decide("t", column, model.fingerprint, changed, ReusePolicy())
    assert not decision.reuse and f"target {column!r}" in decision.reason
    assert expected in decision.reason, decision.reason
    assert store.fitness(store.latest("t", column), changed, ReusePolicy()).problems
    # one odd value is not a new vocabulary
    one = frame.head(50).assign(**{column: [values[0], *frame[column].head(49)]})
    assert store.decide("t", column, model.fingerprint, one, ReusePolicy()).reuse


def test_a_retyped_or_dropped_input_never_fits_even_with_policy_always(store, colours):
    imputer, profile, frame = colours
    model = imputer.column_models_["z"]
    stored = store.save("t", model, profile)
    always = ReusePolicy(mode="always")
    retyped = store.fitness(stored, frame.assign(a=frame["a"].map("{:.2f}x".format)), always)
    assert retyped.problems == ["column 'a' was numeric when the model was trained and is now str"]
    dropped = store.fitness(stored, frame.drop(columns="a"), always)
    assert dropped.problems == ["input 'a' is no longer in the table"]


@pytest.fixture(scope="module")
def wide_fitted():
    """A 42-column imputer whose units use one shared network, and its training profile."""
    from impute_assets.core.candidates.names import SHARED_NETWORK
    from impute_assets.core.imputer import Imputer
    from impute_assets.core.profile import TableProfile

    frame = wide_frame()
    imputer = Imputer(**TINY_MODEL, candidates=(SHARED_NETWORK, "mean_mode"), fill="all")
    imputer.fit(frame)
    return frame, imputer, TableProfile.from_frame(frame, imputer.kinds_)


def test_a_shared_network_is_stored_once_per_table(store, wide_fitted):
    frame, imputer, profile = wide_fitted
    models = imputer.column_models_
    for model in models.values():
        store.save("wide", model, profile)
    store.save("wide", models["c00"], profile)  # a second version names the same file
    table = f"{store._base}/{store_key('wide')}"
    (shared,) = store.fs.ls(f"{table}/_shared", detail=False)
    size = store.fs.size(shared)
    users = sum(m.uses_shared for m in models.values())
    assert users >= 40
    weights = [f for f in store.fs.find(table) if f.endswith("weights.safetensors")]
    assert sum(store.fs.size(f) for f in weights) < 0.5 * users * size  # no copy of the network

    loaded = {name: store.load("wide", name) for name in models}
    again = type(imputer).from_column_models(loaded, imputer.config_)
    pd.testing.assert_frame_equal(again.transform(frame), imputer.transform(frame))
    assert len({id(m.shared[1]) for m in loaded.values() if m.uses_shared}) == 1


@pytest.mark.parametrize("damage", ["tampered", "missing"])
def test_a_damaged_shared_network_is_refused_naming_it(store, wide_fitted, damage):
    frame, imputer, profile = wide_fitted
    model = imputer.column_models_["c01"]
    store.save("wide", model, profile)
    (shared,) = store.fs.ls(f"{store._base}/{store_key('wide')}/_shared", detail=False)
    if damage == "missing":
        store.fs.rm(shared)
    else:
        store.fs.pipe_file(shared, store.fs.cat_file(shared)[:-1] + b"!")
    reason = "missing" if damage == "missing" else "content changed"
    with pytest.raises(DamagedVersion, match=reason) as caught:
        store.load("wide", "c01")
    assert caught.value.path.endswith(f"/_shared/{shared.rsplit('/', 1)[-1]}")
    decision = store.decide("wide", "c01", model.fingerprint, frame, ReusePolicy(mode="always"))
    assert not decision.reuse
    store.save("wide", model, profile)  # training again restores the file
    assert store.load("wide", "c01").version == model.version


def test_versions_stored_with_the_shared_network_inline_still_load(store, wide_fitted, tmp_path):
    """A version saved before shared files existed: its unit holds ``shared.*`` tensors and its
    entry names no shared file."""
    frame, imputer, profile = wide_fitted
    model = imputer.column_models_["c02"]
    stored = store.save("old", model, profile)
    for file in model.save(tmp_path / "unit").iterdir():  # inline: no shared_dir
        put_file(store.fs, str(file), f"{stored.path}/model/{file.name}")
    files = {name: sha256_of(store.fs, f"{stored.path}/{name}") for name in stored.files}
    entry = json.loads(store.fs.cat_file(f"{stored.path}/entry.json"))
    entry = _sealed(
        {**{k: v for k, v in entry.items() if k not in ("seal", "shared")}, "files": files}
    )
    store.fs.pipe_file(f"{stored.path}/entry.json", json.dumps(entry).encode())
    store.fs.rm(f"{store._base}/{store_key('old')}/_shared", recursive=True)

    loaded = store.load("old", "c02")
    assert loaded.version == model.version and loaded.shared[0] == model.shared[0]
    pair = {"c02": loaded, **{n: m for n, m in imputer.column_models_.items() if n != "c02"}}
    again = type(imputer).from_column_models(pair, imputer.config_)
    pd.testing.assert_frame_equal(again.transform(frame), imputer.transform(frame))
