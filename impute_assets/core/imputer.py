"""The table imputer: one model per incomplete column, fitted together, filling only gaps.

Follows scikit-learn's contract: constructor arguments are stored as given and checked in
``fit``; learnt state ends with ``_``; ``transform`` returns new objects and never changes the
caller's frame. Observed cells are never changed, and no row is added, dropped or reordered.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

from impute_assets.core import result as reasons
from impute_assets.core.column_model import ColumnModel
from impute_assets.core.config import ImputerConfig
from impute_assets.core.fitting import fit_column_models
from impute_assets.core.integrity import UnitIntegrityError
from impute_assets.core.kinds import IMPUTABLE_KINDS, ColumnKind, infer_kinds
from impute_assets.core.prediction import fill_column, predict_rows
from impute_assets.core.profile import TableProfile
from impute_assets.core.result import ColumnReport, ImputationResult
from impute_assets.core.sequence import SequenceSpec, context_kinds, training_frames, with_context

#: Kinds the models can read as inputs.
INPUT_KINDS = IMPUTABLE_KINDS | {ColumnKind.TEXT}
MANIFEST = "imputer.json"
PROFILE = "profile.json"


class Imputer:
    """Fill missing cells of a table with one learnt model per incomplete column.

    Args:
        columns: Columns to impute; ``None`` means every column with missing cells whose kind
            can be imputed (numeric, categorical, datetime).
        exclude: Columns neither imputed nor used as inputs.
        kinds: Kind overrides, e.g. ``{"zip": "categorical"}``.
        config: Training and filling settings; keyword overrides win over it.
        order_by: A time (or other ordered) column: rows then also see their previous and next
            observed neighbours in time, and the gaps to them (see :mod:`.sequence`).
        group_by: Entity column(s) within which rows form a sequence (station, machine, ...).

    Example:
        >>> result = Imputer(epochs=20).fit_transform(frame)  # doctest: +SKIP
        >>> result.frame, result.report_frame()  # doctest: +SKIP
    """

    def __init__(
        self,
        columns: Sequence[str] | None = None,
        exclude: Iterable[str] = (),
        kinds: Mapping[str, ColumnKind | str] | None = None,
        config: ImputerConfig | None = None,
        order_by: str | None = None,
        group_by: str | Sequence[str] | None = None,
        **overrides: Any,
    ) -> None:
        self.columns = columns
        self.exclude = exclude
        self.kinds = kinds
        self.config = config
        self.order_by = order_by
        self.group_by = group_by
        self.overrides = overrides

    def fit(self, frame: pd.DataFrame) -> Self:
        """Learn one model per target column from ``frame``'s observed cells."""
        _check_frame(frame)
        config = _resolve_config(self.config, self.overrides)
        kinds = infer_kinds(frame, self.kinds, self.exclude)
        inputs = usable_inputs(frame, kinds)
        skipped = sorted(c for c, k in kinds.items() if k == ColumnKind.UNSUPPORTED)
        if skipped:
            warnings.warn(f"columns of unsupported types are not used or imputed: {skipped}",
                          UserWarning, stacklevel=2)
        targets = self._targets(frame, kinds, config)
        self.kinds_ = kinds
        self.config_ = config
        self.feature_names_in_ = list(frame.columns)
        self.profile_ = TableProfile.from_frame(frame[list(inputs)], inputs)
        self.sequence_ = self._sequence_spec(inputs, frame, config)
        self.column_models_: dict[str, ColumnModel] = {}
        if targets and self.sequence_ is not None:
            full, view, gaps = training_frames(frame[list(inputs)], self.sequence_, config.seed)
            self.column_models_ = fit_column_models(full, context_kinds(inputs, self.sequence_),
                                                    targets, config, view, self.sequence_, gaps)
        elif targets:
            self.column_models_ = fit_column_models(frame[list(inputs)], inputs, targets, config)
        return self

    def transform(self, frame: pd.DataFrame, context: pd.DataFrame | None = None) -> ImputationResult:
        """Fill ``frame``'s missing cells; returns new frames, ``frame`` is left as it was.

        ``context``: earlier rows (e.g. the end of the previous partition) that serve as
        neighbours in time only; they are neither filled nor returned. Needs ``order_by``.
        """
        self._check_fitted()
        _check_frame(frame)
        models = self.column_models_
        config = self.config_
        rows = {t: np.flatnonzero(frame[t].isna().to_numpy()) for t in models}
        predictions = predict_rows(models, self.model_frame(frame, context), rows,
                                   config.refinement_rounds, config.device, config.precision)
        filled = frame.copy()
        imputed = pd.DataFrame(False, index=frame.index, columns=frame.columns)
        confidence = pd.DataFrame(np.nan, index=frame.index, columns=frame.columns)
        report = []
        for position, column in enumerate(frame.columns):
            missing = rows.get(column, np.flatnonzero(frame[column].isna().to_numpy()))
            if column in models:
                model, prediction = models[column], predictions[column]
                accept = prediction.confidence >= config.threshold_for(column)
                chosen = missing[accept]
                values = _take(prediction.values, accept)
                filled[column] = fill_column(filled[column], chosen, values, model)
                imputed.iloc[chosen, position] = True
                confidence.iloc[chosen, position] = prediction.confidence[accept]
                report.append(_model_report(model, len(missing), prediction.confidence[accept],
                                            config.threshold_for(column)))
            elif len(missing):
                report.append(self._unmodelled_report(frame, column, len(missing)))
        versions = {name: m.version for name, m in models.items()}
        return ImputationResult(filled, imputed, confidence, report, versions)

    def fit_transform(self, frame: pd.DataFrame, context: pd.DataFrame | None = None) -> ImputationResult:
        """``fit(frame)`` then ``transform(frame, context)``."""
        return self.fit(frame).transform(frame, context)

    def model_frame(self, frame: pd.DataFrame, context: pd.DataFrame | None = None) -> pd.DataFrame:
        """What the column models read: ``frame``, plus its sequence context when ordered."""
        models = self.column_models_
        spec = getattr(self, "sequence_", None)
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

    @classmethod
    def from_column_models(cls, models: Mapping[str, ColumnModel],
                           config: ImputerConfig | None = None) -> Imputer:
        """An imputer assembled from stored per-column units (e.g. some reused, some new)."""
        if not models:
            raise ValueError("from_column_models needs at least one column model")
        first = next(iter(models.values()))
        imputer = cls(columns=list(models), config=config)
        imputer.config_ = config or ImputerConfig.from_dict(first.config)
        imputer.column_models_ = dict(models)
        imputer.kinds_ = {c: e.kind for m in models.values() for c, e in m.space.encoders.items()}
        imputer.feature_names_in_ = list(imputer.kinds_)
        imputer.sequence_ = _shared_sequence(models)
        imputer.profile_ = None
        return imputer

    def save(self, path: str | Path) -> Path:
        """Write a manifest and one directory per column model under ``path``."""
        self._check_fitted()
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        layout = {}
        for index, (name, model) in enumerate(self.column_models_.items()):
            folder = f"{index:03d}_{_slug(name)}"
            model.save(root / folder)
            layout[name] = folder
        manifest = {"config": self.config_.to_dict(), "kinds": {k: v.value for k, v in self.kinds_.items()},
                    "columns": layout, "feature_names_in": self.feature_names_in_}
        (root / MANIFEST).write_text(json.dumps(manifest, indent=2))
        if getattr(self, "profile_", None) is not None:
            self.profile_.to_json(root / PROFILE)
        return root

    @classmethod
    def load(cls, path: str | Path) -> Imputer:
        """Read an imputer written by :meth:`save`."""
        root = Path(path)
        if not (root / MANIFEST).exists():
            raise FileNotFoundError(f"{root}: no {MANIFEST}; is this a saved imputer?")
        manifest = json.loads((root / MANIFEST).read_text())
        models = {name: ColumnModel.load(_unit_folder(root, name, folder))
                  for name, folder in manifest["columns"].items()}
        config = ImputerConfig.from_dict(manifest["config"])
        imputer = cls.from_column_models(models, config) if models else cls(config=config)
        imputer.config_ = config
        imputer.column_models_ = models
        imputer.kinds_ = {k: ColumnKind(v) for k, v in manifest["kinds"].items()}
        imputer.feature_names_in_ = manifest["feature_names_in"]
        imputer.sequence_ = _shared_sequence(models)
        imputer.profile_ = TableProfile.from_json(root / PROFILE) if (root / PROFILE).exists() else None
        return imputer

    def _sequence_spec(self, inputs: Mapping[str, ColumnKind], frame: pd.DataFrame,
                       config: ImputerConfig) -> SequenceSpec | None:
        if self.order_by is None:
            if self.group_by:
                raise ValueError(f"group_by={self.group_by!r} needs order_by (the time column)")
            return None
        spec = SequenceSpec(self.order_by, self.group_by or (), window=config.sequence_window)
        return spec.for_inputs(inputs).measured(frame)

    def _targets(self, frame: pd.DataFrame, kinds: Mapping[str, ColumnKind],
                 config: ImputerConfig) -> list[str]:
        imputable = IMPUTABLE_KINDS | ({ColumnKind.TEXT} if config.copy_free_text else set())
        if self.columns is None:
            return [c for c, k in kinds.items() if k in imputable
                    and frame[c].isna().any() and frame[c].notna().any()]
        targets = list(self.columns)
        for column in targets:
            if column not in frame.columns:
                raise KeyError(f"column {column!r} to impute is not in the frame; have {list(frame.columns)}")
            kind = kinds.get(column)
            if kind is None:
                raise ValueError(f"column {column!r} is both asked for and excluded")
            if kind not in imputable:
                raise ValueError(f"column {column!r} has kind {kind.value!r}, which is not imputed; "
                                 "override its kind (kinds={...}) or leave it out of columns")
            if frame[column].notna().sum() == 0:
                raise ValueError(f"column {column!r} is entirely missing: nothing to learn it from")
        return targets

    def _unmodelled_report(self, frame: pd.DataFrame, column: str, missing: int) -> ColumnReport:
        kind = self.kinds_.get(column)
        if kind is None:
            reason = reasons.EXCLUDED if column in set(self.exclude) else reasons.NO_MODEL
        elif frame[column].notna().sum() == 0:
            reason = reasons.NO_OBSERVED
        else:
            reason = {ColumnKind.ID: reasons.ID_COLUMN, ColumnKind.TEXT: reasons.FREE_TEXT,
                      ColumnKind.UNSUPPORTED: reasons.UNSUPPORTED}.get(kind, reasons.NO_MODEL)
        return ColumnReport(column, (kind or ColumnKind.UNSUPPORTED).value, None, None, None, None,
                            missing, 0, missing, {reason: missing})

    def _check_fitted(self) -> None:
        if not hasattr(self, "column_models_"):
            raise RuntimeError("this Imputer is not fitted yet: call fit(frame) first")


def usable_inputs(frame: pd.DataFrame, kinds: Mapping[str, ColumnKind]) -> dict[str, ColumnKind]:
    """The columns models can read: of an input kind, with at least one observed value."""
    return {c: k for c, k in kinds.items() if k in INPUT_KINDS and frame[c].notna().any()}


def _model_report(model: ColumnModel, missing: int, accepted: np.ndarray,
                  threshold: float) -> ColumnReport:
    left = missing - len(accepted)
    return ColumnReport(
        column=model.target,
        kind=model.kind.value,
        model=model.chosen,
        metric=model.holdout["metric"],
        holdout_score=model.holdout["score"],
        baseline_score=model.holdout["baseline_score"],
        missing=missing,
        filled=len(accepted),
        left=left,
        reasons={f"{reasons.BELOW_THRESHOLD} ({threshold})": left} if left else {},
        model_version=model.version,
        mean_confidence=float(accepted.mean()) if len(accepted) else None,
    )


def _shared_sequence(models: Mapping[str, ColumnModel]) -> SequenceSpec | None:
    """The one sequence spec the sequence-aware models share (they must agree)."""
    specs = {json.dumps(m.sequence.to_state(), sort_keys=True): m.sequence
             for m in models.values() if m.sequence is not None}
    if len(specs) > 1:
        raise ValueError(f"column models were fitted with different sequence settings: {list(specs)}")
    return next(iter(specs.values()), None)


def _take(values, keep: np.ndarray):
    if isinstance(values, np.ndarray):
        return values[keep]
    return [v for v, k in zip(values, keep, strict=True) if k]


def _resolve_config(config: ImputerConfig | None, overrides: Mapping[str, Any]) -> ImputerConfig:
    base = (config or ImputerConfig()).to_dict()
    return ImputerConfig.from_dict({**base, **overrides})


def _check_frame(frame: pd.DataFrame) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty or len(frame.columns) == 0:
        raise ValueError(f"the frame is empty ({frame.shape[0]} rows x {frame.shape[1]} columns)")
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise ValueError(f"duplicate column names: {duplicated}")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name))[:40] or "column"


def _unit_folder(root: Path, column: str, folder: str) -> Path:
    """The folder of ``column``'s unit, refused unless it lies inside ``root`` (after ``..`` and
    symlinks are resolved): a saved imputer never reads files from outside its own folder."""
    unit = (root / folder).resolve()
    if not unit.is_relative_to(root.resolve()):
        raise UnitIntegrityError(root / MANIFEST, f"column {column!r}: folder {folder!r} lies "
                                                  f"outside {root}; refusing to load it")
    return unit
