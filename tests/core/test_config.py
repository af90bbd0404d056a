"""ImputerConfig as a pydantic model: the settings stored models were fingerprinted with hash
the same, values stay as given, and every change is validated."""

from __future__ import annotations

import hashlib
import json

import pytest

from impute_assets.core.config import ADDED_FIELDS, ImputerConfig

#: sha256 of the default config's fingerprint part, computed with the frozen dataclass before
#: ImputerConfig became a pydantic model: a stored model's fingerprint must not change. The
#: dataclass's ``repeat_below`` was 2,000 (the default is 1,000 since 2026-12-06, so models
#: saved with the old default retrain once: their held-out choice differs), and its candidates
#: had no ``forest`` (a default since 2026-12-06 too; those models retrain once as well), and
#: its learning rate was 3e-3 (6e-3 since 2026-12-06: the same again), and it stopped after
#: 6 stale checks of the last step's weights (``patience`` 4 of the weights' moving average,
#: ``weight_average``, since 2026-12-06: the same again).
THEN = {
    "repeat_below": 2000,
    "learning_rate": 3e-3,
    "patience": 6,
    "weight_average": 0,
    "candidates": ("network", "shared_network", "linear", "knn", "boosted", "blend", "mean_mode"),
}
DEFAULT_FINGERPRINT = "e6f324514ddd167d70a0a866781ff1585b46777b29b96dc037bd85daafbc1d2a"
#: The same for a config with gates, extra settings and candidates given as a list.
GIVEN_TO_DICT = "5be0aa9af7d754808245f15550df268639d53c5c889df538a5613e34934ae94e"


def _sha(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def test_fingerprints_and_renderings_are_those_of_the_dataclass() -> None:
    assert _sha(ImputerConfig(**THEN).fingerprint_dict()) == DEFAULT_FINGERPRINT
    given = ImputerConfig(
        fill={"a": "all"},
        confidence_threshold=0.7,
        extra={"k": 1},
        **{**THEN, "candidates": ["linear", "knn"]},
    )
    rendered = {k: v for k, v in given.to_dict().items() if k not in ADDED_FIELDS}
    assert _sha(rendered) == GIVEN_TO_DICT
    assert given.to_dict()["weight_average"] == 0  # fields added since are rendered too
    assert list(ImputerConfig().to_dict())[:3] == ["hidden_dim", "embedding_dim", "epochs"]


def test_numbers_stay_as_given() -> None:
    """A YAML ``time_budget: 60`` hashed as ``60`` before; ``60.0`` would retrain its models."""
    config = ImputerConfig(time_budget=60, learning_rate=1, weight_decay=0, max_missing_share=1)
    assert json.dumps([config.time_budget, config.learning_rate, config.weight_decay]) == (
        "[60, 1, 0]"
    )
    assert config.max_missing_share == 1 and type(config.max_missing_share) is int
    assert type(ImputerConfig(learning_rate=0.5).learning_rate) is float


def test_changes_are_validated_and_the_config_is_frozen() -> None:
    config = ImputerConfig(epochs=3)
    changed = config.replace(chained=True, candidates=["linear"])
    assert changed.chained and changed.candidates == ("linear",) and changed.epochs == 3
    assert not config.chained
    with pytest.raises(ValueError, match=r"ImputerConfig\.epochs must be greater than 0, got -1"):
        config.replace(epochs=-1)
    with pytest.raises(ValueError, match="frozen"):
        config.epochs = 5  # type: ignore[misc]
    assert ImputerConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"bogus": 1}, r"ImputerConfig: unknown keys \['bogus'\]"),
        ({"hidden_dim": 0}, r"ImputerConfig\.hidden_dim must be greater than 0, got 0"),
        ({"mask_rate": 1.0}, r"ImputerConfig\.mask_rate must be less than 1"),
        ({"device": "tpu"}, r"ImputerConfig\.device must be 'auto', 'cuda', 'mps' or 'cpu'"),
        ({"progress": 1}, r"ImputerConfig\.progress must be true or false, got 1"),
        ({"candidates": ["net"]}, r"ImputerConfig\.candidates: unknown \['net'\]"),
        ({"candidates": []}, r"ImputerConfig\.candidates: unknown \[\]"),
        ({"confidence_threshold": {"a": "x"}}, r"confidence_threshold\['a'\] must be a number"),
        ({"min_gain_spreads": -1}, r"ImputerConfig\.min_gain_spreads must be in"),
        ({"epochs": "ten"}, r"epochs\n  Input should be a valid integer"),
    ],
)
def test_bad_values_are_named(given: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ImputerConfig(**given)


def test_the_json_schema_declares_choices_and_ranges() -> None:
    fields = ImputerConfig.model_json_schema()["properties"]
    assert fields["device"]["enum"] == ["auto", "cuda", "mps", "cpu"]
    assert fields["epochs"]["exclusiveMinimum"] == 0
    assert fields["mask_rate"]["minimum"] == 0 and fields["mask_rate"]["exclusiveMaximum"] == 1
    assert fields["confidence_threshold"]["anyOf"][0]["maximum"] == 1


def test_an_added_field_is_fingerprinted_only_away_from_the_value_it_trained_at_before() -> None:
    assert ImputerConfig().fingerprint_dict()["weight_average"] == 0.98
    assert "weight_average" not in ImputerConfig(weight_average=0).fingerprint_dict()
    assert _sha(ImputerConfig().fingerprint_dict()) != DEFAULT_FINGERPRINT
