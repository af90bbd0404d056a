"""Per-column models on an fsspec filesystem: save, load, list versions, decide on reuse.

Layout under the root (``<t>``/``<c>`` are :func:`name_key` of the table and column)::

    <t>/<c>/<saved-at>-<version>/entry.json    what the model is (read without loading torch)
    <t>/<c>/<saved-at>-<version>/profile.json  reference profile of its inputs at training time
    <t>/<c>/<saved-at>-<version>/model/...     the files written by ColumnModel.save
"""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fsspec
import pandas as pd

from impute_assets.store.keys import name_key
from impute_assets.store.reuse import ReuseDecision, ReusePolicy

if TYPE_CHECKING:
    from impute_assets.core.column_model import ColumnModel
    from impute_assets.core.profile import TableProfile

#: Default root: a folder in the working directory.
DEFAULT_ROOT = ".impute_assets/models"
ENTRY_FILE = "entry.json"
PROFILE_FILE = "profile.json"
MODEL_DIR = "model"


@dataclass(frozen=True)
class StoredModel:
    """One saved version of a column's model, as described by its ``entry.json``."""

    table: str
    column: str
    version: str
    fingerprint: str
    trained_at: str
    saved_at: str
    path: str
    info: dict[str, Any] = field(default_factory=dict)

    def age_days(self, now: datetime | None = None) -> float:
        """Days since the model was trained."""
        trained = datetime.fromisoformat(self.trained_at)
        if trained.tzinfo is None:
            trained = trained.replace(tzinfo=UTC)
        return ((now or datetime.now(UTC)) - trained).total_seconds() / 86400


class ModelStore:
    """Column models keyed by table and column, on a local folder or any fsspec URL.

    Example:
        >>> from impute_assets import Imputer
        >>> from impute_assets.core.profile import TableProfile
        >>> imputer = Imputer(columns=["y"], epochs=2).fit(frame)
        >>> model = imputer.column_models_["y"]
        >>> store = ModelStore("memory://models")  # or a folder, s3://bucket/models, ...
        >>> stored = store.save("readings", model, TableProfile.from_frame(frame, imputer.kinds_))
        >>> store.decide("readings", "y", model.fingerprint, frame, ReusePolicy()).reuse
        True
    """

    def __init__(self, root: str = DEFAULT_ROOT, **storage_options: Any) -> None:
        self.root = root
        self.fs, self._base = fsspec.core.url_to_fs(root, **storage_options)

    def __repr__(self) -> str:
        return f"ModelStore({self.root!r})"

    def save(
        self, table: str, model: ColumnModel, profile: TableProfile, fingerprint: str | None = None
    ) -> StoredModel:
        """Store ``model`` (the unit for ``table``.``model.target``) with its reference profile.

        ``fingerprint`` overrides the model's own: use it to store under the fingerprint the reuse
        decision was made on, so the next decision compares like with like.
        """
        saved_at = datetime.now(UTC)
        entry = {
            "table": table,
            "column": model.target,
            "version": model.version,
            "fingerprint": fingerprint or model.fingerprint,
            "trained_at": model.trained_at,
            "saved_at": saved_at.isoformat(),
            "info": {
                "kind": str(model.kind),
                "inputs": list(model.inputs),
                "input_kinds": {k: str(v) for k, v in model.input_kinds.items()},
                "chosen": model.chosen,
                "training_rows": int(model.training_rows),
                "epochs": int(model.epochs),
                "device": model.device,
                "seconds": float(model.seconds),
                "holdout": dict(model.holdout),
            },
        }
        path = self._join(
            self._column_dir(table, model.target),
            f"{saved_at.strftime('%Y%m%dT%H%M%S%fZ')}-{model.version}",
        )
        with tempfile.TemporaryDirectory(prefix="impute-model-") as local:
            model.save(local)
            for file in sorted(Path(local).rglob("*")):
                if file.is_file():
                    target = self._join(path, MODEL_DIR, *file.relative_to(local).parts)
                    self.fs.makedirs(posixpath.dirname(target), exist_ok=True)
                    self.fs.put_file(str(file), target)
        self.fs.pipe_file(self._join(path, PROFILE_FILE), json.dumps(profile.to_dict()).encode())
        # entry.json last: a version without it is an interrupted save and is never listed.
        self.fs.pipe_file(self._join(path, ENTRY_FILE), json.dumps(entry, indent=1).encode())
        return _stored(entry, path)

    def versions(self, table: str, column: str) -> list[StoredModel]:
        """Every complete saved version of a column's model, oldest first."""
        folder = self._column_dir(table, column)
        if not self.fs.exists(folder):
            return []
        stored = []
        for child in sorted(self.fs.ls(folder, detail=False)):
            entry_path = self._join(child, ENTRY_FILE)
            if self.fs.exists(entry_path):
                stored.append(_stored(json.loads(self.fs.cat_file(entry_path)), child))
        return stored

    def latest(self, table: str, column: str) -> StoredModel | None:
        """The most recently saved version, or None."""
        versions = self.versions(table, column)
        return versions[-1] if versions else None

    def load(self, table: str, column: str, version: str | None = None) -> ColumnModel:
        """Load a column model (the latest, or the given version).

        Raises:
            UnitIntegrityError: a file of the unit was changed since it was saved; the error
                names the file in the store.
        """
        from impute_assets.core.column_model import ColumnModel
        from impute_assets.core.integrity import UnitIntegrityError

        stored = self._find(table, column, version)
        with tempfile.TemporaryDirectory(prefix="impute-model-") as local:
            prefix = self._join(stored.path, MODEL_DIR)
            for remote in self.fs.find(prefix):
                relative = remote[len(prefix) :].lstrip("/")
                destination = os.path.join(local, *relative.split("/"))
                os.makedirs(os.path.dirname(destination), exist_ok=True)
                self.fs.get_file(remote, destination)
            try:
                return ColumnModel.load(local)
            except UnitIntegrityError as exc:
                inside = Path(exc.path).relative_to(local).parts
                raise UnitIntegrityError(
                    self._join(self.root, prefix[len(self._base) :].lstrip("/"), *inside),
                    f"model of {table}.{column} version {stored.version}: {exc.reason}",
                ) from None

    def load_profile(self, table: str, column: str, version: str | None = None) -> TableProfile:
        """The reference profile stored with a model version."""
        from impute_assets.core.profile import TableProfile

        stored = self._find(table, column, version)
        return TableProfile.from_dict(
            json.loads(self.fs.cat_file(self._join(stored.path, PROFILE_FILE)))
        )

    def decide(
        self,
        table: str,
        column: str,
        fingerprint: str,
        current: pd.DataFrame,
        policy: ReusePolicy,
        now: datetime | None = None,
    ) -> ReuseDecision:
        """Reuse the latest stored model for ``table``.``column``, or train a new one?

        ``current`` holds today's values of the model's inputs (the rows about to be filled, or a
        sample of the table); it is compared with the stored training profile for drift.
        """
        if policy.mode == "never":
            return ReuseDecision(False, "policy 'never' retrains every run")
        stored = self.latest(table, column)
        if stored is None:
            return ReuseDecision(False, "no stored model")
        if stored.fingerprint != fingerprint:
            return ReuseDecision(
                False,
                f"fingerprint changed ({stored.fingerprint[:12]} -> {fingerprint[:12]}): inputs, "
                "their kinds, the model config or the library version differ",
                version=stored.version,
            )
        if policy.mode == "always":
            return ReuseDecision(
                True, "fingerprint matches (policy 'always')", version=stored.version
            )
        age = stored.age_days(now)
        if policy.max_age_days is not None and age > policy.max_age_days:
            return ReuseDecision(
                False,
                f"model is {age:.1f} days old (max_age_days={policy.max_age_days:g})",
                version=stored.version,
            )
        drift = self._drift(stored, current)
        worst = max(drift.items(), key=lambda item: item[1], default=(None, 0.0))
        if worst[0] is not None and worst[1] > policy.max_drift:
            return ReuseDecision(
                False,
                f"input {worst[0]!r} drifted: PSI {worst[1]:.3f} > max_drift {policy.max_drift:g}",
                version=stored.version,
                drift=drift,
            )
        return ReuseDecision(
            True,
            f"fingerprint matches, {age:.1f} days old, max input PSI {worst[1]:.3f}"
            f" <= {policy.max_drift:g}",
            version=stored.version,
            drift=drift,
        )

    def _drift(self, stored: StoredModel, current: pd.DataFrame) -> dict[str, float]:
        from impute_assets.core.profile import psi

        profile = self.load_profile(stored.table, stored.column, stored.version)
        inputs = stored.info.get("inputs", [])
        return {
            name: float(psi(profile.columns[name], current[name]))
            for name in inputs
            if name in current.columns and name in profile.columns
        }

    def _find(self, table: str, column: str, version: str | None) -> StoredModel:
        versions = self.versions(table, column)
        if version is not None:
            versions = [v for v in versions if v.version == version]
        if not versions:
            wanted = f"version {version!r}" if version else "any version"
            raise KeyError(f"no stored model for {table}.{column} ({wanted}) in {self.root}")
        return versions[-1]

    def _column_dir(self, table: str, column: str) -> str:
        return self._join(self._base, name_key(table), name_key(column))

    @staticmethod
    def _join(*parts: str) -> str:
        return "/".join(p.rstrip("/") for p in parts)


def _stored(entry: dict[str, Any], path: str) -> StoredModel:
    return StoredModel(
        table=entry["table"],
        column=entry["column"],
        version=entry["version"],
        fingerprint=entry["fingerprint"],
        trained_at=entry["trained_at"],
        saved_at=entry["saved_at"],
        path=path,
        info=entry.get("info", {}),
    )
