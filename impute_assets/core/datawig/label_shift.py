"""Label shift: how much more (or less) often each label occurs where the model is applied.

Black-box shift estimation (Lipton et al., 2018), as Datawig's ``check_for_label_shift``: with
``C[i, j]`` the test share of rows predicted ``i`` whose true label is ``j`` and ``q`` the share
of target rows predicted ``i``, the weights ``w`` solve ``C w = q``; ``w[j]`` estimates
``p_target(j) / p_train(j)`` and reweighs training rows of label ``j``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger("impute_assets")


def label_shift_weights(test_metrics: Mapping[str, Any], predicted: pd.Series) -> dict[Any, float]:
    """Per-label weights (clipped at 0) from the test confusion matrix in ``test_metrics``
    (see :func:`~impute_assets.core.metrics.prediction_metrics`) and the labels predicted
    on the target rows."""
    labels = list(test_metrics["labels"])
    joint = np.asarray(test_metrics["confusion_matrix"], dtype=float).T  # rows: predicted
    joint /= joint.sum()
    shares = predicted.astype(str).value_counts(normalize=True).reindex(labels, fill_value=0.0)
    weights, *_ = np.linalg.lstsq(joint, shares.to_numpy(dtype=float), rcond=None)
    result = {label: float(max(w, 0.0)) for label, w in zip(labels, weights, strict=True)}
    logger.info(
        "label shift: estimated target label shares %s, training shares %s, weights %s",
        dict(zip(labels, joint.sum(axis=0) * weights, strict=True)),
        dict(zip(labels, joint.sum(axis=0), strict=True)),
        result,
    )
    return result
