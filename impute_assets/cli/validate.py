"""``impute-assets validate URL TABLE --against PROFILE.json``: check a table against a profile.

Builds the suite from the stored profile of observed values and runs it where the table lives;
prints one row per expectation and exits 1 when any fails. Heavy imports stay in ``run`` so
building the parser stays fast.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``validate`` subcommand."""
    parser = subparsers.add_parser(
        "validate",
        help="validate a table against the profile of its observed values",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("url", help="SQLAlchemy URL of the warehouse")
    parser.add_argument("table", help="table to validate")
    parser.add_argument("--against", required=True, metavar="PROFILE.json",
                        help="observed-values profile (TableProfile.to_json)")  # fmt: skip
    parser.add_argument("--schema", default=None, help="schema of the table")
    parser.add_argument("--columns", nargs="+", default=None, metavar="COLUMN",
                        help="imputed columns to check (default: all imputable ones)")  # fmt: skip
    parser.add_argument("--row-count", type=int, default=None,
                        help="expected number of rows (the input's)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate and print; 0 when every expectation holds, else 1."""
    from sqlalchemy.engine import make_url

    from impute_assets.core.kinds import IMPUTABLE_KINDS
    from impute_assets.core.profile import TableProfile
    from impute_assets.quality import build_suite, validate_table

    profile = TableProfile.from_json(args.against)
    columns = args.columns or [n for n, c in profile.columns.items() if c.kind in IMPUTABLE_KINDS]
    suite = build_suite(profile, columns, row_count=args.row_count, name=args.table)
    result = validate_table(args.url, args.table, suite, schema=args.schema)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        _print_table(result, make_url(args.url).render_as_string(hide_password=True))
    return 0 if result.success else 1


def _print_table(result: Any, where: str) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from impute_assets.quality.result import describe_value

    verdict = "[green]passed[/]" if result.success else (
        f"[red]failed[/] ({len(result.failures)} of {len(result.results)})")  # fmt: skip
    title = escape(f"{result.table} @ {where} ({result.engine})")
    table = Table(title=title, title_justify="left")
    for header in ("ok", "expectation", "column", "expected", "observed", "unexpected", "examples"):
        table.add_column(header, overflow="fold")
    for r in sorted(result.results, key=lambda r: r.success):
        cells = (
            r.type.removeprefix("expect_"),
            r.column or "",
            r.expected,
            r.error or describe_value(r.observed_value),
            "" if r.unexpected_count is None else str(r.unexpected_count),
            ", ".join(describe_value(v) for v in r.unexpected_examples),
        )
        table.add_row("[green]✓[/]" if r.success else "[red]✗[/]", *map(escape, cells))
    console = Console(width=160)
    console.print(table)
    console.print(f"suite {result.suite!r}: {verdict}")
