"""The blend candidate: the average of the best-scoring blendable candidates of a column.

The members are the top 2, 3, ... of the blendable candidates fitted (ranked by their own
held-out scores), as many as score best together; categorical members are averaged as
probabilities, each at its own fitted temperature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from impute_assets.core.candidates import names
from impute_assets.core.candidates.base import (
    Calibration,
    Candidate,
    FittedColumn,
    HeldOutFit,
    RawInputs,
    Split,
    score_loss,
    split_score,
)
from impute_assets.core.nets.training import TargetData
from impute_assets.core.uncertainty.calibration import fit_temperature


class Blend(Candidate):
    name = names.BLEND
    description = "the average of the best-scoring blendable candidates"
    combines = True

    def holdout_fit(self, split: Split, hint: Any = None) -> HeldOutFit | None:
        members = blend_members(split.earlier, split.y_hold, split.target)
        if not members:
            return None
        numeric = split.target.numeric
        outputs = blend(
            [member_values(split.earlier[n], numeric, t) for n, t in members.items()], numeric
        )
        return HeldOutFit(outputs, members=members)

    def uses(self, calibration: Calibration) -> set[str]:
        return set(calibration.members or ())

    def raw(self, model: FittedColumn, inputs: RawInputs) -> np.ndarray:
        return blend(
            [
                member_values(model.candidate_raw(name, inputs), model.numeric, temperature)
                for name, temperature in model.calibration.members.items()
            ],
            model.numeric,
        )


def blend_members(
    outputs: Mapping[str, np.ndarray], truth: np.ndarray, target: TargetData
) -> dict[str, float]:
    """The blend's members (of ``outputs``, the blendable candidates' held-out outputs) and
    their temperatures; empty when fewer than two were fitted."""
    names_ = list(outputs)
    if len(names_) < 2:
        return {}
    if target.numeric:
        temperatures = dict.fromkeys(names_, 1.0)
    else:
        temperatures = {n: fit_temperature(outputs[n], truth.astype(int)) for n in names_}
    # the best-scoring average of the top 2, 3, ... members (ranked by their own scores)
    ranked = sorted(
        names_, key=lambda n: score_loss(split_score(outputs[n], truth, target), target)
    )
    values = {n: member_values(outputs[n], target.numeric, temperatures[n]) for n in names_}
    best = min(
        range(2, len(ranked) + 1),
        key=lambda k: score_loss(
            split_score(blend([values[n] for n in ranked[:k]], target.numeric), truth, target),
            target,
        ),
    )
    return {n: temperatures[n] for n in names_ if n in ranked[:best]}


def member_values(out: np.ndarray, numeric: bool, temperature: float) -> np.ndarray:
    """A candidate's outputs on the blend's common scale: values, or calibrated probabilities."""
    if numeric:
        return out[:, 0] if out.ndim == 2 else out
    scaled = out / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    probs = np.exp(scaled)
    return probs / probs.sum(axis=1, keepdims=True)


def blend(members: list[np.ndarray], numeric: bool) -> np.ndarray:
    """The blend's raw outputs: the mean value, or log of the mean probabilities."""
    mean = np.mean(members, axis=0)
    return mean if numeric else np.log(np.maximum(mean, 1e-9))
