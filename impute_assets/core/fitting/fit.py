"""Fitting: train every target column's candidates as one job, pick each column's winner.

The network trains batched over all targets; the cheap candidates are fitted per column on the
same training rows, beside the network's training on small tables (see :data:`BESIDE_CELLS`
and :mod:`impute_assets.core.workers`). Each column's held-out split (observed cells never
trained on) scores every candidate, picks the winner and calibrates its confidence.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from impute_assets.core.candidates.base import (
    Calibration,
    Candidate,
    HeldOutFit,
    Holdout,
    Observed,
    Split,
    TableFit,
    TableShare,
    bounded,
    row_weight,
    split_score,
)
from impute_assets.core.candidates.design import Design
from impute_assets.core.candidates.registry import BASELINE, CANDIDATES, TEXT
from impute_assets.core.config import ImputerConfig
from impute_assets.core.device import resolve_device
from impute_assets.core.encoding.features import FeatureSpace
from impute_assets.core.explanations import permutation_importance
from impute_assets.core.fitting.column_model import ColumnModel, HeldOutCells, fingerprint
from impute_assets.core.fitting.prediction import filled_frame, predict_rows
from impute_assets.core.gating import MAX_SCALED_TARGET, column_facts
from impute_assets.core.kinds import ColumnKind
from impute_assets.core.nets.shared import SHARED_CELLS
from impute_assets.core.nets.training import TargetData
from impute_assets.core.sequence.context import SequenceSpec, raw_columns
from impute_assets.core.uncertainty.calibration import fit_sigma_scale, fit_temperature
from impute_assets.core.uncertainty.conformal import CONFIDENCES, SCORES, holdout_scores
from impute_assets.core.workers import beside, map_columns

logger = logging.getLogger("impute_assets")

#: Below this many observed cells a column has no held-out split and is filled by mean/mode.
MIN_ROWS_FOR_HOLDOUT = 10
#: Tables of fewer training cells (rows x modelled columns) than this fit their columns' cheap
#: candidates beside the networks' training (:func:`~impute_assets.core.workers.beside`),
#: whose small steps gain little from a second thread; taller ones train the networks on
#: every thread first (as many cells as make the shared network train whatever the width).
BESIDE_CELLS = SHARED_CELLS


def fit_column_models(
    frame: pd.DataFrame,
    kinds: Mapping[str, ColumnKind],
    targets: Sequence[str],
    config: ImputerConfig,
    inputs: pd.DataFrame | None = None,
    sequence: SequenceSpec | None = None,
    holdout: Mapping[str, np.ndarray] | None = None,
    weights: np.ndarray | None = None,
    *,
    fingerprints: Mapping[str, str] | None = None,
) -> dict[str, ColumnModel]:
    """One fitted :class:`ColumnModel` per target; ``kinds`` lists every input column.

    ``inputs`` (aligned with ``frame``) is what the models read while training, when it differs
    from ``frame``: e.g. with cells hidden as gaps; targets and encoders come from ``frame``.
    ``holdout`` (per target, aligned rows; see :func:`holdout_split`) is a target's held-out
    split, e.g. drawn from the cells hidden as gaps so candidates are compared where they will
    be used; a target without one gets a random split of its observed cells.
    ``weights`` (per row, aligned) weigh each row in the network's loss and the held-out scores.
    Each model's ``holdout.importance`` is its inputs' permutation importance there.
    ``fingerprints`` (per target) are the plan's (:func:`impute_assets.core.plan.plan_table`);
    without them (the chained round, whose config differs) each target's is computed here, its
    inputs every other column of ``kinds``.
    """
    if fingerprints is None:
        fingerprints = {
            t: fingerprint(t, {c: kinds[c] for c in raw_columns(kinds) if c != t}, config, sequence)
            for t in targets
        }
    rng = np.random.default_rng(config.seed)
    inputs = frame if inputs is None else inputs
    keep = np.arange(len(frame))
    if len(frame) > config.max_training_rows:
        keep = np.sort(rng.choice(len(frame), size=config.max_training_rows, replace=False))
        frame, inputs = frame.iloc[keep], inputs.iloc[keep]
        holdout = {k: v[keep] for k, v in (holdout or {}).items()}
        weights = weights[keep] if weights is not None else None
    space = FeatureSpace.fit(
        frame, kinds, config.max_categories, config.text_buckets, config.text_encoder
    )
    features = space.encode(inputs)
    design = Design.from_features(features, space.categorical_sizes)
    texts = [t for t in targets if kinds[t] == ColumnKind.TEXT]
    data = [
        _target_data(space, frame, t, config, rng, (holdout or {}).get(t), weights)
        for t in targets
        if t not in texts
    ]
    device = resolve_device(config.device)
    networks = [
        c
        for c in CANDIDATES.values()
        if c.table_level and c.trains(config, len(data), sequence is not None, len(frame))
    ]

    def split_of(target: TargetData, tables: Mapping[str, TableFit] | None = None) -> Split:
        return Split(
            design,
            design.without(space.position(target.name)),
            target,
            np.flatnonzero(target.train),
            np.flatnonzero(target.holdout),
            config,
            networks=frozenset(c.name for c in networks),
            tables=tables or {},
        )

    def train() -> dict[str, TableFit]:
        return {c.name: c.fit_table(space, features, data, config, device) for c in networks}

    def start(target: TargetData) -> _Start:
        return _column_start(split_of(target))

    if len(frame) * len(data) < BESIDE_CELLS:
        tables, starts = beside(train, start, data)
    else:
        tables = train()
        starts = map_columns(start, data)
    models = {}
    for name in texts:
        models[name] = _fit_text(
            space, design, frame[name], config, rng, fingerprints[name], sequence
        )

    def fit(job: tuple[TargetData, _Start]) -> ColumnModel:
        target, start = job
        model = _fit_column(
            space, split_of(target, tables), start, kinds, sequence, fingerprints, device.type
        )
        model.holdout.importance = permutation_importance(
            model, inputs, frame[target.name], np.flatnonzero(target.holdout), config.seed
        )
        series = frame[target.name]
        scaled = space.encoders[target.name].target(series) if target.numeric else None
        model.holdout.facts = column_facts(series, target.numeric, scaled)
        if model.held_out is not None:  # positions in the frame as given
            model.held_out = replace(model.held_out, rows=keep[model.held_out.rows])
        return model

    for target, model in zip(
        data, map_columns(fit, list(zip(data, starts, strict=True))), strict=True
    ):
        models[target.name] = model
    if config.chained and sequence is None and len(data) > 1:
        _chain(models, frame, inputs, kinds, data, config, weights)
    return models


def _chain(
    models: dict[str, ColumnModel],
    frame: pd.DataFrame,
    inputs: pd.DataFrame,
    kinds: Mapping[str, ColumnKind],
    data: Sequence[TargetData],
    config: ImputerConfig,
    weights: np.ndarray | None,
) -> None:
    """The chained (MICE-style) second round: every target's models fitted again on inputs
    whose gaps, held-out cells included, hold the first round's fills; a column keeps the
    second round where it scores better on the same held-out cells. Hiding held-out cells
    before filling keeps the comparison honest: no input carries a held-out value."""
    names = [t.name for t in data]
    hidden = inputs.copy(deep=False)
    for target in data:
        hidden[target.name] = hidden[target.name].where(~target.holdout)
    gaps = {n: np.flatnonzero(hidden[n].isna().to_numpy()) for n in names}
    first = {n: models[n] for n in names}
    filled = filled_frame(
        hidden, first, gaps, predict_rows(first, hidden, gaps, 0, config.device, config.precision)
    )
    with warnings.catch_warnings():  # the first round has said what there is to say
        warnings.simplefilter("ignore")
        second = fit_column_models(
            frame,
            kinds,
            names,
            config.replace(chained=False),
            inputs=filled,
            holdout={t.name: t.holdout for t in data},
            weights=weights,
        )
    for name, model in second.items():
        before, after = models[name].holdout.score, model.holdout.score
        numeric = models[name].holdout.metric == "nrmse"
        if before is None or after is None or (after >= before if numeric else after <= before):
            continue
        models[name].chained, models[name].chained_fills = model, names
        models[name].holdout.chained = {
            "score": after,
            "chosen": model.chosen,
            "first_round_score": before,
        }
        models[name].holdout.score = after
    logger.info(
        "chained round: %d of %d column(s) keep their second-round model",
        sum(models[n].chained is not None for n in names),
        len(names),
    )


def holdout_split(
    observed: np.ndarray,
    config: ImputerConfig,
    rng: np.random.Generator,
    pool: np.ndarray | None = None,
) -> np.ndarray:
    """A column's held-out cells: ``holdout_fraction`` of its ``observed`` ones (at most
    ``max_holdout_rows``), drawn from ``pool`` (e.g. the cells hidden as gaps) when it holds
    enough of them; none when fewer than ``MIN_ROWS_FOR_HOLDOUT`` cells are observed."""
    holdout = np.zeros(len(observed), dtype=bool)
    count = int(observed.sum())
    if count >= MIN_ROWS_FOR_HOLDOUT:
        size = min(max(1, round(config.holdout_fraction * count)), config.max_holdout_rows)
        rows = np.flatnonzero(observed if pool is None else observed & pool)
        rows = rows if len(rows) >= min(size, MIN_ROWS_FOR_HOLDOUT) else np.flatnonzero(observed)
        holdout[rng.choice(rows, size=min(size, len(rows)), replace=False)] = True
    return holdout


def _target_data(
    space: FeatureSpace,
    frame: pd.DataFrame,
    name: str,
    config: ImputerConfig,
    rng: np.random.Generator,
    holdout: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> TargetData:
    encoder = space.encoders[name]
    numeric = space.encoders[name].kind != ColumnKind.CATEGORICAL
    y = encoder.target(frame[name])
    if numeric:
        y = _trainable(y)
    observed = np.isfinite(y) if numeric else y >= 0
    holdout = observed & holdout if holdout is not None else holdout_split(observed, config, rng)
    classes = 1 if numeric else len(encoder.values)
    return TargetData(name, numeric, classes, y, observed & ~holdout, holdout, weights)


#: Where a column with values beyond :data:`MAX_SCALED_TARGET` has its training values pulled
#: in to (robust units): the gates leave such a column whole, its model need only stay finite.
FAR_TARGET_BOUND = 1e3


def _trainable(scaled: np.ndarray) -> np.ndarray:
    """``scaled`` as training reads it: values beyond single precision's reach pulled in."""
    if np.any(np.abs(scaled) > MAX_SCALED_TARGET):
        return np.clip(scaled, -FAR_TARGET_BOUND, FAR_TARGET_BOUND)
    return scaled


def _fit_text(
    space: FeatureSpace,
    design: Design,
    series: pd.Series,
    config: ImputerConfig,
    rng: np.random.Generator,
    planned_fingerprint: str,
    sequence: SequenceSpec | None,
) -> ColumnModel:
    """The unit of a free-text target: the text candidate alone, scored on held-out rows."""
    name = str(series.name)
    fit = TEXT.fit_text(space, design, series, config, rng)
    return ColumnModel(
        target=name,
        kind=ColumnKind.TEXT,
        space=space,
        chosen=TEXT.name,
        arrays=fit.arrays,
        network=None,
        calibration=fit.calibration,
        holdout=replace(fit.holdout, facts=column_facts(series, numeric=False)),
        fingerprint=planned_fingerprint,
        config=config.to_dict(),
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        training_rows=fit.training_rows,
        epochs=0,
        device="cpu",
        seconds=0.0,
        sequence=sequence,
    )


@dataclass
class _Start:
    """What a column fits while its table's networks train: the held-out fits of the
    candidates that need neither (:func:`_independent_fits`), and their scores on the extra
    splits of a small column (see :func:`_repeated_scores`)."""

    fits: dict[str, HeldOutFit]
    repeats: dict[str, list[float]]


def _column_start(split: Split) -> _Start:
    fits = _independent_fits(split)
    observed_rows = np.concatenate([split.train_rows, split.hold_rows])
    if not len(split.hold_rows) or len(observed_rows) > split.config.repeat_below:
        return _Start(fits, {})
    hints = {name: fit.hint for name, fit in fits.items() if CANDIDATES[name].repeatable}
    return _Start(fits, _repeated_scores(split, observed_rows, hints))


def _fit_column(
    space: FeatureSpace,
    split: Split,
    start: _Start,
    kinds: Mapping[str, ColumnKind],
    sequence: SequenceSpec | None,
    fingerprints: Mapping[str, str],
    device: str,
) -> ColumnModel:
    """A target's unit: every candidate scored on its held-out split (``start`` holds the
    fits made beside the networks), the best one refitted on every observed row and
    calibrated."""
    design, target, config = split.design, split.target, split.config
    train_rows, hold_rows = split.train_rows, split.hold_rows
    observed_rows = np.concatenate([train_rows, hold_rows])
    y_train, y_hold = target.y[train_rows], target.y[hold_rows]
    fits = _holdout_fits(split, start.fits)
    outputs = {name: fit.outputs for name, fit in fits.items()}
    scores = (
        {name: split_score(out, y_hold, target) for name, out in outputs.items()}
        if len(hold_rows)
        else {}
    )
    repeats = {name: [scores[name], *extra] for name, extra in start.repeats.items()}
    for name, values in repeats.items():
        scores[name] = float(np.mean(values))
    chosen = _choose(scores, target)
    candidate = CANDIDATES[chosen]
    calibration = replace(
        _calibrate(candidate, outputs.get(chosen), y_hold, target),
        members=fits[chosen].members,
        weights=fits[chosen].weights,
    )
    used = candidate.uses(calibration)
    warnings_ = _warn_small(target, len(observed_rows), config)
    arrays = {}
    refit = bounded(observed_rows, config.max_cheap_rows, config.seed)
    observed = Observed(
        design.matrix[refit][:, split.columns],
        target.y[refit],
        target,
        config,
        row_weight(target, refit),
    )
    # at the row cap a refit would see as many rows as the held-out fit did: keep that one
    # (a LightGBM fit on 20,000 rows costs seconds per column)
    capped = len(train_rows) >= config.max_cheap_rows
    share = TableShare()  # the network the unit keeps, where it uses one
    for name in used:
        if capped and fits[name].arrays:
            arrays.update(fits[name].arrays)
        else:
            arrays.update(CANDIDATES[name].refit(observed, fits[name].hint))
        if name in split.tables:
            share = CANDIDATES[name].share(split.tables[name], target.name)
    model = ColumnModel(
        target=target.name,
        kind=kinds[target.name],
        space=space,
        chosen=chosen,
        arrays=arrays,
        calibration=calibration,
        holdout=Holdout(
            metric="nrmse" if target.numeric else "accuracy",
            rows=len(hold_rows),
            score=scores.get(chosen),
            baseline_score=scores.get(BASELINE.name),
            scores=scores,
            **_spreads(chosen, outputs, repeats, y_hold, target),
        ),
        fingerprint=fingerprints[target.name],
        config=config.to_dict(),
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        training_rows=len(train_rows),
        device=device,
        seconds=sum(table.seconds for table in split.tables.values()),
        warnings=warnings_,
        sequence=sequence,
        network=share.network,
        shared=share.shared,
        epochs=share.epochs,
    )
    if len(hold_rows):  # the held-out residuals (or ranks) that size its intervals and sets
        learnt = None if target.numeric else np.isin(y_hold, y_train)
        predicted = model.predict(outputs[chosen])
        model.arrays[SCORES] = holdout_scores(predicted, y_hold, target.numeric, learnt)
        model.arrays[CONFIDENCES] = predicted.confidence.astype(np.float32)
        model.held_out = HeldOutCells(hold_rows, predicted)
    return model


def _tried(config: ImputerConfig) -> list[Candidate]:
    """The candidates a column's split fits, in the registry's order: the selected ones and
    the baseline (the text copy has targets of its own)."""
    return [
        c for c in CANDIDATES.values() if not c.text and (c.baseline or c.name in config.candidates)
    ]


def _independent_fits(split: Split) -> dict[str, HeldOutFit]:
    """The held-out fits of the candidates tried that need neither the table-level training
    nor the other candidates' outputs: what a column fits while its table's networks train."""
    fits = {}
    for candidate in _tried(split.config):
        if not (candidate.table_level or candidate.combines):
            fit = candidate.holdout_fit(split)
            if fit is not None:
                fits[candidate.name] = fit
    return fits


def _holdout_fits(split: Split, independent: Mapping[str, HeldOutFit]) -> dict[str, HeldOutFit]:
    """The held-out fit of every candidate tried that fits the target, in the registry's
    order: the ``independent`` ones as made, the table-level and combining ones now; the
    blendable ones' outputs are what the blend averages."""
    fits = {}
    for candidate in _tried(split.config):
        if candidate.table_level or candidate.combines:
            fit = candidate.holdout_fit(split)
        else:
            fit = independent.get(candidate.name)
        if fit is not None:
            fits[candidate.name] = fit
            if candidate.blendable:
                split.earlier[candidate.name] = fit.outputs
    return fits


def _repeated_scores(
    split: Split, observed_rows: np.ndarray, hints: Mapping[str, Any]
) -> dict[str, list[float]]:
    """The scores of the candidates in ``hints`` (name: the first split's hint) on
    ``score_repeats - 1`` further random held-out splits of a column's observed rows (the same
    size as its first split), refitted on the rest each time."""
    config, target = split.config, split.target
    scores: dict[str, list[float]] = {name: [] for name in hints}
    for repeat in range(1, config.score_repeats):
        rng = np.random.default_rng([config.seed, repeat])
        hold_rows = np.sort(rng.choice(observed_rows, size=len(split.hold_rows), replace=False))
        train_rows = np.setdiff1d(observed_rows, hold_rows)
        again = replace(
            split,
            target=replace(
                target,
                train=np.isin(np.arange(len(target.y)), train_rows),
                holdout=np.isin(np.arange(len(target.y)), hold_rows),
            ),
            train_rows=train_rows,
            hold_rows=hold_rows,
            repeat=repeat,
            earlier={},
        )
        for name, hint in hints.items():
            fit = CANDIDATES[name].holdout_fit(again, hint)
            if fit is not None:
                scores[name].append(split_score(fit.outputs, again.y_hold, again.target))
    return {name: values for name, values in scores.items() if values}


def _spreads(
    chosen: str,
    outputs: Mapping[str, np.ndarray],
    repeats: Mapping[str, list[float]],
    truth: np.ndarray,
    target: TargetData,
) -> dict[str, float | int | None]:
    """How much the chosen model's score, and its gain over mean/mode, swing between held-out
    splits: their standard deviation over the repeated splits where the chosen model was
    refitted on each, else their standard error over the one split's cells (paired for the
    gain). ``gain`` is in score units, > 0 when the model beats mean/mode."""
    mean_mode = BASELINE.name
    if chosen in repeats and mean_mode in repeats:
        ours, base = np.asarray(repeats[chosen]), np.asarray(repeats[mean_mode])
        gains = base - ours if target.numeric else ours - base
        return {
            "splits": len(ours),
            "spread": float(ours.std(ddof=1)),
            "gain": float(gains.mean()),
            "gain_spread": float(gains.std(ddof=1)),
        }
    if chosen not in outputs or mean_mode not in outputs or len(truth) < 2:
        return {"splits": 0, "spread": None, "gain": None, "gain_spread": None}
    ours, base = (
        _cell_losses(outputs[chosen], truth, target),
        _cell_losses(outputs[mean_mode], truth, target),
    )
    cells = np.sqrt(len(truth))
    if target.numeric:  # nRMSE: sqrt of the mean squared error (in units of the spread)
        score, baseline = np.sqrt(ours.mean()), np.sqrt(base.mean())
        spread = ours.std(ddof=1) / cells / (2 * score) if score else 0.0
        gain_spread = (base - ours).std(ddof=1) / cells / ((score + baseline) or 1.0)
        gain = baseline - score
    else:  # accuracy: the share of cells right (losses are 1 where wrong)
        spread = ours.std(ddof=1) / cells
        gain_spread = (base - ours).std(ddof=1) / cells
        gain = float(base.mean() - ours.mean())
    return {
        "splits": 1,
        "spread": float(spread),
        "gain": float(gain),
        "gain_spread": float(gain_spread),
    }


def _cell_losses(out: np.ndarray, truth: np.ndarray, target: TargetData) -> np.ndarray:
    """Per held-out cell: the squared error in units of the column's spread, or 1 if wrong."""
    if target.numeric:
        mu = out[:, 0] if out.ndim == 2 else out
        spread = np.nanstd(target.y[target.train | target.holdout]) or 1.0
        return ((mu - truth) / spread) ** 2
    return (out.argmax(axis=1) != truth).astype(float)


def _choose(scores: Mapping[str, float], target: TargetData) -> str:
    """The best-scoring candidate; the baseline (mean/mode) when nothing could be scored, and
    on a tie for categories."""
    if not scores:
        return BASELINE.name
    if target.numeric:
        return min(scores, key=lambda name: (scores[name], name))
    return max(scores, key=lambda name: (scores[name], name == BASELINE.name))


def _warn_small(target: TargetData, observed: int, config: ImputerConfig) -> list[str]:
    if observed >= MIN_ROWS_FOR_HOLDOUT:
        if observed < config.min_rows_for_network and any(
            c.table_level and c.name in config.candidates for c in CANDIDATES.values()
        ):
            message = (
                f"column {target.name!r}: only {observed} observed values; "
                "the network needs more, so only the cheap candidates were tried"
            )
        else:
            return []
    else:
        message = (
            f"column {target.name!r}: only {observed} observed values; "
            "filled by mean/mode with no held-out check"
        )
    warnings.warn(message, UserWarning, stacklevel=4)
    return [message]


def _calibrate(
    chosen: Candidate, out: np.ndarray | None, truth: np.ndarray, target: TargetData
) -> Calibration:
    """Temperature for classes; sigma (or the network's sigma scale) for numbers."""
    if not target.numeric:
        if out is None or not len(truth):
            return Calibration(temperature=1.0)
        return Calibration(temperature=fit_temperature(out, truth.astype(int)))
    if chosen.variance_head:
        return Calibration(
            sigma_scale=fit_sigma_scale(out[:, 0], np.exp(0.5 * np.clip(out[:, 1], -10, 10)), truth)
        )
    if out is None or not len(truth):
        observed = target.y[np.isfinite(target.y)]
        return Calibration(sigma=float(observed.std()) if len(observed) > 1 else 1.0)
    return Calibration(sigma=float(np.sqrt(np.mean((out - truth) ** 2))) or 1e-6)
