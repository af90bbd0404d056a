"""How high categorical accuracy can go on ``benchmarks/scale.py``'s table: LightGBM ceilings.

For each categorical column, a LightGBM classifier (1 thread, up to 2,000 trees of 63 leaves,
learning rate 0.05, early stopping on 10,000 observed rows) is trained on the column's
observed cells from three inputs and scored on its hidden cells:

- the other columns as the imputers see them (30% of their cells hidden too): a strong peer;
- the other columns complete (nothing hidden): what better inputs would give;
- the 3 latent factors the table is generated from: near the Bayes limit, since each
  category is a noisy cut of a score of those factors.

    PYTHONPATH=. python benchmarks/scale_ceiling.py --rows 200000 --columns c0

Needs the ``boosting`` extra (LightGBM). Prints one line per model and the means.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scale import LEVELS, categorical_columns, hide, make_table

VALIDATION_ROWS = 10_000


def as_categories(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` as pandas categoricals (LightGBM's native categories)."""
    out = frame.copy()
    for column in columns:
        out[column] = pd.Categorical(out[column], categories=list(LEVELS))
    return out


def hidden_accuracy(inputs: pd.DataFrame, y: np.ndarray, hidden: np.ndarray) -> tuple[float, int]:
    """Accuracy on the hidden cells of a classifier fitted on the observed ones; its trees."""
    import lightgbm as lgb

    observed = np.flatnonzero(~hidden)
    np.random.default_rng(0).shuffle(observed)
    check, fit = observed[:VALIDATION_ROWS], observed[VALIDATION_ROWS:]
    model = lgb.LGBMClassifier(
        n_estimators=2000, learning_rate=0.05, num_leaves=63, n_jobs=1, verbose=-1
    )
    model.fit(
        inputs.iloc[fit],
        y[fit],
        eval_set=[(inputs.iloc[check], y[check])],
        callbacks=[lgb.early_stopping(50, verbose=False)],
    )
    return float(np.mean(model.predict(inputs.iloc[np.flatnonzero(hidden)]) == y[hidden])), int(
        model.best_iteration_
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--columns", nargs="+", default=None, help="categorical columns (all)")
    args = parser.parse_args(argv)
    truth = make_table(args.rows, 10, 3, 0)
    masked = hide(truth, 0.3, 0)
    factors = pd.DataFrame(np.random.default_rng(0).normal(size=(args.rows, 3)))  # make_table's z
    categorical = categorical_columns(truth)
    results: dict[str, list[float]] = {}
    for column in args.columns or categorical:
        y = pd.Categorical(truth[column], categories=list(LEVELS)).codes
        hidden = masked[column].isna().to_numpy()
        for name, inputs in (
            ("other columns, 30% hidden", as_categories(masked, categorical).drop(columns=column)),
            ("other columns, complete", as_categories(truth, categorical).drop(columns=column)),
            ("the 3 latent factors", factors),
        ):
            started = time.perf_counter()
            accuracy, trees = hidden_accuracy(inputs, y, hidden)
            results.setdefault(name, []).append(accuracy)
            print(
                f"{column}  {name:28s} accuracy {accuracy:.3f}  ({trees} trees, "
                f"{time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    for name, values in results.items():
        print(f"mean over columns  {name:28s} {np.mean(values):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
