"""The blend candidate: a weighted average of a column's blendable candidates.

Numeric members are weighted by least squares on the held-out cells, the weights kept
non-negative and summing to one (stacking); members left with under 5% of the weight are
dropped, so they cost no refit. Categorical members (and numeric ones of fewer than
``STACK_CELLS`` held-out cells) are the top 2, 3, ... of the blendable candidates, ranked by
their own held-out scores, as many as score best together, averaged with equal weights
(classes as probabilities, each at its own fitted temperature): weights fitted to the
held-out likelihood lowered the accuracy (see ``benchmarks/results/HISTORY.md``, section q).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import nnls

from impute_assets.core.candidates import names
from impute_assets.core.candidates.base import (
    Calibration,
    Candidate,
    FittedColumn,
    HeldOutFit,
    RawInputs,
    Split,
    row_weight,
    score_loss,
    split_score,
)
from impute_assets.core.nets.training import TargetData
from impute_assets.core.uncertainty.calibration import fit_temperature


class Blend(Candidate):
    name = names.BLEND
    description = "a weighted average of the blendable candidates"
    combines = True

    def holdout_fit(self, split: Split, hint: Any = None) -> HeldOutFit | None:
        mix = blend_members(split.earlier, split.y_hold, split.target)
        if mix is None:
            return None
        numeric = split.target.numeric
        outputs = blend(
            {n: member_values(split.earlier[n], numeric, t) for n, t in mix.members.items()},
            numeric,
            mix.weights,
        )
        return HeldOutFit(outputs, members=mix.members, weights=mix.weights)

    def uses(self, calibration: Calibration) -> set[str]:
        return set(calibration.members or ())

    def raw(self, model: FittedColumn, inputs: RawInputs) -> np.ndarray:
        return blend(
            {
                name: member_values(model.candidate_raw(name, inputs), model.numeric, temperature)
                for name, temperature in model.calibration.members.items()
            },
            model.numeric,
            model.calibration.weights,
        )


#: A numeric member with less of the weight than this is dropped (and the rest rescaled).
MIN_WEIGHT = 0.05
#: Numeric blends of fewer held-out cells than this average the top-ranked members equally:
#: weights fitted on a handful of cells would follow their noise.
STACK_CELLS = 50


@dataclass(frozen=True)
class Mix:
    """A blend's members with their temperatures (1.0 for numbers), and their weights
    (summing to one; None: equal)."""

    members: dict[str, float]
    weights: dict[str, float] | None = None


def blend_members(
    outputs: Mapping[str, np.ndarray], truth: np.ndarray, target: TargetData
) -> Mix | None:
    """The blend of ``outputs`` (the blendable candidates' held-out outputs); None when fewer
    than two candidates were fitted, or when one would take all the weight. Numbers whose
    weights cannot be fitted (a member's output not finite) get the equal average."""
    if len(outputs) < 2:
        return None
    if target.numeric and len(truth) >= STACK_CELLS:
        try:
            return _stacked(outputs, truth, target)
        except (ValueError, RuntimeError):  # a member's non-finite output, or no convergence
            pass
    return _top_ranked(outputs, truth, target)


def _stacked(
    outputs: Mapping[str, np.ndarray], truth: np.ndarray, target: TargetData
) -> Mix | None:
    """Numbers: the members' least-squares weights on the held-out rows (see the module)."""
    values = {n: member_values(out, True, 1.0) for n, out in outputs.items()}
    rows = row_weight(target, target.holdout)
    weights = simplex_weights(np.stack(list(values.values())), truth, rows)
    kept = {n: w for n, w in zip(values, weights, strict=True) if w >= MIN_WEIGHT}
    if len(kept) < 2:
        return None
    total = sum(kept.values())
    return Mix(dict.fromkeys(kept, 1.0), {n: float(w / total) for n, w in kept.items()})


def _top_ranked(outputs: Mapping[str, np.ndarray], truth: np.ndarray, target: TargetData) -> Mix:
    """The best-scoring equal average of the top 2, 3, ... members (ranked by their own
    scores), each at its own temperature (classes) or 1.0 (numbers)."""
    names_, numeric = list(outputs), target.numeric
    temperatures = {
        n: 1.0 if numeric else fit_temperature(outputs[n], truth.astype(int)) for n in names_
    }
    ranked = sorted(
        names_, key=lambda n: score_loss(split_score(outputs[n], truth, target), target)
    )
    values = {n: member_values(outputs[n], numeric, temperatures[n]) for n in names_}
    best = min(
        range(2, len(ranked) + 1),
        key=lambda k: score_loss(
            split_score(blend({n: values[n] for n in ranked[:k]}, numeric), truth, target),
            target,
        ),
    )
    return Mix({n: temperatures[n] for n in names_ if n in ranked[:best]})


def simplex_weights(
    values: np.ndarray, truth: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """The weights (non-negative, summing to one) whose average of ``values`` (members x
    rows) is nearest ``truth`` in (``rows``-weighted) squared error: non-negative least
    squares with the sum held at one by a heavily weighted extra equation."""
    scale = np.sqrt(rows / (rows.mean() or 1.0)) if rows is not None else np.ones(len(truth))
    design = (values * scale).T
    heavy = np.sqrt(1e3 * max(float(np.square(design).sum()), 1.0))
    weights, _ = nnls(
        np.vstack([design, np.full((1, len(values)), heavy)]),
        np.concatenate([truth * scale, [heavy]]),
    )
    total = weights.sum()
    return weights / total if total > 0 else np.full(len(values), 1 / len(values))


def member_values(out: np.ndarray, numeric: bool, temperature: float) -> np.ndarray:
    """A candidate's outputs on the blend's common scale: values, or calibrated probabilities."""
    if numeric:
        return out[:, 0] if out.ndim == 2 else out
    scaled = out / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    probs = np.exp(scaled)
    return probs / probs.sum(axis=1, keepdims=True)


def blend(
    members: Mapping[str, np.ndarray], numeric: bool, weights: Mapping[str, float] | None = None
) -> np.ndarray:
    """The blend's raw outputs (``members``: each member's values on the common scale): the
    weighted mean value, or log of the weighted mean probabilities; None weights: equal."""
    mean = np.average(
        list(members.values()), axis=0, weights=[weights[n] for n in members] if weights else None
    )
    return mean if numeric else np.log(np.maximum(mean, 1e-9))
