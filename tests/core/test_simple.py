"""Datawig's API: the seed example runs unchanged apart from the import."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impute_assets import SimpleImputer


def seed_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [["Bob", 28, 80000], ["Alice", 31, np.nan], [np.nan, 45, 120000],
         ["Carol", np.nan, 60000], ["Dave", 52, 150000]],
        columns=["Name", "Age", "Income"],
    )


def test_the_seed_example_runs_and_fills_income() -> None:
    df = seed_frame()
    imputer = SimpleImputer(input_columns=["Name", "Age"], output_column="Income")
    with pytest.warns(UserWarning, match="only 4 observed values"):
        imputed_df = imputer.fit(df).predict(df)
    assert imputed_df["Income_imputed"].notna().all()
    df["Income"] = df["Income"].fillna(imputed_df["Income_imputed"])
    assert df["Income"].notna().all()


def test_categorical_output_gets_probabilities_and_raw_predictions() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    df = pd.DataFrame({"x": x, "label": np.where(x > 0, "pos", "neg")})
    df["label"] = df["label"].mask(rng.random(300) < 0.2)
    imputer = SimpleImputer(input_columns=["x"], output_column="label").fit(df, num_epochs=20)
    out = imputer.predict(df)
    assert out["label_imputed"].notna().all()
    assert out["label_imputed_proba"].between(0, 1).all()
    # every row gets the model's own prediction (Datawig's semantics), observed ones too
    agree = (out["label_imputed"] == np.where(x > 0, "pos", "neg")).mean()
    assert agree > 0.9
    assert out["label_imputed_proba"].lt(1.0).any()
    assert list(df.columns) == ["x", "label"]  # the caller's frame is untouched


def test_complete_fills_every_column() -> None:
    df = seed_frame()
    with pytest.warns(UserWarning):
        completed = SimpleImputer.complete(df)
    assert completed.notna().all().all()
    assert df.isna().sum().sum() == 3
