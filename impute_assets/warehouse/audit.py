"""The cell audit table: one row per imputed cell, published with the data it describes.

It holds the current state of its output table: each publish replaces the audit rows of what
it replaces (every row for a whole-table publish, the partition's rows for a partition
publish) in the same transaction, so the audit table always counts the cells now imputed.
``run_id`` says which run filled each cell.

Rows are keyed by the table's key columns (configured, or its primary key) rendered as a JSON
object in ``row_key``, so one audit table serves tables with any key. A table without keys
should carry a stable row id column and pass it as the key.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from impute_assets.core.jsonable import python_scalar
from impute_assets.core.memory import release_free_memory
from impute_assets.core.result import FilledCells
from impute_assets.core.uncertainty.label_sets import LabelSets
from impute_assets.warehouse.bulk_load import bulk_load
from impute_assets.warehouse.conversion import to_arrow
from impute_assets.warehouse.describe import TableDescription
from impute_assets.warehouse.dialects import Dialect

AUDIT_COLUMNS = (
    "run_id",
    "table_schema",
    "table_name",
    "partition",
    "row_key",
    "column_name",
    "imputed_value",
    "confidence",
    "model_version",
    "imputed_at",
    "lower",
    "upper",
    "prediction_set",
)
#: Columns added after the first release: nullable, and added to an older audit table in place.
ADDED_COLUMNS = ("lower", "upper", "prediction_set")


def audit_table(name: str, schema: str | None = None) -> sa.Table:
    """The audit table's definition (portable types; VARCHAR lengths for MySQL)."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("table_schema", sa.String(255)),
        sa.Column("table_name", sa.String(255), nullable=False),
        sa.Column("partition", sa.Text),  # partition values may be long
        sa.Column("row_key", sa.Text, nullable=False),
        sa.Column("column_name", sa.String(255), nullable=False),
        sa.Column("imputed_value", sa.Text),
        sa.Column("confidence", sa.Double),
        sa.Column("model_version", sa.String(64)),
        sa.Column("imputed_at", sa.DateTime(timezone=True), nullable=False),
        # the fill's interval at the run's coverage (numeric, as text like imputed_value) or
        # its prediction set (categorical, a JSON array of labels)
        sa.Column("lower", sa.Text),
        sa.Column("upper", sa.Text),
        sa.Column("prediction_set", sa.Text),
        schema=schema,
    )


def audit_frame(
    cells: pd.DataFrame,
    frame: pd.DataFrame,
    key_columns: Sequence[str],
    *,
    run_id: str,
    table: str,
    schema: str | None = None,
    partition: object = None,
    at: dt.datetime | None = None,
) -> pd.DataFrame:
    """Audit rows from core's ``ImputationResult.cells()`` (row, column, value, confidence,
    model_version, interval ends or prediction set), keyed by ``key_columns`` of the filled
    ``frame``. ``partition``: the partition key of every cell (a list or Series, one per cell:
    a whole-table publish of a partitioned table), or of all of them (one value)."""
    missing = [k for k in key_columns if k not in frame.columns]
    if missing:
        raise KeyError(f"key columns {missing} not in the frame of table {table!r}")
    at = at or dt.datetime.now(dt.UTC)
    keys = (
        frame.loc[cells["row"], list(dict.fromkeys(key_columns))]
        if key_columns
        else pd.DataFrame({"row": cells["row"]})
    )
    return pd.DataFrame(
        {
            "run_id": run_id,
            "table_schema": schema,
            "table_name": table,
            "partition": _partition_keys(partition, len(cells)),
            "row_key": _row_keys(keys),
            "column_name": cells["column"].astype(str).to_numpy(),
            "imputed_value": _values_text(cells["value"]),
            "confidence": cells["confidence"].astype(float).to_numpy(),
            "model_version": cells["model_version"].astype(str).to_numpy(),
            "imputed_at": at,
            "lower": _texts(cells, "lower"),
            "upper": _texts(cells, "upper"),
            "prediction_set": _set_texts(cells.get("prediction_set"), len(cells)),
        },
        columns=list(AUDIT_COLUMNS),
    )


def audit_rows(
    cells: pd.DataFrame | FilledCells,
    frame: pd.DataFrame,
    key_columns: Sequence[str],
    **labels: Any,
) -> AuditRows:
    """:func:`audit_frame`'s rows (``labels``: its keywords; cells a chunk of rows at a time
    pass the run's time as ``at``) as :class:`AuditRows`: the same text, the prediction sets
    kept as label codes (core's :class:`~impute_assets.core.result.FilledCells` has them so;
    a frame's tuples are coded)."""
    if isinstance(cells, FilledCells):
        sets, cells = PredictionSets.coded(cells.sets), cells.frame
    else:
        sets = PredictionSets.of(cells.get("prediction_set"))
        cells = cells.drop(columns="prediction_set", errors="ignore")  # coded in ``sets``
    rows = pa.Table.from_pandas(
        audit_frame(cells, frame, key_columns, **labels).drop(columns="prediction_set"),
        preserve_index=False,
    )
    for name in _REPEATED:  # one text per run, table, column or model: each kept once
        rows = rows.set_column(
            rows.schema.get_field_index(name), name, pc.dictionary_encode(rows.column(name))
        )
    return AuditRows([(rows, sets)])


#: Audit columns with a handful of distinct texts, dictionary-encoded in :class:`AuditRows`.
_REPEATED = ("run_id", "table_name", "column_name", "model_version")


#: ``json.dumps(value, default=str)``, with the encoder built once, not once per cell.
_encode = json.JSONEncoder(default=str).encode


def _row_keys(keys: pd.DataFrame) -> pd.api.extensions.ExtensionArray:
    """Each row of ``keys`` as the JSON object ``json.dumps({column: value}, default=str,
    sort_keys=True)`` writes (numpy scalars unwrapped), as Arrow-backed text built a column at
    a time: one ``json.dumps`` per cell cost 6 s for 600,000 cells. Integer columns (the usual
    key) are made text by Arrow, which writes an integer as ``str`` does."""
    parts = [
        pc.binary_join_element_wise(f"{_encode(str(name))}: ", _key_texts(keys[name]), "")
        for name in sorted(keys.columns, key=str)
    ]
    text = pc.binary_join_element_wise("{", pc.binary_join_element_wise(*parts, ", "), "}", "")
    return pd.array(text.cast(_TEXT), dtype=_STR)


def _key_texts(values: pd.Series) -> pa.Array:
    """A key column's values as JSON text (see :func:`_row_keys`)."""
    if pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        return pa.array(values).cast(pa.string())
    return pa.array(
        [str(v) if type(v) is int else _encode(python_scalar(v)) for v in values.tolist()],
        pa.string(),
    )


#: Cells whose prediction sets are coded, or made JSON text, at a time (bounds the flat list of
#: their labels, and the text of a batch of audit rows being loaded).
SET_BATCH = 20_000
_TEXT = pa.large_string()


def _set_texts(sets: pd.Series | None, cells: int) -> pd.Series | list[None]:
    """Each cell's prediction set as the JSON array ``json.dumps([labels], default=str)``
    writes (numpy scalars unwrapped; None where a cell has no set), as Arrow-backed text."""
    coded = PredictionSets.of(sets)
    if coded is None:
        return [None] * cells
    batches = [coded.json(i, i + SET_BATCH).cast(_TEXT) for i in range(0, cells, SET_BATCH)]
    text = pa.chunked_array(batches, _TEXT)  # pandas' own text storage: taken, not copied
    return pd.Series(pd.array(text, dtype=_STR))


@dataclass(frozen=True)
class PredictionSets:
    """Cells' prediction sets as label codes (``sets``) with the JSON text of each of their
    labels (``labels``, by code).

    A 300-label column's sets hold ~230 labels each: as JSON text 2,766 characters a cell
    (100,000 cells: 270 MB), as codes 460 bytes; :meth:`json` makes the text of a range of
    cells when it is needed (a batch of audit rows being loaded)."""

    sets: LabelSets
    labels: pa.Array

    @classmethod
    def of(cls, sets: pd.Series | None) -> PredictionSets | None:
        """The sets of a column of tuples of labels (None: a cell without one), coded
        :data:`SET_BATCH` cells at a time (see ``LabelSets.from_tuples``); None when no cell
        has a set."""
        if sets is None or not sets.notna().any():
            return None
        return cls.coded(LabelSets.from_tuples(sets.to_numpy(dtype=object), SET_BATCH))

    @classmethod
    def coded(cls, sets: LabelSets) -> PredictionSets | None:
        """``sets`` with their labels' JSON text; None when no cell has a set."""
        if not sets.present.any():
            return None
        return cls(sets, pa.array([_encode(python_scalar(o)) for o in sets.labels], pa.string()))

    def __len__(self) -> int:
        return len(self.sets)

    def json(self, start: int, stop: int) -> pa.Array:
        """The JSON arrays of cells ``start`` to ``stop`` (None where a cell has no set), as
        the warehouse's text (``string``; pandas' is ``large_string``)."""
        stop = min(stop, len(self))
        offsets = self.sets.offsets[start : stop + 1]
        codes = self.sets.codes[offsets[0] : offsets[-1]]
        lists = pa.ListArray.from_arrays(
            pa.array(offsets - offsets[0], pa.int32()), self.labels.take(pa.array(codes))
        )
        joined = pc.binary_join(lists, ", ")
        wrapped = pc.binary_join_element_wise("[", joined, "]", "")
        present = pa.array(self.sets.present[start:stop])
        return pc.if_else(present, wrapped, pa.scalar(None, pa.string()))


@dataclass(frozen=True)
class AuditRows:
    """Audit rows as Arrow, made a part at a time (a chunk of predicted rows): each part's
    table of every column but ``prediction_set``, and its sets as codes (None: no cell has a
    set). The sets' JSON text is made only a batch of rows at a time, as the rows are loaded
    (:meth:`drain`), never for every row at once."""

    parts: list[tuple[pa.Table, PredictionSets | None]] = field(default_factory=list)

    @classmethod
    def concat(cls, rows: Iterable[AuditRows]) -> AuditRows:
        """The rows of each of ``rows``, one after the other."""
        return cls([part for r in rows for part in r.parts])

    def __len__(self) -> int:
        return sum(table.num_rows for table, _ in self.parts)

    def tables(self, rows: int = SET_BATCH) -> Iterator[pa.Table]:
        """The rows, all of ``AUDIT_COLUMNS``, at most ``rows`` at a time."""
        for table, sets in self.parts:
            yield from _with_sets(table, sets, rows)

    def drain(self, rows: int = SET_BATCH) -> Iterator[pa.Table]:
        """:meth:`tables`, each part let go once its rows are made (afterwards there are no
        rows): rows loaded once leave memory as the load goes, while the warehouse (DuckDB,
        in this process) takes them on."""
        while self.parts:
            table, sets = self.parts.pop(0)
            yield from _with_sets(table, sets, rows)

    def to_pandas(self) -> pd.DataFrame:
        """Every row as one frame (a dry run's preview)."""
        tables = list(self.tables())
        if not tables:
            return pd.DataFrame(columns=list(AUDIT_COLUMNS))
        return pa.concat_tables(tables, promote_options="permissive").to_pandas()


def _with_sets(table: pa.Table, sets: PredictionSets | None, rows: int) -> Iterator[pa.Table]:
    """One part's rows with their ``prediction_set`` text, at most ``rows`` at a time."""
    for start in range(0, table.num_rows, rows):
        part = table.slice(start, rows)
        text = (
            sets.json(start, start + rows)
            if sets is not None
            else pa.nulls(part.num_rows, pa.string())
        )
        yield part.append_column("prediction_set", text)


def _partition_keys(partition: object, cells: int) -> list[str | None]:
    """The text partition key of each of ``cells`` audit rows (None: no partition)."""
    if isinstance(partition, pd.Series | list):
        return [None if pd.isna(p) else str(p) for p in partition]
    return [None if partition is None else str(partition)] * cells


def _values_text(values: pd.Series) -> Sequence[str | None]:
    """The fills' values as text (None where missing)."""
    text = _as_text(values)
    if text is not None:
        return text
    return [None if gap else str(v) for v, gap in zip(values, values.isna(), strict=True)]


def _texts(cells: pd.DataFrame, column: str) -> Sequence[str | None]:
    """A text column of ``cells`` (None where missing or absent)."""
    values = cells[column] if column in cells else [None] * len(cells)
    text = _as_text(values)
    if text is not None:
        return text
    return [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]


#: pandas' default text dtype: what it makes of a list of strings and None.
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _as_text(values: object) -> Sequence[str | None] | None:
    """A column of text already, some of it present, as it is: the column pandas makes of the
    per-cell ``str(v)`` or None, without a Python string per cell (None: convert cell by cell)."""
    if isinstance(values, pd.Series) and values.dtype == _STR and values.notna().any():
        return values.array
    return None


def ensure_audit_table(
    conn: sa.Connection, dialect: Dialect, name: str, schema: str | None, staging: Callable[[], str]
) -> str | None:
    """Make sure the audit table can take rows: when absent, create it empty under a name from
    ``staging`` (before the publish transaction: DDL commits on MySQL) and return that
    name; the publish renames it into place with the data, and a killed publish leaves only a
    staging table the next publish sweeps, never an empty audit table. An audit table from an
    earlier release gets the columns added since (nullable; its rows keep NULL there)."""
    if dialect.has_table(conn, name, schema):
        _add_columns(conn, dialect, name, schema)
        return None
    name = staging()
    audit_table(name, schema).create(conn)
    conn.commit()
    return name


def _add_columns(conn: sa.Connection, dialect: Dialect, name: str, schema: str | None) -> None:
    """``ALTER TABLE ... ADD`` each of ``ADDED_COLUMNS`` the existing audit table lacks."""
    have = {c.name for c in dialect.reflect(conn, name, schema)[0]}
    wanted = audit_table(name, schema).c
    for column in ADDED_COLUMNS:
        if column not in have:
            sql_type = wanted[column].type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(
                f"ALTER TABLE {dialect.qualified(name, schema)} "
                f"ADD COLUMN {dialect.preparer.quote(column)} {sql_type}"
            )
    conn.commit()


def write_audit(
    conn: sa.Connection,
    dialect: Dialect,
    desc: TableDescription,
    rows: pd.DataFrame | AuditRows,
    partition: object = None,
) -> int:
    """Inside the caller's transaction, delete the audit rows of what is being replaced (all, or
    those of ``partition``: its value as text, as :func:`audit_frame` writes it) and add
    ``rows`` (:class:`AuditRows`: a batch at a time, drained)."""
    delete_audit(conn, desc, partition)
    if isinstance(rows, pd.DataFrame):
        return bulk_load(conn, dialect, desc.sa_table(), desc.schema, to_arrow(rows, desc))
    batches = (to_arrow(table, desc) for table in rows.drain())
    loaded = bulk_load(conn, dialect, desc.sa_table(), desc.schema, batches)
    release_free_memory()  # the batches' text, before the commit's work (DuckDB: a checkpoint)
    return loaded


def delete_audit(conn: sa.Connection, desc: TableDescription, partition: object = None) -> int:
    """Inside the caller's transaction, delete every audit row (or those of ``partition``, its
    value as text); returns how many."""
    table = desc.sa_table()
    stale = sa.delete(table)
    if partition is not None:
        stale = stale.where(table.c["partition"] == str(partition))
    return int(conn.execute(stale).rowcount)
