"""``ImputationMetadata``: every ``impute_assets/*`` metadata key, in one typed record.

Like dagster-dlt's ``DagsterDltMetadataSet``: assets and checks write it with
:meth:`ImputationMetadata.to_metadata`, and readers (the demo's summary, the tests, user code)
read events back with :meth:`ImputationMetadata.from_metadata`, so no key is typed twice.
Dagster's standard ``dagster/*`` table keys are written next to it (see ``metadata.py``).

Example:
    >>> meta = ImputationMetadata(decision="train", training_rows=120).to_metadata()
    >>> sorted(meta)
    ['impute_assets/decision', 'impute_assets/training_rows']
    >>> ImputationMetadata.from_metadata(meta).decision
    'train'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import dagster as dg
from pydantic import BaseModel, ConfigDict, Field

#: Fields the UI renders as markdown (tables, images) carry this JSON schema format.
_MARKDOWN = {"format": "markdown"}


def _markdown(description: str) -> Any:
    """A markdown field: written as ``MetadataValue.md``."""
    return Field(None, description=description, json_schema_extra=_MARKDOWN)


class ImputationMetadata(BaseModel):
    """What an imputation asset or check reports; a field left None is not written."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    NAMESPACE: ClassVar[str] = "impute_assets"

    # Every asset: the real names behind its Dagster names (see translator.dagster_name).
    table: str | None = Field(None, description="the warehouse table, schema-qualified")
    column: str | None = Field(None, description="the warehouse column a model fills")
    definition_error: str | None = Field(
        None, description="why the table could not be defined (its placeholder asset)"
    )
    # A column's model asset.
    decision: str | None = Field(
        None, description="'train', 'reuse', or 'left' (the column gets no model: free text, ids)"
    )
    reason: str | None = Field(None, description="why the model was trained, reused or left")
    fingerprint: str | None = Field(None, description="inputs, kinds, config and library version")
    version: str | None = Field(None, description="the stored model version now in use")
    inputs: list[str] | None = Field(None, description="the model's input columns")
    model: str | None = Field(None, description="the candidate chosen on the held-out split")
    holdout_metric: str | None = Field(None, description="how the held-out score is measured")
    holdout_score: float | None = Field(None, description="score on held-out observed cells")
    baseline_score: float | None = Field(None, description="mean/mode's score on the same cells")
    holdout_spread: float | None = Field(
        None, description="how much the held-out score swings between held-out splits"
    )
    holdout_splits: int | None = Field(None, description="held-out splits the score is over")
    baseline_gain: float | None = Field(
        None, description="how far the model beats mean/mode held-out (score units)"
    )
    baseline_gain_spread: float | None = Field(None, description="the spread of that gain")
    training_rows: int | None = Field(None, description="rows the model learned from")
    epochs: int | None = Field(None, description="training epochs run")
    device: str | None = Field(None, description="torch device used")
    train_seconds: float | None = Field(None, description="seconds spent training")
    drift_psi: dict[str, float] | None = Field(None, description="PSI per input since training")
    input_importance: dict[str, float] | None = Field(
        None, description="permutation importance of each input on the held-out split"
    )
    # The imputed table.
    cells_filled: int | None = Field(None, description="missing cells filled")
    cells_left: int | None = Field(None, description="missing cells left (with a reason)")
    left_reasons: dict[str, dict[str, int]] | None = Field(
        None, description="per column: why its cells were left, and how many"
    )
    audit_rows: int | None = Field(None, description="cell audit rows written")
    audit_table: str | None = Field(None, description="the cell audit table")
    columns: str | None = _markdown("per column: counts and held-out scores")
    coverage: dict[str, dict[str, float | None]] | None = Field(
        None,
        description="per column: the fills' interval/set coverage, nominal and reached on "
        "held-out cells, mean width over the column's 90% spread, mean set size",
    )
    dry_run: bool | None = Field(None, description="a dry run: nothing was published")
    preview_table: str | None = Field(None, description="where a dry run wrote its would-be fills")
    lineage: str | None = _markdown("per column: the source columns it uses")
    model_versions: dict[str, str] | None = Field(None, description="model version per column")
    validation: str | None = _markdown("expectations run before publishing")
    plots: str | None = _markdown("before/after and distribution plots")
    # The source table's missing-values check.
    missing_cells: int | None = Field(None, description="missing cells in the source")
    nulls: str | None = _markdown("nulls and share per incomplete column")
    heatmap: str | None = _markdown("share of missing values (per partition)")
    # The imputed table's expectations check.
    engine: str | None = Field(None, description="where the expectations ran")
    expectations: str | None = _markdown("each expectation and its result")
    evaluated: int | None = Field(None, description="expectations evaluated")
    failed: int | None = Field(None, description="expectations that failed")
    skipped: dict[str, str] | None = Field(
        None, description="what the check could not check, and why (it then warns)"
    )

    @classmethod
    def key(cls, field: str) -> str:
        """The namespaced metadata key of ``field``, e.g. ``impute_assets/cells_filled``."""
        if field not in cls.model_fields:
            raise KeyError(f"{cls.__name__} has no field {field!r}")
        return f"{cls.NAMESPACE}/{field}"

    def to_metadata(self) -> dict[str, Any]:
        """Namespaced entries for ``MaterializeResult``/``AssetCheckResult`` metadata."""
        entries: dict[str, Any] = {}
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None:
                continue
            if info.json_schema_extra == _MARKDOWN:
                value = dg.MetadataValue.md(value)
            elif isinstance(value, dict | list):
                value = dg.MetadataValue.json(value)
            entries[self.key(name)] = value
        return entries

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> ImputationMetadata:
        """The record in ``metadata`` (raw values or ``MetadataValue``s); other keys ignored."""
        prefix = f"{cls.NAMESPACE}/"
        values = {
            key.removeprefix(prefix): getattr(value, "value", value)
            for key, value in metadata.items()
            if key.startswith(prefix) and key.removeprefix(prefix) in cls.model_fields
        }
        return cls(**values)
