"""The shared network is saved once per saved imputer, not once per column unit that uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from safetensors.torch import load_file

from impute_assets.core.candidates.names import SHARED_NETWORK as SHARED
from impute_assets.core.imputer import MANIFEST, Imputer
from impute_assets.core.integrity import UnitIntegrityError
from tests.factories import TINY_MODEL, wide_frame


@pytest.fixture(scope="module")
def wide():
    """A 42-column frame and an imputer fitted on it with the shared network."""
    frame = wide_frame()
    imputer = Imputer(**TINY_MODEL, candidates=(SHARED, "mean_mode"), fill="all").fit(frame)
    users = [m for m in imputer.column_models_.values() if m.uses_shared]
    assert len(users) >= 40
    return frame, imputer


def _bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def _save_inline(imputer: Imputer, root: Path) -> Path:
    """The layout before shared files: every unit holds the shared tensors (``shared.*``)."""
    imputer.save(root)
    for file in root.glob("shared-*.safetensors"):
        file.unlink()
    for name, folder in json.loads((root / MANIFEST).read_text())["columns"].items():
        imputer.column_models_[name].save(root / folder)
    return root


def test_one_shared_file_per_save_and_identical_fills(wide, tmp_path) -> None:
    frame, imputer = wide
    root = imputer.save(tmp_path / "new")
    shared = list(root.glob("shared-*.safetensors"))
    assert len(shared) == 1
    for unit in root.glob("*/weights.safetensors"):
        assert not [name for name in load_file(unit) if name.startswith("shared.")]
    inline = _bytes(_save_inline(imputer, tmp_path / "old"))
    users = sum(m.uses_shared for m in imputer.column_models_.values())
    # the inline layout holds the network once per user; the new one once in all
    assert inline - _bytes(root) >= 0.95 * (users - 1) * shared[0].stat().st_size

    loaded = Imputer.load(root)
    pd.testing.assert_frame_equal(loaded.transform(frame), imputer.transform(frame))
    tensors = {id(m.shared[1]) for m in loaded.column_models_.values() if m.uses_shared}
    assert len(tensors) == 1  # read once, shared by every unit


def test_units_saved_with_inline_shared_tensors_still_load(wide, tmp_path) -> None:
    frame, imputer = wide
    root = _save_inline(imputer, tmp_path / "old")
    assert not list(root.glob("shared-*.safetensors"))
    loaded = Imputer.load(root)
    assert {n: m.version for n, m in loaded.column_models_.items()} == {
        n: m.version for n, m in imputer.column_models_.items()
    }
    pd.testing.assert_frame_equal(loaded.transform(frame), imputer.transform(frame))


@pytest.mark.parametrize("damage", ["tampered", "missing"])
def test_a_damaged_or_missing_shared_file_is_refused_by_name(wide, tmp_path, damage) -> None:
    _, imputer = wide
    root = imputer.save(tmp_path / "units")
    (shared,) = root.glob("shared-*.safetensors")
    if damage == "missing":
        shared.unlink()
    else:
        data = bytearray(shared.read_bytes())
        data[-1] ^= 1
        shared.write_bytes(bytes(data))
    reason = "missing" if damage == "missing" else "content changed"
    with pytest.raises(UnitIntegrityError, match=reason) as caught:
        Imputer.load(root)
    assert Path(caught.value.path) == shared
