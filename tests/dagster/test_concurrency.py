"""Two processes filling the same partition at once: the warehouse's fill lock makes the fills
take turns (no Dagster pool or queue set: ``dagster asset materialize`` bypasses the run queue,
and op-level pool claims on SQLite storage can race), and the partition ends up published
once, with one run's audit rows."""

from __future__ import annotations

import dagster as dg
import pytest
import sqlalchemy as sa

from impute_assets.dagster import build_imputation_defs
from impute_assets.dagster.concurrency import FILL_RUN_TAG
from impute_assets.pipeline.filling import FILL_DONE, FILL_STARTED
from impute_assets.warehouse import Warehouse
from tests.dagster.processes import finish, process_env, start, stop
from tests.dagster.runs import materialize
from tests.factories import REPO_ROOT, URL_ENV, sample_frame, table_spec

LOCATION = REPO_ROOT / "tests" / "dagster" / "locations" / "env_location.py"


def _fills(instance: dg.DagsterInstance) -> list[tuple[float, float]]:
    """(started, published) timestamps of the fill in every run, as the fill logged them
    inside its lock, in start order."""
    spans = []
    for run in instance.get_runs():
        times = {}
        for entry in instance.all_logs(run.run_id):
            for mark in (FILL_STARTED, FILL_DONE):
                if mark in entry.user_message:
                    times[mark] = entry.timestamp
        if times:
            spans.append((times[FILL_STARTED], times[FILL_DONE]))
    return sorted(spans)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(1800)  # several Dagster processes; a loaded machine slows them all
def test_two_processes_filling_one_partition_take_turns(
    postgres_url, unique_name, tmp_path, monkeypatch
):
    table = unique_name
    home = tmp_path / "dagster_home"
    home.mkdir()
    models = str(tmp_path / "models")
    monkeypatch.setenv(URL_ENV, postgres_url)
    spec = table_spec(table, partition={"column": "month"}, exclude=[])
    warehouse = Warehouse(postgres_url)
    source = sample_frame(rows=200, months=(1, 2))
    warehouse.publish(source, table)
    runs = {}
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            instance.add_dynamic_partitions(f"{table}__partitions", ["1", "2"])
            defs = build_imputation_defs([spec], model_store=models)
            trained = materialize(defs, f"key:{table}/models/*", instance=instance)
            assert trained.success

        env = process_env(
            {
                "DAGSTER_HOME": str(home),
                URL_ENV: postgres_url,
                "IMPUTE_ASSETS_TEST_TABLE": table,
                "IMPUTE_ASSETS_TEST_MODEL_STORE": models,
            }
        )
        logs = {name: tmp_path / f"{name}.log" for name in ("first", "second")}
        runs = {
            name: start(
                [
                    "dagster",
                    "asset",
                    "materialize",
                    "-f",
                    str(LOCATION),
                    "--select",
                    f"{table}_imputed",
                    "--partition",
                    "1",
                ],
                env,
                log,
            )
            for name, log in logs.items()
        }
        finish(runs, logs)

        with dg.DagsterInstance.from_config(str(home)) as instance:
            (first, second) = _fills(instance)
        assert first[1] <= second[0]  # the second fill began after the first had published

        published = warehouse.read(f"{table}_imputed")
        expected = source[source["month"] == 1]
        assert sorted(published["id"]) == sorted(expected["id"])  # each row once
        audit = warehouse.read(f"{table}_imputed_audit")
        assert audit["run_id"].nunique() == 1  # one run's audit rows, not a mix
        before = expected.set_index("id")[["y", "z", "w"]]
        after = published.set_index("id").loc[before.index, ["y", "z", "w"]]
        assert len(audit) == int((before.isna() & after.notna()).to_numpy().sum()) > 0
    finally:
        for run in runs.values():
            stop(run)
        with warehouse.engine.begin() as conn:
            for name in (table, f"{table}_imputed", f"{table}_imputed_audit"):
                sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
        warehouse.close()


def test_the_demo_instance_limits_runs_and_pools(tmp_path):
    """The documented defaults: 2 runs at once, one run per filled partition, pools checked
    in the queue with one slot each (one training run, one fill per table at a time)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_bytes(
        (REPO_ROOT / "dagster_project" / "dagster.yaml").read_bytes()
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        config = instance.get_concurrency_config()
    assert config.run_queue_config.max_concurrent_runs == 2
    assert config.run_queue_config.tag_concurrency_limits == [
        {"key": FILL_RUN_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]
    assert config.pool_config.default_pool_limit == 1
    assert config.pool_config.pool_granularity.value == "run"
