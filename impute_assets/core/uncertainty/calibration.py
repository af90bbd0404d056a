"""Confidence: temperature-scaled class probabilities and calibrated prediction intervals.

A categorical fill's confidence is its calibrated class probability. A numeric fill's
confidence is the probability, under its calibrated Gaussian interval, that the true value lies
within half a column standard deviation of the fill.
"""

from __future__ import annotations

import math

import numpy as np

TEMPERATURES = np.exp(np.linspace(np.log(0.02), np.log(20.0), 60))
Z_95 = 1.959964


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    scaled = scores / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises held-out log loss (1.0 without held-out rows).

    The labels are smoothed by ``1 / (rows + 2)`` (Laplace's rule of succession): ``n`` right
    answers out of ``n`` do not prove that every later fill is right, so a held-out split the
    model gets all right no longer drives the temperature to its floor, where every fill,
    even of a row with nothing to go on, would claim a confidence of 1.0.
    """
    if len(labels) == 0:
        return 1.0
    # log loss at t: mean(logsumexp(gap / t) - target . gap / t) with gap = scores - row max,
    # so each temperature costs one scaled exp-and-sum (the scores are shifted once)
    smoothing = 1.0 / (len(labels) + 2)
    gap = scores - scores.max(axis=1, keepdims=True)
    target_gap = (1 - smoothing) * gap[np.arange(len(labels)), labels] + smoothing * gap.mean(
        axis=1
    )
    losses = [np.mean(np.log(np.exp(gap / t).sum(axis=1)) - target_gap / t) for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


def fit_sigma_scale(mu: np.ndarray, sigma: np.ndarray, truth: np.ndarray) -> float:
    """The factor that makes held-out standardized errors unit-variance."""
    if len(truth) < 2:
        return 1.0
    z = (truth - mu) / np.maximum(sigma, 1e-6)
    return float(np.sqrt(np.mean(z**2))) or 1.0


def numeric_confidence(sigma: np.ndarray, column_std: float) -> np.ndarray:
    """P(|truth - fill| < column_std / 2) under N(fill, sigma^2)."""
    ratio = 0.5 * column_std / (np.maximum(sigma, 1e-9) * math.sqrt(2.0))
    return np.vectorize(math.erf)(ratio) if ratio.size else ratio
