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

from impute_assets.dagster.factory import build_imputation_defs
from impute_assets.pipeline.config_file import load_tables_file, parse_tables, relative_store


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
            model_store=relative_store(self.model_store, context.path),
        )


def load_imputation_yaml(path: str | Path) -> dg.Definitions:
    """Definitions from an ``impute.yaml`` with ``tables:`` (and optional ``defaults:``,
    ``model_store:``); a relative ``model_store`` is taken from the file's folder."""
    parsed = load_tables_file(path)
    return build_imputation_defs(parsed.tables, model_store=parsed.model_store)
