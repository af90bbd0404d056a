"""What a user declares about one table: the ``TableSpec``.

Written in YAML (``impute.yaml`` or a component's ``defs.yaml``) or in Python. Validation happens
when the code location loads, and every error names the table and the key at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from impute_assets.core.kinds import ColumnKind
from impute_assets.store.reuse import ReusePolicy

#: Env var read for the warehouse URL when a table names none.
DEFAULT_URL_ENV = "IMPUTE_ASSETS_WAREHOUSE_URL"


class SpecError(ValueError):
    """An invalid table declaration; the message names the table and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class PartitionSpec(_Strict):
    """How the table is split into Dagster partitions.

    ``dynamic``: one partition per distinct value of ``column`` (new values are added by the
    sensor). ``daily``/``monthly``: time windows from ``start``; ``column`` is a date column
    holding each row's window start (the day, or the first of the month).
    """

    column: str = Field(description="column holding the partition value or timestamp")
    kind: Literal["dynamic", "daily", "monthly"] = Field("dynamic", description="partitioning")
    start: date | None = Field(None, description="first window (daily/monthly only)")

    @model_validator(mode="after")
    def _start_for_windows(self) -> PartitionSpec:
        if self.kind != "dynamic" and self.start is None:
            raise ValueError(f"partition.start is required for {self.kind} partitions")
        return self


class StructuralGap(_Strict):
    """Gaps that mean 'did not happen': where ``when_missing`` is null, leave ``columns`` alone.

    Example: a cancelled flight has no ``dep_time``, so its ``arr_delay`` is not a gap to fill.
    """

    when_missing: str = Field(description="column whose null marks the row as structural")
    columns: list[str] = Field(description="columns left unfilled on those rows")


class ValidationSpec(_Strict):
    """How strictly the filled table is checked (see ``impute_assets.quality.build_suite``).

    Invariants (row count, no unexplained nulls, ranges, vocabularies) always block publishing;
    distribution checks (mean, std, KL, KS) warn unless ``distribution: block``.
    """

    tolerances: dict[str, Any] = Field(
        default_factory=dict,
        description="build_suite tolerances",
        json_schema_extra=lambda s: s.update(_tolerances_schema()),
    )
    distribution: Literal["warn", "block"] = Field(
        "warn",
        description="whether failed distribution checks (mean, std, KL, KS) block publishing",
    )
    column_tolerances: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="per column tolerance overrides",
        json_schema_extra=lambda s: s.update(additionalProperties=_tolerances_schema()),
    )
    expectations: list[dict[str, Any]] = Field(
        default_factory=list, description="extra Great Expectations expectations"
    )

    @field_validator("tolerances")
    @classmethod
    def _known_tolerances(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_tolerances(value, "validation.tolerances")
        return value

    @field_validator("column_tolerances")
    @classmethod
    def _known_column_tolerances(
        cls, value: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        return _each_column(_check_tolerances, value, "validation.column_tolerances")


def _each_column(
    check: Callable[[dict[str, Any], str], None], value: dict[str, dict[str, Any]], where: str
) -> dict[str, dict[str, Any]]:
    """A per-column mapping checked column by column (errors name ``where.<column>``)."""
    for column, fields in value.items():
        check(fields, f"{where}.{column}")
    return value


def _tolerances_schema() -> dict[str, Any]:
    """The JSON schema of a tolerances mapping (so ``dg check yaml`` sees keys and ranges)."""
    from impute_assets.quality.suite import Tolerances

    schema = Tolerances.model_json_schema()
    return {"type": "object", "properties": schema["properties"], "additionalProperties": False}


def _check_tolerances(value: dict[str, Any], where: str) -> None:
    """Tolerance keys and ranges as ``quality.Tolerances`` takes them (unknown keys refused)."""
    from impute_assets.quality.suite import Tolerances

    try:
        Tolerances.model_validate(value)
    except ValidationError as exc:
        raise ValueError("; ".join(_problem(e, where) for e in exc.errors())) from None


#: A confidence threshold (a share of cells a prediction set or interval covers).
Confidence = Annotated[float, Field(ge=0.0, le=1.0)]


class TableSpec(_Strict):
    """One table to keep complete.

    Example:
        >>> TableSpec(table="weather", key=["origin", "time_hour"], order_by="time_hour",
        ...           group_by="origin", skip=["wind_gust"])  # doctest: +ELLIPSIS
        TableSpec(...)
    """

    table: str = Field(description="source table name")
    db_schema: str | None = Field(None, alias="schema", description="database schema of the table")
    url_env: str = Field(
        DEFAULT_URL_ENV, min_length=1, description="env var holding the SQLAlchemy URL"
    )
    key: list[str] = Field(default_factory=list, description="columns identifying a row")
    partition: PartitionSpec | None = Field(None, description="Dagster partitions of the table")
    order_by: str | list[str] | None = Field(None, description="sequence order for the models")
    group_by: str | list[str] | None = Field(None, description="sequence groups for the models")
    columns: list[str] | None = Field(
        None, min_length=1, description="columns to impute (default: every incomplete one)"
    )
    skip: list[str] = Field(default_factory=list, description="never imputed, still used as inputs")
    exclude: list[str] = Field(
        default_factory=list, description="neither imputed nor used as inputs"
    )
    structural: list[StructuralGap] = Field(default_factory=list, description="gaps left alone")
    kinds: dict[str, ColumnKind] = Field(default_factory=dict, description="column kind overrides")
    inputs: dict[str, list[str]] = Field(
        default_factory=dict, description="per column: the only input columns its model may use"
    )
    confidence: Confidence | dict[str, Confidence] | None = Field(
        None, description="minimum confidence to fill a cell (one value or per column)"
    )
    fill: Literal["confident", "all"] | None = Field(
        None,
        description="confident (default): fill a column only when its model beats mean/mode "
        "held-out by more than the gain's spread, it is not free-text-like and is missing "
        "in at most half its rows, and only its cells of confidence >= 0.5 (categorical) / 0.4 "
        "(numeric); all: fill every cell a model reaches. Each gate is also an ImputerConfig "
        "field (model / column_model): confidence_threshold, min_gain_spreads, "
        "max_missing_share, leave_free_text",
    )
    model: dict[str, Any] = Field(default_factory=dict, description="ImputerConfig fields")
    column_model: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per column ImputerConfig overrides"
    )
    reuse: ReusePolicy = Field(default_factory=ReusePolicy, description="when to reuse models")
    output_table: str | None = Field(None, description="filled table (default <table>_imputed)")
    audit_table: str | None = Field(None, description="cell audit table (default <output>_audit)")
    validation: ValidationSpec = Field(default_factory=ValidationSpec, description="checks")
    training_rows: int | None = Field(
        50_000,
        gt=0,
        le=2**63 - 1,
        description="train on at most this many rows (a sample); None: all",
    )
    group: str | None = Field(None, description="Dagster asset group (default: the table name)")
    plots: int = Field(
        12,
        ge=0,
        description="observed-vs-imputed plots in a fill's metadata, for the columns with the "
        "most cells filled, next to the before/after missingness plot (0: neither)",
    )

    @field_validator("order_by")
    @classmethod
    def _one_time_column(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and len(value) != 1:
            raise ValueError(f"order_by takes one time column, got {value}")
        return value

    @field_validator("model")
    @classmethod
    def _known_config_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_config_fields(value, "model")
        return value

    @field_validator("column_model")
    @classmethod
    def _known_column_config_fields(
        cls, value: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        return _each_column(_check_config_fields, value, "column_model")

    @model_validator(mode="after")
    def _consistent(self) -> TableSpec:
        for column, inputs in self.inputs.items():
            if column in inputs:
                raise ValueError(
                    f"inputs.{column} lists {column!r} itself: a column cannot be "
                    "its own model's input"
                )
        chosen = set(self.columns or ())
        for name in ("skip", "exclude"):
            clash = chosen & set(getattr(self, name))
            if clash:
                raise ValueError(f"columns {sorted(clash)} are both in 'columns' and in '{name}'")
        if self.partition and self.partition.column in set(self.exclude):
            raise ValueError(f"partition column {self.partition.column!r} cannot be excluded")
        if self.output_name == self.table and self.db_schema is None:
            raise ValueError("output_table must differ from the source table")
        return self

    @property
    def output_name(self) -> str:
        """The filled table's name."""
        return self.output_table or f"{self.table}_imputed"

    @property
    def store_name(self) -> str:
        """The table's name in the model store: schema-qualified, so ``a.orders`` and
        ``b.orders`` never share models."""
        return f"{self.db_schema}.{self.table}" if self.db_schema else self.table

    @property
    def audit_name(self) -> str:
        """The cell audit table's name."""
        return self.audit_table or f"{self.output_name}_audit"

    @property
    def preview_name(self) -> str:
        """The table a dry run writes its would-be fills to (audit rows), replaced each time."""
        return f"{self.output_name}__preview"

    def config_for(self, column: str) -> dict[str, Any]:
        """ImputerConfig fields for one column's model: table settings, then column overrides."""
        fields = {**self.model, **self.column_model.get(column, {})}
        if self.confidence is not None:
            fields.setdefault("confidence_threshold", self.confidence)
        if self.fill is not None:
            fields.setdefault("fill", self.fill)
        return fields

    def fills_all(self, column: str) -> bool:
        """Whether ``column`` is filled with ``fill: all`` and no confidence threshold, so no
        gate leaves any of its cells (see :class:`impute_assets.core.config.ImputerConfig`)."""
        fields = self.config_for(column)
        fill, threshold = fields.get("fill"), fields.get("confidence_threshold")
        fill = fill.get(column) if isinstance(fill, dict) else fill
        threshold = threshold.get(column) if isinstance(threshold, dict) else threshold
        return fill == "all" and not threshold

    @classmethod
    def parse(cls, data: dict[str, Any]) -> TableSpec:
        """Validate raw YAML/JSON data; errors name the table and each bad key."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            table = data.get("table", "<no table>") if isinstance(data, dict) else "<not a mapping>"
            problems = "; ".join(dict.fromkeys(_problem(e) for e in _branch_errors(exc.errors())))
            raise SpecError(f"table {table!r}: {problems}") from None


#: How pydantic names the member of a union (``float | dict[str, float]``) in an error's path.
_UNION_MEMBER = re.compile(r"constrained-\w+|(dict|list)\[.*\]|float|int|str|bool")


def _branch_errors(errors: list[Any]) -> list[Any]:
    """Of a union field's errors, those of the member the value was meant for: a wrong-type
    error ("Input should be a valid dictionary") is dropped when the same key has another."""

    def wrong_type(error: Any) -> bool:
        return error["type"].endswith(("_type", "_parsing"))

    meant = {tuple(e["loc"][:1]) for e in errors if not wrong_type(e)}
    return [e for e in errors if not wrong_type(e) or tuple(e["loc"][:1]) not in meant]


def _problem(error: Any, prefix: str = "") -> str:
    """One pydantic error as ``key.path: message`` (a message naming its key is kept as is)."""
    loc = [
        p
        for i, p in enumerate(error["loc"])
        if not (i == 1 and isinstance(p, str) and _UNION_MEMBER.fullmatch(p))
    ]
    where = ".".join([*filter(None, [prefix]), *(str(p) for p in loc)]) or "<table>"
    message = str(error["msg"]).removeprefix("Value error, ")
    return message if message.startswith(where) else f"{where}: {message}"


def _check_config_fields(fields: dict[str, Any], where: str) -> None:
    """Validate ImputerConfig fields as the YAML gives them: names, types and ranges."""
    from impute_assets.core.config import ImputerConfig

    known = set(ImputerConfig.model_fields)
    unknown = sorted(set(fields) - known)
    if unknown:
        raise ValueError(f"{where}: unknown ImputerConfig fields {unknown}; known: {sorted(known)}")
    try:
        ImputerConfig.model_validate(fields)
    except ValidationError as exc:
        raise ValueError("; ".join(_problem(e, where) for e in exc.errors())) from None
