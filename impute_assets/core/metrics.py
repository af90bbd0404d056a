"""Scores of one column's predictions against known values, with scikit-learn's metrics.

These are the numbers ``SimpleImputer.load_metrics()`` returns (Datawig's names), and the
confusion matrix that label-shift estimation reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics

#: The per-class scores averaged (or listed per class) under Datawig's names.
CLASS_SCORES = (
    ("precision", metrics.precision_score),
    ("recall", metrics.recall_score),
    ("f1", metrics.f1_score),
)


def prediction_metrics(truth: pd.Series, predicted: pd.Series, numeric: bool) -> dict[str, Any]:
    """Regression scores (``mse``, ``mae``) or classification scores; a missing prediction
    counts as wrong. Classification scores come under two sets of names: ``accuracy``,
    ``weighted_f1``, ``f1_micro``, ``precision_weighted``, ``recall_weighted``, ``labels`` and
    ``confusion_matrix`` (rows of true labels), and Datawig's ``load_metrics()`` names:
    ``avg_*`` (macro averages), ``weighted_*``, ``class_counts`` (most frequent first) with
    ``class_precision``/``class_recall``/``class_f1`` in that order, ``num_classes`` and
    ``num_applicable_rows``."""
    if numeric:
        true = pd.to_numeric(truth).to_numpy(dtype=float)
        pred = pd.to_numeric(predicted).to_numpy(dtype=float, na_value=np.nan)
        pred = np.where(np.isfinite(pred), pred, np.nanmean(true))
        return {
            "mse": float(metrics.mean_squared_error(true, pred)),
            "mae": float(metrics.mean_absolute_error(true, pred)),
            "rows": len(true),
        }
    true = truth.astype(str).to_numpy()
    pred = np.where(predicted.isna().to_numpy(), None, predicted.astype(str).to_numpy())
    pred = np.asarray(["\0missing" if p is None else p for p in pred], dtype=object)
    labels = sorted(set(true))
    counts = pd.Series(true).value_counts()

    def score(function: Any, average: str | None, over: list[str] = labels) -> Any:
        return function(true, pred, average=average, labels=over, zero_division=0)

    accuracy = float(metrics.accuracy_score(true, pred))
    averaged = {
        f"{prefix}_{name}": float(score(function, average))
        for prefix, average in (("avg", "macro"), ("weighted", "weighted"))
        for name, function in CLASS_SCORES
    }
    return {
        "accuracy": accuracy,
        "f1_micro": float(score(metrics.f1_score, "micro")),
        "precision_weighted": averaged["weighted_precision"],
        "recall_weighted": averaged["weighted_recall"],
        **averaged,
        "avg_accuracy": accuracy,
        "weighted_accuracy": accuracy,
        "class_counts": [[label, int(n)] for label, n in counts.items()],
        **{
            f"class_{name}": score(function, None, list(counts.index)).tolist()
            for name, function in CLASS_SCORES
        },
        "num_classes": len(counts),
        "num_applicable_rows": int(counts.sum()),
        "labels": labels,
        "confusion_matrix": metrics.confusion_matrix(true, pred, labels=labels).tolist(),
        "rows": len(true),
    }
