"""Per-column models on an fsspec filesystem: save, load, list versions, decide on reuse.

Layout under the root (``<t>``/``<c>`` are :func:`~impute_assets.core.names.store_key` of the table and column)::

    <t>/<c>/<saved-at>-<version>/entry.json    what the model is (read without loading torch)
    <t>/<c>/<saved-at>-<version>/profile.json  reference profile of its inputs at training time
    <t>/<c>/<saved-at>-<version>/model/...     the files written by ColumnModel.save
    <t>/_shared/shared-<sha256[:16]>.safetensors  a shared network, once for the table's units

A table's shared network (one per training run, used by many of its columns) is written once,
content-addressed, to the table's ``_shared`` folder (no store key is ``_shared``: every key
ends in ``-<hash>``), written or checked before each entry that names it (which records its sha256).
Shared files are never deleted: the store keeps every complete version (nothing prunes them),
and a file no entry names yet may belong to a save of another column still under way (its
entry is written last), so deleting it would damage that save. An interrupted training leaves
at most one such file (its one network), never one per column.

Every file is written atomically (temporary name, then rename) and ``entry.json`` last: a folder
without it is an interrupted save, never listed and swept by the next save of the column.
``entry.json`` records the sha256 of every other file of the version, its own folder name and a
seal over its own content, so a torn, edited or renamed version is skipped (with the file named)
instead of being loaded or reused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fsspec
import pandas as pd

from impute_assets.core.names import store_key
from impute_assets.store.atomic import put_file, sha256_of, write_bytes
from impute_assets.store.fitness import Fitness, PsiMemo, fitness
from impute_assets.store.reuse import ReuseDecision, ReusePolicy
from impute_assets.store.stored import StoredModel
from impute_assets.warehouse.url import mask_url

if TYPE_CHECKING:
    from impute_assets.core.fitting.column_model import ColumnModel
    from impute_assets.core.profile import TableProfile

_log = logging.getLogger(__name__)

#: Default root: a folder in the working directory.
DEFAULT_ROOT = ".impute_assets/models"
ENTRY_FILE = "entry.json"
PROFILE_FILE = "profile.json"
MODEL_DIR = "model"
#: A table's folder of shared networks (see the module docstring).
SHARED_DIR = "_shared"
#: Format of a version folder's name: the save time, then the model version.
STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
#: Interrupted saves younger than this are left alone by the sweep (another process may still be
#: writing them).
SWEEP_GRACE = timedelta(hours=1)


class DamagedVersion(ValueError):
    """A stored version whose files are torn, edited or moved; ``path`` names the file."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


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
        #: Shared networks already read and verified (sha256 -> tensors): loading many columns
        #: of a table reads their shared network once.
        self._shared: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"ModelStore({self.masked_root!r})"

    @property
    def masked_root(self) -> str:
        """The root with any password or secret in it replaced by ``***`` (safe for logs)."""
        return mask_url(self.root)

    def save(self, table: str, model: ColumnModel, profile: TableProfile) -> StoredModel:
        """Store ``model`` (the unit for ``table``.``model.target``) with its reference profile,
        under its fingerprint (the plan's: the one the pipeline's reuse decision compared).
        Interrupted saves of the column older than :data:`SWEEP_GRACE` are removed first.
        """
        self.sweep(table, model.target)
        saved_at = datetime.now(UTC)
        folder = f"{saved_at.strftime(STAMP_FORMAT)}-{model.version}"
        path = self._join(self._column_dir(table, model.target), folder)
        with tempfile.TemporaryDirectory(prefix="impute-model-") as local:
            model.save(Path(local, MODEL_DIR), shared_dir=Path(local, SHARED_DIR))
            local_fs = fsspec.filesystem("file")
            Path(local, PROFILE_FILE).write_text(json.dumps(profile.to_dict()))
            shared = {}
            for file in sorted(Path(local, SHARED_DIR).glob("*")):
                shared[file.name] = sha256_of(local_fs, str(file))
                target = self._join(self._shared_dir(table), file.name)
                if not (self.fs.exists(target) and sha256_of(self.fs, target) == shared[file.name]):
                    put_file(self.fs, str(file), target)
            files = {}
            for file in sorted(Path(local).rglob("*")):
                if file.is_file() and file.parent.name != SHARED_DIR:
                    relative = "/".join(file.relative_to(local).parts)
                    files[relative] = sha256_of(local_fs, str(file))
                    put_file(self.fs, str(file), self._join(path, relative))
        entry = _sealed(
            {
                "table": table,
                "column": model.target,
                "version": model.version,
                "fingerprint": model.fingerprint,
                "trained_at": model.trained_at,
                "saved_at": saved_at.isoformat(),
                "folder": folder,
                "files": files,
                "shared": shared,
                "info": {
                    "kind": str(model.kind),
                    "inputs": list(model.inputs),
                    "input_kinds": {k: str(v) for k, v in model.input_kinds.items()},
                    "chosen": model.chosen,
                    "training_rows": int(model.training_rows),
                    "epochs": int(model.epochs),
                    "device": model.device,
                    "seconds": float(model.seconds),
                    "holdout": model.holdout.to_dict(),
                },
            }
        )
        # entry.json last: a version without it is an interrupted save and is never listed.
        write_bytes(self.fs, self._join(path, ENTRY_FILE), json.dumps(entry, indent=1).encode())
        return _stored(entry, path)

    def versions(self, table: str, column: str) -> list[StoredModel]:
        """Every saved version of a column's model whose ``entry.json`` is whole and sealed,
        oldest first (a torn, edited or moved one is skipped with a warning naming it)."""
        return [v for v in self._scan(table, column) if isinstance(v, StoredModel)]

    def latest(self, table: str, column: str) -> StoredModel | None:
        """The most recently saved version whose files all match their checksums, or None.

        Damaged newer versions are skipped with a warning naming the file at fault.
        """
        return self.newest_sound(table, column)[0]

    def newest_sound(
        self, table: str, column: str
    ) -> tuple[StoredModel | None, list[DamagedVersion]]:
        """The newest version that passes :meth:`verify`, and the damaged ones newer than it."""
        damaged = []
        for found in reversed(self._scan(table, column)):
            version = found
            if isinstance(found, StoredModel):
                try:
                    self.verify(found)
                    return found, damaged
                except DamagedVersion as exc:
                    version = exc
            _log.warning(f"model store: skipped {version}")
            damaged.append(version)
        return None, damaged

    def verify(self, stored: StoredModel) -> None:
        """Refuse a version unless every file recorded in its entry has its recorded sha256.

        Raises:
            DamagedVersion: naming the missing or changed file.
        """
        where = [(self._join(stored.path, r), sha) for r, sha in sorted(stored.files.items())]
        shared = self._shared_dir(stored.table)
        where += [(self._join(shared, name), sha) for name, sha in sorted(stored.shared.items())]
        for path, expected in where:
            if not self.fs.exists(path):
                raise DamagedVersion(
                    self._shown(path),
                    f"missing (model of {stored.table}."
                    f"{stored.column} version {stored.version}); train it again",
                )
            actual = sha256_of(self.fs, path)
            if actual != expected:
                raise DamagedVersion(
                    self._shown(path),
                    f"content changed since it was saved (sha256 {actual[:12]}, recorded "
                    f"{expected[:12]}; model of {stored.table}.{stored.column} version "
                    f"{stored.version}); restore the file or train the model again",
                )

    def sweep(
        self,
        table: str,
        column: str,
        older_than: timedelta = SWEEP_GRACE,
        now: datetime | None = None,
    ) -> list[str]:
        """Remove the column's interrupted saves (version folders without ``entry.json``) saved
        more than ``older_than`` ago; returns the removed folders."""
        folder = self._column_dir(table, column)
        if not self.fs.exists(folder):
            return []
        cutoff = (now or datetime.now(UTC)) - older_than
        removed = []
        for child in sorted(self.fs.ls(folder, detail=False)):
            saved = _stamp_of(posixpath.basename(child.rstrip("/")))
            if saved is None or saved > cutoff or self.fs.exists(self._join(child, ENTRY_FILE)):
                continue
            self.fs.rm(child, recursive=True)
            _log.info(f"model store: removed interrupted save {self._shown(child)}")
            removed.append(child)
        return removed

    def load(self, table: str, column: str, version: str | None = None) -> ColumnModel:
        """Load a column model (the latest sound one, or the given version).

        Raises:
            DamagedVersion: the version's entry or profile was changed, torn or moved.
            UnitIntegrityError: a file of the unit was changed since it was saved; the error
                names the file in the store.
        """
        from impute_assets.core.fitting.column_model import ColumnModel
        from impute_assets.core.integrity import UnitIntegrityError

        stored = self._find(table, column, version)
        with tempfile.TemporaryDirectory(prefix="impute-model-") as local:
            prefix = self._join(stored.path, MODEL_DIR)
            for remote in self.fs.find(prefix):
                relative = remote[len(prefix) :].lstrip("/")
                destination = os.path.join(local, MODEL_DIR, *relative.split("/"))
                os.makedirs(os.path.dirname(destination), exist_ok=True)
                self.fs.get_file(remote, destination)
            os.makedirs(os.path.join(local, SHARED_DIR))
            for name, digest in stored.shared.items():
                if digest not in self._shared:
                    remote = self._join(self._shared_dir(table), name)
                    self.fs.get_file(remote, os.path.join(local, SHARED_DIR, name))
            try:
                return ColumnModel.load(
                    Path(local, MODEL_DIR), Path(local, SHARED_DIR), self._shared
                )
            except UnitIntegrityError as exc:
                first, *inside = Path(exc.path).relative_to(local).parts
                remote = self._shared_dir(table) if first == SHARED_DIR else prefix
                raise UnitIntegrityError(
                    self._shown(self._join(remote, *inside)),
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

        ``current`` holds today's values of the model's inputs and target (the rows about to be
        filled, or a sample of the table); the stored model must still fit them (see
        :func:`~impute_assets.store.fitness.fitness`). A damaged newest version is never reused.
        """
        if policy.mode == "never":
            return ReuseDecision(False, "policy 'never' retrains every run")
        stored, damaged = self.newest_sound(table, column)
        if damaged:
            return ReuseDecision(
                False, f"newest stored version is damaged ({damaged[0]}); training again"
            )
        if stored is None:
            return ReuseDecision(False, "no stored model")
        if stored.fingerprint != fingerprint:
            return ReuseDecision(
                False,
                f"fingerprint changed ({stored.fingerprint[:12]} -> {fingerprint[:12]}): inputs, "
                "their kinds, the model config or the library version differ",
                version=stored.version,
            )
        age = stored.age_days(now)
        if (
            policy.mode != "always"
            and policy.max_age_days is not None
            and age > policy.max_age_days
        ):
            return ReuseDecision(
                False,
                f"model is {age:.1f} days old (max_age_days={policy.max_age_days:g})",
                version=stored.version,
            )
        fit = self.fitness(stored, current, policy)
        if not fit.fits:
            return ReuseDecision(
                False, "; ".join(fit.problems), version=stored.version, drift=fit.drift
            )
        if policy.mode == "always":
            return ReuseDecision(
                True, "fingerprint matches (policy 'always')", version=stored.version
            )
        worst = max(fit.drift.values(), default=0.0)
        return ReuseDecision(
            True,
            f"fingerprint matches, {age:.1f} days old, max input PSI {worst:.3f}"
            f" <= {policy.max_drift:g}, target within its training vocabulary and range",
            version=stored.version,
            drift=fit.drift,
        )

    def fitness(
        self,
        stored: StoredModel,
        current: pd.DataFrame,
        policy: ReusePolicy,
        input_drift: bool = True,
        measured: PsiMemo | None = None,
    ) -> Fitness:
        """Whether ``stored`` still fits ``current`` (see :func:`~.fitness.fitness`; pass one
        ``measured`` dict to every call on the same ``current``)."""
        profile = self.load_profile(stored.table, stored.column, stored.version)
        return fitness(stored, profile, current, policy, input_drift, measured)

    def _find(self, table: str, column: str, version: str | None) -> StoredModel:
        if version is None:
            stored, damaged = self.newest_sound(table, column)
            if stored is not None:
                return stored
            if damaged:
                raise damaged[0]
            raise KeyError(
                f"no stored model for {table}.{column} (any version) in {self.masked_root}"
            )
        versions = [v for v in self.versions(table, column) if v.version == version]
        if not versions:
            raise KeyError(
                f"no stored model for {table}.{column} (version {version!r}) in {self.masked_root}"
            )
        self.verify(versions[-1])
        return versions[-1]

    def _scan(self, table: str, column: str) -> list[StoredModel | DamagedVersion]:
        """The column's saved versions, oldest first: each one whose entry is whole, sealed and
        in its own folder, or why it is not."""
        folder = self._column_dir(table, column)
        if not self.fs.exists(folder):
            return []
        found: list[StoredModel | DamagedVersion] = []
        for child in sorted(c.rstrip("/") for c in self.fs.ls(folder, detail=False)):
            entry_path = self._join(child, ENTRY_FILE)
            if not self.fs.exists(entry_path):
                continue  # an interrupted save
            try:
                found.append(_stored(_read_entry(self.fs.cat_file(entry_path), child), child))
            except ValueError as exc:
                found.append(DamagedVersion(self._shown(entry_path), str(exc)))
        return found

    def _shown(self, path: str) -> str:
        """A path inside the store as the user addressed it (root masked), for messages."""
        return self._join(self.masked_root, path[len(self._base) :].lstrip("/"))

    def _shared_dir(self, table: str) -> str:
        return self._join(self._base, store_key(table), SHARED_DIR)

    def _column_dir(self, table: str, column: str) -> str:
        return self._join(self._base, store_key(table), store_key(column))

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
        files=dict(entry.get("files", {})),
        shared=dict(entry.get("shared", {})),
    )


def _read_entry(data: bytes, folder: str) -> dict[str, Any]:
    """A version's entry, refused (``ValueError`` saying why) unless whole, sealed and in the
    folder it was saved in (a renamed old folder would otherwise pass for a newer version)."""
    try:
        entry = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"torn or unreadable ({exc}); train the column again") from None
    if not isinstance(entry, dict) or "seal" not in entry:
        raise ValueError(
            "has no seal (saved by an older impute_assets or edited); train the column again"
        )
    if entry["seal"] != _seal(entry):
        raise ValueError(
            "content changed since it was saved (seal does not match); restore "
            "it or train the column again"
        )
    if entry.get("folder") != posixpath.basename(folder):
        raise ValueError(
            f"was saved in folder {entry.get('folder')!r}, not in "
            f"{posixpath.basename(folder)!r} (a moved version); train the column again"
        )
    return entry


def _seal(entry: dict[str, Any]) -> str:
    """sha256 of the entry's content (without its seal), in a canonical JSON form."""
    body = {k: v for k, v in entry.items() if k != "seal"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _sealed(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "seal": _seal(entry)}


def _stamp_of(folder: str) -> datetime | None:
    """When a version folder was saved, from its name (None: not a version folder)."""
    try:
        return datetime.strptime(folder.split("-", 1)[0], STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
