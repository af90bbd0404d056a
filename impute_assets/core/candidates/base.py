"""What every candidate model is: the :class:`Candidate` protocol and the records it trades in.

A candidate is fitted on a column's training rows and scored on its held-out rows
(:meth:`Candidate.holdout_fit`); the chosen one is refitted on every observed row
(:meth:`Candidate.refit`, arrays saved in the unit) and, when filling, turns the design rows
into raw outputs (:meth:`Candidate.raw`) that :meth:`Candidate.decode` makes values and
confidences. Raw outputs have the network's form: a scaled value (or value and log variance,
for a ``variance_head``) for numeric targets, class scores for categorical ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import Any, ClassVar, Protocol

import numpy as np
import torch

from impute_assets.core.candidates.design import Design
from impute_assets.core.config import ImputerConfig
from impute_assets.core.encoding.features import Features, FeatureSpace
from impute_assets.core.nets.training import TargetData
from impute_assets.core.uncertainty.calibration import numeric_confidence, softmax


@dataclass
class ColumnPrediction:
    """Predicted values (decoded) and their confidences for some rows of one column; numeric
    predictions also keep their center and scale (encoded units) for intervals and draws."""

    values: list[Any] | np.ndarray
    confidence: np.ndarray
    probabilities: np.ndarray | None = None  # categorical: calibrated class probabilities
    center: np.ndarray | None = None  # numeric: the fill, encoded
    scale: np.ndarray | None = None  # numeric: its calibrated sigma, encoded

    @classmethod
    def concat(cls, parts: list[ColumnPrediction]) -> ColumnPrediction:
        """One prediction from consecutive parts (e.g. chunks of rows), in their order."""
        if len(parts) == 1:
            return parts[0]
        values = (
            np.concatenate([p.values for p in parts])
            if all(isinstance(p.values, np.ndarray) for p in parts)
            else [v for p in parts for v in p.values]
        )
        arrays = {
            name: np.concatenate([getattr(p, name) for p in parts])
            if all(getattr(p, name) is not None for p in parts)
            else None
            for name in ("probabilities", "center", "scale")
        }
        return cls(values, np.concatenate([p.confidence for p in parts]), **arrays)

    def take(self, order: np.ndarray) -> ColumnPrediction:
        """The predictions at positions ``order``."""
        values = (
            self.values[order]
            if isinstance(self.values, np.ndarray)
            else [self.values[i] for i in order]
        )
        arrays = {
            name: getattr(self, name)[order] if getattr(self, name) is not None else None
            for name in ("probabilities", "center", "scale")
        }
        return ColumnPrediction(values, self.confidence[order], **arrays)


@dataclass
class Calibration:
    """How a unit's raw outputs become confidences, as fitted on its held-out split: a
    temperature (classes), a sigma or the variance head's sigma scale (numbers), the blend's
    members and their temperatures, the text copy's distance scale. Unset fields are left out
    of the manifest, whose ``calibration`` holds :meth:`to_dict`."""

    temperature: float | None = None
    sigma: float | None = None
    sigma_scale: float | None = None
    members: dict[str, float] | None = None
    weights: dict[str, float] | None = None
    distance_scale: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The set fields, by name (the manifest's ``calibration``)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        return cls(**data)


#: The score-spread fields of a :class:`Holdout`: saved together, or not at all (text units).
SPREAD_FIELDS = ("splits", "spread", "gain", "gain_spread")
#: The fields of a :class:`Holdout` saved only where set.
OPTIONAL_FIELDS = ("importance", "facts", "sequence_vs_tabular", "chained")


@dataclass
class Holdout:
    """A unit's held-out record: its metric (nrmse, accuracy or exact_match), cells held out,
    the chosen candidate's score and mean/mode's, every candidate's score; the score's spread
    and gain over mean/mode (``splits`` > 1: over repeated splits; 1: standard errors over
    the cells; 0: too few cells; None: not measured, as for text); the inputs' permutation
    importance, the column's facts, and what the chained round or the sequence/tabular
    comparison recorded. The manifest's ``holdout`` is :meth:`to_dict`: the fields that are
    set (the spread fields all four, or none), and any key an older unit saved."""

    metric: str
    rows: int
    score: float | None
    baseline_score: float | None
    scores: dict[str, float]
    splits: int | None = None
    spread: float | None = None
    gain: float | None = None
    gain_spread: float | None = None
    importance: dict[str, float] | None = None
    facts: dict[str, Any] | None = None
    sequence_vs_tabular: dict[str, Any] | None = None
    chained: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The manifest's ``holdout``."""
        out = asdict(self)
        extra = out.pop("extra")
        for name in OPTIONAL_FIELDS:
            if out[name] is None:
                del out[name]
        if self.splits is None:
            for name in SPREAD_FIELDS:
                del out[name]
        return {**out, **extra}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Holdout:
        known = {f.name for f in fields(cls)} - {"extra"}
        return cls(
            **{k: v for k, v in data.items() if k in known},
            extra={k: v for k, v in data.items() if k not in known},
        )


@dataclass
class TableFit:
    """A table-level candidate trained once for all targets: each served target's outputs at
    its held-out rows, the training's seconds, and its trained state (the candidate's own)."""

    holdout: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0
    state: Any = None


@dataclass
class TableShare:
    """A target's share of a table-level candidate, as its unit saves it: its per-column
    network's weights, or the table's shared network (description, tensors); the epochs."""

    network: dict[str, torch.Tensor] | None = None
    shared: tuple[dict[str, Any], dict[str, torch.Tensor]] | None = None
    epochs: int = 0


@dataclass
class Split:
    """One held-out split of a target column, as the candidates are fitted and scored on it.

    ``repeat`` is 0 for the column's first split (whose outputs choose, calibrate and may stop
    training early), 1, 2 ... for the extra splits of a small column. ``networks`` names the
    table-level candidates that train on the table (known before they have), ``tables`` holds
    their training once done; ``earlier`` the outputs of the blendable candidates fitted on
    this split so far (what the blend averages)."""

    design: Design
    columns: np.ndarray  # the design's features the target's models read (not its own)
    target: TargetData
    train_rows: np.ndarray
    hold_rows: np.ndarray
    config: ImputerConfig
    repeat: int = 0
    networks: frozenset[str] = frozenset()
    tables: Mapping[str, TableFit] = field(default_factory=dict)
    earlier: dict[str, np.ndarray] = field(default_factory=dict)

    @cached_property
    def fit_rows(self) -> np.ndarray:
        """The training rows the per-column candidates fit on: at most ``max_cheap_rows``."""
        return bounded(self.train_rows, self.config.max_cheap_rows, self.config.seed)

    @cached_property
    def z_train(self) -> np.ndarray:
        return self.design.matrix[self.fit_rows][:, self.columns]

    @cached_property
    def z_hold(self) -> np.ndarray:
        return self.design.matrix[self.hold_rows][:, self.columns]

    @property
    def y_train(self) -> np.ndarray:
        return self.target.y[self.fit_rows]

    @property
    def y_hold(self) -> np.ndarray:
        return self.target.y[self.hold_rows]

    @property
    def weight(self) -> np.ndarray | None:
        """The weights of ``fit_rows``; None when rows are unweighted."""
        return row_weight(self.target, self.fit_rows)


@dataclass
class HeldOutFit:
    """A candidate's outputs at a split's held-out rows. ``arrays``: a fit worth saving as it
    is (when the refit would see no more rows); ``hint``: what later fits of the column reuse
    (e.g. the booster's rounds); ``members``: the blend's members and their temperatures."""

    outputs: np.ndarray
    arrays: dict[str, np.ndarray] | None = None
    hint: Any = None
    members: dict[str, float] | None = None
    weights: dict[str, float] | None = None


@dataclass
class Observed:
    """A target's observed rows (at most ``max_cheap_rows``), as the chosen candidate is
    refitted on them: inputs, targets and row weights."""

    z: np.ndarray
    y: np.ndarray
    target: TargetData
    config: ImputerConfig
    weight: np.ndarray | None


@dataclass
class RawInputs:
    """What a unit's raw outputs at some rows are computed from: the encoded design rows and
    the networks' batched outputs (computed once for every model of a feature space)."""

    design: Design
    rows: np.ndarray
    position: int  # the target's own column, left out of ``z``
    network: np.ndarray | None = None
    shared: np.ndarray | None = None

    @cached_property
    def z(self) -> np.ndarray:
        """The rows' design features, the target's own left out."""
        return self.design.matrix[self.rows][:, self.design.without(self.position)]


class FittedColumn(Protocol):
    """What candidates read of a fitted unit (a :class:`ColumnModel`) when filling."""

    arrays: dict[str, np.ndarray]
    calibration: Calibration
    config: dict[str, Any]

    @property
    def numeric(self) -> bool: ...

    @property
    def classes(self) -> int: ...

    @property
    def encoder(self) -> Any: ...

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """``build()``, computed once per unit (e.g. a parsed booster)."""

    def candidate_raw(self, name: str, inputs: RawInputs) -> np.ndarray:
        """The raw outputs of candidate ``name`` (e.g. a blend member) for this unit."""


class Candidate:
    """One kind of model a column can be filled by. A subclass is one module with a line in
    :mod:`.registry`; its class attributes say how the fitting treats it:

    - ``blendable``: the blend may average it;
    - ``repeatable``: refitted on a small column's extra held-out splits (cheap to fit);
    - ``variance_head``: numeric outputs are (value, log variance), calibrated by a sigma scale;
    - ``table_level``: trained once for all targets (:meth:`fit_table`), while the columns fit
      the candidates that are neither table-level nor ``combines``;
    - ``combines``: reads the other candidates' held-out outputs (``Split.earlier``), so it is
      fitted after them;
    - ``baseline``: always fitted; gains are measured against it; chosen when nothing scores;
    - ``text``: fills free-text targets (the only candidate they get).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    blendable: ClassVar[bool] = False
    repeatable: ClassVar[bool] = False
    variance_head: ClassVar[bool] = False
    table_level: ClassVar[bool] = False
    combines: ClassVar[bool] = False
    baseline: ClassVar[bool] = False
    text: ClassVar[bool] = False

    def trains(self, config: ImputerConfig, targets: int, sequence: bool, rows: int) -> bool:
        """Table-level: whether it trains for a table of ``targets`` modelled columns and
        ``rows`` training rows (``sequence``: rows form sequences)."""
        return self.name in config.candidates

    def fit_table(
        self,
        space: FeatureSpace,
        features: Features,
        data: Sequence[TargetData],
        config: ImputerConfig,
        device: torch.device,
    ) -> TableFit:
        """Table-level: train once for ``data``'s targets."""
        raise NotImplementedError(f"{self.name} is not trained per table")

    def share(self, fit: TableFit, target: str) -> TableShare:
        """Table-level: what ``target``'s unit saves of ``fit``."""
        raise NotImplementedError(f"{self.name} is not trained per table")

    def holdout_fit(self, split: Split, hint: Any = None) -> HeldOutFit | None:
        """Fitted on ``split``'s training rows: its outputs at the held-out rows (``hint``: the
        first split's, on a repeated one); None when it does not fit this target. The default,
        for table-level candidates, reads the outputs the table's training computed."""
        fit = split.tables.get(self.name)
        outputs = fit.holdout.get(split.target.name) if fit is not None else None
        return HeldOutFit(outputs) if outputs is not None else None

    def refit(self, observed: Observed, hint: Any = None) -> dict[str, np.ndarray]:
        """The arrays the unit saves, refitted on every observed row (``hint``: the first
        split's); none for candidates whose state lives elsewhere (networks, the blend)."""
        return {}

    def uses(self, calibration: Calibration) -> set[str]:
        """The candidates whose fitted state a unit that chose this one needs."""
        return {self.name}

    def raw(self, model: FittedColumn, inputs: RawInputs) -> np.ndarray:
        """Raw outputs at ``inputs.rows``."""
        raise NotImplementedError

    def decode(self, model: FittedColumn, raw: np.ndarray) -> ColumnPrediction:
        """Decoded values and confidences from raw outputs: a calibrated sigma (or sigma scale
        of the variance head) for numbers, temperature-scaled probabilities for classes."""
        calibration = model.calibration
        if model.numeric:
            if self.variance_head:
                mu = raw[:, 0]
                sigma = np.exp(0.5 * np.clip(raw[:, 1], -10, 10)) * calibration.sigma_scale
            else:
                mu = raw
                sigma = np.full(len(raw), calibration.sigma)
            confidence = numeric_confidence(sigma, model.encoder.spread)
            return ColumnPrediction(model.encoder.decode(mu), confidence, center=mu, scale=sigma)
        probs = softmax(raw, calibration.temperature)
        classes = probs.argmax(axis=1)
        return ColumnPrediction(model.encoder.decode(classes), probs.max(axis=1), probs)


def bounded(rows: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """At most ``limit`` of ``rows``, drawn reproducibly (all of them when fewer)."""
    if len(rows) <= limit:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, size=limit, replace=False))


def row_weight(target: TargetData, rows: np.ndarray | None) -> np.ndarray | None:
    """The weights of ``rows`` (positions or a mask; all rows when None); None when rows are
    unweighted."""
    if target.weight is None:
        return None
    return target.weight if rows is None else target.weight[rows]


def split_score(out: np.ndarray, truth: np.ndarray, target: TargetData) -> float:
    """Held-out nRMSE (numeric, in units of the column's spread) or accuracy (categorical),
    weighted by the rows' weights when there are any."""
    weight = row_weight(target, target.holdout)
    if target.numeric:
        mu = out[:, 0] if out.ndim == 2 else out
        spread = np.nanstd(target.y[target.train | target.holdout]) or 1.0
        return float(np.sqrt(np.average((mu - truth) ** 2, weights=weight)) / spread)
    return float(np.average(out.argmax(axis=1) == truth, weights=weight))


def score_loss(value: float, target: TargetData) -> float:
    """A score where lower is better (nRMSE, or minus accuracy)."""
    return value if target.numeric else -value
