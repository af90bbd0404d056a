"""``TableRun`` end to end on a real DuckDB file: detect, train or reuse, fill and publish."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.plan import UnknownColumns
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse
from tests.factories import sample_frame, table_spec


def _run(url: str, store: ModelStore, **overrides) -> TableRun:
    return TableRun(TableSpec.parse(table_spec(**overrides)), Warehouse(url), store)


def test_run_fills_audits_and_then_reuses(duckdb_url, unique_name, tmp_path):
    source = sample_frame(rows=120)
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(source, unique_name)
    store = ModelStore(str(tmp_path / "models"))
    steps: list[str] = []
    first = _run(duckdb_url, store, table=unique_name).run(on_step=steps.append)
    assert steps == ["detect", "train or reuse", "fill"]
    assert first.missing.nulls["y"] == int(source["y"].isna().sum())
    assert sorted(first.training.trained) == ["w", "y", "z"]
    (fill,) = first.fills
    published = warehouse.read(f"{unique_name}_imputed")
    assert fill.rows == len(published) == len(source)
    assert fill.cells_filled == len(warehouse.read(f"{unique_name}_imputed_audit")) > 0

    again = _run(duckdb_url, store, table=unique_name).run()
    assert {m.decision for m in again.training.models} == {"reuse"}
    assert not any(m.changed for m in again.training.models)
    # The audit table is the current state: a second publish replaces the first one's rows.
    assert len(warehouse.read(f"{unique_name}_imputed_audit")) == again.fills[0].audit_rows

    forced = _run(duckdb_url, store, table=unique_name).train_or_reuse(["y"], force_retrain=True)
    assert forced["y"].decision == "train" and forced["y"].changed


def test_models_are_stored_under_the_planned_fingerprint(duckdb_url, unique_name, tmp_path):
    """Restricted inputs and per-column settings: the fingerprint the reuse decision compares is
    the one the trained model carries (no override when storing), so the next run reuses."""
    Warehouse(duckdb_url).publish(sample_frame(rows=120), unique_name)
    store = ModelStore(str(tmp_path / "models"))
    overrides = {"inputs": {"y": ["x", "g"]}, "column_model": {"z": {"hidden_dim": 6}}}
    first = _run(duckdb_url, store, table=unique_name, **overrides).train_or_reuse(["y", "z"])
    for column in ("y", "z"):
        stored = store.latest(unique_name, column)
        assert stored.fingerprint == first[column].fingerprint
        assert store.load(unique_name, column).fingerprint == stored.fingerprint
    assert first["y"].inputs == ("x", "g")
    again = _run(duckdb_url, store, table=unique_name, **overrides).train_or_reuse(["y", "z"])
    assert {again[c].decision for c in ("y", "z")} == {"reuse"}


def test_same_table_name_in_two_schemas_keeps_its_own_models(duckdb_url, unique_name, tmp_path):
    warehouse = Warehouse(duckdb_url)
    schemas = [f"{unique_name}_a", f"{unique_name}_b"]
    with warehouse.engine.begin() as conn:
        for schema in schemas:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    for seed, schema in enumerate(schemas):
        warehouse.publish(sample_frame(rows=80, seed=seed), "orders", schema=schema)
    store = ModelStore(str(tmp_path / "models"))
    records = [
        _run(duckdb_url, store, table="orders", schema=s).train_or_reuse(["y"]) for s in schemas
    ]
    assert [r["y"].decision for r in records] == ["train", "train"]
    assert records[1]["y"].reason == "no stored model"
    assert [store.latest(f"{s}.orders", "y").version for s in schemas] == [
        r["y"].version for r in records
    ]


def test_filling_uses_the_tables_model_settings(duckdb_url, unique_name, tmp_path):
    warehouse = Warehouse(duckdb_url)
    source = sample_frame(rows=120)
    # Rows missing both y and w: with refinement rounds, each one's fill feeds the other's.
    source.loc[source.index[:30], ["y", "w"]] = None
    warehouse.publish(source, unique_name)
    store = ModelStore(str(tmp_path / "models"))
    # Distributions are not what this test checks (a third of w is filled).
    lenient = {"tolerances": {"kl_divergence": 1.0, "ks_statistic": 1.0}}
    plain = _run(duckdb_url, store, table=unique_name, validation=lenient, fill="all")
    plain.train_or_reuse(["y", "w"])
    once = plain.fill_and_publish(["y", "w"]).filled
    refined = (
        _run(
            duckdb_url,
            store,
            table=unique_name,
            validation=lenient,
            fill="all",
            model={**table_spec(unique_name)["model"], "refinement_rounds": 2},
        )
        .fill_and_publish(["y", "w"])
        .filled
    )
    both = source[["y", "w"]].isna().all(axis=1)
    assert not once.loc[both, "y"].equals(refined.loc[both, "y"])
    observed = source["y"].notna()
    pd.testing.assert_series_equal(once.loc[observed, "y"], refined.loc[observed, "y"])


def test_a_table_without_gaps_is_published_as_it_is(duckdb_url, unique_name, tmp_path):
    source = sample_frame(rows=60).dropna().reset_index(drop=True)
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(source, unique_name)
    spec = TableSpec.parse({"table": unique_name, "key": ["id"]})
    record = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models"))).run()
    assert record.training.models == () and record.fills[0].cells_filled == 0
    published = warehouse.read(f"{unique_name}_imputed").sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(
        published, source.sort_values("id").reset_index(drop=True), check_dtype=False
    )


def test_a_column_with_no_observed_value_is_left_and_the_others_filled(
    duckdb_url, unique_name, tmp_path, caplog
):
    source = sample_frame(rows=120)
    source["never"] = pd.Series([None] * len(source), dtype="Float64")
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(source, unique_name)
    spec = TableSpec.parse({"table": unique_name, "key": ["id"], "fill": "all"})
    with caplog.at_level("WARNING"):
        record = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models"))).run()
    assert "gaps left unfilled in never (no observed value to learn from)" in caplog.text
    (left,) = record.fills[0].left_columns  # counted as left, with the reason
    assert (left.column, left.left, left.reason) == (
        "never",
        len(source),
        "no observed value to learn from",
    )
    assert sorted(record.training.trained) == ["w", "y", "z"]
    published = warehouse.read(f"{unique_name}_imputed")
    assert published["never"].isna().all() and published[["w", "y", "z"]].notna().all().all()
    (fill,) = record.fills
    assert fill.cells_left == len(source)  # the all-empty column's cells are counted
    assert fill.left_reasons == {"never": {"no observed value to learn from": len(source)}}


def test_a_table_ordered_by_an_integer_step_trains_fills_and_reuses(
    duckdb_url, unique_name, tmp_path
):
    rows = 120
    rng = np.random.default_rng(0)
    source = pd.DataFrame(
        {
            "step": np.arange(rows),  # unique integers: guessed an id alone
            "level": np.sin(np.arange(rows) / 8) * 5,
            "other": rng.normal(size=rows),
        }
    )
    source["level"] = source["level"].mask(rng.random(rows) < 0.2)
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(source, unique_name)
    store = ModelStore(str(tmp_path / "models"))
    settings = {
        "table": unique_name,
        "key": ["step"],
        "columns": ["level"],
        "exclude": [],
        "order_by": "step",
    }
    first = _run(duckdb_url, store, **settings).run()
    assert first.training.trained == ["level"]
    model = store.load(unique_name, "level", store.latest(unique_name, "level").version)
    assert model.sequence.order_by == "step" and "step" in model.inputs
    published = warehouse.read(f"{unique_name}_imputed").sort_values("step")
    assert published["level"].notna().all() and len(published) == rows
    observed = source["level"].notna().to_numpy()
    assert (published["level"].to_numpy()[observed] == source["level"].to_numpy()[observed]).all()
    again = _run(duckdb_url, store, **settings).run()
    assert {m.decision for m in again.training.models} == {"reuse"}


def test_gaps_in_the_order_by_key_stay_and_the_other_columns_are_filled(
    duckdb_url, unique_name, tmp_path, caplog
):
    rows = 120
    rng = np.random.default_rng(1)
    source = pd.DataFrame(
        {
            "id": np.arange(rows),
            "day": pd.Series(pd.date_range("2024-01-01", periods=rows, freq="D")),
            "level": np.sin(np.arange(rows) / 8) * 5,
            "other": rng.normal(size=rows),
        }
    )
    source["level"] = source["level"].mask(rng.random(rows) < 0.2)
    source.loc[[4, 50], "day"] = pd.NaT
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(source, unique_name)
    spec = TableSpec.parse({"table": unique_name, "key": ["id"], "order_by": "day"})
    with caplog.at_level("WARNING"):
        record = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models"))).run()
    assert "gaps left unfilled in day (a sequence key" in caplog.text
    assert record.training.trained == ["level"]
    published = warehouse.read(f"{unique_name}_imputed").sort_values("id")
    assert published["day"].isna().sum() == 2 and published["level"].notna().all()


@pytest.mark.parametrize(
    ("overrides", "key", "typo", "guess"),
    [
        ({"column_model": {"yy": {"epochs": 3}}}, "column_model", "yy", "y"),
        ({"inputs": {"y": ["xx"]}}, "inputs.y", "xx", "x"),
        ({"kinds": {"gg": "categorical"}}, "kinds", "gg", "g"),
        ({"confidence": {"ww": 0.5}}, "confidence", "ww", "w"),
        (
            {"validation": {"column_tolerances": {"zz": {"std": 1.0}}}},
            "validation.column_tolerances",
            "zz",
            "z",
        ),
        ({"structural": [{"when_missing": "x", "columns": ["yy"]}]}, "structural[0]", "yy", "y"),
    ],
)
def test_yaml_keys_naming_columns_are_checked_at_run_start(
    duckdb_url, unique_name, tmp_path, overrides, key, typo, guess
):
    """A typo'd column under a key that names columns fails the run before training, naming
    the key, the closest column and the table's columns (it would lose its settings silently)."""
    Warehouse(duckdb_url).publish(sample_frame(rows=40), unique_name)
    store = ModelStore(str(tmp_path / "models"))
    run = _run(duckdb_url, store, table=unique_name, **overrides)
    with pytest.raises(UnknownColumns) as caught:
        run.train_or_reuse(["y"])
    message = str(caught.value)
    assert f"{key} names columns not in the table: {typo} (did you mean {guess}?)" in message
    assert "the table has id, month, g, x, y, z, w" in message
    assert store.versions(unique_name, "y") == []


def test_structural_gaps_stay_gaps_and_every_other_gap_is_filled(duckdb_url, unique_name, tmp_path):
    """``z`` is not measured where ``x`` is missing: those gaps are published empty and not
    audited, even with ``fill: all``; every other gap of ``z`` is filled and audited once."""
    source = sample_frame(rows=160)
    source.loc[::4, "x"] = None
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(source, unique_name)
    structural = [{"when_missing": "x", "columns": ["z"]}]
    run = _run(duckdb_url, ModelStore(str(tmp_path / "m")), table=unique_name, fill="all",
               structural=structural)  # fmt: skip
    (fill,) = run.run().fills
    published = warehouse.read(f"{unique_name}_imputed").sort_values("id").set_index("id")
    before = source.set_index("id").loc[published.index]
    left = before["z"].isna() & before["x"].isna()
    assert left.any() and (before["z"].isna() & ~left).any()
    assert published["z"].isna().tolist() == left.tolist()
    audit = warehouse.read(f"{unique_name}_imputed_audit")
    assert (audit["column_name"] == "z").sum() == int((before["z"].isna() & ~left).sum())
    (z,) = [c for c in fill.columns if c.column == "z"]
    assert z.reasons == {"structural gap (where x is null)": int(left.sum())}
