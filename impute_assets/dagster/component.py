"""The YAML face: ``ImputeTablesComponent`` for ``defs.yaml``, and ``load_imputation_yaml``.

Both call :func:`build_imputation_defs`, so YAML and Python give the same assets.

``defs.yaml``::

    type: impute_assets.dagster.ImputeTablesComponent
    attributes:
      model_store: .impute_assets/models
      tables:
        - table: weather
          key: [origin, time_hour]
          columns: [temp, humid, pressure]
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from impute_assets.dagster.factory import build_imputation_defs
from impute_assets.pipeline.spec import SpecError, TableSpec


@dataclass
class ImputeTablesComponent(dg.Component, dg.Resolvable):
    """Keep warehouse tables complete: one entry per table (see ``TableSpec`` for the keys)."""

    tables: list[dict[str, Any]]
    model_store: str | None = None
    defaults: dict[str, Any] = field(default_factory=dict)

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """The same Definitions as ``build_imputation_defs`` on the parsed tables."""
        return build_imputation_defs(
            parse_tables(self.tables, self.defaults, where=str(context.path)),
            model_store=_relative(self.model_store, context.path),
        )


def load_imputation_yaml(path: str | Path) -> dg.Definitions:
    """Definitions from an ``impute.yaml`` with ``tables:`` (and optional ``defaults:``,
    ``model_store:``); a relative ``model_store`` is taken from the file's folder."""
    path = Path(path)
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
        raise SpecError(f"{path}: expected a mapping with a 'tables' list")
    unknown = sorted(set(data) - {"tables", "defaults", "model_store"})
    if unknown:
        raise SpecError(f"{path}: unknown keys {unknown}; use tables, defaults, model_store")
    return build_imputation_defs(
        parse_tables(data["tables"], data.get("defaults") or {}, where=str(path)),
        model_store=_relative(data.get("model_store"), path.parent),
    )


def parse_tables(
    tables: list[dict[str, Any]], defaults: dict[str, Any], where: str
) -> list[TableSpec]:
    """Validate table entries (each merged over ``defaults``); errors name the file and table."""
    specs = []
    for entry in tables:
        try:
            specs.append(TableSpec.parse({**defaults, **entry}))
        except SpecError as exc:
            raise SpecError(f"{where}: {exc}") from None
    return specs


def _relative(root: str | None, base: Path) -> str | None:
    if root is None or "://" in root or Path(root).is_absolute():
        return root
    return str(Path(base) / root)
