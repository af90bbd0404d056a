"""Fitting: train every target column's candidates as one job, pick each column's winner.

The network trains batched over all targets; the cheap candidates are fitted per column on the
same training rows. Each column's held-out split (observed cells never trained on) scores
every candidate, picks the winner and calibrates its confidence.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from impute_assets.core.candidates import boosted
from impute_assets.core.candidates.cheap import (
    Design,
    blend,
    knn_predict,
    knn_references,
    linear_fit,
    linear_predict,
    mean_mode_fit,
    mean_mode_predict,
    member_values,
)
from impute_assets.core.candidates.nearest_copy import fit_copy_model
from impute_assets.core.config import ImputerConfig
from impute_assets.core.device import resolve_device
from impute_assets.core.encoding.features import FeatureSpace
from impute_assets.core.explanations import permutation_importance
from impute_assets.core.fitting.column_model import ColumnModel, fingerprint
from impute_assets.core.fitting.prediction import filled_frame, predict_rows
from impute_assets.core.gating import column_facts
from impute_assets.core.kinds import ColumnKind
from impute_assets.core.nets.shared import SHARED, SharedFit, fit_shared, network_candidates
from impute_assets.core.nets.training import (
    TargetData,
    TrainedNetworks,
    schedule,
    target_outputs,
    train_networks,
)
from impute_assets.core.sequence.context import SequenceSpec, raw_columns
from impute_assets.core.uncertainty.calibration import fit_sigma_scale, fit_temperature
from impute_assets.core.uncertainty.conformal import CONFIDENCES, SCORES, holdout_scores

logger = logging.getLogger("impute_assets")

#: Below this many observed cells a column has no held-out split and is filled by mean/mode.
MIN_ROWS_FOR_HOLDOUT = 10
#: Candidates the blend averages, where fitted.
BLEND_MEMBERS = ("network", SHARED, "linear", "knn", "boosted")
#: Candidates whose numeric outputs are (value, log variance), calibrated by a sigma scale.
NETWORKS = ("network", SHARED)


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
    Each model's ``holdout["importance"]`` is its inputs' permutation importance there.
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
    networks = network_candidates(config, len(data), sequence is not None, len(frame))
    trained = _train(space, features, data if "network" in networks else [], config)
    shared = (
        fit_shared(space, features, data, config, resolve_device(config.device))
        if SHARED in networks
        else SharedFit()
    )
    models = {}
    for name in texts:
        models[name] = fit_copy_model(
            space, design, frame[name], config, rng, fingerprints[name], sequence
        )
        models[name].holdout["facts"] = column_facts(frame[name], numeric=False)
    for target in data:
        model = _fit_column(
            space, design, target, trained, kinds, config, sequence, shared, fingerprints
        )
        model.holdout["importance"] = permutation_importance(
            model, inputs, frame[target.name], np.flatnonzero(target.holdout), config.seed
        )
        model.holdout["facts"] = column_facts(frame[target.name], target.numeric)
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
        before, after = models[name].holdout.get("score"), model.holdout.get("score")
        numeric = models[name].holdout["metric"] == "nrmse"
        if before is None or after is None or (after >= before if numeric else after <= before):
            continue
        models[name].chained, models[name].chained_fills = model, names
        models[name].holdout["chained"] = {
            "score": after,
            "chosen": model.chosen,
            "first_round_score": before,
        }
        models[name].holdout["score"] = after
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
        _check_trainable(name, y, frame[name])
    observed = np.isfinite(y) if numeric else y >= 0
    holdout = observed & holdout if holdout is not None else holdout_split(observed, config, rng)
    classes = 1 if numeric else len(encoder.values)
    return TargetData(name, numeric, classes, y, observed & ~holdout, holdout, weights)


#: The largest scaled target (robust units: distance from the median in IQRs) whose squared
#: error single precision still holds; beyond it training overflows and fills are garbage.
MAX_SCALED_TARGET = float(np.sqrt(np.finfo(np.float32).max))


def _check_trainable(name: str, scaled: np.ndarray, values: pd.Series) -> None:
    """Refuse, naming the column, a numeric target some of whose values lie so far from the
    rest that training would overflow (one 1e308 among values near 1 gave fills of ~1e36)."""
    far = np.abs(scaled) > MAX_SCALED_TARGET
    if far.any():
        raw = values.to_numpy(dtype=float, na_value=np.nan)[far]
        raise ValueError(
            f"column {name!r}: {int(far.sum())} value(s) (e.g. {raw[0]:.3g}) lie over "
            f"{MAX_SCALED_TARGET:.2g} times the column's interquartile spread from its median, "
            "beyond what training in single precision can fit; exclude the column, or impute it "
            "from a view that caps or log-transforms it"
        )


class NetworkFit(NamedTuple):
    """The batched networks, the targets they serve, the device, and each target's held-out
    outputs (computed in one forward pass over every target's held-out rows)."""

    trained: TrainedNetworks | None
    targets: list[str]
    device: str
    holdout: dict[str, np.ndarray]


def _train(
    space: FeatureSpace, features, data: Sequence[TargetData], config: ImputerConfig
) -> NetworkFit:
    """Train the networks of the targets with enough rows."""
    device = resolve_device(config.device)
    eligible = [
        t
        for t in data
        if "network" in config.candidates
        and t.holdout.any()
        and t.train.sum() >= config.min_rows_for_network
    ]
    if not eligible:
        return NetworkFit(None, [], device.type, {})
    train_rows = int(np.any([t.train for t in eligible], axis=0).sum())
    bar = tqdm(
        total=schedule(train_rows, config)[2],
        desc="training",
        unit="check",
        disable=not config.progress,
        leave=False,
        mininterval=1.0,
    )

    def progress(epoch: int, total: int, loss: float) -> None:
        bar.update(1)
        bar.set_postfix(holdout_loss=f"{loss:.4f}", columns=len(eligible))
        logger.debug("epoch %d/%d held-out loss %.4f", epoch, total, loss)

    try:
        trained = train_networks(space, features, eligible, config, device, progress)
    finally:
        bar.close()
    logger.info(
        "trained %d column network(s) on %s in %.1fs (%d steps of %d rows)",
        len(eligible),
        device.type,
        trained.seconds,
        trained.steps,
        trained.batch_size,
    )
    outputs = target_outputs(
        trained.net,
        features,
        [np.flatnonzero(t.holdout) for t in eligible],
        device,
        config.precision,
    )
    holdout = {t.name: out[:, : t.out_dim] for t, out in zip(eligible, outputs, strict=True)}
    return NetworkFit(trained, [t.name for t in eligible], device.type, holdout)


def _fit_column(
    space,
    design: Design,
    target: TargetData,
    fit: NetworkFit,
    kinds,
    config,
    sequence: SequenceSpec | None,
    shared: SharedFit,
    fingerprints: Mapping[str, str],
) -> ColumnModel:
    net, net_targets, device = fit.trained, fit.targets, fit.device
    position = space.position(target.name)
    columns = design.without(position)
    train_rows, hold_rows = np.flatnonzero(target.train), np.flatnonzero(target.holdout)
    observed_rows = np.concatenate([train_rows, hold_rows])
    y_train, y_hold = target.y[train_rows], target.y[hold_rows]
    outputs: dict[str, np.ndarray] = {}
    fitted: dict[str, np.ndarray] = {}  # held-out fits worth keeping as they are
    boosted_rounds = boosted.ROUNDS  # as many as the held-out fit kept, once there is one
    if target.name in fit.holdout:
        outputs["network"] = fit.holdout[target.name]
    if shared.serves(target.name):
        outputs[SHARED] = shared.holdout[target.name]
    if len(hold_rows):
        cheap_outputs, fitted, boosted_rounds = _cheap_outputs(
            design, columns, target, train_rows, hold_rows, config
        )
        outputs.update(cheap_outputs)
    members = _blend_members(outputs, y_hold, target, config)
    if members:
        outputs["blend"] = blend(
            [member_values(n, outputs[n], target.numeric, t) for n, t in members.items()],
            target.numeric,
        )
    outputs["mean_mode"] = mean_mode_predict(
        mean_mode_fit(
            y_train if len(train_rows) else target.y,
            target.numeric,
            target.classes,
            _row_weight(target, train_rows if len(train_rows) else None),
        ),
        len(hold_rows),
        target.numeric,
    )
    scores = (
        {name: _score(out, y_hold, target) for name, out in outputs.items()}
        if len(hold_rows)
        else {}
    )
    repeats = (
        _repeated_scores(
            design,
            columns,
            target,
            observed_rows,
            len(hold_rows),
            config,
            set(outputs) & REPEATED,
            boosted_rounds,
        )
        if len(hold_rows) and len(observed_rows) <= config.repeat_below
        else {}
    )
    for name, extra in repeats.items():
        repeats[name] = [scores[name], *extra]
        scores[name] = float(np.mean(repeats[name]))
    chosen = _choose(scores, target)
    used = set(members) if chosen == "blend" else {chosen}
    warnings_ = _warn_small(target, len(observed_rows), config)
    arrays = {}
    refit = _bounded(observed_rows, config.max_cheap_rows, config.seed)
    z_observed, y_observed = design.matrix[refit][:, columns], target.y[refit]
    # at the row cap a refit would see as many rows as the held-out fit did: keep that one
    # (a LightGBM fit on 20,000 rows costs seconds per column)
    capped = len(train_rows) >= config.max_cheap_rows
    for name in used:
        if capped and name in fitted:
            arrays[name] = fitted[name]
        else:
            arrays.update(
                _final_arrays(
                    name,
                    z_observed,
                    y_observed,
                    target,
                    config,
                    _row_weight(target, refit),
                    boosted_rounds,
                )
            )
    calibration = _calibrate(chosen, outputs.get(chosen), y_hold, target)
    if chosen == "blend":
        calibration["members"] = members
    metric = "nrmse" if target.numeric else "accuracy"
    uses_network = "network" in used
    network_state = net.net.target_state(net_targets.index(target.name)) if uses_network else None
    model = ColumnModel(
        target=target.name,
        kind=kinds[target.name],
        space=space,
        chosen=chosen,
        arrays=arrays,
        network=network_state,
        calibration=calibration,
        holdout={
            "metric": metric,
            "rows": len(hold_rows),
            "score": scores.get(chosen),
            "baseline_score": scores.get("mean_mode"),
            "scores": scores,
            **_spreads(chosen, outputs, repeats, y_hold, target),
        },
        fingerprint=fingerprints[target.name],
        config=config.to_dict(),
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        training_rows=len(train_rows),
        epochs=(
            net.best_epochs[net_targets.index(target.name)]
            if uses_network
            else shared.trained.best_epoch
            if SHARED in used
            else 0
        ),
        device=device,
        seconds=(float(net.seconds) if net is not None else 0.0)
        + (shared.trained.seconds if shared.trained is not None else 0.0),
        warnings=warnings_,
        sequence=sequence,
        shared=(shared.meta, shared.tensors) if SHARED in used else None,
    )
    if len(hold_rows):  # the held-out residuals (or ranks) that size its intervals and sets
        learnt = None if target.numeric else np.isin(y_hold, y_train)
        predicted = model.predict(outputs[chosen])
        model.arrays[SCORES] = holdout_scores(predicted, y_hold, target.numeric, learnt)
        model.arrays[CONFIDENCES] = predicted.confidence.astype(np.float32)
    return model


def _cheap_outputs(
    design: Design,
    columns: np.ndarray,
    target: TargetData,
    train_rows: np.ndarray,
    hold_rows: np.ndarray,
    config: ImputerConfig,
    boosted_rounds: int | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], int]:
    """The cheap candidates fitted on ``train_rows`` and their outputs at ``hold_rows``; the
    booster's state and the rounds it kept. With ``boosted_rounds`` the booster runs that many
    rounds (no early stopping on the held-out rows)."""
    outputs: dict[str, np.ndarray] = {}
    fitted: dict[str, np.ndarray] = {}
    rounds = boosted.ROUNDS
    cheap = _bounded(train_rows, config.max_cheap_rows, config.seed)
    z_train, z_hold = design.matrix[cheap][:, columns], design.matrix[hold_rows][:, columns]
    y_cheap, y_hold = target.y[cheap], target.y[hold_rows]
    if "linear" in config.candidates:
        beta = linear_fit(
            z_train, y_cheap, target.numeric, target.classes, _row_weight(target, cheap)
        )
        outputs["linear"] = linear_predict(beta, z_hold, target.numeric)
    if "knn" in config.candidates:
        refs, ref_y = knn_references(z_train, y_cheap, config.knn_reference_rows, config.seed)
        outputs["knn"] = knn_predict(
            refs, ref_y, z_hold, config.knn_neighbors, target.numeric, target.classes
        )
    if (
        "boosted" in config.candidates
        and boosted.fits(z_train, target.numeric, target.classes)
        and boosted.available()
    ):
        if boosted_rounds is None:
            state = boosted.boosted_fit(
                z_train,
                y_cheap,
                target.numeric,
                target.classes,
                config.seed,
                valid=(z_hold, y_hold),
            )
        else:
            state = boosted.boosted_fit(
                z_train, y_cheap, target.numeric, target.classes, config.seed, boosted_rounds
            )
        fitted["boosted"] = state
        model = boosted.booster(state)
        rounds = boosted.rounds(model)
        outputs["boosted"] = boosted.boosted_predict(model, z_hold, target.numeric, target.classes)
    return outputs, fitted, rounds


#: Candidates refitted on every extra held-out split of a small column (the network and the
#: blend keep their one split: retraining the network per split would multiply its cost).
REPEATED = frozenset({"linear", "knn", "boosted", "mean_mode"})


def _repeated_scores(
    design: Design,
    columns: np.ndarray,
    target: TargetData,
    observed_rows: np.ndarray,
    holdout_size: int,
    config: ImputerConfig,
    names: set[str],
    boosted_rounds: int,
) -> dict[str, list[float]]:
    """Each of ``names``' scores on ``score_repeats - 1`` further random held-out splits of a
    column's observed rows (the same size as its first split), refitted on the rest each time."""
    scores: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(1, config.score_repeats):
        rng = np.random.default_rng([config.seed, repeat])
        hold_rows = np.sort(rng.choice(observed_rows, size=holdout_size, replace=False))
        train_rows = np.setdiff1d(observed_rows, hold_rows)
        split = replace(
            target,
            train=np.isin(np.arange(len(target.y)), train_rows),
            holdout=np.isin(np.arange(len(target.y)), hold_rows),
        )
        outputs, _, _ = _cheap_outputs(
            design, columns, split, train_rows, hold_rows, config, boosted_rounds
        )
        outputs["mean_mode"] = mean_mode_predict(
            mean_mode_fit(
                target.y[train_rows],
                target.numeric,
                target.classes,
                _row_weight(target, train_rows),
            ),
            len(hold_rows),
            target.numeric,
        )
        for name in names & set(outputs):
            scores[name].append(_score(outputs[name], target.y[hold_rows], split))
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
    if chosen in repeats and "mean_mode" in repeats:
        ours, base = np.asarray(repeats[chosen]), np.asarray(repeats["mean_mode"])
        gains = base - ours if target.numeric else ours - base
        return {
            "splits": len(ours),
            "spread": float(ours.std(ddof=1)),
            "gain": float(gains.mean()),
            "gain_spread": float(gains.std(ddof=1)),
        }
    if chosen not in outputs or "mean_mode" not in outputs or len(truth) < 2:
        return {"splits": 0, "spread": None, "gain": None, "gain_spread": None}
    ours, base = (
        _cell_losses(outputs[chosen], truth, target),
        _cell_losses(outputs["mean_mode"], truth, target),
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


def _bounded(rows: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """At most ``limit`` of ``rows``, drawn reproducibly (all of them when fewer)."""
    if len(rows) <= limit:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, size=limit, replace=False))


def _score(out: np.ndarray, truth: np.ndarray, target: TargetData) -> float:
    """Held-out nRMSE (numeric, in units of the column's spread) or accuracy (categorical),
    weighted by the rows' weights when there are any."""
    weight = target.weight[target.holdout] if target.weight is not None else None
    if target.numeric:
        mu = out[:, 0] if out.ndim == 2 else out
        spread = np.nanstd(target.y[target.train | target.holdout]) or 1.0
        return float(np.sqrt(np.average((mu - truth) ** 2, weights=weight)) / spread)
    return float(np.average(out.argmax(axis=1) == truth, weights=weight))


def _choose(scores: Mapping[str, float], target: TargetData) -> str:
    """The best-scoring candidate; mean/mode when nothing could be scored."""
    if not scores:
        return "mean_mode"
    if target.numeric:
        return min(scores, key=lambda name: (scores[name], name))
    return max(scores, key=lambda name: (scores[name], name == "mean_mode"))


def _warn_small(target: TargetData, observed: int, config: ImputerConfig) -> list[str]:
    if observed >= MIN_ROWS_FOR_HOLDOUT:
        if observed < config.min_rows_for_network and "network" in config.candidates:
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


def _row_weight(target: TargetData, rows: np.ndarray | None) -> np.ndarray | None:
    """The rows' weights (all rows when ``rows`` is None); None when rows are unweighted."""
    if target.weight is None:
        return None
    return target.weight if rows is None else target.weight[rows]


def _final_arrays(
    chosen: str,
    z: np.ndarray,
    y: np.ndarray,
    target: TargetData,
    config: ImputerConfig,
    weight: np.ndarray | None = None,
    boosted_rounds: int = boosted.ROUNDS,
) -> dict[str, np.ndarray]:
    """The chosen cheap candidate refitted on every observed row (the network keeps its split;
    the booster runs the rounds its held-out fit kept)."""
    if chosen == "linear":
        return {"linear": linear_fit(z, y, target.numeric, target.classes, weight)}
    if chosen == "knn":
        refs, ref_y = knn_references(z, y, config.knn_reference_rows, config.seed)
        return {"knn_refs": refs, "knn_y": ref_y}
    if chosen == "mean_mode":
        return {"mean_mode": mean_mode_fit(y, target.numeric, target.classes, weight)}
    if chosen == "boosted":
        return {
            "boosted": boosted.boosted_fit(
                z, y, target.numeric, target.classes, config.seed, boosted_rounds
            )
        }
    return {}


def _blend_members(
    outputs: Mapping[str, np.ndarray], truth: np.ndarray, target: TargetData, config: ImputerConfig
) -> dict[str, float]:
    """The blend's members and their temperatures; empty when fewer than two were fitted."""
    names = [n for n in BLEND_MEMBERS if n in outputs]
    if "blend" not in config.candidates or len(names) < 2:
        return {}
    if target.numeric:
        temperatures = dict.fromkeys(names, 1.0)
    else:
        temperatures = {n: fit_temperature(outputs[n], truth.astype(int)) for n in names}
    # the best-scoring average of the top 2, 3, ... members (ranked by their own scores)
    ranked = sorted(names, key=lambda n: _loss(_score(outputs[n], truth, target), target))
    values = {n: member_values(n, outputs[n], target.numeric, temperatures[n]) for n in names}
    best = min(
        range(2, len(ranked) + 1),
        key=lambda k: _loss(
            _score(blend([values[n] for n in ranked[:k]], target.numeric), truth, target), target
        ),
    )
    return {n: temperatures[n] for n in names if n in ranked[:best]}


def _loss(score: float, target: TargetData) -> float:
    """A score where lower is better (nRMSE, or minus accuracy)."""
    return score if target.numeric else -score


def _calibrate(
    chosen: str, out: np.ndarray | None, truth: np.ndarray, target: TargetData
) -> dict[str, float]:
    """Temperature for classes; sigma (or the network's sigma scale) for numbers."""
    if not target.numeric:
        if out is None or not len(truth):
            return {"temperature": 1.0}
        return {"temperature": fit_temperature(out, truth.astype(int))}
    if chosen in NETWORKS:
        return {
            "sigma_scale": fit_sigma_scale(
                out[:, 0], np.exp(0.5 * np.clip(out[:, 1], -10, 10)), truth
            )
        }
    if out is None or not len(truth):
        observed = target.y[np.isfinite(target.y)]
        return {"sigma": float(observed.std()) if len(observed) > 1 else 1.0}
    return {"sigma": float(np.sqrt(np.mean((out - truth) ** 2))) or 1e-6}
