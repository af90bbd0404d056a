"""Scores of one column's predictions against known values, with scikit-learn's metrics.

These are the numbers ``SimpleImputer.load_metrics()`` returns (Datawig's names), and the
confusion matrix that label-shift estimation reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics


def prediction_metrics(truth: pd.Series, predicted: pd.Series, numeric: bool) -> dict[str, Any]:
    """Regression scores (``mse``, ``mae``) or classification scores (``accuracy``,
    ``weighted_f1``, ``f1_micro``, ``precision_weighted``, ``recall_weighted``, ``labels`` and
    ``confusion_matrix`` as rows of true labels); a missing prediction counts as wrong."""
    if numeric:
        true = pd.to_numeric(truth).to_numpy(dtype=float)
        pred = pd.to_numeric(predicted).to_numpy(dtype=float, na_value=np.nan)
        pred = np.where(np.isfinite(pred), pred, np.nanmean(true))
        return {"mse": float(metrics.mean_squared_error(true, pred)),
                "mae": float(metrics.mean_absolute_error(true, pred)), "rows": len(true)}
    true = truth.astype(str).to_numpy()
    pred = np.where(predicted.isna().to_numpy(), None, predicted.astype(str).to_numpy())
    pred = np.asarray(["\0missing" if p is None else p for p in pred], dtype=object)
    labels = sorted(set(true))
    return {
        "accuracy": float(metrics.accuracy_score(true, pred)),
        "weighted_f1": float(metrics.f1_score(true, pred, average="weighted", labels=labels,
                                              zero_division=0)),
        "f1_micro": float(metrics.f1_score(true, pred, average="micro", labels=labels,
                                           zero_division=0)),
        "precision_weighted": float(metrics.precision_score(true, pred, average="weighted",
                                                            labels=labels, zero_division=0)),
        "recall_weighted": float(metrics.recall_score(true, pred, average="weighted",
                                                      labels=labels, zero_division=0)),
        "labels": labels,
        "confusion_matrix": metrics.confusion_matrix(true, pred, labels=labels).tolist(),
        "rows": len(true),
    }
