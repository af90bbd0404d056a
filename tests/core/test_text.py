"""Free text: n-gram and sentence-embedding inputs, and opt-in nearest-row copying of text."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from impute_assets.core.imputer import Imputer
from impute_assets.core.result import FREE_TEXT
from tests.factories import LEARNING_MODEL

ODD_TEXTS = [
    "",
    "😀🔥 great day!!",
    "x" * 20_000,
    "Grüße aus Köln, très bien",
    "东京で会いましょう",
    "مرحبا بالعالم",
    "   ",
]


def tickets(rows: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    topic = rng.choice(["refund", "delivery", "login"], size=rows)
    words = {
        "refund": "money back please, charged twice",
        "delivery": "parcel late, courier lost it",
        "login": "cannot sign in, password reset fails",
    }
    notes = [f"{words[t]} (ticket {rng.integers(1e6)})" for t in topic]
    for i, odd in enumerate(ODD_TEXTS):  # awkward text sprinkled in
        notes[i * 7] = odd
    return pd.DataFrame({"note": notes, "topic": topic, "size": rng.normal(size=rows)})


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("text_encoder", ["ngrams", "minilm"])
def test_text_inputs_with_odd_strings_inform_a_category(text_encoder: str, tmp_path) -> None:
    truth = tickets()
    masked = truth.copy()
    hidden = np.random.default_rng(1).random(len(truth)) < 0.2
    masked["topic"] = masked["topic"].mask(hidden)
    fitted = quiet(
        Imputer(
            kinds={"note": "text"},
            text_encoder=text_encoder,
            fill="all",  # about text inputs, not the gates
            **{**LEARNING_MODEL, "epochs": 60},
        ).fit,
        masked,
    )
    result = fitted.impute(masked)
    plain = ~truth["note"].isin(ODD_TEXTS).to_numpy() & hidden
    accuracy = (result.frame["topic"][plain] == truth["topic"][plain]).mean()
    assert accuracy > 0.9
    assert result.frame["topic"].notna().all()
    assert (result.frame["note"] == truth["note"]).all()
    loaded = Imputer.load(fitted.save(tmp_path / text_encoder))
    pd.testing.assert_frame_equal(loaded.impute(masked).frame, result.frame)


def test_missing_text_inputs_and_a_missing_text_target_by_default() -> None:
    frame = tickets(120)
    frame["note"] = frame["note"].mask(frame.index % 9 == 0)
    frame["topic"] = frame["topic"].mask(frame.index % 5 == 0)
    result = quiet(Imputer(kinds={"note": "text"}, fill="all", **LEARNING_MODEL).fit_impute, frame)
    report = {r.column: r for r in result.report}
    assert report["note"].reasons == {FREE_TEXT: int(frame["note"].isna().sum())}
    assert result.frame["note"].isna().sum() == frame["note"].isna().sum()
    assert result.frame["topic"].notna().all()


def test_copy_free_text_opt_in_copies_the_nearest_rows_text(tmp_path) -> None:
    rng = np.random.default_rng(0)
    kind = rng.choice(["a", "b", "c"], size=200)
    note = pd.Series(
        {
            "a": "Alpha – long description of the first product line 😀",  # noqa: RUF001 - non-ASCII on purpose
            "b": "Beta: zweite Produktlinie, sehr lange Beschreibung hier",
            "c": "Gamma 第三 product line with a long free text description",
        }
    ).loc[kind]
    truth = pd.DataFrame(
        {"kind": kind, "x": rng.normal(size=200) + (kind == "b") * 5, "note": note.to_numpy()}
    )
    masked = truth.copy()
    hidden = rng.random(200) < 0.2
    masked["note"] = masked["note"].mask(hidden)
    fitted = quiet(
        Imputer(kinds={"note": "text"}, copy_free_text=True, fill="all", **LEARNING_MODEL).fit,
        masked,
    )
    result = fitted.impute(masked)
    assert result.imputed["note"].sum() == hidden.sum()
    assert (result.frame["note"][hidden] == truth["note"][hidden]).mean() > 0.9
    assert (result.frame["note"][~hidden] == truth["note"][~hidden]).all()
    assert result.confidence["note"][hidden].between(0, 1).all()
    report = {r.column: r for r in result.report}["note"]
    assert report.model == "nearest_copy" and report.metric == "exact_match"
    loaded = Imputer.load(fitted.save(tmp_path / "copy"))
    pd.testing.assert_frame_equal(loaded.impute(masked).frame, result.frame)


def test_unknown_text_encoder_is_named() -> None:
    with pytest.raises(ValueError, match="text_encoder"):
        Imputer(text_encoder="bert").fit(tickets(60))
