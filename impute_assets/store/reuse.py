"""When a stored model may be reused instead of trained again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: A population stability index above this is usually read as a significant shift.
DEFAULT_MAX_DRIFT = 0.2


class ReusePolicy(BaseModel):
    """How eagerly stored models are reused.

    - ``always``: reuse whenever the fingerprint (inputs, kinds, config, library) matches.
    - ``if_fresh``: as ``always``, but retrain when the model is older than ``max_age_days``, an
      input's distribution has drifted (PSI against the training profile > ``max_drift``) or
      more than ``max_unseen`` of the target's observed values lie outside the vocabulary or
      range it was trained on (target drift).
    - ``never``: train on every run.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["always", "if_fresh", "never"] = Field(
        "if_fresh", description="always | if_fresh | never"
    )
    max_age_days: float | None = Field(
        None,
        gt=0,
        description="if_fresh: retrain models older than this many days (None: no limit)",
    )
    max_drift: float = Field(
        DEFAULT_MAX_DRIFT,
        gt=0,
        description="if_fresh: retrain when any input's population stability index exceeds this",
    )
    max_unseen: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="if_fresh: retrain when more than this share of the target's observed values "
        "lie outside the vocabulary or range the model was trained on",
    )


@dataclass(frozen=True)
class ReuseDecision:
    """The outcome of :meth:`ModelStore.decide`, with a reason a person can read."""

    reuse: bool
    reason: str
    version: str | None = None
    drift: dict[str, float] | None = None
