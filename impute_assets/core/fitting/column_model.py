"""The per-column unit: one target column's encoders, candidates, choice and calibration.

This is what is saved, versioned and reused: a directory with ``manifest.json`` (everything
but arrays, and the shape of every tensor), ``weights.safetensors`` (network weights and
candidate arrays) and ``checksums.json`` (the sha256 of both, checked on load).

A table's shared network (see :mod:`impute_assets.core.nets.shared`) is the same for every
column unit that uses it, so the savers that hold many units (``Imputer.save``, the model store)
pass ``shared_dir``: its tensors go there once, to ``shared-<sha256[:16]>.safetensors``, and each
manifest records that file's sha256 (checked on load). A unit saved without ``shared_dir`` (or
before this layout existed) keeps them inline as ``shared.*`` tensors of its weights.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load, load_file, save, save_file

from impute_assets.core.candidates.base import (
    Calibration,
    Candidate,
    ColumnPrediction,
    Holdout,
    RawInputs,
)
from impute_assets.core.candidates.design import Design
from impute_assets.core.candidates.registry import CANDIDATES
from impute_assets.core.config import ImputerConfig
from impute_assets.core.encoding.encoders import CategoricalEncoder
from impute_assets.core.encoding.features import FeatureSpace
from impute_assets.core.integrity import (
    UnitIntegrityError,
    sha256_of,
    tensor_shapes,
    verify_checksums,
    verify_digest,
    verify_shapes,
    write_checksums,
)
from impute_assets.core.kinds import ColumnKind
from impute_assets.core.sequence.context import SequenceSpec, is_context_column, raw_columns
from impute_assets.core.version import library_version

MANIFEST = "manifest.json"
WEIGHTS = "weights.safetensors"
#: The folder of a unit's chained (second-round) model, a unit of its own.
CHAINED = "chained"
#: The shared network's file, named by its content (see :func:`shared_file`).
SHARED_FILE = "shared-{}.safetensors"
#: 2: units carry content hashes and tensor shapes (format 1 units are retrained).
FORMAT_VERSION = 2


def fingerprint(
    target: str,
    input_kinds: Mapping[str, ColumnKind | str],
    config: ImputerConfig,
    sequence: SequenceSpec | None = None,
) -> str:
    """What a stored model must match to be reused: target, inputs and kinds, config, version,
    and the sequence settings (order and group columns) when rows form sequences."""
    payload = {
        "target": target,
        "inputs": sorted((name, str(ColumnKind(kind))) for name, kind in input_kinds.items()),
        "config": config.fingerprint_dict(),
        "library": library_version(),
        "format": FORMAT_VERSION,
    }
    if sequence is not None:
        payload["sequence"] = {
            "order_by": sequence.order_by,
            "group_by": list(sequence.group_by),
            "gap_share": sequence.gap_share,
            "max_run": sequence.max_run,
        }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class HeldOutCells:
    """A unit's predictions of its held-out cells, made by the chosen candidate before it was
    refitted on every observed cell (so out of sample); ``rows``: their positions in the
    frame the unit was fitted on."""

    rows: np.ndarray
    prediction: ColumnPrediction


@dataclass
class ColumnModel:
    """Everything needed to fill one column, learnt from one table."""

    target: str
    kind: ColumnKind
    space: FeatureSpace
    chosen: str
    arrays: dict[str, np.ndarray]
    network: dict[str, torch.Tensor] | None
    calibration: Calibration
    holdout: Holdout
    fingerprint: str
    config: dict[str, Any]
    trained_at: str
    training_rows: int
    epochs: int
    device: str
    seconds: float
    warnings: list[str] = field(default_factory=list)
    sequence: SequenceSpec | None = None
    #: The chained (second-round) model, where it beat this one held-out: it reads the
    #: columns ``chained_fills`` filled by their first-round models (see ``chained`` in
    #: :class:`ImputerConfig`).
    chained: ColumnModel | None = None
    chained_fills: list[str] = field(default_factory=list)
    #: The table's shared network (its description, its tensors), where this column uses it
    #: (chosen, or in the blend): see :mod:`impute_assets.core.nets.shared`.
    shared: tuple[dict[str, Any], dict[str, torch.Tensor]] | None = None
    #: Its held-out predictions, out of sample, for comparing units fitted on the same split
    #: (the sequence/tabular choice); not saved.
    held_out: HeldOutCells | None = field(default=None, repr=False, compare=False)
    #: What candidates parse once and reuse while filling (see :meth:`cached`); not saved.
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def filling(self) -> ColumnModel:
        """The model whose predictions fill the column: the chained one, where it won."""
        return self.chained if self.chained is not None else self

    @property
    def inputs(self) -> list[str]:
        """The table columns this model reads (derived sequence context is built from them)."""
        return [c for c in raw_columns(self.space.columns) if c != self.target]

    @property
    def reads_context(self) -> bool:
        """Whether the model reads derived sequence context (a tabular model in an ordered
        table carries the table's ``sequence`` but reads only the table's columns)."""
        return any(is_context_column(c) for c in self.space.columns)

    @property
    def input_kinds(self) -> dict[str, ColumnKind]:
        return {c: self.space.encoders[c].kind for c in self.inputs}

    @property
    def importance(self) -> dict[str, float]:
        """Each input's permutation importance on the held-out split, largest first (see
        :mod:`impute_assets.core.explanations`); empty for models saved before it existed."""
        scores = self.holdout.importance or {}
        return dict(sorted(scores.items(), key=lambda item: -item[1]))

    @property
    def numeric(self) -> bool:
        return self.kind != ColumnKind.CATEGORICAL

    @property
    def position(self) -> int:
        return self.space.position(self.target)

    @property
    def encoder(self):
        return self.space.encoders[self.target]

    @property
    def classes(self) -> int:
        return len(self.encoder.values) if isinstance(self.encoder, CategoricalEncoder) else 1

    @cached_property
    def version(self) -> str:
        """A short content hash: equal versions fill equally."""
        digest = hashlib.sha256(json.dumps(self._manifest(), sort_keys=True, default=str).encode())
        tensors = self._tensors()
        for name in sorted(tensors):
            digest.update(name.encode())
            digest.update(tensors[name].float().numpy().tobytes())
        return digest.hexdigest()[:12]

    @property
    def candidate(self) -> Candidate:
        """The chosen candidate (see :mod:`impute_assets.core.candidates.registry`)."""
        return CANDIDATES[self.chosen]

    @property
    def uses_network(self) -> bool:
        """Whether filling needs its per-column network (chosen, or in the blend)."""
        return self.network is not None

    @property
    def uses_shared(self) -> bool:
        """Whether filling needs the table's shared network (alone, or in the blend)."""
        return self.shared is not None

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """``build()``, computed on first use (e.g. a parsed booster: filling runs chunk by
        chunk, and parsing cost more than predicting 400 rows)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def raw_outputs(
        self,
        design: Design,
        rows: np.ndarray,
        network_out: np.ndarray | None,
        shared_out: np.ndarray | None = None,
    ) -> np.ndarray:
        """The chosen candidate's raw outputs for ``rows`` (network outputs come batched)."""
        inputs = RawInputs(design, rows, self.position, network_out, shared_out)
        return self.candidate.raw(self, inputs)

    def candidate_raw(self, name: str, inputs: RawInputs) -> np.ndarray:
        """Candidate ``name``'s raw outputs (e.g. a member of the chosen blend)."""
        return CANDIDATES[name].raw(self, inputs)

    def predict(self, raw: np.ndarray) -> ColumnPrediction:
        """Decoded values and confidences from raw outputs."""
        return self.candidate.decode(self, raw)

    def _manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "target": self.target,
            "kind": self.kind.value,
            "space": self.space.to_state(),
            "chosen": self.chosen,
            "calibration": self.calibration.to_dict(),
            "holdout": self.holdout.to_dict(),
            "fingerprint": self.fingerprint,
            "config": self.config,
            "trained_at": self.trained_at,
            "training_rows": self.training_rows,
            "epochs": self.epochs,
            "device": self.device,
            "seconds": self.seconds,
            "warnings": self.warnings,
            "library": library_version(),
            "sequence": self.sequence.to_state() if self.sequence is not None else None,
            "chained": self.chained.version if self.chained is not None else None,
            "chained_fills": self.chained_fills,
            "shared": self.shared[0] if self.shared is not None else None,
        }

    def _tensors(self) -> dict[str, torch.Tensor]:
        tensors = {
            f"arrays.{k}": torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.arrays.items()
        }
        for name, value in (self.network or {}).items():
            tensors[f"network.{name}"] = value.detach().cpu().contiguous()
        for name, value in (self.shared[1] if self.shared is not None else {}).items():
            tensors[f"shared.{name}"] = value.detach().cpu().contiguous()
        return tensors

    def save(self, directory: str | Path, shared_dir: str | Path | None = None) -> Path:
        """Write the manifest, weights and their checksums into ``directory`` (created if needed).

        With ``shared_dir``, the shared network's tensors go to one file there, written only if
        absent or different (every unit of one save names the same file); without it they stay
        inline in this unit's weights.
        """
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        tensors = self._tensors()
        manifest = {**self._manifest(), "version": self.version}
        if shared_dir is not None and self.shared is not None:
            tensors = {k: v for k, v in tensors.items() if not k.startswith("shared.")}
            manifest["shared_sha256"] = _write_shared(Path(shared_dir), self.shared[1])
        manifest["tensors"] = tensor_shapes(tensors)
        (path / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
        save_file(tensors, str(path / WEIGHTS))
        write_checksums(path, [MANIFEST, WEIGHTS])
        if self.chained is not None:
            self.chained.save(path / CHAINED, shared_dir)
        return path

    @classmethod
    def load(
        cls,
        directory: str | Path,
        shared_dir: str | Path | None = None,
        shared_cache: dict[str, dict[str, torch.Tensor]] | None = None,
    ) -> ColumnModel:
        """Read a unit written by :meth:`save`; refuse one whose files changed since.

        ``shared_dir`` holds the shared network's file where the unit names one (default: the
        unit's parent folder); ``shared_cache`` (sha256 -> tensors) lets the units of one table
        read and verify that file once and share its tensors.

        Raises:
            UnitIntegrityError: naming the file whose hash or tensor shapes do not match, or the
                missing shared network file.
        """
        path = Path(directory)
        verify_checksums(path, [MANIFEST, WEIGHTS])
        manifest = json.loads((path / MANIFEST).read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise ValueError(
                f"{path}: model format {manifest.get('format')} is not {FORMAT_VERSION}"
                "; train the model again"
            )
        tensors = load_file(str(path / WEIGHTS))
        verify_shapes(path / WEIGHTS, tensors, manifest["tensors"])
        arrays = {
            k.split(".", 1)[1]: v.numpy() for k, v in tensors.items() if k.startswith("arrays.")
        }
        network = {k.split(".", 1)[1]: v for k, v in tensors.items() if k.startswith("network.")}
        shared = {k.split(".", 1)[1]: v for k, v in tensors.items() if k.startswith("shared.")}
        folder = Path(shared_dir) if shared_dir is not None else path.parent
        if manifest.get("shared_sha256"):
            shared = _read_shared(folder, manifest["shared_sha256"], shared_cache)
        return cls(
            target=manifest["target"],
            kind=ColumnKind(manifest["kind"]),
            space=FeatureSpace.from_state(manifest["space"]),
            chosen=manifest["chosen"],
            arrays=arrays,
            network=network or None,
            calibration=Calibration.from_dict(manifest["calibration"]),
            holdout=Holdout.from_dict(manifest["holdout"]),
            fingerprint=manifest["fingerprint"],
            config=manifest["config"],
            trained_at=manifest["trained_at"],
            training_rows=manifest["training_rows"],
            epochs=manifest["epochs"],
            device=manifest["device"],
            seconds=manifest["seconds"],
            warnings=manifest.get("warnings", []),
            sequence=SequenceSpec.from_state(manifest["sequence"])
            if manifest.get("sequence")
            else None,
            chained=_load_chained(path, manifest.get("chained"), folder, shared_cache),
            chained_fills=manifest.get("chained_fills", []),
            shared=(manifest["shared"], shared) if manifest.get("shared") else None,
        )


def shared_file(sha256: str) -> str:
    """The name of the shared network file whose bytes have this sha256."""
    return SHARED_FILE.format(sha256[:16])


def _write_shared(folder: Path, tensors: Mapping[str, torch.Tensor]) -> str:
    """Save a shared network's tensors to ``folder`` under their content's name (atomically,
    and only if no file there has that content already); returns the sha256."""
    data = save({k: v.detach().cpu().contiguous() for k, v in tensors.items()})
    digest = hashlib.sha256(data).hexdigest()
    target = folder / shared_file(digest)
    if not (target.exists() and sha256_of(target) == digest):
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{target.name}.{uuid.uuid4().hex[:12]}.tmp"
        temporary.write_bytes(data)
        os.replace(temporary, target)
    return digest


def _read_shared(
    folder: Path, digest: str, cache: dict[str, dict[str, torch.Tensor]] | None
) -> dict[str, torch.Tensor]:
    """The shared network's tensors from ``folder``, refused unless the file has ``digest``."""
    if cache is not None and digest in cache:
        return cache[digest]
    target = folder / shared_file(digest)
    if not target.is_file():
        raise UnitIntegrityError(
            target, "missing: the shared network this unit names; restore it or train again"
        )
    data = target.read_bytes()
    verify_digest(target, hashlib.sha256(data).hexdigest(), digest)
    tensors = load(data)
    if cache is not None:
        cache[digest] = tensors
    return tensors


def _load_chained(
    path: Path,
    version: str | None,
    shared_dir: Path,
    shared_cache: dict[str, dict[str, torch.Tensor]] | None,
) -> ColumnModel | None:
    """The chained model a manifest names (by version), refused when missing or different."""
    if version is None:
        return None
    if not (path / CHAINED / MANIFEST).exists():
        raise UnitIntegrityError(path / CHAINED, "the chained model the manifest names is missing")
    chained = ColumnModel.load(path / CHAINED, shared_dir, shared_cache)
    if chained.version != version:
        raise UnitIntegrityError(
            path / CHAINED / MANIFEST,
            f"chained model version {chained.version}, manifest names {version}",
        )
    return chained
