"""Conformal uncertainty: an interval around every numeric fill, a prediction set around every
categorical one, and draws from the same predictive distributions (multiple imputation).

Split conformal on the held-out cells the engine already scores: a column's held-out
*nonconformity scores* are kept with its model, and at fill time a cell's interval (or set)
holds the values whose score the smoothed conformal rule accepts: with ``n`` held-out scores,
``G`` of them above the value's score and ``E`` equal to it, the value is in when
``G + U (E + 1) > (1 - c)(n + 1)``, ``U`` uniform on [0, 1), one per cell (a hash of its row
label, the run's seed and the column). On cells exchangeable with the held-out ones this
covers the truth with probability exactly ``c``, where the plain rule (the
``ceil((n + 1) c)``-th smallest score) covers ``ceil((n + 1) c) / (n + 1)`` or more: up to
1/(n + 1) above ``c`` on a small held-out split, everything (the observed range, every label)
below ``c / (1 - c)`` scores, and a column's whole fill accuracy where its fills are right more
often than ``c`` (a set cannot cover less than its fill does). So a cell's interval ends at one
of two neighbouring held-out scores, a cell of a small split may get the widest interval while
its neighbour gets a finite one, and where the fills alone are right more often than ``c``
some sets are empty: the fill is then not needed to reach the coverage (it is still the most
probable label; a set that is not empty always holds it).

- Numeric: the score is the held-out residual in units of the model's own scale,
  ``(truth - fill) / sigma`` (the network's per-row sigma, or the column's held-out RMSE);
  the interval is ``fill +- q sigma``, decoded (so it stays in the observed range and on the
  column's grid). Draws add a resampled held-out residual: skew and heavy tails are kept.
- Categorical: the score is the calibrated probability of the labels more probable than the
  true one; the set holds the labels, most probable first, whose more-probable mass the rule
  takes (labels tied in probability come in together). A held-out label
  the model never trained on scores infinity: at fill time a label outside what was learnt can
  never be in a set, and the rule must know how often that happens. Draws sample a label
  from the calibrated probabilities.

A model saved without scores (fewer than ``MIN_ROWS_FOR_HOLDOUT`` observed cells) falls back to
its Gaussian sigma and its calibrated probabilities as they are.
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from impute_assets.core.uncertainty.label_sets import LabelSets

if TYPE_CHECKING:
    from impute_assets.core.fitting.column_model import ColumnModel, ColumnPrediction

#: The key of a model's held-out nonconformity scores in ``ColumnModel.arrays``.
SCORES = "conformal_scores"
#: The key of the same held-out cells' confidences: a fill gated by a confidence threshold is
#: calibrated on the held-out cells that pass the same threshold (so the gate, which picks the
#: surer cells, does not push the filled cells' coverage above the nominal one).
CONFIDENCES = "conformal_confidences"
#: The default coverage of intervals and prediction sets.
DEFAULT_COVERAGE = 0.9


#: Probabilities closer than this are tied (a set takes tied labels together).
TIE = 1e-9


def holdout_scores(
    prediction: ColumnPrediction, truth: np.ndarray, numeric: bool, learnt: np.ndarray | None = None
) -> np.ndarray:
    """The held-out nonconformity scores of ``prediction`` against ``truth`` (encoded targets):
    signed scaled residuals for numbers; for classes the probability of the labels more
    probable than the truth, infinite where ``learnt`` (per cell) says the model never saw
    the true label in training."""
    if numeric:
        return ((truth - prediction.center) / prediction.scale).astype(np.float32)
    probabilities = prediction.probabilities
    true = probabilities[np.arange(len(truth)), truth.astype(int)]
    scores = (probabilities * (probabilities > true[:, None] + TIE)).sum(axis=1)
    if learnt is not None:
        scores[~learnt] = np.inf
    return scores.astype(np.float32)


def _above_and_tied(ordered: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many of the sorted held-out scores ``ordered`` lie above each of ``values``, and
    how many equal it: the ``G`` and ``E`` of the smoothed rule."""
    values = np.asarray(values, dtype=ordered.dtype)
    right = np.searchsorted(ordered, values, side="right")
    return len(ordered) - right, right - np.searchsorted(ordered, values, side="left")


def accepted(ordered: np.ndarray, values: np.ndarray, u: np.ndarray, coverage: float) -> np.ndarray:
    """Whether the smoothed conformal rule at ``coverage`` takes each of ``values`` (scores,
    any shape ``u`` broadcasts against) given the sorted held-out scores ``ordered``."""
    above, tied = _above_and_tied(ordered, values)
    return above + u * (tied + 1) > (1 - coverage) * (len(ordered) + 1)


def radius(ordered: np.ndarray, u: np.ndarray, coverage: float) -> np.ndarray:
    """Each cell's largest accepted absolute score (``ordered``: sorted absolute held-out
    scores; ``u``: the cells' uniforms): the ``m``-th largest held-out score, with ``m`` the
    fewest scores the rule needs above, infinite where it needs none."""
    n = len(ordered)
    needed = np.floor((1 - coverage) * (n + 1) - u).astype(int) + 1
    out = np.full(len(u), np.inf)
    some = needed >= 1
    out[some] = ordered[np.maximum(n - needed[some], 0)]
    return out


def holdout_coverage(scores: np.ndarray | None, coverage: float, numeric: bool) -> float | None:
    """The coverage the smoothed rule reaches on held-out cells it was not calibrated on: each
    half of the held-out scores is judged by the other half, a cell counting its chance (over
    ``U``) to be taken; a label the model never learnt is never covered (``None`` without
    scores)."""
    if scores is None or len(scores) < 2:
        return None
    halves = (scores[0::2], scores[1::2])
    hits = 0.0
    for half, other in ((halves[0], halves[1]), (halves[1], halves[0])):
        judged = np.abs(half) if numeric else half
        ordered = np.sort(np.abs(other) if numeric else other)
        above, tied = _above_and_tied(ordered, judged)
        need = ((1 - coverage) * (len(ordered) + 1) - above) / (tied + 1)
        hits += float((np.clip(1 - need, 0, 1) * np.isfinite(judged)).sum())
    return hits / len(scores)


def uniforms(index: pd.Index, seed: int, column: Hashable) -> np.ndarray:
    """The smoothing uniforms of a column's cells, one per row label of ``index``: a hash of
    the label, the run's seed and the column, so a cell gets the same interval or set however
    the frame is split into chunks (rows sharing a label share their uniform)."""
    mixed = pd.util.hash_pandas_object(index, index=False).to_numpy(dtype=np.uint64)
    mixed = mixed ^ np.uint64(
        (seed * 0x9E3779B97F4A7C15 + zlib.crc32(str(column).encode())) % 2**64
    )
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):  # splitmix64
        mixed = (mixed ^ (mixed >> np.uint64(shift))) * np.uint64(factor)
    mixed = mixed ^ (mixed >> np.uint64(31))
    return (mixed >> np.uint64(11)).astype(np.float64) / 2.0**53


@dataclass
class CellUncertainty:
    """The uncertainty of one column's filled cells, in the order of ``rows`` (positions).

    ``lower``/``upper``: the interval's ends in the column's own dtype (numeric and datetime
    columns) and ``width`` its width in column units (seconds for datetimes); ``sets``: each
    cell's prediction set (categorical columns), most probable first, as label codes.
    """

    rows: np.ndarray
    coverage: float
    holdout_coverage: float | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    width: np.ndarray | None = None
    sets: LabelSets | None = None


def cell_uncertainty(
    model: ColumnModel,
    prediction: ColumnPrediction,
    like: pd.Series,
    rows: np.ndarray,
    coverage: float,
    threshold: float = 0.0,
    seed: int = 0,
) -> CellUncertainty | None:
    """The interval or prediction set at ``coverage`` of each predicted cell (``rows``:
    positions; ``like``: the column's cells there, whose dtype the interval ends take),
    calibrated on the held-out cells whose confidence reaches ``threshold`` (the fills' own
    gate) by the smoothed rule (``seed``: its uniforms'); ``None`` for a model whose fills
    carry neither (e.g. copied free text)."""
    scores = gated_scores(model, threshold)
    numeric = model.numeric
    measured = holdout_coverage(scores, coverage, numeric)
    u = uniforms(like.index, seed, model.target)
    if numeric and prediction.center is not None:
        limit = (
            radius(np.sort(np.abs(scores)), u, coverage)
            if scores is not None and len(scores)
            else NormalDist().inv_cdf(0.5 + coverage / 2)  # saved without scores: Gaussian
        )
        reach = limit * prediction.scale  # infinite (the observed range) where the rule says
        # an integer column keeps the integers inside the interval (rounding its ends would
        # widen it by up to half a step each side); the fill itself always stays inside
        inward = (
            0.5 / model.encoder.scale * (1 - 1e-6)
            if getattr(model.encoder, "integral", False)
            else 0.0
        )
        fill = model.encoder.decode(prediction.center)
        low = np.minimum(model.encoder.decode(prediction.center - reach + inward), fill)
        high = np.maximum(model.encoder.decode(prediction.center + reach - inward), fill)
        return CellUncertainty(
            rows,
            coverage,
            measured,
            model.encoder.cast(low, like).to_numpy(dtype=object),
            model.encoder.cast(high, like).to_numpy(dtype=object),
            high - low,
        )
    if not numeric and prediction.probabilities is not None:
        return CellUncertainty(
            rows,
            coverage,
            measured,
            sets=_sets(model, prediction.probabilities, scores, u, coverage),
        )
    return None


def gated_scores(model: ColumnModel, threshold: float) -> np.ndarray | None:
    """The held-out scores of the cells whose confidence reaches ``threshold`` (all of them
    for a model saved without confidences)."""
    scores, confidences = model.arrays.get(SCORES), model.arrays.get(CONFIDENCES)
    if scores is None or confidences is None or threshold <= 0:
        return scores
    return scores[confidences >= np.float32(threshold)]


def column_summary(
    cells: CellUncertainty | None, model: ColumnModel, observed: pd.Series
) -> dict[str, float | None]:
    """The report's uncertainty fields for one column's filled cells (see ``ColumnReport``):
    ``observed`` is the column as given, whose 5th-95th percentile spread widths are put against."""
    if cells is None:
        return {}
    summary: dict[str, float | None] = {
        "coverage": cells.coverage,
        "holdout_coverage": cells.holdout_coverage,
    }
    if cells.width is not None and len(cells.width):
        summary["mean_width"] = float(np.mean(cells.width))
        target = model.encoder.target(observed)
        target = target[np.isfinite(target)]
        if len(target):
            low, high = model.encoder.decode(np.percentile(target, [5, 95]))
            summary["width_to_spread"] = (
                summary["mean_width"] / float(high - low) if high > low else None
            )
    if cells.sets is not None and len(cells.sets):
        summary["mean_set_size"] = float(np.mean(cells.sets.sizes))
    return summary


def _sets(
    model: ColumnModel,
    probabilities: np.ndarray,
    scores: np.ndarray | None,
    u: np.ndarray,
    coverage: float,
) -> LabelSets:
    """Labels, most probable first, whose more-probable mass the smoothed rule takes against
    the held-out ``scores`` (without scores: the mass within ``coverage``, the fill at least)."""
    order = np.argsort(-probabilities, axis=1, kind="stable")
    ranked = np.take_along_axis(probabilities, order, axis=1)
    above = np.cumsum(ranked, axis=1) - ranked
    # a tied label has the more-probable mass of the first of its ties (only rows with ties
    # are redone: three n x labels passes saved where probabilities rarely tie)
    starts = np.ones_like(ranked, dtype=bool)
    starts[:, 1:] = ranked[:, 1:] < ranked[:, :-1] - TIE
    tied = np.flatnonzero(~starts.all(axis=1))
    if len(tied):
        first = np.maximum.accumulate(np.where(starts[tied], np.arange(ranked.shape[1]), 0), axis=1)
        above[tied] = np.take_along_axis(above[tied], first, axis=1)
    if scores is None or not len(scores):
        sizes = np.maximum((above <= coverage).sum(axis=1), 1)
    else:  # taken is a prefix: the rule is monotone in the score, above grows along the row
        sizes = _taken(np.sort(scores), above, u, coverage)
    return LabelSets.ranked(order, sizes, model.encoder.values)


def _taken(ordered: np.ndarray, above: np.ndarray, u: np.ndarray, coverage: float) -> np.ndarray:
    """Per row of ``above``, how many of its values the smoothed rule takes (``accepted``
    counted along the row). Where every row's values (as the scores' dtype) grow along it,
    the taken ones are a prefix: its length is bisected, ~9 rule checks per row instead of one
    per label (a 300-label column: 3,000,000 per 10,000 cells); otherwise counted in full."""
    values = above.astype(ordered.dtype)
    if not (values[:, 1:] >= values[:, :-1]).all():
        return accepted(ordered, values, u[:, None], coverage).sum(axis=1)
    low = np.zeros(len(values), dtype=np.int64)  # the first ``low`` labels are taken
    high = np.full(len(values), values.shape[1], dtype=np.int64)  # none from ``high`` on
    while (open_ := np.flatnonzero(low < high)).size:
        mid = (low[open_] + high[open_]) // 2
        take = accepted(ordered, values[open_, mid], u[open_], coverage)
        low[open_] = np.where(take, mid + 1, low[open_])
        high[open_] = np.where(take, high[open_], mid)
    return low


def draw(
    model: ColumnModel,
    prediction: ColumnPrediction,
    rng: np.random.Generator,
    threshold: float = 0.0,
) -> np.ndarray | list[Any] | None:
    """One draw per predicted cell from its predictive distribution, decoded: the fill plus a
    resampled held-out residual (numbers; of the held-out cells that pass ``threshold``, as
    the fills do), a label sampled by its calibrated probability (classes); ``None`` when the
    model has neither (the fills themselves are then used)."""
    if model.numeric and prediction.center is not None:
        scores = gated_scores(model, threshold)
        noise = (
            rng.choice(scores.astype(np.float64), size=len(prediction.center))
            if scores is not None and len(scores)
            else rng.standard_normal(len(prediction.center))
        )
        return model.encoder.decode(prediction.center + noise * prediction.scale)
    if not model.numeric and prediction.probabilities is not None:
        cumulative = np.cumsum(prediction.probabilities, axis=1)
        picks = (cumulative < rng.random((len(cumulative), 1)) * cumulative[:, -1:]).sum(axis=1)
        return model.encoder.decode(np.minimum(picks, cumulative.shape[1] - 1))
    return None
