"""The calls Datawig's README, examples and tests make, on small frames, checked for the
shapes, names and types Datawig returns (awslabs/datawig ``README.md``,
``examples/simpleimputer_intro.py``, ``datawig/simple_imputer.py``, ``datawig/imputer.py``,
``datawig/evaluation.py``, ``datawig/_hpo.py``).

``test_datawig_parity.py`` ports Datawig's own tests at their sizes; this file covers what those
do not reach: short string inputs, Datawig's metric names, the default output folder, the
strict precision threshold, the ``explained_label`` key and the results-table names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from impute_assets import SimpleImputer
from impute_assets.core.datawig.simple import ColumnOverwriteError
from impute_assets.core.encoding.encoders import CategoricalEncoder, TextEncoder

LABELS = ["red", "green", "blue"]


def sentences(rows: int, seed: int, fillers: int = 40) -> pd.DataFrame:
    """Short sentences (under 30 characters, nearly all distinct) that contain their label
    word among random filler words, a two-valued string column and a number."""
    rng = np.random.default_rng(seed)
    words = [f"w{seed}x{i}" for i in range(fillers)]
    labels = rng.choice(LABELS, rows)
    text = [" ".join(rng.permutation([*rng.choice(words, 2), label])) for label in labels]
    return pd.DataFrame(
        {
            "sentences": text,
            "shade": rng.choice(["dark", "light"], rows),
            "x": rng.normal(size=rows),
            "label": labels,
        }
    )


def numeric_frame(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """Datawig's ``utils.generate_df_numeric``: x and x**2 with a little noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, rows)
    return pd.DataFrame({"x": x, "f(x)": x**2 + rng.normal(0, 0.01, rows)})


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return sentences(240, seed=1)


@pytest.fixture(scope="module")
def fitted(train, tmp_path_factory) -> SimpleImputer:
    """Datawig's ``fit(df_train, df_train, ...)``: the test data is the training data.
    Uncalibrated (as Datawig's ``complete`` fits), so that scores are spread for the threshold
    test: on these separable labels temperature scaling sharpens every score to 1.0."""
    imputer = SimpleImputer(
        input_columns=["sentences", "shade"],
        output_column="label",
        output_path=str(tmp_path_factory.mktemp("dw") / "imputer_model"),
        is_explainable=True,
    )
    return imputer.fit(train, train, num_epochs=10, calibrate=False)


def test_non_string_column_names_fail_with_datawig_message() -> None:
    with pytest.raises(ValueError, match=r"SimpleImputer\.input_columns must be str type, was int"):
        SimpleImputer([0], "1")
    with pytest.raises(ValueError, match=r"SimpleImputer\.output_column must be str type, was int"):
        SimpleImputer(["0"], 1)


def test_short_string_inputs_are_read_as_ngrams(fitted) -> None:
    encoders = fitted.imputer.column_models_["label"].space.encoders
    assert isinstance(encoders["sentences"], TextEncoder)  # Datawig: n-grams of every string
    assert isinstance(encoders["shade"], CategoricalEncoder)  # two values stay a category
    unseen = sentences(120, seed=2)  # other filler words: every sentence is new
    out = fitted.predict(unseen.drop(columns=["label"]))
    assert f1_score(unseen["label"], out["label_imputed"], average="weighted") > 0.9


def test_load_metrics_have_datawig_names_and_values(fitted, train) -> None:
    metrics = fitted.load_metrics()
    predicted = fitted.predict(train.copy(), inplace=True)["label_imputed"]
    truth = train["label"]
    assert metrics["weighted_f1"] == f1_score(truth, predicted, average="weighted")
    assert metrics["avg_precision"] == pytest.approx(
        precision_score(truth, predicted, average="macro")
    )
    assert metrics["avg_f1"] == pytest.approx(f1_score(truth, predicted, average="macro"))
    assert metrics["weighted_recall"] == pytest.approx(
        recall_score(truth, predicted, average="weighted")
    )
    assert (
        metrics["weighted_accuracy"]
        == metrics["avg_accuracy"]
        == pytest.approx((truth == predicted).mean())
    )
    counts = truth.value_counts()
    assert [tuple(pair) for pair in metrics["class_counts"]] == list(counts.items())
    assert metrics["num_classes"] == 3 and metrics["num_applicable_rows"] == len(train)
    assert metrics["class_f1"] == pytest.approx(
        f1_score(truth, predicted, average=None, labels=list(counts.index)).tolist()
    )


def test_default_output_path_is_reported_and_loads(train) -> None:
    imputer = SimpleImputer(input_columns=["sentences"], output_column="label")
    imputer.fit(train, num_epochs=3)
    assert imputer.output_path and Path(imputer.output_path).is_dir()
    loaded = SimpleImputer.load(imputer.output_path)
    pd.testing.assert_frame_equal(loaded.predict(train), imputer.predict(train))
    first = imputer.output_path
    imputer.fit(train, num_epochs=2)  # Datawig: the next fit writes to the same folder
    assert imputer.output_path == first


def test_precision_threshold_keeps_only_predictions_above_it(fitted, train) -> None:
    vague = train.assign(sentences=train["sentences"].str.split().str[0])  # a filler word left
    frame = pd.concat([train.head(40), vague.head(40)], ignore_index=True)
    scores = fitted.predict(frame)["label_imputed_proba"]
    cut = float(scores[scores < scores.max()].max())  # some rows score exactly this
    out = fitted.predict(frame, precision_threshold=cut)
    kept = (scores > cut).to_numpy()
    assert kept.any() and (scores == cut).any()
    assert out["label_imputed"].notna().to_numpy().tolist() == kept.tolist()
    assert out["label_imputed_proba"].notna().to_numpy().tolist() == kept.tolist()
    top = fitted.predict(frame, precision_threshold=float(scores.max()))
    assert top["label_imputed"].isna().all()  # Datawig: nothing is strictly above the best


def test_explanations_name_the_explained_label(fitted) -> None:
    explained = fitted.explain("green", k=3)
    assert explained["explained_label"] == "green"
    assert "green" in [token for token, _ in explained["sentences"]]
    assert len(explained["sentences"]) <= 3
    instance = pd.Series({"sentences": "zzz green", "shade": "dark"})
    about = fitted.explain_instance(instance)
    assert about["explained_label"] == "green"  # the label predicted for the instance
    assert [token for token, _ in about["sentences"]] == ["green"]
    asked = fitted.explain_instance(instance, 5, "label", "red")  # Datawig's positional order
    assert asked["explained_label"] == "red" and asked["sentences"] == []
    with pytest.raises(ValueError, match="Could not find label column 'shade'"):
        fitted.explain("green", label_column="shade")


def test_suffixes_and_score_column_overwrite(fitted, train) -> None:
    out = fitted.predict(train, imputation_suffix="_deserialized_imputed", score_suffix="_p")
    assert out.columns.tolist() == [*train.columns, "label_deserialized_imputed", "label_p"]
    with pytest.raises(ColumnOverwriteError, match="label_imputed_proba"):
        fitted.predict(train.assign(label_imputed_proba=0.5))


def test_readme_numeric_example_adds_only_the_imputed_column() -> None:
    df = numeric_frame()
    df_train, df_test = df.iloc[:160], df.iloc[160:]
    imputer = SimpleImputer(input_columns=["x"], output_column="f(x)")
    imputer.fit(train_df=df_train, num_epochs=50)
    imputed = imputer.predict(df_test)
    assert imputed.columns.tolist() == ["x", "f(x)", "f(x)_imputed"]
    assert imputed["f(x)_imputed"].dtype == np.float64
    assert ((imputed["f(x)"] - imputed["f(x)_imputed"]) ** 2).mean() < 1.0
    same = df_test.copy()
    assert imputer.predict(same, inplace=True) is same and "f(x)_imputed" in same


def test_readme_quickstart_complete() -> None:
    df = numeric_frame(100, seed=3)
    df_with_missing = df.mask(np.random.default_rng(4).random(df.shape) > 0.9)
    assert df_with_missing.isna().any().all()
    completed = SimpleImputer.complete(df_with_missing, num_epochs=20)
    assert completed.notna().all().all() and completed.shape == df.shape
    known = df_with_missing.notna()
    assert completed[known].equals(df_with_missing[known])
    in_place = df_with_missing.copy()
    assert SimpleImputer.complete(in_place, inplace=True, num_epochs=20) is in_place
    assert in_place.notna().all().all()


def test_fit_hpo_results_carry_datawig_score_names(train) -> None:
    imputer = SimpleImputer(input_columns=["sentences"], output_column="label")

    def coverage_at_50(true, predicted, confidence):
        return np.mean(confidence > 0.5)

    imputer.fit_hpo(
        train,
        hps={"global": {"learning_rate": [1e-3, 4e-3]}},
        num_epochs=3,
        num_hash_bucket_candidates=[2**10],
        tokens_candidates=["words"],
        user_defined_scores=[(coverage_at_50, "coverage at 50")],
        hpo_run_name="run_",
    )
    results = imputer.hpo.results
    assert results.shape[0] == 2
    assert set(results["global:learning_rate"]) == {1e-3, 4e-3}
    for name in (
        "f1_micro",
        "f1_macro",
        "f1_weighted",
        "precision_weighted",
        "recall_weighted",
        "coverage at 50",
    ):
        assert results[name].between(0, 1).all(), name
    assert (results["f1_weighted"] == results["weighted_f1"]).all()
    assert (results["f1_macro"] == results["avg_f1"]).all()
    assert results["name"].str.startswith("run_").all()


def test_an_output_path_of_other_files_is_refused_before_training(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    imputer = SimpleImputer(
        input_columns=["x", "shade"], output_column="label", output_path=str(tmp_path)
    )
    with pytest.raises(FileExistsError, match="not a saved imputer"):
        imputer.fit(sentences(60, seed=0))
    assert not hasattr(imputer, "imputer_")  # refused before any training
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
