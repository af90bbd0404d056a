"""The scikit-learn contract: params, clone, fitted checks, pipelines, and sklearn's own checks.

``parametrize_with_checks`` runs on ``Imputer`` with numeric input. Checks that do not apply to
a DataFrame-in imputer are listed in ``NOT_APPLICABLE`` with the reason (also in the README).
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from impute_assets import Imputer, ImputerConfig, SimpleImputer
from tests.factories import TINY_MODEL, readings_frame

#: Tiny settings: the estimator checks fit dozens of times on small arrays.
TINY = {**TINY_MODEL, "candidates": ("linear", "mean_mode"), "device": "cpu"}

#: sklearn checks that do not apply to a DataFrame-in, gap-filling imputer, and why.
NOT_APPLICABLE = {
    "check_n_features_in_after_fitting": "a DataFrame may carry extra columns at transform "
    "(only the columns the models read must be there)",
    "check_complex_data": "complex columns are reported as unsupported (a warning), not rejected",
}


@parametrize_with_checks([Imputer(**TINY)], expected_failed_checks=lambda est: NOT_APPLICABLE)
def test_sklearn_estimator_checks(estimator, check) -> None:
    check(estimator)


def test_every_config_setting_is_a_constructor_parameter() -> None:
    params = set(inspect.signature(Imputer.__init__).parameters)
    assert set(ImputerConfig.model_fields) <= params


def test_get_set_params_and_clone_keep_every_setting() -> None:
    imputer = Imputer(columns=["y"], epochs=3, confidence_threshold={"y": 0.2}, order_by=None)
    copy = clone(imputer)
    assert copy.get_params() == imputer.get_params()
    assert copy.set_params(epochs=5).get_params()["epochs"] == 5
    assert imputer.settings().epochs == 3 and copy.settings().epochs == 5
    simple = SimpleImputer(["x"], "y", num_hash_buckets=64, config=ImputerConfig(epochs=2))
    assert clone(simple).get_params() == simple.get_params()
    with pytest.raises(TypeError, match="bogus"):
        Imputer(bogus=1)


def test_a_generator_exclude_is_stored_as_given_and_read_in_fit() -> None:
    frame = readings_frame(rows=120, slope=2.0, gaps=0.2)
    exclude = (c for c in ["z"])
    imputer = Imputer(exclude=exclude, **TINY)
    assert imputer.exclude is exclude
    fitted = imputer.fit(frame)
    assert "z" not in fitted.kinds_ and fitted.exclude_ == ["z"]
    assert not fitted.impute(frame).imputed["z"].any()


def test_fitted_attributes_follow_sklearn() -> None:
    frame = readings_frame(rows=120, slope=2.0, gaps=0.2)
    fitted = Imputer(**TINY).fit(frame)
    assert fitted.n_features_in_ == 3
    assert list(fitted.feature_names_in_) == ["x", "y", "z"]
    assert list(fitted.get_feature_names_out()) == ["x", "y", "z"]
    array_fitted = Imputer(**TINY).fit(frame.to_numpy())
    assert array_fitted.n_features_in_ == 3 and not hasattr(array_fitted, "feature_names_in_")


def test_a_frame_with_integer_column_names_is_filled_and_refused_a_save(tmp_path) -> None:
    frame = readings_frame(rows=120, slope=2.0, gaps=0.2)
    numbered = frame.set_axis(range(3), axis=1)  # as pd.DataFrame(array) names them
    result = Imputer(**TINY).fit_impute(numbered)
    assert list(result.frame.columns) == [0, 1, 2] and result.frame[1].notna().all()
    observed = numbered[1].notna()
    assert (result.frame.loc[observed, 1] == numbered.loc[observed, 1]).all()
    assert set(result.cells()["column"]) == {1}
    with pytest.raises(TypeError, match=r"non-text column names \[0, 1, 2\].*rename"):
        Imputer(**TINY).fit(numbered).save(tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_unfitted_methods_raise() -> None:
    frame = readings_frame(rows=120, slope=2.0, gaps=0.2)
    imputer = Imputer(**TINY)
    for method in (imputer.transform, imputer.impute, imputer.model_frame):
        with pytest.raises(NotFittedError):
            method(frame)
    with pytest.raises(NotFittedError):
        SimpleImputer(["x"], "y").predict(frame)


def test_imputer_in_a_pipeline_and_a_column_transformer() -> None:
    frame = readings_frame(rows=120, slope=2.0, gaps=0.2)
    pipeline = make_pipeline(Imputer(**TINY), StandardScaler()).set_output(transform="pandas")
    scaled = pipeline.fit_transform(frame)
    assert list(scaled.columns) == ["x", "y", "z"] and scaled.notna().all().all()
    assert (pipeline[0].transform(frame)["x"] == frame["x"]).all()  # observed cells kept
    columns = ColumnTransformer([("fill", Imputer(**TINY), ["x", "y"])], remainder="passthrough")
    out = columns.set_output(transform="pandas").fit_transform(frame)
    assert out.notna().all().all() and out.shape == frame.shape


def test_simple_imputer_predict_shares_the_imputer_path_and_threshold() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    frame = pd.DataFrame({"x": x, "label": np.where(x > 0, "pos", "neg")})
    simple = SimpleImputer(["x"], "label", config=ImputerConfig(**TINY, confidence_threshold=0.99))
    simple.fit(frame, num_epochs=2)
    out = simple.predict(frame.drop(columns=["label"]))
    cells = simple.imputer.predict_cells(frame, {"label": np.arange(len(frame))})["label"]
    below = cells.confidence < 0.99
    assert below.any()
    assert out["label_imputed"][below].isna().all()  # the config's threshold applies here too
    np.testing.assert_allclose(out["label_imputed_proba"][~below], cells.confidence[~below])
