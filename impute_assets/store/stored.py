"""One saved version of a column's model, as the store's index describes it (a module of its
own: the store and the fitness check both read it, and neither imports the other for it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


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
    #: sha256 of each file of the version (relative path -> hex digest), entry.json excepted.
    files: dict[str, str] = field(default_factory=dict)
    #: sha256 of each shared network file it uses (name in the table's ``_shared`` folder).
    shared: dict[str, str] = field(default_factory=dict)

    def age_days(self, now: datetime | None = None) -> float:
        """Days since the model was trained."""
        trained = datetime.fromisoformat(self.trained_at)
        if trained.tzinfo is None:
            trained = trained.replace(tzinfo=UTC)
        return ((now or datetime.now(UTC)) - trained).total_seconds() / 86400
