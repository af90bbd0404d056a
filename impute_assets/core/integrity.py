"""Integrity of a saved unit: content hashes of its files and the shapes of its tensors.

A unit whose manifest or weights were edited after saving (a shifted ``center``, a reordered
vocabulary) would fill with values nobody trained; loading refuses it instead, naming the file.
The hashes guard against accidents and tampering by hand, not against someone who rewrites the
checksum file too (that needs a signature, which the store does not keep).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

CHECKSUMS = "checksums.json"


class UnitIntegrityError(ValueError):
    """A saved unit does not match its checksums or its declared tensor shapes.

    ``path`` is the file at fault; ``reason`` says what is wrong with it.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(directory: Path, files: Sequence[str]) -> None:
    """Record the sha256 of each of ``files`` (names inside ``directory``) next to them."""
    sums = {name: sha256_of(directory / name) for name in files}
    (directory / CHECKSUMS).write_text(json.dumps({"sha256": sums}, indent=2))


def verify_checksums(directory: Path, files: Sequence[str]) -> None:
    """Refuse the unit unless each of ``files`` has the sha256 recorded when it was saved."""
    record = directory / CHECKSUMS
    if not record.exists():
        raise UnitIntegrityError(
            record,
            "missing: the unit has no content hashes (saved by an "
            "older version or not completely); train it again",
        )
    sums = json.loads(record.read_text()).get("sha256", {})
    for name in files:
        expected = sums.get(name)
        if expected is None:
            raise UnitIntegrityError(record, f"no sha256 recorded for {name}")
        verify_digest(directory / name, sha256_of(directory / name), expected)


def verify_digest(path: Path, actual: str, expected: str) -> None:
    """Refuse the file at ``path`` unless its sha256 (``actual``) is the one recorded when it
    was saved (``expected``)."""
    if actual != expected:
        raise UnitIntegrityError(
            path,
            f"content changed since it was saved (sha256 {actual[:12]}, recorded "
            f"{expected[:12]}); restore the file or train the model again",
        )


def tensor_shapes(tensors: Mapping[str, torch.Tensor]) -> dict[str, list[int]]:
    """Each tensor's shape, as the manifest records it."""
    return {name: list(value.shape) for name, value in sorted(tensors.items())}


def verify_shapes(
    weights: Path, tensors: Mapping[str, torch.Tensor], declared: Mapping[str, Sequence[int]]
) -> None:
    """Refuse weights whose tensor names or shapes differ from the ones the manifest declares."""
    actual = tensor_shapes(tensors)
    expected = {name: list(shape) for name, shape in declared.items()}
    if actual == expected:
        return
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    wrong = [
        f"{n} is {actual[n]}, manifest says {expected[n]}"
        for n in sorted(set(actual) & set(expected))
        if actual[n] != expected[n]
    ]
    problems = (
        ([f"missing {missing}"] if missing else [])
        + ([f"unexpected {extra}"] if extra else [])
        + wrong
    )
    raise UnitIntegrityError(weights, "tensors do not match the manifest: " + "; ".join(problems))
