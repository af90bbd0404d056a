"""``impute-assets evaluate FILE``: hide known cells, impute them, and score what was hidden."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from rich.table import Table

from impute_assets.cli.files import read_frame
from impute_assets.cli.impute import add_model_arguments, build_imputer, console

PATTERNS = ("mcar", "mar", "mnar")
#: (report field, heading) of the per-column scores, in print order.
SCORES = (
    ("nrmse", "nRMSE"),
    ("nmae", "nMAE"),
    ("mae", "MAE"),
    ("wasserstein", "Wasserstein"),
    ("accuracy", "accuracy"),
    ("macro_f1", "macro-F1"),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` subcommand."""
    parser = subparsers.add_parser(
        "evaluate",
        help="score the imputer on known cells hidden from a table",
        description=(
            "Hide a seeded share of each column's observed cells (MCAR, MAR or MNAR), fill them "
            "with the imputer, and score only the hidden cells: nRMSE, MAE and Wasserstein "
            "distance for numbers, accuracy and macro-F1 for categories. --columns picks the "
            "columns whose cells are hidden and imputed (default: every imputable column)."
        ),
    )
    parser.add_argument("file", help="a .parquet or .csv table")
    parser.add_argument(
        "--pattern",
        choices=PATTERNS,
        default="mcar",
        help="missingness pattern of the hidden cells (default: mcar)",
    )
    parser.add_argument(
        "--fraction",
        type=float,
        default=0.2,
        help="share of each column's observed cells to hide (default: 0.2)",
    )
    add_model_arguments(parser)
    parser.add_argument(
        "--markdown", action="store_true", help="print the report as markdown instead of a table"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate our Imputer on ``args.file`` and print the per-column scores."""
    from impute_assets.core.kinds import infer_kinds
    from impute_assets.evaluation import evaluate

    frame = read_frame(args.file)
    imputer = build_imputer(args)
    try:
        kinds = infer_kinds(frame, imputer.kinds, imputer.exclude)
        report = evaluate(
            frame,
            imputer,
            args.pattern,
            args.fraction,
            args.seed,
            columns=args.columns,
            kinds=kinds,
            method="impute_assets.Imputer",
        )
    except (KeyError, ValueError) as exc:
        raise SystemExit(f"error: impute-assets evaluate {args.file}: {exc}") from None
    if args.markdown:
        print(report.to_markdown())
    else:
        console().print(score_table(report, Path(args.file).name))
    return 0


def score_table(report, source: str) -> Table:
    """The per-column scores and their means, captioned with how they were measured."""
    table = Table(
        title=f"{source}: {report.pattern.upper()} {report.fraction:.0%} of observed cells "
        f"hidden (seed {report.seed})",
        caption=(
            f"{report.hidden} cells hidden and scored; {report.left} left missing by the "
            f"imputer (counted as misses); imputation took {report.seconds:.1f} s. nRMSE, "
            "nMAE and Wasserstein are divided by the std of the column's known values."
        ),
    )
    for heading in ("column", "kind", "hidden", "left", *(h for _, h in SCORES)):
        table.add_column(heading, justify="left" if heading in ("column", "kind") else "right")
    for row in report.to_frame().itertuples(index=False):
        table.add_row(
            row.column,
            row.kind,
            str(row.hidden),
            str(row.left),
            *(_number(getattr(row, field)) for field, _ in SCORES),
        )
    overall = report.overall
    table.add_section()
    table.add_row(
        "overall (mean)",
        "",
        str(report.hidden),
        str(report.left),
        *(_number(overall.get(field, math.nan)) for field, _ in SCORES),
        style="bold",
    )
    return table


def _number(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.4g}"
