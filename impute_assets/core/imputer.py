"""The table imputer: one model per incomplete column, fitted together, filling only gaps.

A scikit-learn estimator: constructor arguments are stored as given and checked in ``fit``;
learnt state ends with ``_``; ``get_params``/``set_params``/``clone`` work; ``transform``
returns the filled frame (so it fits in a ``Pipeline`` or ``ColumnTransformer``) and
``impute`` the rich :class:`ImputationResult`. Neither changes the caller's frame. Observed
cells are never changed, and no row is added, dropped or reordered.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from impute_assets.core import result as reasons
from impute_assets.core.config import ImputerConfig
from impute_assets.core.fitting.column_model import ColumnModel, ColumnPrediction
from impute_assets.core.fitting.fit import fit_column_models
from impute_assets.core.fitting.prediction import fill_column, predict_rows
from impute_assets.core.gating import blank_as_missing, column_verdict, snap
from impute_assets.core.integrity import UnitIntegrityError
from impute_assets.core.kinds import ColumnKind, imputable_kinds, infer_kinds
from impute_assets.core.names import folder_name
from impute_assets.core.plan import plan_table
from impute_assets.core.profile import TableProfile
from impute_assets.core.result import ColumnReport, ImputationResult
from impute_assets.core.sequence.context import SequenceSpec, with_context
from impute_assets.core.sequence.fit import fit_sequence_models
from impute_assets.core.uncertainty.conformal import cell_uncertainty, column_summary, draw

MANIFEST = "imputer.json"
PROFILE = "profile.json"


class Imputer(TransformerMixin, BaseEstimator):
    """Fill missing cells of a table with one learnt model per incomplete column.

    Args:
        columns: Columns to impute; ``None`` means every column with missing cells whose kind
            can be imputed (numeric, categorical, datetime).
        exclude: Columns neither imputed nor used as inputs (read once per ``fit``).
        kinds: Kind overrides, e.g. ``{"zip": "categorical"}``.
        config: Training and filling settings; the keyword settings below win over it.
        order_by: A time (or other ordered) column: rows then also see their previous and next
            observed neighbours in time, and the gaps to them (see :mod:`.sequence`).
        group_by: Entity column(s) within which rows form a sequence (station, machine, ...).
        hidden_dim ... extra: every :class:`ImputerConfig` field; ``None`` keeps ``config``'s
            value (or the default).

    What it fills: by default (``fill="confident"``) a column only when its model beats
    mean/mode held-out by more than that gain's spread over held-out splits, is not
    free-text-like and is missing in at most half its rows, and in it only the cells whose
    calibrated confidence reaches 0.5 (categorical) or 0.4 (numeric); numeric fills stay on the column's grid and
    within its observed range. Every cell left is counted with its reason in the report.
    ``fill="all"`` fills every cell a model reaches; each gate is also a setting of its own,
    per column if need be (:class:`ImputerConfig`).

    Example:
        >>> result = Imputer(epochs=20).fit_impute(frame)
        >>> result.report_frame()[["column", "filled", "left"]]
          column  filled  left
        0      y      27     0
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import StandardScaler
        >>> scaled = make_pipeline(Imputer(epochs=20), StandardScaler()).fit_transform(frame)
        >>> scaled.shape
        (200, 3)
    """

    def __init__(
        self,
        columns: Sequence[str] | None = None,
        exclude: Iterable[str] = (),
        kinds: Mapping[str, ColumnKind | str] | None = None,
        config: ImputerConfig | None = None,
        order_by: str | None = None,
        group_by: str | Sequence[str] | None = None,
        *,
        hidden_dim: int | None = None,
        embedding_dim: int | None = None,
        epochs: int | None = None,
        max_steps: int | None = None,
        time_budget: float | None = None,
        batch_size: int | None = None,
        max_batch_size: int | None = None,
        learning_rate: float | None = None,
        weight_decay: float | None = None,
        mask_rate: float | None = None,
        weight_average: float | None = None,
        copy_mask_share: float | None = None,
        patience: int | None = None,
        holdout_fraction: float | None = None,
        refinement_rounds: int | None = None,
        chained: bool | None = None,
        candidates: Sequence[str] | None = None,
        max_categories: int | None = None,
        text_buckets: int | None = None,
        text_encoder: str | None = None,
        copy_free_text: bool | None = None,
        sequence_window: int | None = None,
        sequence_tabular: bool | None = None,
        knn_neighbors: int | None = None,
        knn_reference_rows: int | None = None,
        max_training_rows: int | None = None,
        max_holdout_rows: int | None = None,
        max_cheap_rows: int | None = None,
        min_rows_for_network: int | None = None,
        shared_network_columns: int | None = None,
        device: str | None = None,
        precision: str | None = None,
        repeat_below: int | None = None,
        score_repeats: int | None = None,
        seed: int | None = None,
        fill: str | Mapping[str, str] | None = None,
        confidence_threshold: float | Mapping[str, float] | None = None,
        coverage: float | None = None,
        min_gain_spreads: float | Mapping[str, float] | None = None,
        max_missing_share: float | Mapping[str, float] | None = None,
        leave_free_text: bool | Mapping[str, bool] | None = None,
        progress: bool | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.columns = columns
        self.exclude = exclude
        self.kinds = kinds
        self.config = config
        self.order_by = order_by
        self.group_by = group_by
        self.hidden_dim = hidden_dim
        self.embedding_dim = embedding_dim
        self.epochs = epochs
        self.max_steps = max_steps
        self.time_budget = time_budget
        self.batch_size = batch_size
        self.max_batch_size = max_batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.mask_rate = mask_rate
        self.weight_average = weight_average
        self.copy_mask_share = copy_mask_share
        self.patience = patience
        self.holdout_fraction = holdout_fraction
        self.refinement_rounds = refinement_rounds
        self.chained = chained
        self.candidates = candidates
        self.max_categories = max_categories
        self.text_buckets = text_buckets
        self.text_encoder = text_encoder
        self.copy_free_text = copy_free_text
        self.sequence_window = sequence_window
        self.sequence_tabular = sequence_tabular
        self.knn_neighbors = knn_neighbors
        self.knn_reference_rows = knn_reference_rows
        self.max_training_rows = max_training_rows
        self.max_holdout_rows = max_holdout_rows
        self.max_cheap_rows = max_cheap_rows
        self.min_rows_for_network = min_rows_for_network
        self.shared_network_columns = shared_network_columns
        self.device = device
        self.precision = precision
        self.repeat_below = repeat_below
        self.score_repeats = score_repeats
        self.seed = seed
        self.fill = fill
        self.confidence_threshold = confidence_threshold
        self.coverage = coverage
        self.min_gain_spreads = min_gain_spreads
        self.max_missing_share = max_missing_share
        self.leave_free_text = leave_free_text
        self.progress = progress
        self.extra = extra

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    def settings(self) -> ImputerConfig:
        """The resolved config: ``config`` (or the defaults) with the keyword settings applied."""
        given = {
            name: getattr(self, name)
            for name in ImputerConfig.model_fields
            if getattr(self, name, None) is not None
        }
        return _resolve_config(self.config, given)

    def fit(
        self, frame: pd.DataFrame, y: Any = None, *, weights: Sequence[float] | None = None
    ) -> Self:
        """Learn one model per target column from ``frame``'s observed cells (``y`` is unused).

        ``weights``: one per row, how much each row counts in training and model choice.
        """
        frame = blank_as_missing(self._input_frame(frame, reset=True))
        config = self.settings()
        exclude = list(self.exclude)
        declared = self._declared_sequence(config)
        kinds = infer_kinds(frame, self.kinds, exclude)
        if declared is not None:
            kinds = declared.key_kinds(frame, kinds, given=set(self.kinds or {}))
        skipped = sorted(c for c, k in kinds.items() if k == ColumnKind.UNSUPPORTED)
        if skipped:
            warnings.warn(
                f"columns of unsupported types are not used or imputed: {skipped}",
                UserWarning,
                stacklevel=2,
            )
        targets = self._targets(frame, kinds, config, declared.keys if declared else ())
        plan = plan_table(frame, kinds, targets, config, declared)
        inputs = plan.inputs
        self.exclude_ = exclude
        self.kinds_ = kinds
        self.config_ = config
        self.profile_ = TableProfile.from_frame(frame[list(inputs)], inputs)
        self.sequence_ = (
            declared.for_inputs(inputs).measured(frame) if declared is not None else None
        )
        self.column_models_: dict[str, ColumnModel] = {}
        row_weights = _row_weights(weights, len(frame))
        if targets and self.sequence_ is not None:
            self.column_models_ = fit_sequence_models(
                frame[list(inputs)],
                inputs,
                targets,
                config,
                self.sequence_,
                row_weights,
                fingerprints=plan.fingerprints,
            )
        elif targets:
            self.column_models_ = fit_column_models(
                frame[list(inputs)],
                inputs,
                targets,
                config,
                weights=row_weights,
                fingerprints=plan.fingerprints,
            )
        return self

    def transform(self, frame: pd.DataFrame, context: pd.DataFrame | None = None) -> pd.DataFrame:
        """The filled copy of ``frame`` (see :meth:`impute` for where each fill came from)."""
        return self.impute(frame, context).frame

    def fit_transform(
        self, frame: pd.DataFrame, y: Any = None, context: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """``fit(frame)`` then ``transform(frame, context)``."""
        return self.fit(frame).transform(frame, context)

    def impute(
        self,
        frame: pd.DataFrame,
        context: pd.DataFrame | None = None,
        *,
        draws: int = 0,
        seed: int | None = None,
    ) -> ImputationResult:
        """Fill ``frame``'s missing cells; returns new frames, ``frame`` is left as it was.

        ``context``: earlier rows (e.g. the end of the previous partition) that serve as
        neighbours in time only; they are neither filled nor returned. Needs ``order_by``.
        ``draws``: also return that many completed frames (``result.draws``), each filling the
        same cells with a draw from their predictive distributions, for multiple imputation
        (pool the analyses with Rubin's rules); ``seed`` (default: the config's) fixes them.
        """
        if draws < 0:
            raise ValueError(f"draws must be >= 0, got {draws}")
        frame = self._input_frame(frame)
        models = self.column_models_
        config = self.config_
        gates = {t: config.gate_for(t, m.numeric) for t, m in models.items()}
        verdicts = {
            t: column_verdict(m.holdout.to_dict(), gates[t], m.kind == ColumnKind.TEXT)
            for t, m in models.items()
        }
        # blank strings are no category to read; the cells to fill are the null ones
        rows = {t: np.flatnonzero(frame[t].isna().to_numpy()) for t in models}
        wanted = {t: r if verdicts[t] is None else r[:0] for t, r in rows.items()}
        predictions = self.predict_cells(
            blank_as_missing(frame),
            wanted,
            blank_as_missing(context) if context is not None else None,
        )
        filled = frame.copy()
        imputed = pd.DataFrame(False, index=frame.index, columns=frame.columns)
        confidence = pd.DataFrame(np.nan, index=frame.index, columns=frame.columns)
        uncertainty, accepted, report = {}, {}, []
        for position, column in enumerate(frame.columns):
            missing = rows.get(column, np.flatnonzero(frame[column].isna().to_numpy()))
            if column in models:
                model, prediction, gate = models[column], predictions[column], gates[column]
                accept = prediction.confidence >= gate.threshold
                chosen = accepted[column] = wanted[column][accept]
                values = _take(prediction.values, accept)
                if model.kind == ColumnKind.NUMERIC:
                    values = snap(values, (model.holdout.facts or {}).get("grid"))
                filled[column] = fill_column(filled[column], chosen, values, model)
                imputed.iloc[chosen, position] = True
                confidence.iloc[chosen, position] = prediction.confidence[accept]
                # intervals and sets of the cells filled only (a 300-label column's sets of
                # cells its gate leaves cost seconds per 100,000 rows)
                cells = cell_uncertainty(
                    model.filling,
                    prediction.take(np.flatnonzero(accept)),
                    frame[column].iloc[chosen],
                    chosen,
                    config.coverage,
                    gate.threshold,
                    config.seed,
                )
                if cells is not None:
                    uncertainty[column] = cells
                report.append(
                    _model_report(
                        model,
                        len(missing),
                        prediction.confidence[accept],
                        gate.threshold,
                        verdicts[column],
                        column_summary(uncertainty.get(column), model, frame[column]),
                    )
                )
            elif len(missing):
                report.append(self._unmodelled_report(frame, column, len(missing)))
        versions = {name: m.version for name, m in models.items()}
        rng = np.random.default_rng(config.seed if seed is None else seed)
        thresholds = {t: gate.threshold for t, gate in gates.items()}
        completed = [
            self._draw(filled, predictions, wanted, accepted, thresholds, rng) for _ in range(draws)
        ]
        return ImputationResult(
            filled, imputed, confidence, report, versions, uncertainty, completed
        )

    def _draw(
        self,
        filled: pd.DataFrame,
        predictions: Mapping[str, ColumnPrediction],
        rows: Mapping[str, np.ndarray],
        accepted: Mapping[str, np.ndarray],
        thresholds: Mapping[str, float],
        rng: np.random.Generator,
    ) -> pd.DataFrame:
        """``filled`` with each filled cell drawn anew from its predictive distribution (on the
        column's grid, as its fills are)."""
        out = filled.copy()
        for column, chosen in accepted.items():
            model = self.column_models_[column]
            values = draw(model.filling, predictions[column], rng, thresholds[column])
            if values is not None and len(chosen):
                values = _take(values, np.isin(rows[column], chosen))
                if model.kind == ColumnKind.NUMERIC:
                    values = snap(values, (model.holdout.facts or {}).get("grid"))
                out[column] = fill_column(out[column], chosen, values, model)
        return out

    def fit_impute(
        self,
        frame: pd.DataFrame,
        context: pd.DataFrame | None = None,
        *,
        draws: int = 0,
        seed: int | None = None,
    ) -> ImputationResult:
        """``fit(frame)`` then ``impute(frame, context, draws=draws, seed=seed)``."""
        return self.fit(frame).impute(frame, context, draws=draws, seed=seed)

    def predict_cells(
        self,
        frame: pd.DataFrame,
        rows: Mapping[str, np.ndarray],
        context: pd.DataFrame | None = None,
    ) -> dict[str, ColumnPrediction]:
        """Predictions (values, confidence, class probabilities) for ``rows[column]`` (positions)
        of each modelled column: the one prediction path ``impute`` and ``SimpleImputer`` share,
        refinement rounds included; no confidence threshold is applied here."""
        self._check_fitted()
        config = self.config_
        wanted = {c: np.asarray(rows.get(c, ()), dtype=np.int64) for c in self.column_models_}
        return predict_rows(
            self.column_models_,
            self.model_frame(frame, context),
            wanted,
            config.refinement_rounds,
            config.device,
            config.precision,
        )

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        """The output columns: the input columns, unchanged (only their gaps are filled)."""
        check_is_fitted(self)
        names = input_features if input_features is not None else self._column_names_
        return np.asarray(list(names), dtype=object)

    def model_frame(self, frame: pd.DataFrame, context: pd.DataFrame | None = None) -> pd.DataFrame:
        """What the column models read: ``frame``, plus its sequence context when ordered."""
        self._check_fitted()
        models = self.column_models_
        spec = self.sequence_
        keys = spec.keys if spec is not None else []
        used = {c for m in models.values() for c in m.inputs} | set(keys) | set(models)
        needed = sorted(used - set(frame.columns))
        if needed:
            raise KeyError(f"columns the fitted models read are missing from the frame: {needed}")
        if spec is None:
            if context is not None:
                raise ValueError("context rows are only used by an imputer fitted with order_by")
            return frame
        return with_context(frame, spec, context)

    def _input_frame(self, frame: Any, reset: bool = False) -> pd.DataFrame:
        """``frame`` as a DataFrame (arrays get columns ``x0, x1, ...``); records the input
        columns on ``fit`` and checks them afterwards (scikit-learn's ``n_features_in_``)."""
        if not reset:
            self._check_fitted()
        if not isinstance(frame, pd.DataFrame):
            frame = _array_frame(frame, None if reset else self._column_names_)
        elif reset and all(isinstance(c, str) for c in frame.columns):
            self.feature_names_in_ = np.asarray(list(frame.columns), dtype=object)
        elif reset and hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        _check_frame(frame)
        if reset:
            self.n_features_in_ = frame.shape[1]
            self._column_names_ = list(frame.columns)
        return frame

    @classmethod
    def from_column_models(
        cls, models: Mapping[str, ColumnModel], config: ImputerConfig | None = None
    ) -> Imputer:
        """An imputer assembled from stored per-column units (e.g. some reused, some new)."""
        if not models:
            raise ValueError("from_column_models needs at least one column model")
        first = next(iter(models.values()))
        imputer = cls(columns=list(models), config=config)
        imputer.config_ = config or ImputerConfig.from_dict(first.config)
        imputer.column_models_ = dict(models)
        imputer.kinds_ = {c: e.kind for m in models.values() for c, e in m.space.encoders.items()}
        imputer._set_columns(list(imputer.kinds_))
        imputer.exclude_ = []
        imputer.sequence_ = _shared_sequence(models)
        imputer.profile_ = None
        return imputer

    def save(self, path: str | Path) -> Path:
        """Write a manifest and one directory per column model under ``path``; a shared network
        goes once to ``path`` itself (``shared-<sha256[:16]>.safetensors``), not into each unit
        that uses it.

        The imputer is written to a hidden folder beside ``path`` and renamed into place, so a
        reader never sees half of it and saving over an earlier imputer leaves none of its
        files; a ``path`` that holds other files (no ``imputer.json``) is refused, not emptied,
        and so is an imputer fitted on a frame with non-text column names.
        """
        self._check_fitted()
        unnamed = [c for c in self._column_names_ if not isinstance(c, str)]
        if unnamed:
            raise TypeError(
                f"cannot save an imputer fitted on non-text column names {unnamed[:5]}: a saved "
                "imputer keys its models by name, as text; fit on "
                "frame.rename(columns=str) to save it"
            )
        root = Path(path)
        check_save_folder(root)
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.saving-", dir=root.parent))
        try:
            self._write(staging)
            _replace_folder(staging, root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return root

    def _write(self, root: Path) -> None:
        """The manifest, profile and one folder per column model, written into ``root``."""
        layout = {}
        for index, (name, model) in enumerate(self.column_models_.items()):
            folder = f"{index:03d}_{folder_name(name)}"
            model.save(root / folder, shared_dir=root)
            layout[name] = folder
        manifest = {
            "config": self.config_.to_dict(),
            "kinds": {k: v.value for k, v in self.kinds_.items()},
            "columns": layout,
            "feature_names_in": self._column_names_,
        }
        (root / MANIFEST).write_text(json.dumps(manifest, indent=2))
        if getattr(self, "profile_", None) is not None:
            self.profile_.to_json(root / PROFILE)

    @classmethod
    def load(cls, path: str | Path) -> Imputer:
        """Read an imputer written by :meth:`save`."""
        root = Path(path)
        if not (root / MANIFEST).exists():
            raise FileNotFoundError(f"{root}: no {MANIFEST}; is this a saved imputer?")
        manifest = json.loads((root / MANIFEST).read_text())
        shared: dict[str, dict[str, torch.Tensor]] = {}  # read each shared network once
        models = {
            name: ColumnModel.load(_unit_folder(root, name, folder), root, shared)
            for name, folder in manifest["columns"].items()
        }
        config = ImputerConfig.from_dict(manifest["config"])
        imputer = cls.from_column_models(models, config) if models else cls(config=config)
        imputer.config_ = config
        imputer.column_models_ = models
        imputer.exclude_ = []
        imputer.kinds_ = {k: ColumnKind(v) for k, v in manifest["kinds"].items()}
        imputer._set_columns(manifest["feature_names_in"])
        imputer.sequence_ = _shared_sequence(models)
        imputer.profile_ = (
            TableProfile.from_json(root / PROFILE) if (root / PROFILE).exists() else None
        )
        return imputer

    def _declared_sequence(self, config: ImputerConfig) -> SequenceSpec | None:
        """The sequence settings as given (``None`` without ``order_by``), before fitting."""
        if self.order_by is None:
            if self.group_by:
                raise ValueError(f"group_by={self.group_by!r} needs order_by (the time column)")
            return None
        return SequenceSpec(self.order_by, self.group_by or (), window=config.sequence_window)

    def _targets(
        self,
        frame: pd.DataFrame,
        kinds: Mapping[str, ColumnKind],
        config: ImputerConfig,
        keys: Collection[str] = (),
    ) -> list[str]:
        imputable = imputable_kinds(config.copy_free_text)
        # a guessed time or group would place its row in a sequence it was never in (keys)
        if self.columns is None:
            return [
                c
                for c, k in kinds.items()
                if k in imputable
                and c not in keys
                and frame[c].isna().any()
                and frame[c].notna().any()
            ]
        targets = list(self.columns)
        for column in targets:
            if column not in frame.columns:
                raise KeyError(
                    f"column {column!r} to impute is not in the frame; have {list(frame.columns)}"
                )
            if column in keys:
                raise ValueError(
                    f"column {column!r} orders or groups the rows (order_by/group_by): "
                    "a sequence key is never imputed; leave it out of columns"
                )
            kind = kinds.get(column)
            if kind is None:
                raise ValueError(f"column {column!r} is both asked for and excluded")
            if kind not in imputable:
                raise ValueError(
                    f"column {column!r} has kind {kind.value!r}, which is not imputed; "
                    "override its kind (kinds={...}) or leave it out of columns"
                )
            if frame[column].notna().sum() == 0:
                raise ValueError(f"column {column!r} is entirely missing: nothing to learn it from")
        # in the frame's order: the models depend on their targets' order, the order they
        # were listed in should not
        asked = set(targets)
        return [c for c in frame.columns if c in asked]

    def _unmodelled_report(self, frame: pd.DataFrame, column: str, missing: int) -> ColumnReport:
        kind = self.kinds_.get(column)
        if self.sequence_ is not None and column in self.sequence_.keys:
            reason = reasons.SEQUENCE_KEY
        elif kind is None:
            reason = reasons.EXCLUDED if column in set(self.exclude_) else reasons.NO_MODEL
        elif frame[column].notna().sum() == 0:
            reason = reasons.NO_OBSERVED
        else:
            reason = {
                ColumnKind.ID: reasons.ID_COLUMN,
                ColumnKind.TEXT: reasons.FREE_TEXT,
                ColumnKind.UNSUPPORTED: reasons.UNSUPPORTED,
            }.get(kind, reasons.NO_MODEL)
        return ColumnReport(
            column,
            (kind or ColumnKind.UNSUPPORTED).value,
            None,
            None,
            None,
            None,
            missing,
            0,
            missing,
            {reason: missing},
        )

    def _set_columns(self, columns: Sequence[str]) -> None:
        self._column_names_ = list(columns)
        self.n_features_in_ = len(columns)
        self.feature_names_in_ = np.asarray(self._column_names_, dtype=object)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "column_models_")

    def _check_fitted(self) -> None:
        check_is_fitted(
            self, msg=f"this {type(self).__name__} is not fitted yet: call fit(frame) first"
        )


def _model_report(
    model: ColumnModel,
    missing: int,
    accepted: np.ndarray,
    threshold: float,
    verdict: str | None,
    uncertainty: Mapping[str, float | None],
) -> ColumnReport:
    """A modelled column's outcome; ``verdict``: why its gates left it whole (None: they did
    not); ``uncertainty``: its intervals' or prediction sets' summary."""
    left = missing - len(accepted)
    reason = verdict or f"{reasons.BELOW_THRESHOLD} ({threshold:g})"
    holdout = model.holdout
    return ColumnReport(
        column=model.target,
        kind=model.kind.value,
        model=model.chosen,
        metric=holdout.metric,
        holdout_score=holdout.score,
        baseline_score=holdout.baseline_score,
        missing=missing,
        filled=len(accepted),
        left=left,
        reasons={reason: left} if left else {},
        model_version=model.version,
        mean_confidence=float(accepted.mean()) if len(accepted) else None,
        importance=model.importance,
        **uncertainty,
        holdout_spread=holdout.spread,
        holdout_splits=holdout.splits or 0,
        baseline_gain=holdout.gain,
        baseline_gain_spread=holdout.gain_spread,
    )


def _shared_sequence(models: Mapping[str, ColumnModel]) -> SequenceSpec | None:
    """The one sequence spec the context-reading models share (they must agree); when none
    reads context, the spec any model was fitted under (a tabular winner in an ordered table),
    so the imputer still orders rows and accepts context rows."""
    ordered = [m for m in models.values() if m.sequence is not None]
    specs = {
        json.dumps(m.sequence.to_state(), sort_keys=True): m.sequence
        for m in ordered
        if m.reads_context
    }
    if len(specs) > 1:
        raise ValueError(
            f"column models were fitted with different sequence settings: {list(specs)}"
        )
    return next(iter(specs.values()), ordered[0].sequence if ordered else None)


def _take(values, keep: np.ndarray):
    if isinstance(values, np.ndarray):
        return values[keep]
    return [v for v, k in zip(values, keep, strict=True) if k]


def _resolve_config(config: ImputerConfig | None, overrides: Mapping[str, Any]) -> ImputerConfig:
    base = (config or ImputerConfig()).to_dict()
    return ImputerConfig.from_dict({**base, **overrides})


def _row_weights(weights: Sequence[float] | None, rows: int) -> np.ndarray | None:
    if weights is None:
        return None
    array = np.asarray(weights, dtype=float)
    if array.shape != (rows,) or not np.all(np.isfinite(array)) or (array < 0).any():
        raise ValueError(
            f"weights must be {rows} finite values >= 0 (one per row), got shape {array.shape}"
        )
    return array


def _array_frame(values: Any, columns: Sequence[str] | None) -> pd.DataFrame:
    """An array-like as a frame, with the fitted column names or ``x0, x1, ...``."""
    if hasattr(values, "tocsr"):
        raise TypeError(
            "sparse input is not supported (gaps are missing cells, not zeros): "
            "pass a DataFrame or a dense array"
        )
    array = np.asarray(values)
    if array.ndim != 2:
        raise ValueError(
            f"expected a 2-D table (a DataFrame or array), got {array.ndim} "
            "dimension(s). Reshape your data, e.g. array.reshape(-1, 1) for one column"
        )
    names = columns if columns is not None else [f"x{i}" for i in range(array.shape[1])]
    if len(names) != array.shape[1]:
        raise ValueError(
            f"X has {array.shape[1]} features, but the imputer was fitted with {len(names)}"
        )
    return pd.DataFrame(array, columns=list(names))


def _check_frame(frame: pd.DataFrame) -> None:
    if len(frame.columns) == 0:
        raise ValueError(
            f"the frame is empty: 0 feature(s) (shape={frame.shape}) while a "
            "minimum of 1 is required."
        )
    if len(frame) == 0:
        raise ValueError(
            f"the frame is empty: 0 sample(s) (shape={frame.shape}) while a "
            "minimum of 1 is required."
        )
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise ValueError(f"duplicate column names: {duplicated}")


def check_save_folder(root: Path) -> None:
    """Refuse to save into ``root`` when it holds files but no saved imputer: saving replaces
    the folder whole, and must never delete files it did not write."""
    if root.exists() and not (root / MANIFEST).exists() and any(root.iterdir()):
        raise FileExistsError(
            f"{root}: holds files but no {MANIFEST}, so it is not a saved imputer; "
            "save into a new or empty folder (nothing was written)"
        )


def _replace_folder(new: Path, root: Path) -> None:
    """Put the folder ``new`` at ``root``: an earlier ``root`` is renamed aside first and
    removed only once ``new`` is in place (renames within one folder are atomic locally)."""
    if not root.exists():
        new.rename(root)
        return
    old = root.with_name(f".{root.name}.old-{uuid.uuid4().hex[:12]}")
    root.rename(old)
    try:
        new.rename(root)
    except OSError:
        old.rename(root)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _unit_folder(root: Path, column: str, folder: str) -> Path:
    """The folder of ``column``'s unit, refused unless it lies inside ``root`` (after ``..`` and
    symlinks are resolved): a saved imputer never reads files from outside its own folder."""
    unit = (root / folder).resolve()
    if not unit.is_relative_to(root.resolve()):
        raise UnitIntegrityError(
            root / MANIFEST,
            f"column {column!r}: folder {folder!r} lies outside {root}; refusing to load it",
        )
    return unit
