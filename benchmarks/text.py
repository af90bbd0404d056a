"""Text benchmark: do free-text inputs help fill other columns, and which text encoder?

For each table 20% of the observed cells of a few target columns are hidden and filled by the
:class:`Imputer` three ways: without the text column, with hashed n-grams (the default) and with
all-MiniLM-L6-v2 sentence embeddings (``text_encoder="minilm"``). Categorical targets are scored
by accuracy, numeric ones by nRMSE (RMSE / std), on the hidden cells only.

* ``trump_tweets``: ``source`` (the client the tweet was sent from) and ``retweet_count``,
  from ``text`` plus ``created_at``, ``favorite_count``, ``is_retweet``.
* ``trump_tweets, text only``: the same targets from the text alone (and each other), which
  shows what the text carries when the time of the tweet is not there to give the answer.
* ``loans``: ``homeownership``, ``verified_income`` and ``annual_income`` from ``emp_title``
  (the job title, read as text) plus a dozen loan columns.

Run: ``PYTHONPATH=. python benchmarks/text.py [--max-rows 6000]``; writes
``benchmarks/results/text.md``. Datasets come from ``$IMPUTE_ASSETS_DATASETS``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from impute_assets.core.imputer import Imputer

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "text.md"
SHARE = 0.2


@dataclass(frozen=True)
class Table:
    name: str
    file: str
    text: str
    targets: tuple[str, ...]
    inputs: tuple[str, ...]


TABLES = (
    Table(
        "trump_tweets",
        "trump_tweets.parquet",
        "text",
        ("source", "retweet_count"),
        ("created_at", "favorite_count", "is_retweet"),
    ),
    Table(
        "trump_tweets, text only", "trump_tweets.parquet", "text", ("source", "retweet_count"), ()
    ),
    Table(
        "loans",
        "loans.parquet",
        "emp_title",
        ("homeownership", "verified_income", "annual_income"),
        (
            "emp_length",
            "state",
            "debt_to_income",
            "loan_purpose",
            "grade",
            "loan_amount",
            "interest_rate",
            "term",
            "total_credit_limit",
            "num_mort_accounts",
            "application_type",
        ),
    ),
)
VARIANTS = {
    "without text": None,
    "n-grams": "ngrams",
    "MiniLM embeddings": "minilm",
}


def datasets_dir() -> Path:
    return Path(os.environ.get("IMPUTE_ASSETS_DATASETS", ROOT.parent / "shared" / "datasets"))


def load(table: Table, max_rows: int, seed: int) -> pd.DataFrame:
    frame = pd.read_parquet(datasets_dir() / table.file)[
        [table.text, *table.targets, *table.inputs]
    ]
    if len(frame) > max_rows:
        frame = frame.sample(n=max_rows, random_state=seed)
    return frame.reset_index(drop=True)


def score(filled: pd.Series, truth: pd.Series, hidden: np.ndarray) -> tuple[str, float]:
    if pd.api.types.is_numeric_dtype(truth.dtype) and not pd.api.types.is_bool_dtype(truth.dtype):
        error = filled.to_numpy(dtype=float)[hidden] - truth.to_numpy(dtype=float)[hidden]
        return "nRMSE", float(np.sqrt(np.mean(error**2)) / truth.std())
    return "accuracy", float((filled[hidden] == truth[hidden]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-rows", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=120)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for table in TABLES:
        truth = load(table, args.max_rows, args.seed)
        rng = np.random.default_rng(args.seed)
        masked = truth.copy()
        hidden = {}
        for target in table.targets:
            hidden[target] = truth[target].notna().to_numpy() & (rng.random(len(truth)) < SHARE)
            masked[target] = masked[target].mask(hidden[target])
        for variant, encoder in VARIANTS.items():
            options = (
                {"kinds": {table.text: "text"}, "text_encoder": encoder}
                if encoder
                else {"exclude": [table.text]}
            )
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = Imputer(
                    columns=list(table.targets), epochs=args.epochs, **options
                ).fit_impute(masked)
            seconds = time.perf_counter() - started
            for target in table.targets:
                metric, value = score(result.frame[target], truth[target], hidden[target])
                chosen = next(r.model for r in result.report if r.column == target)
                rows.append(
                    {
                        "table": table.name,
                        "target": target,
                        "metric": metric,
                        "variant": variant,
                        "value": value,
                        "model": chosen,
                        "seconds": seconds,
                    }
                )
                print(
                    f"{table.name:13s} {target:16s} {variant:18s} {metric} {value:.3f} "
                    f"({chosen}, {seconds:.1f}s)",
                    flush=True,
                )
    write(pd.DataFrame(rows), args)


def write(scores: pd.DataFrame, args: argparse.Namespace) -> None:
    order = list(VARIANTS)
    values = scores.pivot_table(
        index=["table", "target", "metric"], columns="variant", values="value", sort=False
    )[order]
    models = scores.pivot_table(
        index=["table", "target"], columns="variant", values="model", aggfunc="first", sort=False
    )[order]
    seconds = scores.pivot_table(
        index="table", columns="variant", values="seconds", aggfunc="first", sort=False
    )[order]
    lines = [
        "# Text benchmark",
        "",
        (
            f"Command: `PYTHONPATH=. python benchmarks/text.py --max-rows {args.max_rows} "
            f"--seed {args.seed} --epochs {args.epochs}`"
        ),
        (
            f"Machine: {platform.machine()}, torch threads 1, CPU. Rows: a random {args.max_rows} of "
            "each table. Hidden: 20% of the observed cells of each target. Accuracy (higher is "
            "better) for categorical targets, nRMSE (lower is better) for numeric ones, on the "
            "hidden cells only. 'without text' excludes the text column; the other two read it."
        ),
        "",
        "## Scores",
        "",
        values.to_markdown(floatfmt=".3f"),
        "",
        "## Chosen model per target",
        "",
        models.to_markdown(),
        "",
        (
            "## Seconds (fit + fill, all targets of the table; MiniLM includes embedding every "
            "distinct text once and loading the model)"
        ),
        "",
        seconds.to_markdown(floatfmt=".1f"),
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
