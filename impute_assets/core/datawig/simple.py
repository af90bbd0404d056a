"""Datawig's ``SimpleImputer``, kept name for name: a drop-in for code written against Datawig.

``SimpleImputer(input_columns, output_column).fit(train_df).predict(df)`` adds
``<output>_imputed`` (a prediction for every row, as Datawig does) and, for categorical outputs,
``<output>_imputed_proba``; ``complete(df)`` fills only the missing cells of every imputable
column. The model is the engine's :class:`Imputer` for one column, and ``predict`` goes through
the same prediction path as :meth:`Imputer.impute` (refinement rounds and confidence threshold
included). Deliberate differences from Datawig are listed in the README ("Coming from Datawig").
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from impute_assets.core.config import ImputerConfig
from impute_assets.core.datawig.hpo import HpoRun, search, split_rows
from impute_assets.core.datawig.label_shift import label_shift_weights
from impute_assets.core.explanations import explain_label, explain_row, label_associations
from impute_assets.core.fitting.column_model import ColumnModel
from impute_assets.core.fitting.prediction import fill_column
from impute_assets.core.gating import beyond_precision
from impute_assets.core.imputer import Imputer, check_save_folder
from impute_assets.core.kinds import TEXT_MIN_UNIQUE_SHARE, ColumnKind, infer_kinds
from impute_assets.core.metrics import prediction_metrics

#: The file next to the engine's manifest that holds the SimpleImputer's own parameters.
STATE = "simple_imputer.json"


class ColumnOverwriteError(ValueError):
    """``predict`` would overwrite an existing column (Datawig's ``ColumnOverwriteException``)."""


class SimpleImputer(BaseEstimator):
    """Impute one column from a few others, with Datawig's names and defaults.

    Args:
        input_columns: Columns the model reads (strings).
        output_column: The column to impute (a string).
        output_path: Where ``fit`` writes the model and its metrics; ``""`` means a fresh
            temporary directory, whose path ``fit`` then stores here (as Datawig does).
        num_hash_buckets: Hash buckets for text inputs (the engine's ``text_buckets``).
        num_labels: Classes kept for a categorical output (the engine's ``max_categories``).
        tokens: Datawig's tokenisation choice, recorded; the engine always reads both words and
            character 3-grams.
        numeric_latent_dim: Hidden width of the column's network (the engine's ``hidden_dim``).
        numeric_hidden_layers: Recorded for compatibility; the network's depth is fixed.
        is_explainable: Keep per-label token associations so ``explain`` and
            ``explain_instance`` can answer (input importances are always measured).
        kinds: Kind overrides, e.g. ``{"sku": "text"}``.
        config: Engine settings that ``fit``'s Datawig arguments do not cover.
        order_by, group_by: Sequence settings, as for :class:`Imputer`.
        fill: ``"all"`` (Datawig's way: every prediction kept, down to ``predict``'s
            ``precision_threshold``) or ``"confident"`` (the engine's default cell gate: a
            prediction below the config's confidence threshold, by default 0.5 for
            categorical and 0.4 for numeric outputs, is left missing).

    Example:
        >>> imputer = SimpleImputer(input_columns=["Name", "Age"], output_column="Income")
        >>> filled = imputer.fit(df).predict(df)
        >>> df["Income"] = df["Income"].fillna(filled["Income_imputed"])  # observed values kept
        >>> int(df["Income"].isna().sum())
        0
    """

    def __init__(
        self,
        input_columns: Sequence[str],
        output_column: str,
        output_path: str = "",
        num_hash_buckets: int = 2**15,
        num_labels: int = 100,
        tokens: str | Sequence[str] = "chars",
        numeric_latent_dim: int = 100,
        numeric_hidden_layers: int = 1,
        is_explainable: bool = False,
        *,
        kinds: Mapping[str, ColumnKind | str] | None = None,
        config: ImputerConfig | None = None,
        order_by: str | None = None,
        group_by: str | Sequence[str] | None = None,
        fill: str = "all",
    ) -> None:
        if not isinstance(input_columns, Iterator):
            for column in input_columns:
                if not isinstance(column, str):
                    raise ValueError(  # noqa: TRY004 - Datawig raises ValueError here
                        f"SimpleImputer.input_columns must be str type, was "
                        f"{type(column).__name__} ({column!r})"
                    )
        if not isinstance(output_column, str):
            raise ValueError(  # noqa: TRY004 - Datawig raises ValueError here
                f"SimpleImputer.output_column must be str type, was "
                f"{type(output_column).__name__} ({output_column!r})"
            )
        self.input_columns = input_columns
        self.output_column = output_column
        self.output_path = output_path
        self.num_hash_buckets = num_hash_buckets
        self.num_labels = num_labels
        self.tokens = tokens
        self.numeric_latent_dim = numeric_latent_dim
        self.numeric_hidden_layers = numeric_hidden_layers
        self.is_explainable = is_explainable
        self.kinds = kinds
        self.config = config
        self.order_by = order_by
        self.group_by = group_by
        self.fill = fill

    def fit(
        self,
        train_df: pd.DataFrame,
        test_df: pd.DataFrame | None = None,
        learning_rate: float = 4e-3,
        num_epochs: int = 100,
        patience: int = 5,
        test_split: float = 0.1,
        weight_decay: float = 0.0,
        batch_size: int = 16,
        final_fc_hidden_units: Sequence[int] | None = None,
        calibrate: bool = True,
        class_weights: Mapping[Any, float] | None = None,
        instance_weights: Sequence[float] | None = None,
    ) -> Self:
        """Train on ``train_df``, score on ``test_df`` (default: a ``test_split`` share of
        ``train_df``, held out), and write model and metrics to ``output_path``.

        The Datawig arguments win over ``config``; ``final_fc_hidden_units`` is recorded only.
        ``class_weights`` (label -> weight) or ``instance_weights`` (one per row of
        ``train_df``) weigh each row's share of the loss and of the held-out scores.
        """
        if class_weights is not None and instance_weights is not None:
            raise ValueError("SimpleImputer.fit: give class_weights or instance_weights, not both")
        self._check_output_path()
        columns = self._columns(train_df)
        weights = self._row_weights(train_df, class_weights, instance_weights)
        if test_df is None:
            keep, held = split_rows(len(train_df), test_split, self._settings().seed)
            train_df, test_df = train_df.iloc[keep], train_df.iloc[held]
            weights = weights[keep] if weights is not None else None
        config = self._settings().replace(
            learning_rate=learning_rate,
            epochs=num_epochs,
            patience=patience,
            holdout_fraction=test_split,
            weight_decay=weight_decay,
            batch_size=batch_size,
            text_buckets=self.num_hash_buckets,
            max_categories=self.num_labels,
            hidden_dim=self.numeric_latent_dim,
        )
        train = train_df[columns]
        imputer = Imputer(
            columns=[self.output_column],
            kinds=self._kinds(train),
            config=config,
            order_by=self.order_by,
            group_by=self.group_by,
        ).fit(train, weights=weights)
        # Datawig's API fills every row it is asked for: a model that could not see the
        # column's values is refused here rather than left by the gates
        why = beyond_precision(imputer.column_models_[self.output_column].holdout.facts or {})
        if why:
            raise ValueError(f"SimpleImputer.fit: output column {self.output_column!r}: {why}")
        self.imputer_ = imputer
        if not calibrate:
            _uncalibrate(self.imputer_.column_models_[self.output_column])
        self.fit_arguments_ = {
            "learning_rate": learning_rate,
            "num_epochs": num_epochs,
            "patience": patience,
            "test_split": test_split,
            "weight_decay": weight_decay,
            "batch_size": batch_size,
            "final_fc_hidden_units": list(final_fc_hidden_units or []),
            "calibrate": calibrate,
        }
        self.metrics_ = self._metrics(test_df)
        self.associations_ = (
            label_associations(train, self.input_columns_, self.output_column, self.imputer_.kinds_)
            if self.is_explainable
            else {}
        )
        self._claim_output_path()
        self.save()
        return self

    def predict(
        self,
        data_frame: pd.DataFrame,
        precision_threshold: float = 0.0,
        imputation_suffix: str = "_imputed",
        score_suffix: str = "_imputed_proba",
        inplace: bool = False,
        context: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """``data_frame`` with ``<output><imputation_suffix>`` (a prediction for every row) and,
        for categorical outputs, ``<output><score_suffix>`` (its calibrated probability).

        A categorical prediction whose probability is not above ``precision_threshold`` (as
        in Datawig), or is below the config's ``confidence_threshold``, is left missing, with a
        missing score; numeric ones only obey the config's threshold. ``inplace=True`` adds the
        columns to ``data_frame`` itself, as Datawig does; otherwise it is left as it was.
        ``data_frame`` need not hold the output column. ``context``: earlier rows, with
        ``order_by``.
        """
        model = self._model()
        names = [self.output_column + imputation_suffix]
        if not model.numeric:
            names.append(self.output_column + score_suffix)
        taken = [n for n in names if n in data_frame.columns]
        if taken:
            raise ColumnOverwriteError(
                f"DataFrame contains column {taken[0]!r}; remove the "
                "column or choose another suffix and try again"
            )
        frame = self._prediction_frame(data_frame)
        everything = np.arange(len(frame))
        prediction = self.imputer_.predict_cells(frame, {self.output_column: everything}, context)[
            self.output_column
        ]
        accept = prediction.confidence >= self.imputer_.config_.threshold_for(
            self.output_column, model.numeric
        )
        if not model.numeric:  # Datawig keeps a prediction only strictly above the threshold
            accept &= prediction.confidence > precision_threshold
        chosen = [v for v, keep in zip(prediction.values, accept, strict=True) if keep]
        out = data_frame if inplace else data_frame.copy()
        out[names[0]] = fill_column(
            _blank(frame[self.output_column]),
            everything[accept],
            np.asarray(chosen) if model.numeric else chosen,
            model,
        ).to_numpy()
        if not model.numeric:
            out[names[1]] = np.where(accept, prediction.confidence, np.nan)
        return out

    def predict_proba(
        self, data_frame: pd.DataFrame, context: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Calibrated class probabilities: one row per row of ``data_frame``, one column per
        class (categorical outputs only)."""
        model = self._model()
        if model.numeric:
            raise ValueError(
                f"column {self.output_column!r} is {model.kind.value}: "
                "it has no class probabilities"
            )
        frame = self._prediction_frame(data_frame)
        prediction = self.imputer_.predict_cells(
            frame, {self.output_column: np.arange(len(frame))}, context
        )[self.output_column]
        return pd.DataFrame(
            prediction.probabilities, index=data_frame.index, columns=list(model.encoder.values)
        )

    def predict_proba_top_k(
        self, data_frame: pd.DataFrame, top_k: int = 5
    ) -> dict[str, list[list[tuple[Any, float]]]]:
        """Datawig's shape: ``{output_column: [[(label, probability), ...] per row]}``, the
        ``top_k`` most likely labels of each row, most likely first."""
        proba = self.predict_proba(data_frame)
        labels, values = list(proba.columns), proba.to_numpy()
        best = np.argsort(-values, axis=1, kind="stable")[:, :top_k]
        return {
            self.output_column: [
                [(labels[j], float(row[j])) for j in order]
                for row, order in zip(values, best, strict=True)
            ]
        }

    def fit_hpo(
        self,
        train_df: pd.DataFrame,
        test_df: pd.DataFrame | None = None,
        hps: Mapping[str, Mapping[str, Any]] | None = None,
        num_evals: int = 10,
        max_running_hours: float = 96.0,
        **candidates: Any,
    ) -> Self:
        """Random search over the engine's settings; keeps the best model, and the results
        table in ``hpo.results`` (see :func:`impute_assets.core.datawig.hpo.search` for the
        arguments: Datawig's ``hps`` dict and ``*_candidates`` lists)."""
        self._check_output_path()
        best, run = search(self, train_df, test_df, hps, num_evals, max_running_hours, **candidates)
        if hasattr(self, "hpo_"):  # Datawig's results table grows over fit_hpo calls
            earlier = self.hpo_.results
            run = HpoRun(
                pd.concat([earlier, run.results], ignore_index=True),
                run.best + len(earlier),
                run.metric,
            )
        self.hpo_ = run
        for name in ("imputer_", "fit_arguments_", "metrics_", "associations_"):
            setattr(self, name, getattr(best, name))
        self._claim_output_path()
        self.save()
        return self

    @property
    def hpo(self):
        """The last :meth:`fit_hpo` run (``hpo.results`` is its table), as in Datawig."""
        check_is_fitted(self, "hpo_")
        return self.hpo_

    @property
    def imputer(self) -> Imputer | None:
        """The fitted engine (``None`` before ``fit``), under Datawig's attribute name."""
        return getattr(self, "imputer_", None)

    def check_for_label_shift(self, target_data: pd.DataFrame) -> dict[Any, float]:
        """Per-label weights that correct for label shift between the test data and
        ``target_data`` (black-box shift estimation from the test confusion matrix); pass
        them to ``fit(class_weights=...)``."""
        model = self._model()
        if model.numeric:
            raise ValueError(f"column {self.output_column!r} is numeric: label shift needs classes")
        predicted = self.predict(target_data)[self.output_column + "_imputed"]
        return label_shift_weights(self.metrics_, predicted)

    def explain(self, label: Any, k: int = 10, label_column: str | None = None) -> dict[str, Any]:
        """Datawig's shape: ``{"explained_label": label}`` and, per explainable input column,
        the ``k`` tokens or values most associated with ``label`` in the training data, plus
        ``"importance"``: every input's permutation importance on the held-out split.
        ``label_column`` may only name the output column (Datawig's multi-output choice)."""
        self._check_explainable(label_column)
        return {
            "explained_label": label,
            **explain_label(self.associations_, label, k),
            "importance": self.importance(),
        }

    def explain_instance(
        self,
        instance: pd.Series | Mapping[str, Any],
        k: int = 10,
        label_column: str | None = None,
        label: Any = None,
    ) -> dict[str, Any]:
        """Datawig's shape: ``{"explained_label": label}`` and, per explainable input column,
        the tokens of ``instance`` most associated with ``label`` (default: the label
        predicted for it)."""
        self._check_explainable(label_column)
        row = pd.DataFrame([dict(instance)])
        if label is None:
            label = self.predict(row.drop(columns=[self.output_column], errors="ignore"))[
                self.output_column + "_imputed"
            ].iloc[0]
        return {"explained_label": label, **explain_row(self.associations_, row.iloc[0], label, k)}

    def importance(self) -> list[tuple[str, float]]:
        """Each input column's permutation importance on the held-out split, largest first
        (the held-out score lost when that column's values are shuffled)."""
        return list(self._model().importance.items())

    @staticmethod
    def complete(
        data_frame: pd.DataFrame,
        precision_threshold: float = 0.0,
        inplace: bool = False,
        hpo: bool = False,
        verbose: int = 0,
        num_epochs: int = 100,
        iterations: int = 1,
        output_path: str = ".",
    ) -> pd.DataFrame:
        """``data_frame`` with the missing cells of every imputable column filled; observed
        cells are kept. Categorical fills below ``precision_threshold`` stay missing. Free text
        is never invented. ``iterations`` > 1 adds refinement rounds; ``hpo`` is not searched
        (the engine's held-out model choice runs anyway) and nothing is written to
        ``output_path``: both are accepted for Datawig compatibility."""
        thresholds = {
            c: precision_threshold
            for c in data_frame.columns
            if not pd.api.types.is_numeric_dtype(data_frame[c])
        }
        filled = Imputer(
            epochs=num_epochs,
            refinement_rounds=iterations - 1,
            fill="all",
            confidence_threshold=thresholds,
            progress=verbose > 0,
        ).fit_transform(data_frame)
        if not inplace:
            return filled
        for column in data_frame.columns:
            gaps = data_frame[column].isna() & filled[column].notna()
            if gaps.any():
                data_frame[column] = data_frame[column].where(~gaps, filled[column])
        return data_frame

    def save(self) -> Path:
        """Write the engine's model and this imputer's parameters and metrics to the output path."""
        check_is_fitted(self)
        root = self.imputer_.save(self.output_path_)
        state = {
            "params": _json_params(self.get_params(deep=False)),
            "fit_arguments": self.fit_arguments_,
            "metrics": self.metrics_,
            "associations": self.associations_,
        }
        (root / STATE).write_text(json.dumps(state, indent=2, default=str))
        return root

    @classmethod
    def load(cls, output_path: str | Path) -> SimpleImputer:
        """Read a SimpleImputer written by ``fit`` or ``save`` (a moved folder works too)."""
        root = Path(output_path)
        if not (root / STATE).exists():
            raise FileNotFoundError(f"{root}: no {STATE}; is this a SimpleImputer's output_path?")
        state = json.loads((root / STATE).read_text())
        params = dict(state["params"])
        if params.get("config") is not None:
            params["config"] = ImputerConfig.from_dict(params["config"])
        imputer = cls(**{**params, "output_path": str(root)})
        imputer.imputer_ = Imputer.load(root)
        imputer.fit_arguments_ = state["fit_arguments"]
        imputer.metrics_ = state["metrics"]
        imputer.associations_ = state["associations"]
        imputer.output_path_ = str(root)
        return imputer

    def load_metrics(self) -> dict[str, Any]:
        """The metrics ``fit`` measured on the test data: Datawig's names (``avg_precision``,
        ``weighted_f1``, ``class_counts`` ...) and ``precision_weighted``, ``f1_micro``,
        ``accuracy`` ..., or ``mse`` and ``mae`` for numbers (Datawig: the bare mse)."""
        check_is_fitted(self)
        return json.loads((Path(self.output_path_) / STATE).read_text())["metrics"]

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "imputer_")

    @property
    def input_columns_(self) -> list[str]:
        return list(self.imputer_.column_models_[self.output_column].inputs)

    def _claim_output_path(self) -> None:
        """Where ``fit`` writes: ``output_path``, or (empty) a fresh temporary directory that
        is then reported in ``output_path``, as Datawig reports its default folder there (the
        field ``SimpleImputer.load`` takes)."""
        if not self.output_path:
            self.output_path = tempfile.mkdtemp(prefix="impute_assets_")
        self.output_path_ = self.output_path

    def _check_output_path(self) -> None:
        """Refuse an ``output_path`` of other files before training, not after it (saving
        replaces the folder whole)."""
        if self.output_path:
            check_save_folder(Path(self.output_path))

    def _settings(self) -> ImputerConfig:
        return (self.config or ImputerConfig()).replace(fill=self.fill)

    def _model(self) -> ColumnModel:
        check_is_fitted(self, msg="this SimpleImputer is not fitted yet: call fit(train_df) first")
        return self.imputer_.column_models_[self.output_column]

    def _check_explainable(self, label_column: str | None) -> None:
        if not hasattr(self, "imputer_"):
            raise ValueError("Need to call .fit() before")
        if not self.is_explainable:
            raise ValueError("explanations need SimpleImputer(..., is_explainable=True)")
        if label_column not in (None, self.output_column):
            raise ValueError(
                f"Could not find label column {label_column!r}: this imputer "
                f"predicts {self.output_column!r}"
            )

    def _kinds(self, train: pd.DataFrame) -> dict[str, ColumnKind | str]:
        """Datawig reads every named input, and string inputs as n-grams: an id-looking input
        is read as text (strings) or a number, and so is a string input whose values are
        mostly distinct, however short (a category embedding cannot read a value it has not
        seen); a non-numeric output is categorical; ``kinds`` overrides win."""
        inferred = infer_kinds(train)
        kinds: dict[str, ColumnKind | str] = {}
        keys = self._keys()  # the Imputer reads its order and group columns as keys
        for column, kind in inferred.items():
            if column == self.output_column or column in keys:
                continue
            if kind == ColumnKind.ID:
                numeric = pd.api.types.is_numeric_dtype(train[column])
                kinds[column] = ColumnKind.NUMERIC if numeric else ColumnKind.TEXT
            elif kind == ColumnKind.CATEGORICAL and _mostly_distinct_strings(train[column]):
                kinds[column] = ColumnKind.TEXT
        if inferred[self.output_column] in {ColumnKind.ID, ColumnKind.TEXT}:
            kinds[self.output_column] = ColumnKind.CATEGORICAL
        return {**kinds, **dict(self.kinds or {})}

    def _row_weights(
        self,
        frame: pd.DataFrame,
        class_weights: Mapping[Any, float] | None,
        instance_weights: Sequence[float] | None,
    ) -> np.ndarray | None:
        if instance_weights is not None:
            weights = np.asarray(instance_weights, dtype=float)
            if weights.shape != (len(frame),):
                raise ValueError(
                    f"instance_weights has {weights.size} values for {len(frame)} rows of train_df"
                )
            return weights
        if class_weights is not None:
            labels = frame[self.output_column].astype(str).where(frame[self.output_column].notna())
            by_name = {str(k): float(v) for k, v in class_weights.items()}
            unknown = set(by_name) - set(labels.dropna().unique())
            if unknown:
                raise ValueError(
                    f"class_weights names labels not in column "
                    f"{self.output_column!r}: {sorted(unknown)}"
                )
            return labels.map(by_name).fillna(0.0).to_numpy(dtype=float)
        return None

    def _metrics(self, test_df: pd.DataFrame) -> dict[str, Any]:
        truth = test_df[self.output_column]
        observed = truth.notna().to_numpy()
        if not observed.any():
            return {}
        predicted = self.predict(test_df.drop(columns=[self.output_column]).iloc[observed])
        return prediction_metrics(
            truth[observed], predicted[self.output_column + "_imputed"], self._model().numeric
        )

    def _prediction_frame(self, data_frame: pd.DataFrame) -> pd.DataFrame:
        """The columns the model reads; the output column is added (all missing) if absent."""
        frame = data_frame
        if self.output_column not in frame.columns:
            frame = frame.assign(**{self.output_column: np.nan})
        return frame[self._columns(frame)]

    def _keys(self) -> list[str]:
        """The sequence columns: ``order_by`` and the ``group_by`` columns."""
        keys = [self.order_by] if self.order_by else []
        return keys + (
            [self.group_by] if isinstance(self.group_by, str) else list(self.group_by or ())
        )

    def _columns(self, frame: pd.DataFrame) -> list[str]:
        columns = [*self.input_columns, *self._keys(), self.output_column]
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise KeyError(f"columns not in the frame: {missing}; have {list(frame.columns)}")
        return list(dict.fromkeys(columns))


def _mostly_distinct_strings(series: pd.Series) -> bool:
    """Whether ``series`` holds strings of which at least :data:`TEXT_MIN_UNIQUE_SHARE` of the
    observed values are distinct (the engine's free-text share, without its length rule)."""
    observed = series.dropna()
    if isinstance(series.dtype, pd.CategoricalDtype) or observed.empty:
        return False
    if not all(isinstance(v, str) for v in observed.to_numpy(dtype=object)):
        return False
    return observed.nunique() / len(observed) >= TEXT_MIN_UNIQUE_SHARE


def _blank(series: pd.Series) -> pd.Series:
    """An all-missing column to write predictions into: ``series``'s dtype when it has
    observed values (so fills keep it), else object (a float column blanked with NaN)."""
    if series.notna().any():
        return series.mask(np.ones(len(series), dtype=bool))
    return pd.Series([None] * len(series), index=series.index, dtype=object)


def _uncalibrate(model: ColumnModel) -> None:
    """Datawig's ``calibrate=False``: the raw (temperature 1) probabilities and spreads."""
    calibration = model.calibration
    if calibration.temperature is not None:
        calibration.temperature = 1.0
    if calibration.sigma_scale is not None:
        calibration.sigma_scale = 1.0


def _json_params(params: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(params)
    out["input_columns"] = list(out["input_columns"])
    if out.get("config") is not None:
        out["config"] = out["config"].to_dict()
    return out
