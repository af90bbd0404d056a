"""The YAML face: ``ImputeTablesComponent`` for ``defs.yaml``, and ``load_imputation_yaml``.

Both call :func:`build_imputation_defs`, so YAML and Python give the same assets.

The component is *state-backed* (Dagster's ``StateBackedComponent``, like dagster-dbt's and
the BI integrations'): the columns of tables that list no ``columns`` are found in the
warehouse by ``dg utils refresh-defs-state`` (and by ``dagster dev`` on start), kept as the
component's state, and read back when the code location loads. Loading never opens the
warehouse; a table whose discovery failed loads too, and only its own runs fail, saying why.

``defs.yaml``::

    type: impute_assets.dagster.ImputeTablesComponent
    attributes:
      model_store: .impute_assets/models
      defaults: {model: {epochs: 15}}
      tables:
        - table: weather
          key: [origin, time_hour]
          columns: [temp, humid, pressure]
          translation:
            group_name: imputation
            key_prefix: [warehouse]
        - table: flights          # no columns: discovered by refresh-defs-state
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
from dagster.components import DefsStateConfig, DefsStateConfigArgs, ResolvedDefsStateConfig
from dagster.components.utils.translation import TranslationFn, TranslationFnResolver
from pydantic import BaseModel, Field

from impute_assets.dagster.factory import build_imputation_defs
from impute_assets.dagster.translator import (
    ImputationAssetData,
    ImputationTranslator,
    dagster_name,
)
from impute_assets.pipeline.config_file import load_tables_file, relative_store
from impute_assets.pipeline.discovery import Discovery, discover, table_id
from impute_assets.pipeline.spec import TableSpec

_log = logging.getLogger(__name__)

#: ``translation`` templates see the asset's role (source, model, imputed), table and column.
_TRANSLATION = TranslationFnResolver[ImputationAssetData](
    lambda data: {"data": data, "role": data.role, "table": data.spec.table, "column": data.column}
)


class ImputeTableModel(TableSpec):
    """One entry of ``tables:`` in YAML: every ``TableSpec`` key, plus ``translation``."""

    translation: str | dg.AssetAttributesModel | None = Field(
        None,
        description="asset attributes for this table's assets (key, key_prefix, group_name, "
        "tags, ...); templates see {{ role }}, {{ table }}, {{ column }} and {{ spec }}",
    )


@dataclass(frozen=True)
class ImputeTable(dg.Resolvable):
    """A table of the component: its spec and an optional per-table ``translation``."""

    spec: TableSpec
    translation: TranslationFn[ImputationAssetData] | None = None

    @classmethod
    def model(cls) -> type[BaseModel]:
        """The YAML schema is flat: TableSpec's keys next to ``translation``."""
        return ImputeTableModel

    @classmethod
    def resolve_from_model(cls, context: dg.ResolutionContext, model: BaseModel) -> "ImputeTable":
        """Templates resolved, then the entry validated as a TableSpec (errors name the key)."""
        written = model.model_dump(exclude_unset=True, by_alias=True, exclude={"translation"})
        translation = getattr(model, "translation", None)
        return cls(
            spec=TableSpec.parse(context.resolve_value(written)),
            translation=None
            if translation is None
            else _TRANSLATION.execute(context=context, model=model, field_name="translation"),
        )


@dataclass
class ImputeTablesComponent(dg.StateBackedComponent, dg.Resolvable):
    """Keep warehouse tables complete: one entry per table (see ``TableSpec`` for the keys)."""

    tables: Sequence[ImputeTable]
    model_store: str | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    defs_state: ResolvedDefsStateConfig = field(
        default_factory=DefsStateConfigArgs.local_filesystem
    )

    @property
    def specs(self) -> list[TableSpec]:
        """Each table's spec over ``defaults`` (keys a table writes win); errors name it."""
        return [with_defaults(t.spec, self.defaults) for t in self.tables]

    @property
    def defs_state_config(self) -> DefsStateConfig:
        """State key: one per component (its ``name``, else its first table)."""
        first = self.tables[0].spec if self.tables else None
        label = self.name or (
            ".".join(filter(None, [first.db_schema, first.table])) if first else ""
        )
        # A Dagster name: dg turns the key into a folder name, lossily (``a/b`` as ``a b``).
        return DefsStateConfig.from_args(
            self.defs_state, default_key=f"ImputeTables[{dagster_name(label) if label else ''}]"
        )

    def write_state_to_path(self, state_path: Path) -> None:
        """Discover the incomplete columns of tables without ``columns`` (errors recorded).

        The state is written even when some tables failed (the others' columns are kept), so
        ``dg utils refresh-defs-state`` marks the component done: each failure is logged as an
        error line of its own, naming the table and the cause."""
        specs = self.specs
        found = discover(specs)
        state_path.write_text(found.model_dump_json(indent=2))
        failed = {
            spec.store_name: found.tables[table_id(spec)].error
            for spec in specs
            if spec.columns is None and found.tables[table_id(spec)].error
        }
        for table, error in failed.items():
            _log.error(
                f"{self.defs_state_config.key}: discovery FAILED for table {table!r}: "
                f"{error}; its runs fail until this is fixed and the state refreshed"
            )
        if failed:
            _log.error(
                f"{self.defs_state_config.key}: {len(failed)} of {len(found.tables)} "
                "discovered tables failed (see above)"
            )

    def build_defs_from_state(
        self, context: dg.ComponentLoadContext, state_path: Path | None
    ) -> dg.Definitions:
        """The Definitions of ``build_imputation_defs``, with the discovered columns."""
        discovery = (
            Discovery.model_validate_json(state_path.read_text()) if state_path else Discovery()
        )
        return build_imputation_defs(
            self.specs,
            translator=_TableTranslations(self.tables),
            model_store=relative_store(self.model_store, context.path),
            discovery=discovery,
            name=self.name,
            origin=str(_declared_in(context.path)),
        )


class _TableTranslations(ImputationTranslator):
    """The default translator, then each table's own ``translation`` (like dagster-dlt's)."""

    def __init__(self, tables: Sequence[ImputeTable]) -> None:
        self._by_table: dict[tuple[str | None, str], TranslationFn | None] = {}
        for t in tables:  # a table listed twice keeps its first entry's translation
            self._by_table.setdefault((t.spec.db_schema, t.spec.table), t.translation)

    def get_asset_spec(self, data: ImputationAssetData) -> dg.AssetSpec:
        base = super().get_asset_spec(data)
        translation = self._by_table.get((data.spec.db_schema, data.spec.table))
        return base if translation is None else translation(base, data)


def _declared_in(folder: Path) -> Path:
    """The file a component's tables are declared in (its ``defs.yaml``), else its folder."""
    yaml = folder / "defs.yaml"
    return yaml if yaml.is_file() else folder


def with_defaults(spec: TableSpec, defaults: Mapping[str, Any]) -> TableSpec:
    """``spec`` over ``defaults``: the keys the table was given win."""
    if not defaults:
        return spec
    written = spec.model_dump(include=spec.model_fields_set, by_alias=True)
    return TableSpec.parse({**defaults, **written})


def load_imputation_yaml(path: str | Path, discovery: Discovery | None = None) -> dg.Definitions:
    """Definitions from an ``impute.yaml`` with ``tables:`` (and optional ``defaults:``,
    ``model_store:``); a relative ``model_store`` is taken from the file's folder. Tables
    without ``columns`` take them from ``discovery`` (``impute_assets.pipeline.discovery.
    discover``), never from the warehouse at load."""
    parsed = load_tables_file(path)
    return build_imputation_defs(
        parsed.tables, model_store=parsed.model_store, discovery=discovery, origin=str(path)
    )
