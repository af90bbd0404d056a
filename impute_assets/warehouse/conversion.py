"""Arrow <-> pandas conversions that keep each column's SQL type.

Reading: nullable Int64 and boolean, Arrow decimals, tz-aware timestamps, dates as datetime64,
strings. Writing: every frame column is cast to the Arrow type of the table's column, so an
INTEGER column filled by a float model stays INTEGER (or the cast fails, naming the column).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impute_assets.warehouse.describe import ColumnDescription, TableDescription


def _pandas_type(type_: pa.DataType) -> object:
    if pa.types.is_integer(type_):
        return pd.Int64Dtype()
    if pa.types.is_boolean(type_):
        return pd.BooleanDtype()
    if pa.types.is_decimal(type_):
        return pd.ArrowDtype(type_)
    return None


def to_pandas(table: pa.Table, nan_as_missing: bool = True) -> pd.DataFrame:
    """Arrow to pandas with nullable ints/booleans, Arrow decimals and datetime64 dates; floats
    as ``float64`` (NULL and NaN both NaN) or, ``nan_as_missing=False``, as ``double[pyarrow]``
    (NaN a value, NULL missing)."""

    def mapper(type_: pa.DataType) -> object:
        if not nan_as_missing and pa.types.is_floating(type_):
            return pd.ArrowDtype(type_)
        return _pandas_type(type_)

    singles = [i for i, f in enumerate(table.schema) if pa.types.is_float32(f.type)]
    for i in singles:  # float32 (a ``real`` column) as the exact float64 of its value
        table = table.set_column(
            i, table.schema.field(i).with_type(pa.float64()), table.column(i).cast(pa.float64())
        )
    return table.to_pandas(types_mapper=mapper, date_as_object=False)


def to_arrow(frame: pd.DataFrame | pa.Table, desc: TableDescription) -> pa.Table:
    """The frame's (or Arrow table's) columns, in the table's order, cast to the table's
    Arrow types."""
    names = list(frame.columns) if isinstance(frame, pd.DataFrame) else frame.column_names
    missing = [c for c in desc.column_names if c not in names]
    extra = [c for c in names if c not in set(desc.column_names)]
    if missing or extra:
        raise desc.refused(
            f"frame columns differ from the table's (missing {missing}, unexpected {extra})"
        )
    return pa.table({c.name: _cast(frame[c.name], c, desc) for c in desc.columns})


def _overflowed(array: pa.Array, cast: pa.Array) -> pa.Array:
    """Where a finite value became infinite (Arrow casts 1e308 to float32 as inf silently)."""
    finite = pc.is_finite(array) if pa.types.is_floating(array.type) else pc.is_valid(array)
    return pc.and_(finite, pc.is_inf(cast))


def as_arrow(values: pd.Series) -> pa.Array:
    """A frame column as the Arrow array it is written as. Uuid objects become their
    36-character text: Arrow reads them as 16 raw bytes, which a text column stored as such
    (and PostgreSQL refused, for their zero bytes)."""
    array = pa.array(values, from_pandas=True)
    if isinstance(array.type, pa.UuidType):
        return pa.array([None if v is None else str(v) for v in array.to_pylist()], pa.string())
    return array


def _cast(
    series: pd.Series | pa.ChunkedArray, column: ColumnDescription, desc: TableDescription
) -> pa.Array | pa.ChunkedArray:
    target = column.arrow_type
    try:
        array = series if isinstance(series, pa.ChunkedArray) else as_arrow(series)
        if array.type == target:
            return array
        if pa.types.is_decimal(target) and pa.types.is_floating(array.type):
            array = pc.round(array, target.scale)
        lossy_ok = pa.types.is_timestamp(target) or pa.types.is_date(target)
        cast = pc.cast(array, target, safe=not lossy_ok)
        if pa.types.is_float32(target) and pc.any(_overflowed(array, cast)).as_py():
            raise pa.ArrowInvalid("a finite value exceeds single precision (about 3.4e38)")
        return cast
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise desc.refused(f"values do not fit {column.sql_type} ({exc})", column.name) from exc
