"""Explanations: which inputs drove a column's fills, and which tokens go with which label.

- **Permutation importance** (for every fitted column model): on the held-out split, each
  input column's values are shuffled across rows and the chosen model predicts again; the
  held-out score lost (accuracy points, or nRMSE gained) is that input's importance. Derived
  sequence context counts towards the column it comes from. Measured through the same
  prediction path as filling, on at most :data:`MAX_ROWS` held-out rows, and fewer for a
  model of many inputs (:data:`SHUFFLED_ROWS`): the cost is inputs x rows predictions.
- **Label associations** (``SimpleImputer(is_explainable=True)``): per input column and label,
  the tokens (words of text, values of categories) whose rows carry that label more often
  than the others, scored by lift ``P(label | token) / P(label)``, as Datawig's ``explain``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from impute_assets.core.encoding.features import Features
from impute_assets.core.fitting.column_model import ColumnModel, ColumnPrediction
from impute_assets.core.fitting.prediction import encoded_predictions, stacked_net
from impute_assets.core.kinds import ColumnKind

#: Held-out rows an importance is measured on, at most (a seeded sample beyond that).
MAX_ROWS = 2000
#: Shuffled rows predicted per model, spread over its inputs (but never under ``MIN_ROWS``
#: per input): on a 2,000-row table of 51 columns, importance cost 20 of 110 s when every
#: input was measured on every held-out row. Up to ``SHUFFLED_ROWS / MIN_ROWS`` inputs the
#: cost per model is fixed, so a table's grows linearly with its columns: at 128 rows per
#: input, 3,000 x 100 spent 21% of its fill here (100 models x 100 inputs x 128 rows). Once
#: numeric blends were weighted (more columns blended, each member predicting the shuffled
#: rows), loans at 2,000 rows spent 5.4 CPU s here at 8,192 rows, 3.3 s at 4,096 (the
#: 2,000-row tables' fill time as before; benchmarks/results/HISTORY.md, section q). At
#: 64 rows per input, a model of 199 inputs predicted 12,736 shuffled rows, and importance
#: was 36% of a 3,000 x 200 fill (section s); at 32 the cost stays fixed up to 128 inputs.
SHUFFLED_ROWS = 4096
MIN_ROWS = 32
#: Rows predicted in one call at most: shuffled copies of the held-out rows go stacked.
STACKED_ROWS = 65_536
#: Tokens kept per label and input column for explanations.
KEPT_TOKENS = 100
#: A token must occur in this many training rows to explain anything.
MIN_TOKEN_ROWS = 3

_WORD = re.compile(r"\w+", re.UNICODE)


def permutation_importance(
    model: ColumnModel, inputs: pd.DataFrame, truth: pd.Series, rows: np.ndarray, seed: int = 0
) -> dict[str, float]:
    """Each input column's importance for ``model`` on ``rows`` (positions) of ``inputs``,
    scored against ``truth`` (aligned with ``inputs``). Empty without held-out rows."""
    rng = np.random.default_rng(seed)
    limit = importance_rows(len(model.inputs))
    if len(rows) > limit:
        rows = np.sort(rng.choice(rows, size=limit, replace=False))
    if not len(rows):
        return {}
    known = truth.iloc[rows].reset_index(drop=True)
    expected = model.encoder.target(known)
    device = torch.device("cpu")
    net = stacked_net([model], device) if model.uses_network else None

    def predict(features: Features) -> ColumnPrediction:
        rows_of = {model.target: np.arange(features.rows)}
        return encoded_predictions([model], net, features, rows_of, device, "auto")[model.target]

    # shuffling encoded slots is shuffling the column (encoding is row by row), at one
    # encoding; the shuffled copies are predicted stacked, a few calls instead of one per input
    encoded = model.space.encode(inputs.iloc[rows])
    base = _quality(model, predict(encoded), expected, known)
    columns = model.inputs
    orders = [rng.permutation(len(rows)) for _ in columns]
    per_call = max(1, STACKED_ROWS // len(rows))
    importance = {}
    for start in range(0, len(columns), per_call):
        batch = range(start, min(start + per_call, len(columns)))
        stacked = predict(
            Features.concat(
                [encoded.permuted(model.space.position(columns[i]), orders[i]) for i in batch]
            )
        )
        for k, i in enumerate(batch):
            part = stacked.take(np.arange(k * len(rows), (k + 1) * len(rows)))
            importance[columns[i]] = float(base - _quality(model, part, expected, known))
    return importance


def importance_rows(inputs: int) -> int:
    """Held-out rows a model of ``inputs`` inputs is measured on at most: ``SHUFFLED_ROWS``
    shuffled rows spread over its inputs, within ``MIN_ROWS`` and ``MAX_ROWS``."""
    return min(MAX_ROWS, max(MIN_ROWS, SHUFFLED_ROWS // max(inputs, 1)))


def _quality(
    model: ColumnModel, prediction: ColumnPrediction, expected: np.ndarray, known: pd.Series
) -> float:
    """Accuracy, or minus the nRMSE (in the column's scaled units): higher is better."""
    if not model.numeric:
        return float(np.mean(prediction.probabilities.argmax(axis=1) == expected))
    predicted = model.encoder.target(model.encoder.cast(prediction.values, known))
    keep = np.isfinite(expected) & np.isfinite(predicted)
    spread = np.std(expected[keep]) or 1.0
    return -float(np.sqrt(np.mean((predicted[keep] - expected[keep]) ** 2)) / spread)


def label_associations(
    frame: pd.DataFrame, inputs: Sequence[str], output: str, kinds: Mapping[str, ColumnKind]
) -> dict[str, dict[str, list]]:
    """``{input: {label: [[token, lift], ...]}}`` for text and categorical inputs, the
    :data:`KEPT_TOKENS` tokens with the highest lift per label, learnt from observed rows."""
    observed = frame[frame[output].notna()]
    labels = observed[output].astype(str).to_numpy()
    prior = Counter(labels)
    out: dict[str, dict[str, list]] = {}
    for column in inputs:
        if kinds.get(column) not in {ColumnKind.TEXT, ColumnKind.CATEGORICAL}:
            continue
        tokens = [_tokens(v, kinds[column]) for v in observed[column].to_numpy(dtype=object)]
        rows_with: Counter = Counter()
        with_label: dict[str, Counter] = defaultdict(Counter)
        for row_tokens, label in zip(tokens, labels, strict=True):
            rows_with.update(row_tokens)
            with_label[label].update(row_tokens)
        out[column] = {
            label: [
                [t, lift]
                for t, lift in _top(with_label[label], rows_with, prior[label] / len(labels))
            ]
            for label in prior
        }
    return out


def _top(hits: Counter, totals: Counter, share: float) -> list[tuple[str, float]]:
    lifts = [
        (token, (count / totals[token]) / share)
        for token, count in hits.items()
        if totals[token] >= MIN_TOKEN_ROWS
    ]
    lifts.sort(key=lambda item: (-item[1], item[0]))
    return [(t, round(float(lift), 4)) for t, lift in lifts[:KEPT_TOKENS]]


def _tokens(value: Any, kind: ColumnKind) -> set[str]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return set()
    if kind == ColumnKind.TEXT:
        return set(_WORD.findall(str(value).lower()))
    return {str(value)}


def explain_label(
    associations: Mapping[str, Mapping[str, list]], label: Any, k: int
) -> dict[str, list[tuple[str, float]]]:
    """The ``k`` tokens per input most associated with ``label``."""
    known = {lab for per_label in associations.values() for lab in per_label}
    if str(label) not in known:
        raise ValueError(f"label {label!r} was not seen in training; known labels: {sorted(known)}")
    return {
        column: [tuple(pair) for pair in per_label.get(str(label), [])[:k]]
        for column, per_label in associations.items()
    }


def explain_row(
    associations: Mapping[str, Mapping[str, list]], row: pd.Series, label: Any, k: int
) -> dict[str, list[tuple[str, float]]]:
    """The ``k`` tokens of ``row`` per input most associated with ``label``."""
    out = {}
    for column, per_label in associations.items():
        value = row.get(column)
        present = _tokens(value, ColumnKind.TEXT) | _tokens(value, ColumnKind.CATEGORICAL)
        ranked = [tuple(pair) for pair in per_label.get(str(label), []) if pair[0] in present]
        out[column] = ranked[:k]
    return out
