"""The gradient-boosted-trees candidate (LightGBM), read from the per-column design.

On by default: where the forest beat the networks on categories (storms, flights) it closed
the gap (see the README's benchmarks). Categorical targets of more than ``MAX_CLASSES`` classes
skip it (a multiclass booster grows one tree per class and round), as does a design with no
feature LightGBM can split on; past ``TREE_CLASSES`` classes it grows fewer rounds. LightGBM
is a dependency; where it is missing anyway the candidate is skipped with one warning per fit,
and a saved model that chose it fails to load with a message saying what to install. The
fitted booster is kept as its text dump in a uint8 array, so it is saved in
``weights.safetensors`` like every other candidate.
"""

from __future__ import annotations

import warnings
from functools import cache
from types import ModuleType
from typing import Any

import numpy as np

from impute_assets.core.candidates import names
from impute_assets.core.candidates.base import (
    Candidate,
    FittedColumn,
    HeldOutFit,
    Observed,
    RawInputs,
    Split,
)
from impute_assets.core.candidates.design import varies

#: Boosting rounds, leaves per tree and learning rate: small trees, few rounds, so the
#: candidate stays cheap next to the network on a bounded sample of rows.
ROUNDS = 120
#: Boosting stops once the held-out loss has not improved for this many rounds, where the
#: held-out split has at least ``MIN_STOPPING_ROWS`` rows; the refit on every observed row then
#: runs as many rounds as the held-out fit kept. On smaller splits the stopping round is noise:
#: at 500 rows (~80 held-out rows a column) stopping cost 0.3 pt accuracy; at 2,000 rows it
#: helped (loans nRMSE 0.604 -> 0.599) and cut the boosters' time by two thirds.
EARLY_STOPPING_ROUNDS = 15
MIN_STOPPING_ROWS = 200
LEAVES = 15
LEARNING_RATE = 0.08
MIN_LEAF_ROWS = 10
#: Each tree sees at most this many of the design's features (a random subset, LightGBM's
#: ``feature_fraction``): the design holds every other column, so without it a wide table's
#: boosters cost columns squared (64% of a 3,000 x 100 fill). 3,000 x 100 (``factors6``, 305
#: features): the fill took 1.10x the plain MLP's time (nRMSE 0.359). 64 was faster still, but
#: cost loans (2,000 rows, 197 features) nRMSE 0.611 -> 0.626; 128 keeps 0.611.
MAX_TREE_FEATURES = 128
#: More classes than this make a multiclass booster (one tree per class and round) costly.
MAX_CLASSES = 64
#: Past this many classes a multiclass booster's rounds shrink, so that a fit grows at most
#: ``ROUNDS * TREE_CLASSES`` trees (18 rounds at ``MAX_CLASSES``). A column of fewer than
#: ``repeat_below`` observed cells fits the booster six times (five held-out splits and the
#: refit), without early stopping under ``MIN_STOPPING_ROWS`` held-out rows: a 51-state column
#: of 816 rows grew 36,720 trees, 26 s of a 45 s fit (causaldata/texas). At 10, 500-row tables
#: (seeds 0-1) took 3.64 s instead of 4.26 at the same nRMSE (0.634) and accuracy 0.594 (0.593
#: before), texas 19 s instead of 36 (same accuracy on its hidden `state` cells); 2,000-row
#: tables, which stop early, were unchanged (HISTORY section z).
TREE_CLASSES = 10
INSTALL_HINT = "pip install lightgbm"
#: LightGBM's OpenMP threads. One: next to torch's own threads, LightGBM's default (every
#: core) took 39 s instead of 0.45 s for a 320-row fit on the project's 2-core machine.
THREADS = 1


class Boosted(Candidate):
    """Early-stopped on the first held-out split (given ``MIN_STOPPING_ROWS`` rows); the
    repeated splits and the refit run as many rounds as that fit kept (its ``hint``)."""

    name = names.BOOSTED
    description = "gradient-boosted trees (LightGBM) on the design"
    blendable = True
    repeatable = True

    def holdout_fit(self, split: Split, hint: Any = None) -> HeldOutFit | None:
        target = split.target
        if not len(split.hold_rows) or not (
            fits(split.z_train, target.numeric, target.classes) and available()
        ):
            return None
        first = split.repeat == 0  # stops early on its held-out rows; the repeats do not
        state = boosted_fit(
            split.z_train,
            split.y_train,
            target.numeric,
            target.classes,
            split.config.seed,
            ROUNDS if first or hint is None else hint,
            valid=(split.z_hold, split.y_hold) if first else None,
        )
        model = booster(state)
        outputs = boosted_predict(model, split.z_hold, target.numeric, target.classes)
        return HeldOutFit(outputs, arrays={self.name: state}, hint=rounds(model))

    def refit(self, observed: Observed, hint: Any = None) -> dict[str, np.ndarray]:
        target = observed.target
        state = boosted_fit(
            observed.z,
            observed.y,
            target.numeric,
            target.classes,
            observed.config.seed,
            ROUNDS if hint is None else hint,
        )
        return {self.name: state}

    def raw(self, model: FittedColumn, inputs: RawInputs) -> np.ndarray:
        # parsed once per unit: filling runs chunk by chunk
        parsed = model.cached(self.name, lambda: booster(model.arrays[self.name]))
        return boosted_predict(parsed, inputs.z, model.numeric, model.classes)


@cache
def lightgbm() -> ModuleType | None:
    """The LightGBM module, or ``None`` when it is not installed."""
    try:
        import lightgbm as module
    except ImportError:
        return None
    return module


def fits(z: np.ndarray, numeric: bool, classes: int) -> bool:
    """Whether the candidate is tried for a target: numeric or of few enough classes, with a
    design that varies (LightGBM refuses one whose every feature is constant)."""
    if not numeric and not 2 <= classes <= MAX_CLASSES:
        return False
    return varies(z)


def available(warn: bool = True) -> bool:
    """Whether the candidate can be fitted; warns (once per call site) when it cannot."""
    if lightgbm() is not None:
        return True
    if warn:
        warnings.warn(
            f"the 'boosted' candidate is skipped: LightGBM is not installed; {INSTALL_HINT}",
            UserWarning,
            stacklevel=3,
        )
    return False


def boosted_fit(
    z: np.ndarray,
    y: np.ndarray,
    numeric: bool,
    classes: int,
    seed: int,
    rounds: int = ROUNDS,
    valid: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """A booster fitted on ``z`` -> ``y`` (scaled values, or class ids), as a uint8 array:
    ``rounds`` rounds (at most :func:`max_rounds`), or fewer when the loss on ``valid``
    (inputs, targets) stops falling (only the best round's trees are kept), given at least
    ``MIN_STOPPING_ROWS`` of them."""
    lgb = lightgbm()
    params = {
        "objective": "regression" if numeric else "multiclass",
        "num_leaves": LEAVES,
        "learning_rate": LEARNING_RATE,
        "min_data_in_leaf": MIN_LEAF_ROWS,
        "verbose": -1,
        "seed": seed,
        "deterministic": True,
        "num_threads": THREADS,
        "force_row_wise": True,
        "feature_fraction": min(1.0, MAX_TREE_FEATURES / max(z.shape[1], 1)),
    }
    if not numeric:
        params["num_class"] = max(classes, 2)
    data = lgb.Dataset(z, y.astype(np.float64))
    stopping = {}
    if valid is not None and len(valid[1]) >= MIN_STOPPING_ROWS:
        held_out = lgb.Dataset(valid[0], valid[1].astype(np.float64), reference=data)
        stopping = {
            "valid_sets": [held_out],
            "callbacks": [lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
        }
    # kept as trained: lgb.train would otherwise round-trip it through its text once more
    booster = lgb.train(
        params,
        data,
        num_boost_round=min(rounds, max_rounds(numeric, classes)),
        keep_training_booster=True,
        **stopping,
    )
    kept = booster.best_iteration if stopping and booster.best_iteration > 0 else None
    return np.frombuffer(
        booster.model_to_string(num_iteration=kept).encode(), dtype=np.uint8
    ).copy()


def max_rounds(numeric: bool, classes: int) -> int:
    """The rounds a fit may grow: ``ROUNDS``, fewer past ``TREE_CLASSES`` classes."""
    if numeric or classes <= TREE_CLASSES:
        return ROUNDS
    return ROUNDS * TREE_CLASSES // classes


def rounds(model) -> int:
    """The boosting rounds a booster (see :func:`booster`) holds."""
    return int(model.current_iteration())


def booster(state: np.ndarray):
    """The ``lightgbm.Booster`` a fitted state holds: parsed once, it predicts many times
    (parsing cost more than predicting 400 rows)."""
    lgb = lightgbm()
    if lgb is None:
        raise ImportError(f"this model was filled by the 'boosted' candidate; {INSTALL_HINT}")
    return lgb.Booster(model_str=bytes(state).decode())


def boosted_predict(model, z: np.ndarray, numeric: bool, classes: int) -> np.ndarray:
    """Raw outputs of ``model`` (see :func:`booster`) in the network's form: scaled values,
    or log class probabilities."""
    out = model.predict(z)
    if numeric:
        return np.asarray(out, dtype=np.float64)
    probs = np.asarray(out, dtype=np.float64).reshape(len(z), -1)[:, :classes]
    return np.log(np.maximum(probs, 1e-9))
