"""Prediction: fill the missing cells of every modelled column, refining over a few rounds.

Round 0 predicts from the observed cells alone; each later round feeds the previous round's
fills back in as inputs. A column with a chained (second-round) model is then predicted again
from the first-round fills of the columns it was trained with. Models that share a feature
space (trained together) run batched, over ``FILL_CHUNK`` rows at a time, so memory stays
bounded however long the table is.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch

from impute_assets.core.candidates.design import Design
from impute_assets.core.device import resolve_device
from impute_assets.core.encoding.features import Features
from impute_assets.core.fitting.column_model import ColumnModel, ColumnPrediction
from impute_assets.core.nets.mlp import StackedNet
from impute_assets.core.nets.shared import load_shared, shared_outputs
from impute_assets.core.nets.training import target_outputs

#: Rows encoded and predicted at a time: filling is linear in rows with bounded memory.
FILL_CHUNK = 65_536


def predict_rows(
    models: Mapping[str, ColumnModel],
    frame: pd.DataFrame,
    rows: Mapping[str, np.ndarray],
    rounds: int,
    device: str = "auto",
    precision: str = "auto",
) -> dict[str, ColumnPrediction]:
    """Predictions for ``rows[column]`` (positions) of each modelled column; a model with a
    chained second round predicts from the other columns' first-round fills."""
    work = frame
    predictions: dict[str, ColumnPrediction] = {}
    for round_ in range(rounds + 1):
        predictions = _one_round(models, work, rows, device, precision)
        if round_ < rounds:
            work = filled_frame(work, models, rows, predictions)
    chained: dict[tuple[str, ...], dict[str, ColumnModel]] = {}
    for name, model in models.items():
        if model.chained is not None and len(rows[name]):
            chained.setdefault(tuple(model.chained_fills), {})[name] = model.chained
    for fills, second in chained.items():
        # every gap of the filled columns, as in training (``rows`` may ask for fewer)
        first = {c: models[c] for c in fills if c in models}
        gaps = {c: np.flatnonzero(frame[c].isna().to_numpy()) for c in first}
        work = filled_frame(frame, first, gaps, _one_round(first, frame, gaps, device, precision))
        predictions.update(
            _one_round(second, work, {n: rows[n] for n in second}, device, precision)
        )
    return predictions


def _one_round(
    models: Mapping[str, ColumnModel],
    frame: pd.DataFrame,
    rows: Mapping[str, np.ndarray],
    device: str,
    precision: str,
) -> dict[str, ColumnPrediction]:
    """One prediction round of ``models``, batched per feature space."""
    predictions: dict[str, ColumnPrediction] = {}
    for group in _groups(models).values():
        predictions.update(_predict_group(group, frame, rows, device, precision))
    return predictions


def filled_frame(
    frame: pd.DataFrame,
    models: Mapping[str, ColumnModel],
    rows: Mapping[str, np.ndarray],
    predictions: Mapping[str, ColumnPrediction],
) -> pd.DataFrame:
    """A shallow copy of ``frame`` with each prediction written at its rows."""
    work = frame.copy(deep=False)
    for name, prediction in predictions.items():
        work[name] = fill_column(work[name], rows[name], prediction.values, models[name])
    return work


def fill_column(series: pd.Series, rows: np.ndarray, values, model: ColumnModel) -> pd.Series:
    """A copy of ``series`` with ``values`` written at positions ``rows``, in its own dtype."""
    if not len(rows):  # e.g. a column its gates left whole
        return series.copy()
    filled = model.encoder.cast(values, series.iloc[rows])
    out = series.copy()
    if out.dtype != filled.dtype and not isinstance(out.dtype, pd.CategoricalDtype):
        out = out.astype(filled.dtype) if _widens(out.dtype, filled.dtype) else out.astype(object)
    # the values as their own array: a tz-aware datetime's to_numpy() is one object per cell
    out.iloc[rows] = filled.to_numpy(dtype=object) if out.dtype == object else filled.array
    return out


def _widens(original, filled) -> bool:
    """True when ``original`` can be losslessly viewed as ``filled`` (e.g. int -> float)."""
    return pd.api.types.is_numeric_dtype(original) and pd.api.types.is_float_dtype(filled)


def _groups(models: Mapping[str, ColumnModel]) -> dict[str, list[ColumnModel]]:
    groups: dict[str, list[ColumnModel]] = {}
    for model in models.values():
        groups.setdefault(model.space.signature, []).append(model)
    return groups


def _predict_group(
    group: list[ColumnModel],
    frame: pd.DataFrame,
    rows: Mapping[str, np.ndarray],
    device: str,
    precision: str,
) -> dict[str, ColumnPrediction]:
    """Predictions of models sharing one feature space, ``FILL_CHUNK`` rows at a time."""
    space = group[0].space
    wanted = [m for m in group if len(rows[m.target])]
    out = {
        m.target: ColumnPrediction(values=[], confidence=np.zeros(0))
        for m in group
        if not len(rows[m.target])
    }
    if not wanted:
        return out
    union = np.unique(np.concatenate([rows[m.target] for m in wanted]))
    torch_device = resolve_device(device)
    networked = [m for m in wanted if m.uses_network]
    net = stacked_net(networked, torch_device) if networked else None
    # each model's rows, ordered by the chunk that holds them (restored at the end)
    where = {m.target: np.searchsorted(union, rows[m.target]) for m in wanted}
    order = {name: np.argsort(local // FILL_CHUNK, kind="stable") for name, local in where.items()}
    parts: dict[str, list[ColumnPrediction]] = {m.target: [] for m in wanted}
    for start in range(0, len(union), FILL_CHUNK):
        features = space.encode(frame.iloc[union[start : start + FILL_CHUNK]])
        positions = {}
        for model in wanted:
            local = where[model.target][order[model.target]]
            positions[model.target] = local[(local >= start) & (local < start + FILL_CHUNK)] - start
        for name, prediction in encoded_predictions(
            wanted, net, features, positions, torch_device, precision
        ).items():
            parts[name].append(prediction)
    for model in wanted:
        joined = ColumnPrediction.concat(parts[model.target])
        out[model.target] = joined.take(np.argsort(order[model.target], kind="stable"))
    return out


def encoded_predictions(
    models: list[ColumnModel],
    net: StackedNet | None,
    features: Features,
    positions: Mapping[str, np.ndarray],
    device: torch.device,
    precision: str,
) -> dict[str, ColumnPrediction]:
    """Predictions of ``models`` (one feature space) at ``positions`` (per target, rows of the
    encoded ``features``); ``net`` stacks the networks of those that use one, in their order."""
    design = Design.from_features(features, models[0].space.categorical_sizes)
    net_out = _network_outputs(models, net, features, positions, device, precision)
    shared_out = _shared_outputs(models, features, positions, device, precision)
    out = {}
    for model in models:
        local = positions[model.target]
        if len(local):
            raw = model.raw_outputs(
                design, local, net_out.get(model.target), shared_out.get(model.target)
            )
            out[model.target] = model.predict(raw)
    return out


def _shared_outputs(
    models: list[ColumnModel],
    features: Features,
    positions: Mapping[str, np.ndarray],
    device: torch.device,
    precision: str,
) -> dict[str, np.ndarray]:
    """The raw outputs of the models that use a shared network, one pass per network (models
    trained together share one; see :func:`shared_outputs`)."""
    groups: dict[str, list[ColumnModel]] = {}
    for model in models:
        if model.uses_shared and len(positions[model.target]):
            groups.setdefault(model.shared[0]["id"], []).append(model)
    out: dict[str, np.ndarray] = {}
    for group in groups.values():
        meta, tensors = group[0].shared
        net = load_shared(group[0].space, meta, tensors, device)
        out.update(
            shared_outputs(
                net,
                meta["targets"],
                features,
                group[0].space,
                {m.target: positions[m.target] for m in group},
                device,
                precision,
            )
        )
    return out


def _network_outputs(
    models: list[ColumnModel],
    net: StackedNet | None,
    features: Features,
    positions: Mapping[str, np.ndarray],
    device: torch.device,
    precision: str,
) -> dict[str, np.ndarray]:
    """Each networked model's raw outputs at its ``positions``: one stacked pass when most
    cells are wanted, one pass per network over its own rows when few are (a table 30% missing
    per column has a gap in nearly every row, but each network is wanted in only 30% of them:
    a third of the work). See :func:`target_outputs`."""
    if net is None:
        return {}
    networked = [m for m in models if m.uses_network]
    outputs = target_outputs(
        net, features, [positions[m.target] for m in networked], device, precision
    )
    return {
        m.target: out for m, out in zip(networked, outputs, strict=True) if len(positions[m.target])
    }


def stacked_net(models: list[ColumnModel], device: torch.device) -> StackedNet:
    """The networks of ``models`` (one feature space) stacked for one forward pass."""
    space = models[0].space
    dims = [2 if m.numeric else m.classes for m in models]
    first = models[0].network
    net = StackedNet(
        space,
        [m.target for m in models],
        dims,
        hidden_dim=first["w2"].shape[0],
        embedding_dim=first["cat_emb"].shape[1],
        recurrent_dim=first["gru_hh"].shape[1] if "gru_hh" in first else 0,
    )
    net.load_target_states([m.network for m in models])
    return net.to(device).eval()
