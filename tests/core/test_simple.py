"""Datawig's API: the seed example runs unchanged apart from the import."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impute_assets import SimpleImputer
from impute_assets.core.datawig.simple import ColumnOverwriteError
from tests.factories import people_frame


def test_the_seed_example_runs_and_fills_income() -> None:
    df = people_frame()
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
    df = people_frame()
    with pytest.warns(UserWarning, match="only 4 observed values"):
        completed = SimpleImputer.complete(df)
    assert completed.notna().all().all()
    assert df.isna().sum().sum() == 3


def test_datawig_predict_details_on_a_small_fit() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=240)
    df = pd.DataFrame(
        {
            "x": x,
            "sku": [f"s{i:04d}" for i in range(240)],  # unique short ids
            "label": np.where(x > 0, "pos", "neg"),
        }
    )
    imputer = SimpleImputer(["x", "sku"], "label", kinds={"label": "categorical"})
    imputer.fit(df, num_epochs=3, batch_size=64)
    assert "sku" in imputer.input_columns_  # named inputs are read, ids as text
    blanked = df.assign(label=np.nan)  # a categorical output blanked with float NaN
    out = imputer.predict(blanked)
    assert out["label_imputed"].isin(["pos", "neg"]).all()
    with pytest.raises(ColumnOverwriteError, match="label_imputed"):
        imputer.predict(out)
    top = imputer.predict_proba_top_k(df.head(3), top_k=2)["label"]
    assert [len(row) for row in top] == [2, 2, 2] and top[0][0][1] >= top[0][1][1]
    assert set(imputer.predict_proba(df.head(3)).columns) == {"neg", "pos"}
    strict = imputer.predict(df, precision_threshold=1.0)
    assert strict["label_imputed"].isna().any() and strict["label_imputed_proba"].isna().any()


def test_an_output_column_beyond_single_precision_is_refused_naming_it(tmp_path) -> None:
    """Datawig's API predicts every row it is given, with no gates to leave the column: a
    model that could not train on the column's values (one 1e300 among values near 1) is
    refused at fit, naming the column, and nothing is written."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    df = pd.DataFrame({"x": x, "y": 2 * x + rng.normal(0, 0.1, 200)})
    df.loc[3, "y"] = 1e300
    imputer = SimpleImputer(["x"], "y", output_path=str(tmp_path / "model"))
    with pytest.raises(ValueError, match=r"output column 'y': values too far apart .*\(1 value"):
        imputer.fit(df, num_epochs=3)
    assert not (tmp_path / "model").exists() or not any((tmp_path / "model").iterdir())
