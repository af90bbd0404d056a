"""The demo, end to end: seed the nycflights13 warehouse, materialize everything once, report.

Runs in process on a Dagster instance kept in the demo folder, so ``dagster dev`` (``make ui``)
shows the same runs afterwards. ``new_month`` then appends April's flights and ticks the
partition sensor, which fills just that partition with the stored models. ``impute-assets demo``
calls :func:`main`.
"""

from __future__ import annotations

import os
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

import dagster as dg

from impute_assets.dagster import ImputationMetadata
from impute_assets.warehouse import Warehouse

#: The demo instance's settings (run queue and pool limits for a 2-core machine).
INSTANCE_CONFIG = Path(__file__).with_name("dagster.yaml")


def main(folder: str | Path = ".demo", seed_only: bool = False, new_month: bool = False) -> int:
    """Seed, materialize every asset and check, print a summary; returns the exit code."""
    with warnings.catch_warnings():
        # Dagster warns about its own beta internals while building the in-process jobs.
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _demo(Path(folder).absolute(), seed_only, new_month)


def _demo(folder: Path, seed_only: bool, new_month: bool) -> int:
    home = folder / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"  # local storage in the demo folder, and run limits
    if not config.exists() or not config.read_text().strip():
        shutil.copyfile(INSTANCE_CONFIG, config)
    os.environ["IMPUTE_ASSETS_DEMO_DIR"] = str(folder)
    os.environ.setdefault("DAGSTER_HOME", str(home))
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from dagster_project import warehouse as demo

    if new_month:
        return _new_month(demo)
    rows = demo.seed()
    print(f"seeded {demo.demo_url()}: " + ", ".join(f"{t} {n} rows" for t, n in rows.items()))
    if seed_only:
        return 0
    return _materialize_all(demo)


def _materialize_all(demo: Any) -> int:
    from dagster_project.definitions import defs as load_defs

    defs = load_defs()
    instance = dg.DagsterInstance.get()
    graph = defs.resolve_asset_graph()
    keys = defs.resolve_all_asset_keys()
    # Unpartitioned assets (weather, the missing-values counts, every model) and their checks
    # run together; each flights partition then runs on its own.
    unpartitioned = [k for k in keys if graph.get(k).partitions_def is None]
    materializable = [k for k in unpartitioned if graph.get(k).is_materializable]
    results = [
        _run(defs, instance, dg.AssetSelection.assets(*materializable) | _checks_of(unpartitioned))
    ]
    for key in keys:
        partitions = graph.get(key).partitions_def
        if isinstance(partitions, dg.DynamicPartitionsDefinition):
            table = key.path[-1].removesuffix("_imputed")
            values = demo_warehouse_partitions(demo, table)
            instance.add_dynamic_partitions(partitions.name, values)
            for value in values:
                selection = dg.AssetSelection.assets(key) | _checks_of([key])
                results.append(_run(defs, instance, selection, partition_key=value))
    _summary(results, demo)
    return 0 if all(r.success for r in results) else 1


def demo_warehouse_partitions(demo: Any, table: str) -> list[str]:
    """The partition values present in a demo table (flights: its months)."""
    return Warehouse(demo.demo_url()).partitions(table, "month")


def _new_month(demo: Any) -> int:
    from dagster_project.definitions import defs as load_defs

    added = demo.append_month()
    print(f"appended {added} flights for month {demo.LATER_MONTH}")
    defs = load_defs()
    instance = dg.DagsterInstance.get()
    sensor = defs.resolve_sensor_def(demo.PARTITION_SENSOR)
    with dg.build_sensor_context(
        instance=instance,
        instance_ref=instance.get_ref(),
        resources=defs.resources,
        definitions=defs,
        cursor=None,
    ) as context:  # opens the warehouse for the tick, and disposes of it after
        tick = sensor.evaluate_tick(context)
    for request in tick.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
    wanted = [r for r in tick.run_requests if r.partition_key == str(demo.LATER_MONTH)]
    results = [
        _run(
            defs,
            instance,
            dg.AssetSelection.assets(*r.asset_selection) | _checks_of(r.asset_selection),
            partition_key=r.partition_key,
        )
        for r in wanted
    ]
    _summary(results, demo)
    return 0 if all(r.success for r in results) else 1


def _checks_of(keys: list[Any]) -> Any:
    return dg.AssetSelection.checks_for_assets(*keys)


#: Dagster's console logger prints every event at DEBUG; the demo shows warnings and errors only
#: (each run's events stay in the instance, for ``make ui``).
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _run(defs: Any, instance: Any, selection: Any, partition_key: str | None = None) -> Any:
    """Materialize ``selection`` in process, quietly, and print one line about the run."""
    started = time.perf_counter()
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        resources=defs.resources,
        selection=selection,
        partition_key=partition_key,
        instance=instance,
        raise_on_error=False,
        run_config=QUIET_RUN_CONFIG,
    )
    print(run_line(result, partition_key, time.perf_counter() - started), flush=True)
    return result


def run_line(result: Any, partition_key: str | None, seconds: float) -> str:
    """One line per run, e.g. ``ok   flights_imputed [3]: 0 models, 412 cells filled, ...``."""
    filled: dict[str, int] = {}
    models = 0
    for event in result.get_asset_materialization_events():
        meta = ImputationMetadata.from_metadata(event.materialization.metadata)
        if meta.cells_filled is not None:
            filled[event.asset_key.to_user_string()] = meta.cells_filled
        elif meta.decision is not None:
            models += 1
    checks = [
        e.event_specific_data
        for e in result.all_events
        if type(e.event_specific_data).__name__ == "AssetCheckEvaluation"
    ]
    warned = sum(1 for c in checks if not c.passed and c.severity.value == "WARN")
    passed = sum(1 for c in checks if c.passed)
    where = ", ".join(sorted(filled)) or "missing values and models"
    part = f" [{partition_key}]" if partition_key else ""
    return (
        f"{'ok  ' if result.success else 'FAIL'} {where}{part}: {models} models,"
        f" {sum(filled.values())} cells filled, checks {passed} passed"
        f" {len(checks) - passed - warned} failed {warned} warned ({seconds:.1f}s)"
    )


def _summary(results: list[Any], demo: Any) -> None:
    filled: dict[str, int] = {}
    checks = {"passed": 0, "warned": 0, "failed": 0}
    for result in results:
        for event in result.get_asset_materialization_events():
            cells = ImputationMetadata.from_metadata(event.materialization.metadata).cells_filled
            if cells is not None:
                name = event.asset_key.to_user_string()
                filled[name] = filled.get(name, 0) + cells
        for event in result.all_events:
            data = event.event_specific_data
            if type(data).__name__ == "AssetCheckEvaluation":
                if data.passed:
                    checks["passed"] += 1
                else:
                    checks["warned" if data.severity.value == "WARN" else "failed"] += 1
    print("\nimputed tables:")
    for name, cells in sorted(filled.items()):
        print(f"  {name}: {cells} cells filled (audit rows in {name}_audit)")
    print(
        f"checks: {checks['passed']} passed, {checks['failed']} failed, {checks['warned']} warned"
        " (missing values found in the sources)"
    )
    print(f"runs: {sum(r.success for r in results)} of {len(results)} succeeded")
    print(f"\nwarehouse: {demo.demo_url()}")
    print(f"models:    {demo.demo_dir() / 'models'}")
    print(f"UI:        DAGSTER_HOME={os.environ['DAGSTER_HOME']} dagster dev -w workspace.yaml")
