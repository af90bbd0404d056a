"""Reading an ``impute.yaml``: ``tables:`` (each merged over ``defaults:``) and ``model_store:``.

Everything is checked when the file is read, and every error names the file, the table and the
key: YAML syntax errors (with line and column), duplicate keys, a table that is not a mapping,
and every value ``TableSpec`` refuses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from impute_assets.pipeline.spec import SpecError, TableSpec

#: The top-level keys of an ``impute.yaml``.
FILE_KEYS = ("tables", "defaults", "model_store")


@dataclass(frozen=True)
class TablesFile:
    """A parsed ``impute.yaml``: its tables and model store (relative paths made absolute)."""

    path: Path
    tables: tuple[TableSpec, ...]
    model_store: str | None
    #: The line each of ``tables`` starts on (empty when unknown).
    lines: tuple[int, ...] = ()

    def check_unique(self) -> None:
        """Refuse a table declared twice, or two tables filling one output table (a run would
        fill it twice, the second publish replacing the first), naming both entries' lines."""
        seen: dict[tuple[str, str], int] = {}
        for index, spec in enumerate(self.tables):
            for what, name in (("table", spec.store_name), ("output_table", spec.output_name)):
                first = seen.setdefault((what, f"{spec.db_schema}.{name}"), index)
                if first != index:
                    raise SpecError(
                        f"{self._at(index)}: {what} {name!r} is declared again "
                        f"(first by tables[{first}], {self._at(first)}); one entry "
                        "per table, one table per output"
                    )

    def _at(self, index: int) -> str:
        return f"{self.path}:{self.lines[index]}" if index < len(self.lines) else str(self.path)

    def table(self, name: str) -> TableSpec:
        """The table called ``name`` (``schema.table`` also matches), naming the file if none."""
        for spec in self.tables:
            if name in (spec.table, spec.store_name):
                return spec
        known = [s.store_name for s in self.tables]
        raise SpecError(f"{self.path}: no table {name!r}; the file declares {known}")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (YAML keeps the last)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def read_yaml(path: str | Path) -> Any:
    """The YAML document at ``path``; syntax errors and duplicate keys name the file and line."""
    path = Path(path)
    try:
        return yaml.load(path.read_text(), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: {exc}") from None


def load_tables_file(path: str | Path) -> TablesFile:
    """Parse and validate an ``impute.yaml``; a relative ``model_store`` is taken from the
    file's folder."""
    path = Path(path)
    data = read_yaml(path) or {}
    if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
        raise SpecError(f"{path}: expected a mapping with a 'tables' list")
    unknown = sorted(set(data) - set(FILE_KEYS))
    if unknown:
        raise SpecError(f"{path}: unknown keys {unknown}; use {', '.join(FILE_KEYS)}")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise SpecError(f"{path}: 'defaults' must be a mapping, got {type(defaults).__name__}")
    store = data.get("model_store")
    lines = _entry_lines(path)
    return TablesFile(
        path=path,
        tables=tuple(parse_tables(data["tables"], defaults, where=str(path), lines=lines)),
        model_store=relative_store(store, path.parent),
        lines=tuple(lines),
    )


def parse_tables(
    tables: Sequence[Any],
    defaults: Mapping[str, Any],
    where: str,
    lines: Sequence[int] = (),
) -> list[TableSpec]:
    """Validate table entries (each merged over ``defaults``); errors name the file, the
    entry's line (``lines[i]``: where ``tables[i]`` starts, when known) and the table."""
    specs = []
    for index, entry in enumerate(tables):
        at = f"{where}:{lines[index]}" if index < len(lines) else where
        if not isinstance(entry, Mapping):
            raise SpecError(
                f"{at}: tables[{index}] must be a mapping with a 'table' key, got "
                f"{type(entry).__name__} {entry!r}"
            )
        try:
            specs.append(TableSpec.parse({**defaults, **entry}))
        except SpecError as exc:
            raise SpecError(f"{at}: {exc}") from None
    return specs


def _entry_lines(path: Path) -> list[int]:
    """The line (1-based) each entry of the file's ``tables:`` list starts on."""
    root = yaml.compose(path.read_text(), Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "tables" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def relative_store(root: str | None, base: Path) -> str | None:
    """A model store root, a relative local folder taken from ``base``."""
    if root is None or "://" in root or Path(root).is_absolute():
        return root
    return str(Path(base) / root)
