"""A source whose columns changed after its output table was built: the fill refuses in one line
naming each added, dropped or retyped column and how to rebuild, before any work; nothing is
published into the old types. On DuckDB, PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.schema_change import SchemaChanged
from impute_assets.store import ModelStore
from tests.factories import sample_frame, table_spec


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: f.assign(extra=1.5), "added 'extra'"),
        (lambda f: f.drop(columns=["g"]), "dropped 'g'"),
        (lambda f: f.rename(columns={"g": "group"}), "added 'group'; dropped 'g'"),
        (lambda f: f.assign(x=f["x"].map("{:.2f}".format)), "retyped 'x' "),
    ],
    ids=["added", "dropped", "renamed", "retyped"],
)
def test_a_changed_source_refuses_the_fill_naming_the_columns(
    warehouse, unique_name, tmp_path, change, expected
):
    source = sample_frame(rows=120)
    warehouse.publish(source, unique_name)
    spec = TableSpec.parse(table_spec(unique_name, columns=["z"]))
    run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models")))
    run.run()
    before = warehouse.read(spec.output_name)
    with warehouse.engine.begin() as conn:  # the source is rebuilt with its new columns
        conn.execute(sa.text(f"DROP TABLE {warehouse.dialect.qualified(unique_name, None)}"))
    warehouse.publish(change(source), unique_name)
    with pytest.raises(SchemaChanged) as refused:
        run.fill_and_publish(["z"])
    message = str(refused.value)
    assert "\n" not in message and expected in message, message
    assert f"drop '{spec.output_name}' and '{spec.audit_name}'" in message
    assert warehouse.read(spec.output_name).equals(before)
