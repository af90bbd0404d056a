"""The ``impute-assets`` command: one module per subcommand, each exposing ``register``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Subcommand modules under ``impute_assets.cli``; each defines ``register(subparsers)``,
#: which adds its parser and sets ``func(args) -> int`` as the handler.
SUBCOMMANDS = ("impute", "evaluate", "validate", "run", "demo")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="impute-assets",
        description="Fill missing values in tables with per-column neural imputers.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"impute_assets.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit code."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
