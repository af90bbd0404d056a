"""Saved units refuse edits: a changed manifest or weights file, wrong shapes, paths outside."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file, save_file

from impute_assets.core.imputer import Imputer
from impute_assets.core.integrity import UnitIntegrityError, write_checksums
from tests.factories import TINY_MODEL


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A real imputer with a numeric and a categorical unit, saved once."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    frame = pd.DataFrame({"x": x, "y": 2 * x + rng.normal(0, 0.1, 120),
                          "c": np.where(x > 0, "high", "low")})  # fmt: skip
    frame.loc[rng.random(120) < 0.2, "y"] = np.nan
    frame.loc[rng.random(120) < 0.2, "c"] = None
    return (
        Imputer(columns=["y", "c"], **TINY_MODEL)
        .fit(frame)
        .save(tmp_path_factory.mktemp("m") / "m")
    )


@pytest.fixture
def copy(saved, tmp_path) -> Path:
    return Path(shutil.copytree(saved, tmp_path / "copy"))


def _unit(root: Path, column: str) -> Path:
    return root / json.loads((root / "imputer.json").read_text())["columns"][column]


def _edit_manifest(unit: Path, edit) -> None:
    manifest = json.loads((unit / "manifest.json").read_text())
    edit({c["name"]: c for c in manifest["space"]["columns"]})
    (unit / "manifest.json").write_text(json.dumps(manifest, indent=2))


def test_untouched_units_load(copy):
    assert set(Imputer.load(copy).column_models_) == {"y", "c"}


def test_shifted_center_is_refused_naming_the_manifest(copy):
    unit = _unit(copy, "y")

    def shift(encoders):
        encoders["y"]["center"] += 100.0

    _edit_manifest(unit, shift)
    with pytest.raises(UnitIntegrityError, match=r"manifest\.json: content changed") as caught:
        Imputer.load(copy)
    assert caught.value.path == str(unit / "manifest.json")


def test_reversed_vocabulary_is_refused(copy):
    def reverse(encoders):
        encoders["c"]["values"].reverse()

    _edit_manifest(_unit(copy, "c"), reverse)
    with pytest.raises(UnitIntegrityError, match=r"manifest\.json"):
        Imputer.load(copy)


def test_edited_weights_are_refused_naming_the_weights(copy):
    weights = _unit(copy, "y") / "weights.safetensors"
    tensors = load_file(str(weights))
    save_file({k: v + 1 if v.is_floating_point() else v for k, v in tensors.items()}, str(weights))
    with pytest.raises(UnitIntegrityError, match=r"weights\.safetensors: content changed"):
        Imputer.load(copy)


def test_wrong_tensor_shapes_are_refused_even_with_fresh_checksums(copy):
    unit = _unit(copy, "y")
    tensors = load_file(str(unit / "weights.safetensors"))
    name = next(iter(sorted(tensors)))
    tensors[name] = torch.zeros(3, 1, 7)
    save_file(tensors, str(unit / "weights.safetensors"))
    write_checksums(unit, ["manifest.json", "weights.safetensors"])
    with pytest.raises(UnitIntegrityError, match=rf"weights\.safetensors: .*{name} is \[3, 1, 7\]"):
        Imputer.load(copy)


def test_unit_without_checksums_is_refused(copy):
    (_unit(copy, "y") / "checksums.json").unlink()
    with pytest.raises(UnitIntegrityError, match=r"checksums\.json: missing"):
        Imputer.load(copy)


@pytest.mark.parametrize("how", ["dotdot", "symlink"])
def test_unit_folders_outside_the_saved_imputer_are_refused(copy, tmp_path, how):
    outside = tmp_path / "elsewhere"
    shutil.copytree(_unit(copy, "y"), outside)
    manifest = json.loads((copy / "imputer.json").read_text())
    if how == "dotdot":
        manifest["columns"]["y"] = "../elsewhere"
    else:
        (copy / "link").symlink_to(outside, target_is_directory=True)
        manifest["columns"]["y"] = "link"
    (copy / "imputer.json").write_text(json.dumps(manifest))
    with pytest.raises(UnitIntegrityError, match=r"column 'y'.*outside"):
        Imputer.load(copy)
