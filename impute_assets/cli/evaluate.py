"""``impute-assets evaluate FILE``: hide known cells, impute them, and score what was hidden."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from impute_assets.cli.tables import read_table

PATTERNS = ("mcar", "mar", "mnar")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` subcommand."""
    parser = subparsers.add_parser(
        "evaluate",
        help="score the imputer on cells hidden from a complete-enough table",
        description=(
            "Hide a seeded share of each column's observed cells (MCAR, MAR or MNAR), fill them "
            "with the imputer, and score only the hidden cells: nRMSE, MAE and Wasserstein "
            "distance for numbers, accuracy and macro-F1 for categories."
        ),
    )
    parser.add_argument("file", help="a .parquet or .csv table")
    parser.add_argument("--pattern", choices=PATTERNS, default="mcar",
                        help="missingness pattern of the hidden cells (default: mcar)")
    parser.add_argument("--fraction", type=float, default=0.2,
                        help="share of each column's observed cells to hide (default: 0.2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the mask and the model")
    parser.add_argument("--columns", nargs="+", metavar="COLUMN",
                        help="columns to hide cells in (default: every imputable column)")
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "mps", "cpu"))
    parser.add_argument("--markdown", action="store_true",
                        help="print the report as markdown instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate our Imputer on ``args.file`` and print the per-column scores."""
    from impute_assets.core.config import ImputerConfig
    from impute_assets.core.evaluate import evaluate
    from impute_assets.core.imputer import Imputer

    frame = read_table(args.file)
    config = ImputerConfig(seed=args.seed, device=args.device, progress=True)
    try:
        report = evaluate(frame, Imputer(config=config), args.pattern, args.fraction, args.seed,
                          columns=args.columns, method="impute_assets.Imputer")
    except (KeyError, ValueError) as exc:
        raise SystemExit(f"impute-assets evaluate {args.file}: {exc}") from None
    if args.markdown:
        print(report.to_markdown())
    else:
        _print_table(report, args.file)
    return 0


def _print_table(report, source: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{Path(source).name}: {report.pattern.upper()} {report.fraction:.0%} of observed cells "
        f"hidden (seed {report.seed})",
        caption=(
            f"{report.hidden} cells hidden and scored; {report.left} left missing by the "
            f"imputer (counted as misses); imputation took {report.seconds:.1f} s. nRMSE, "
            "nMAE and Wasserstein are divided by the std of the column's known values."
        ),
    )
    headings = ("column", "kind", "hidden", "left", "nRMSE", "nMAE", "MAE", "Wasserstein",
                "accuracy", "macro-F1")
    for heading in headings:
        table.add_column(heading, justify="left" if heading in ("column", "kind") else "right")
    metrics = ("nrmse", "nmae", "mae", "wasserstein", "accuracy", "macro_f1")
    for row in report.to_frame().itertuples(index=False):
        table.add_row(row.column, row.kind, str(row.hidden), str(row.left),
                      *(_number(getattr(row, m)) for m in metrics))
    overall = report.overall
    table.add_section()
    table.add_row("overall (mean)", "", str(report.hidden), str(report.left),
                  *(_number(overall.get(m, math.nan)) for m in metrics[:2]), "",
                  *(_number(overall[m]) for m in metrics[3:]), style="bold")
    console = Console()
    if not console.is_terminal:  # pipes and files get room for every column
        console = Console(width=max(console.width, 140))
    console.print(table)


def _number(value: float) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.4g}"
