"""A bounded random search over a SimpleImputer's settings, in Datawig's ``fit_hpo`` shape.

The search space is Datawig's: ``hps["global"][name]`` and ``hps[column][name]`` lists (or
``hps["string" | "categorical" | "numeric"]`` for every input of that type), completed by the
``*_candidates`` arguments; ``hps`` wins where both name a scope. Settings the engine uses:

- global ``learning_rate``, ``weight_decay``, ``num_epochs``, ``patience``, ``batch_size``
  (``fit``'s arguments) and any :class:`ImputerConfig` field (``mask_rate``, ``hidden_dim``,
  ``embedding_dim``, ``candidates`` ...);
- per column ``max_tokens`` of text inputs (hash buckets) and ``numeric_latent_dim`` (width).

Other names (``tokens``, ``final_fc_hidden_units``, ``numeric_hidden_layers``, ``normalize``
...) are recorded in the table but do not change the engine. At most ``num_evals`` distinct
combinations are drawn at random (seeded) and the search stops early once
``max_running_hours`` is spent; every combination trains on the same split and is scored on
the same test rows. Without any space given, it searches learning rate, mask rate and width.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self

import numpy as np
import pandas as pd
from sklearn.base import clone

from impute_assets.core.config import ImputerConfig
from impute_assets.core.kinds import ColumnKind

#: Global names that are ``SimpleImputer.fit`` arguments.
FIT_ARGUMENTS = {
    "learning_rate",
    "weight_decay",
    "num_epochs",
    "patience",
    "batch_size",
    "final_fc_hidden_units",
}
#: The space searched when the caller gives none.
DEFAULT_SPACE = {
    "global:learning_rate": [1e-3, 4e-3, 1e-2],
    "global:mask_rate": [0.1, 0.25, 0.4],
    "global:hidden_dim": [32, 64, 128],
}
#: Datawig's results-table names for scores that ``load_metrics`` holds under other names.
RESULT_ALIASES = {"f1_macro": "avg_f1", "f1_weighted": "weighted_f1"}
_CONFIG_FIELDS = set(ImputerConfig.model_fields)
_TYPES = ("string", "categorical", "numeric")


class Tunable(Protocol):
    """What the search reads and calls of the imputer it tunes: a
    :class:`~impute_assets.core.datawig.simple.SimpleImputer` (named here only, so that this
    module and the one that calls it do not import each other)."""

    input_columns: Sequence[str]
    output_column: str
    kinds: Mapping[str, ColumnKind | str] | None
    config: ImputerConfig | None
    metrics_: dict[str, Any]

    def set_params(self, **params: Any) -> Self: ...

    def fit(self, train_df: pd.DataFrame, test_df: pd.DataFrame | None, **kwargs: Any) -> Self: ...

    def predict(self, data_frame: pd.DataFrame) -> pd.DataFrame: ...


def split_rows(rows: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions to train on and to test on: a seeded ``share`` of ``rows`` held out (as
    ``SimpleImputer.fit`` and the search split a frame given no test frame)."""
    order = np.random.default_rng(seed).permutation(rows)
    cut = rows - round(share * rows)
    return order[:cut], order[cut:]


@dataclass
class HpoRun:
    """One search: its results table (one row per combination tried) and the best row."""

    results: pd.DataFrame
    best: int
    metric: str


def search(
    imputer: Tunable,
    train_df: pd.DataFrame,
    test_df: pd.DataFrame | None,
    hps: Mapping[str, Mapping[str, Any]] | None,
    num_evals: int,
    max_running_hours: float,
    *,
    num_epochs: int | None = None,
    patience: int | None = None,
    test_split: float = 0.2,
    weight_decay: Sequence[float] | None = None,
    batch_size: int | None = 16,
    num_hash_bucket_candidates: Sequence[int] | None = (2**12, 2**15, 2**18),
    tokens_candidates: Sequence[str] | None = ("words", "chars"),
    numeric_latent_dim_candidates: Sequence[int] | None = None,
    numeric_hidden_layers_candidates: Sequence[int] | None = None,
    final_fc_hidden_units: Sequence[Sequence[int]] | None = None,
    learning_rate_candidates: Sequence[float] | None = None,
    normalize_numeric: bool = True,
    user_defined_scores: Sequence[tuple[Callable[..., Any], str]] | None = None,
    hpo_run_name: str | None = None,
) -> tuple[Tunable, HpoRun]:
    """Fit one clone of ``imputer`` per drawn combination; the best clone and the table."""
    if num_evals < 1:
        raise ValueError(f"fit_hpo: num_evals must be >= 1, got {num_evals}")
    if test_df is None:
        keep, held = split_rows(len(train_df), test_split, seed=0)
        train_df, test_df = train_df.iloc[keep], train_df.iloc[held]
    defaults = {
        "global": _given(
            learning_rate=learning_rate_candidates,
            weight_decay=weight_decay,
            num_epochs=[num_epochs] if num_epochs else None,
            patience=[patience] if patience else None,
            batch_size=[batch_size] if batch_size else None,
            final_fc_hidden_units=final_fc_hidden_units,
        ),
        "string": _given(
            max_tokens=num_hash_bucket_candidates,
            tokens=[[t] for t in tokens_candidates] if tokens_candidates else None,
        ),
        "numeric": _given(
            normalize=[normalize_numeric] if normalize_numeric else None,
            numeric_latent_dim=numeric_latent_dim_candidates,
            numeric_hidden_layers=numeric_hidden_layers_candidates,
        ),
    }
    given = dict(hps or {})
    space = _space(
        {**{k: v for k, v in defaults.items() if k not in given}, **given}, imputer, train_df
    )
    if not hps and not learning_rate_candidates and not numeric_latent_dim_candidates:
        space = {**DEFAULT_SPACE, **space}
    names = list(space)
    combos = _draw([space[n] for n in names], num_evals, seed=0)
    numeric = pd.api.types.is_numeric_dtype(train_df[imputer.output_column])
    metric = "mse" if numeric else "precision_weighted"
    rows, fitted = [], []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="impute_assets_hpo_") as scratch:
        for index, combo in enumerate(combos):
            settings = dict(zip(names, combo, strict=True))
            candidate, fit_args = _candidate(imputer, settings, f"{scratch}/{index}")
            began = time.perf_counter()
            candidate.fit(train_df, test_df, **fit_args)
            metrics = candidate.metrics_
            row = {
                "name": f"{hpo_run_name or ''}{index}",
                **settings,
                **{k: v for k, v in metrics.items() if np.isscalar(v)},
                **{
                    alias: metrics[name]
                    for alias, name in RESULT_ALIASES.items()
                    if name in metrics
                },
                "seconds": time.perf_counter() - began,
            }
            row.update(_user_scores(candidate, test_df, user_defined_scores or ()))
            rows.append(row)
            fitted.append(candidate)
            if time.perf_counter() - started > max_running_hours * 3600:
                break
    results = pd.DataFrame(rows)
    scores = results[metric].astype(float)
    best = int(scores.idxmin() if numeric else scores.idxmax())
    return fitted[best], HpoRun(results, best, metric)


def _given(**lists: Any) -> dict[str, list]:
    return {k: list(v) for k, v in lists.items() if v}


def _space(
    hps: Mapping[str, Mapping[str, Any]], imputer: Tunable, frame: pd.DataFrame
) -> dict[str, list]:
    """Flatten Datawig's nested ``hps`` to ``{"scope:name": values}``; a type scope (string,
    categorical, numeric) fills in the names an input of that type does not set itself."""
    unknown = set(hps) - {"global", *_TYPES, *imputer.input_columns}
    if unknown:
        raise ValueError(
            f"fit_hpo: hps names {sorted(unknown)}, which are not input columns "
            f"({list(imputer.input_columns)}), 'global' or a type {_TYPES}"
        )
    space = {f"global:{name}": list(values) for name, values in _flat(hps.get("global", {}))}
    for column in imputer.input_columns:
        settings = {**hps.get(_column_type(frame[column]), {}), **hps.get(column, {})}
        space.update({f"{column}:{name}": list(values) for name, values in _flat(settings)})
    return space


def _flat(settings: Mapping[str, Any], prefix: str = ""):
    for name, values in settings.items():
        if isinstance(values, Mapping):
            yield from _flat(values, f"{prefix}{name}:")
        elif name != "type":
            yield f"{prefix}{name}", values


def _column_type(series: pd.Series) -> str:
    if pd.api.types.is_numeric_dtype(series):
        return "numeric"
    share = series.nunique() / max(series.notna().sum(), 1)
    return "categorical" if share < 0.05 else "string"


def _draw(values: Sequence[list], count: int, seed: int) -> list[tuple]:
    """Up to ``count`` distinct combinations, drawn uniformly at random."""
    total = int(np.prod([len(v) for v in values])) if values else 1
    rng = np.random.default_rng(seed)
    picks = rng.choice(total, size=min(count, total), replace=False)
    return [_nth(values, int(i)) for i in picks] if values else [()]


def _nth(values: Sequence[list], index: int) -> tuple:
    out = []
    for options in reversed(values):
        index, position = divmod(index, len(options))
        out.append(options[position])
    return tuple(reversed(out))


def _candidate(
    imputer: Tunable, settings: Mapping[str, Any], path: str
) -> tuple[Tunable, dict[str, Any]]:
    """A clone of ``imputer`` with ``settings`` applied, and its ``fit`` arguments."""
    fit_args: dict[str, Any] = {}
    config: dict[str, Any] = {}
    params: dict[str, Any] = {"output_path": path}
    for key, value in settings.items():
        scope, name = key.split(":", 1)
        if scope == "global" and name in FIT_ARGUMENTS:
            fit_args[name] = value
        elif scope == "global" and name in _CONFIG_FIELDS:
            config[name] = tuple(value) if name == "candidates" else value
        elif name == "numeric_latent_dim":
            params["numeric_latent_dim"] = value
        elif name == "max_tokens" and _is_text(imputer, scope):
            params["num_hash_buckets"] = max(value, params.get("num_hash_buckets", 0))
    candidate = clone(imputer).set_params(**params)
    if config:
        if "hidden_dim" in config:
            candidate.set_params(numeric_latent_dim=config.pop("hidden_dim"))
        candidate.set_params(config=(imputer.config or ImputerConfig()).replace(**config))
    return candidate, fit_args


def _is_text(imputer: Tunable, column: str) -> bool:
    kind = (imputer.kinds or {}).get(column)
    return kind is None or ColumnKind(kind) == ColumnKind.TEXT


def _user_scores(
    candidate: Tunable,
    test_df: pd.DataFrame,
    scores: Sequence[tuple[Callable[..., Any], str]],
) -> dict[str, Any]:
    if not scores:
        return {}
    truth = test_df[candidate.output_column]
    keep = truth.notna().to_numpy()
    out = candidate.predict(test_df.drop(columns=[candidate.output_column]).iloc[keep])
    predicted = out[candidate.output_column + "_imputed"].to_numpy()
    proba = out.get(candidate.output_column + "_imputed_proba")
    confidence = proba.to_numpy() if proba is not None else np.ones(len(out))
    return {
        name: fn(true=truth[keep].to_numpy(), predicted=predicted, confidence=confidence)
        for fn, name in scores
    }
