"""Datawig's API, kept: ``SimpleImputer(input_columns, output_column).fit(df).predict(df)``.

``predict`` adds ``<output>_imputed`` (observed values kept, gaps filled) and, for categorical
outputs, ``<output>_imputed_proba`` (the calibrated probability of each fill; 1.0 where the
value was observed), so Datawig code runs unchanged apart from the import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from impute_assets.core.config import ImputerConfig
from impute_assets.core.imputer import Imputer
from impute_assets.core.kinds import ColumnKind
from impute_assets.core.prediction import fill_column, predict_rows


class SimpleImputer:
    """Impute one column from a few others.

    Example:
        >>> imputer = SimpleImputer(input_columns=["Name", "Age"], output_column="Income")
        >>> filled = imputer.fit(df).predict(df)  # doctest: +SKIP
        >>> df["Income"] = filled["Income_imputed"]  # doctest: +SKIP
    """

    def __init__(
        self,
        input_columns: Sequence[str],
        output_column: str,
        output_kind: ColumnKind | str | None = None,
        config: ImputerConfig | None = None,
        **overrides: Any,
    ) -> None:
        self.input_columns = input_columns
        self.output_column = output_column
        self.output_kind = output_kind
        self.config = config
        self.overrides = overrides

    def fit(self, train_df: pd.DataFrame) -> Self:
        """Learn ``output_column`` from ``input_columns`` on ``train_df``'s observed rows."""
        columns = self._columns(train_df)
        kinds = {self.output_column: self.output_kind} if self.output_kind else None
        self.imputer_ = Imputer(columns=[self.output_column], kinds=kinds, config=self.config,
                                **self.overrides).fit(train_df[columns])
        return self

    def predict(self, data_frame: pd.DataFrame, keep_observed: bool = True) -> pd.DataFrame:
        """A copy of ``data_frame`` with ``<output>_imputed`` (and ``_imputed_proba``) added.

        With ``keep_observed=False`` every row gets the model's own prediction.
        """
        if not hasattr(self, "imputer_"):
            raise RuntimeError("this SimpleImputer is not fitted yet: call fit(df) first")
        frame = data_frame[self._columns(data_frame)]
        model = self.imputer_.column_models_[self.output_column]
        target = frame[self.output_column]
        rows = (np.arange(len(frame)) if not keep_observed
                else np.flatnonzero(target.isna().to_numpy()))
        config = self.imputer_.config_
        prediction = predict_rows({self.output_column: model}, frame, {self.output_column: rows},
                                  rounds=0, device=config.device, precision=config.precision)
        prediction = prediction[self.output_column]
        out = data_frame.copy()
        out[f"{self.output_column}_imputed"] = fill_column(target, rows, prediction.values, model)
        if not model.numeric:
            proba = np.ones(len(frame))
            proba[rows] = prediction.confidence
            out[f"{self.output_column}_imputed_proba"] = proba
        return out

    @staticmethod
    def complete(data_frame: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
        """A copy of ``data_frame`` with every imputable column filled (keyword args go to
        :class:`Imputer`)."""
        return Imputer(**kwargs).fit_transform(data_frame).frame

    def _columns(self, frame: pd.DataFrame) -> list[str]:
        columns = [*self.input_columns, self.output_column]
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise KeyError(f"columns not in the frame: {missing}; have {list(frame.columns)}")
        return list(dict.fromkeys(columns))
