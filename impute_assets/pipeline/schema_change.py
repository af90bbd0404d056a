"""The output table follows its source's columns, or the fill refuses in one line.

An output table is built from its source's DDL on the first publish and keeps it. When the
source gains, loses, renames or retypes a column afterwards, publishing into the old output
would fail somewhere deep (a KeyError, a cast error) or, worse, put a retyped value into the old
type. The fill checks first and refuses, naming what changed and how to rebuild.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from impute_assets.pipeline.spec import TableSpec

if TYPE_CHECKING:
    from impute_assets.warehouse import TableDescription, Warehouse


class SchemaChanged(RuntimeError):
    """The source's columns differ from the output table's; nothing was published."""


def check_output_schema(
    spec: TableSpec, warehouse: Warehouse, source: TableDescription | None = None
) -> None:
    """Refuse a fill whose source columns (names, SQL types) no longer match the output's
    (``source``: the source's description, when the caller has it).

    Raises:
        SchemaChanged: one line naming each added, dropped and retyped column, and the rebuild.
    """
    with warehouse.engine.connect() as conn:
        if not warehouse.dialect.has_table(conn, spec.output_name, spec.db_schema):
            return
    changes = schema_changes(
        source or warehouse.describe(spec.table, spec.db_schema),
        warehouse.describe(spec.output_name, spec.db_schema),
    )
    if changes:
        audit = f" and {spec.audit_name!r}"
        raise SchemaChanged(
            f"table {spec.table!r}: its columns changed since {spec.output_name!r} was built "
            f"({'; '.join(changes)}); nothing published. Rebuild: drop {spec.output_name!r}"
            f"{audit} (DROP TABLE ...), then fill the whole table again (impute-assets run, or "
            "every partition)"
        )


def schema_changes(source: TableDescription, output: TableDescription) -> list[str]:
    """What differs between the source's columns and the output's, one phrase per change."""
    have = {c.name: c.sql_type for c in output.columns}
    want = {c.name: c.sql_type for c in source.columns}
    added = [n for n in want if n not in have]
    dropped = [n for n in have if n not in want]
    retyped = [f"{n!r} {have[n]} -> {want[n]}" for n in want if n in have and have[n] != want[n]]
    return (
        ([f"added {', '.join(map(repr, added))}"] if added else [])
        + ([f"dropped {', '.join(map(repr, dropped))}"] if dropped else [])
        + ([f"retyped {', '.join(retyped)}"] if retyped else [])
    )
