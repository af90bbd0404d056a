"""``impute-assets demo``: the demo code location's run (``dagster_project/demo.py``).

The demo is an application of the library, shipped beside it: this command finds it by name
when it runs, and the library never imports it (an import-linter contract in pyproject.toml).
"""

from __future__ import annotations

import argparse
import importlib

#: The module whose ``main(folder, seed_only, new_month) -> int`` runs the demo.
DEMO_MODULE = "dagster_project.demo"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser("demo", help="run the Dagster demo on nycflights13 data")
    parser.add_argument("--dir", default=".demo", help="demo folder (warehouse, models, runs)")
    parser.add_argument("--seed-only", action="store_true", help="only (re)create the warehouse")
    parser.add_argument(
        "--new-month", action="store_true", help="append April's flights and tick the sensor"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Seed, materialize every asset and check, print a summary."""
    try:
        demo = importlib.import_module(DEMO_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name is None or not DEMO_MODULE.startswith(exc.name):
            raise  # the demo is there, something it imports is not
        raise SystemExit(
            f"impute-assets demo: the demo package {DEMO_MODULE!r} is not installed; it ships "
            "with the impute-assets source tree and wheel (run from a checkout, or reinstall)"
        ) from exc
    return demo.main(args.dir, seed_only=args.seed_only, new_month=args.new_month)
