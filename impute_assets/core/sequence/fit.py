"""Fitting with ``order_by``: each column's sequence model and its tabular rival; the better is kept.

Neighbours in time help a smooth series and mislead others: in a weekly rhythm Saturday's
neighbours are a Friday and a Sunday, and in i.i.d. rows they are noise. So besides the models
that read the sequence context, every column also gets models on the table's own columns alone
(the ``order_by`` time stays an input, with its weekday and day-of-year parts), trained on the
same gap-hidden view with the same held-out cells. The two are compared on those cells, by the
predictions each fit made of them before its final refit on every observed cell (a refitted
model has seen them: compared after the refit, kNN and trees won on cells they had learnt, and
the model with more inputs won most). The sequence model is kept only when it scores better
there by more than ``SEQUENCE_MARGIN`` (half a) standard errors of the paired difference (a
lead within the score's own noise is no lead); otherwise the tabular model, and that is the
tabular Imputer's own: the columns are fitted again on the table without the gap-hidden view,
as the tabular Imputer fits them (the rival, trained on the view with a third more cells
missing from its inputs than filling will see, filled weather's ``humid`` at nRMSE 0.31 where
the tabular Imputer's reaches 0.26).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from impute_assets.core.config import ImputerConfig
from impute_assets.core.encoding.encoders import observed_mask
from impute_assets.core.fitting.column_model import ColumnModel, ColumnPrediction
from impute_assets.core.fitting.fit import fit_column_models, holdout_split
from impute_assets.core.kinds import ColumnKind
from impute_assets.core.sequence.context import (
    SequenceSpec,
    context_kinds,
    gap_runs,
    ordering,
    training_frames,
)

#: Standard errors (of the paired per-cell loss difference, gap runs clustered) by which the
#: sequence model must beat the tabular one on the held-out cells to be kept. Strictly better
#: (0) kept it on leads of ~180 cells that did not hold on the gaps: daily_flights and
#: seattle_weather filled worse than the tabular Imputer on 3 of 10 masks (up to +0.028 nRMSE).
#: Seeds 0-4 (benchmarks/results/sequences_2026-12-06e.md), mean nRMSE at 0 / 0.5 / 1: weather
#: 0.372 / 0.377 / 0.388, storms 0.242 / 0.244 / 0.246; masks of daily_flights or
#: seattle_weather filled worse than the tabular Imputer: 3 / 0 / 1 of 10.
SEQUENCE_MARGIN = 0.5


def fit_sequence_models(
    frame: pd.DataFrame,
    kinds: Mapping[str, ColumnKind],
    targets: Sequence[str],
    config: ImputerConfig,
    spec: SequenceSpec,
    weights: np.ndarray | None = None,
    *,
    fingerprints: Mapping[str, str] | None = None,
) -> dict[str, ColumnModel]:
    """One model per target of the ordered ``frame`` (its columns are the inputs ``kinds``).

    The tabular models carry ``spec`` too: their fingerprint is the ordered table's, and an
    imputer holding only them still orders rows and accepts context rows. ``fingerprints``: as
    :func:`.fit_column_models` takes them.
    """
    full, view, gaps = training_frames(frame, spec, config.seed)
    # the draws fit_column_models itself makes for a table within max_training_rows
    rng = np.random.default_rng(config.seed)
    holdout = {
        t: holdout_split(observed_mask(full[t]), config, rng, gaps.get(t))
        for t in targets
        if kinds[t] != ColumnKind.TEXT
    }  # text copies draw their own
    models = fit_column_models(
        full,
        context_kinds(kinds, spec),
        targets,
        config,
        view,
        spec,
        holdout,
        weights,
        fingerprints=fingerprints,
    )
    rivals = [t for t in holdout if holdout[t].any()]
    if not config.sequence_tabular or not rivals:
        return models
    raw = list(kinds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same small-column warnings the first fit raised
        tabular = fit_column_models(
            full[raw],
            kinds,
            rivals,
            config,
            view[raw],
            spec,
            holdout,
            weights,
            fingerprints=fingerprints,
        )
    seq = ordering(full, spec)
    for target in rivals:
        ours, theirs = models[target].held_out, tabular[target].held_out
        if ours is None or theirs is None:
            continue  # its held-out cells all fell outside the training sample
        truth = full[target].iloc[ours.rows]
        models[target] = better(
            models[target],
            tabular[target],
            _losses(models[target], truth, ours.prediction),
            _losses(tabular[target], truth, theirs.prediction),
            _spread(models[target], full[target]),
            weights[ours.rows] if weights is not None else None,
            gap_runs(holdout[target], seq)[ours.rows],
        )
    kept = [t for t in rivals if models[t] is tabular[t]]
    if kept:  # the tabular Imputer's fit (all rivals: the same splits and networks as its own)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            final = fit_column_models(
                full[raw],
                kinds,
                rivals,
                config,
                None,
                spec,
                None,
                weights,
                fingerprints=fingerprints,
            )
        for target in kept:
            final[target].holdout.sequence_vs_tabular = models[target].holdout.sequence_vs_tabular
            models[target] = final[target]
    return models


def better(
    sequence: ColumnModel,
    tabular: ColumnModel,
    sequence_loss: np.ndarray,
    tabular_loss: np.ndarray,
    spread: float,
    weights: np.ndarray | None = None,
    runs: np.ndarray | None = None,
    margin: float = SEQUENCE_MARGIN,
) -> ColumnModel:
    """The sequence model when its mean per-cell loss on the held-out cells is lower than the
    tabular model's by more than ``margin`` standard errors of the paired difference, else the
    tabular model; the kept one records both scores (nRMSE or accuracy on those cells) and the
    tabular model's lead in standard errors in ``holdout.sequence_vs_tabular``. ``runs`` (per
    cell, see :func:`.gap_runs`) groups the cells whose errors go together; without it each
    cell is its own group."""
    difference = sequence_loss - tabular_loss
    mean, error = paired_difference(difference, weights, runs)
    advantage = mean / error if error > 0 else 0.0  # the tabular model's lead, in standard errors
    wins = mean >= 0 or (error > 0 and advantage >= -margin)
    kept = tabular if wins else sequence
    kept.holdout.sequence_vs_tabular = {
        "kept": "tabular" if wins else "sequence",
        "cells": len(difference),
        "runs": len(np.unique(runs)) if runs is not None else len(difference),
        "tabular_advantage_se": float(advantage),
        "metric": sequence.holdout.metric,
        "sequence": {
            "model": sequence.chosen,
            "score": _score(sequence_loss, sequence, spread, weights),
        },
        "tabular": {
            "model": tabular.chosen,
            "score": _score(tabular_loss, tabular, spread, weights),
        },
    }
    return kept


def paired_difference(
    difference: np.ndarray, weights: np.ndarray | None = None, runs: np.ndarray | None = None
) -> tuple[float, float]:
    """The weighted mean of per-cell loss ``difference`` and its standard error, clustered by
    ``runs`` (cells of one run count as one draw; none: every cell is its own)."""
    weights = np.ones(len(difference)) if weights is None else np.asarray(weights, dtype=float)
    total = float(weights.sum())
    if not len(difference) or total <= 0:
        return 0.0, 0.0
    mean = float(np.dot(weights, difference) / total)
    groups = np.arange(len(difference)) if runs is None else np.unique(runs, return_inverse=True)[1]
    sums = np.bincount(groups, weights=weights * (difference - mean))
    count = len(sums)
    if count < 2:
        return mean, 0.0
    return mean, float(np.sqrt(count / (count - 1) * np.sum(sums**2)) / total)


def _losses(model: ColumnModel, truth: pd.Series, prediction: ColumnPrediction) -> np.ndarray:
    """Per cell: the squared error in the column's scaled units, or 1 for a wrong class."""
    encoder = model.encoder
    actual = encoder.target(truth)
    guessed = encoder.target(encoder.cast(prediction.values, truth))
    return (guessed - actual) ** 2 if model.numeric else (guessed != actual).astype(float)


def _spread(model: ColumnModel, column: pd.Series) -> float:
    """The column's standard deviation in the scaled units its losses are in (1: classes)."""
    return float(np.nanstd(model.encoder.target(column)) or 1.0) if model.numeric else 1.0


def _score(
    loss: np.ndarray, model: ColumnModel, spread: float, weights: np.ndarray | None
) -> float:
    """nRMSE (numbers) or accuracy (classes) from per-cell losses."""
    mean = float(np.average(loss, weights=weights))
    return float(np.sqrt(mean) / spread) if model.numeric else 1.0 - mean
