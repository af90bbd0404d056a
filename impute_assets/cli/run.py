"""Run the tables of an impute.yaml end to end (``impute-assets run impute.yaml``), no Dagster.

The same pipeline the Dagster assets call (detect, train or reuse, fill and publish each
partition), with a progress bar and the summary the Dagster metadata shows. Each table's
warehouse URL comes from its ``url_env`` variable.
"""

from __future__ import annotations

import argparse
import os
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from impute_assets.pipeline import TableRunRecord, TableSpec


def register(subparsers: Any) -> None:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="detect, train or reuse, fill and publish the tables of an impute.yaml",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("file", help="impute.yaml with tables: (and defaults:, model_store:)")
    parser.add_argument(
        "--table",
        action="append",
        default=None,
        metavar="T",
        help="run only this table (repeatable; default: every table)",
    )
    parser.add_argument(
        "--partition",
        action="append",
        default=None,
        metavar="P",
        help="fill only this partition key (repeatable; default: every one)",
    )
    parser.add_argument(
        "--force-retrain",
        action="store_true",
        help="train every model, even those the reuse policy would keep",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="do everything but publish: the would-be fills (with their audit "
        "columns) go to <output>__preview; the output and audit tables "
        "stay untouched",
    )
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    parser.add_argument(
        "--model-store",
        default=None,
        help="model store folder or fsspec URL (default: the file's model_store)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run each chosen table and print its summary; 1 when a table failed."""
    from impute_assets.cli.impute import console
    from impute_assets.pipeline.config_file import load_tables_file
    from impute_assets.pipeline.spec import SpecError
    from impute_assets.store import ModelStore
    from impute_assets.store.model_store import DEFAULT_ROOT

    out = console()
    try:
        parsed = load_tables_file(args.file)
        parsed.check_unique()
        specs = [parsed.table(t) for t in args.table] if args.table else list(parsed.tables)
        if args.partition:
            _check_partitioned(specs)
    except SpecError as exc:
        out.print(f"[red]error:[/] {exc}")
        return 2
    store = ModelStore(args.model_store or parsed.model_store or DEFAULT_ROOT)
    run_id = uuid.uuid4().hex
    failed = 0
    for spec in specs:
        try:
            record = _run_table(spec, store, args, run_id, out)
        except Exception as exc:  # noqa: BLE001 (one table's failure must not hide the others)
            failed += 1
            out.print(f"[red]FAIL[/] {spec.store_name}: {exc}")
            continue
        print_summary(record, out, spec)
    return 1 if failed else 0


def _check_partitioned(specs: list[TableSpec]) -> None:
    from impute_assets.pipeline.spec import SpecError

    flat = [s.store_name for s in specs if s.partition is None]
    if flat:
        raise SpecError(f"--partition given, but tables {flat} are not partitioned")


def _run_table(
    spec: TableSpec, store: Any, args: argparse.Namespace, run_id: str, out: Any
) -> TableRunRecord:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from impute_assets.pipeline import TableRun
    from impute_assets.warehouse import Warehouse

    url = os.environ.get(spec.url_env)
    if not url:
        raise RuntimeError(f"env var {spec.url_env} (the table's url_env) is unset")
    warehouse = Warehouse(url, url_env=spec.url_env)
    # described once: counting the steps and every step of the run share the description
    table_run = TableRun(spec, warehouse, store, {"device": args.device}).described()
    total = table_run.steps(args.partition)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=out, transient=True) as progress:  # fmt: skip
        task = progress.add_task(spec.store_name, total=total)
        rows = progress.add_task("rows filled", total=None, visible=False)

        def step(label: str) -> None:
            progress.update(task, description=f"{spec.store_name}: {label}")
            progress.advance(task)

        def filled(done: int, of: int) -> None:
            progress.update(rows, completed=done, total=of, visible=True)

        return table_run.run(
            args.partition,
            args.force_retrain,
            run_id,
            on_step=step,
            on_rows=filled,
            dry_run=args.dry_run,
        )


def print_summary(record: TableRunRecord, out: Any, spec: TableSpec | None = None) -> None:
    """The run's tables: the missing cells found, each model, each publish's columns, and the
    rows no partition window covers (not filled; needs ``spec``)."""
    from impute_assets.pipeline.partitions import uncovered_line
    from impute_assets.pipeline.summary import fill_line, fill_rows, missing_rows, model_rows

    missing = record.missing
    out.print(f"[bold]{record.table}[/]: {missing.missing_cells} missing cells in "
              f"{missing.rows} rows")  # fmt: skip
    out.print(rich_table("missing values", missing_rows(missing)))
    out.print(rich_table("models", model_rows(record.training)))
    for fill in record.fills:
        out.print(fill_line(fill), soft_wrap=True)
        rows = fill_rows(fill)  # the reasons in a table of their own: they are long
        out.print(
            rich_table(None, [{k: v for k, v in r.items() if k != "left because"} for r in rows])
        )
        left = [
            {"column": r["column"], "left": r["left"], "left because": r["left because"]}
            for r in rows
            if r["left"]
        ]
        if left:
            out.print(rich_table("left", left))
    if record.uncovered and spec is not None:
        out.print(f"[yellow]{uncovered_line(spec, record.uncovered)}[/]", soft_wrap=True)


def rich_table(title: str | None, rows: list[dict[str, Any]]) -> Any:
    """Summary rows (``impute_assets.pipeline.summary``) as a rich table."""
    from rich.table import Table

    from impute_assets.core.markdown import cell_text

    table = Table(title=title, title_justify="left")
    for name in rows[0] if rows else ["(none)"]:
        table.add_column(name, justify="right" if rows and _numeric(rows[0][name]) else "left")
    for row in rows:
        table.add_row(*(cell_text(v, missing="-") for v in row.values()))
    return table


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
