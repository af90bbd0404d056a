"""Plain validation results: what the Dagster check and write-audit-publish read.

No Great Expectations objects leak out of the quality layer; every value here is JSON-safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from impute_assets.core.jsonable import to_plain
from impute_assets.core.markdown import markdown_table

if TYPE_CHECKING:
    from impute_assets.quality.suite import ExpectationSpec

#: Keyword arguments too bulky to show as "expected" (they are in the suite itself).
_BULKY_KWARGS = frozenset(
    {
        "column",
        "partition_object",
        "edges",
        "counts",
        "result_format",
        "tail_weight_holdout",
        "internal_weight_holdout",
    }
)
#: How many values of a value set to show.
_SHOWN_VALUES = 8


@dataclass(frozen=True)
class ExpectationOutcome:
    """The outcome of one expectation.

    Attributes:
        type: expectation type, e.g. ``expect_column_values_to_be_between``.
        column: the column it is about (``None`` for table-level ones).
        success: whether it held.
        observed_value: the measured aggregate (mean, KL divergence, KS statistic, row count),
            or ``None`` for per-value expectations.
        unexpected_count: per-value expectations: how many values broke it.
        unexpected_examples: a few of those values.
        expected: the expectation's bounds/thresholds, rendered short.
        details: other measurements (e.g. the KS p-value).
        error: why it could not be evaluated, when it raised.
        check: the check it belongs to (``invariants`` or ``distribution``).
        tolerance: the tolerance keys that set its bounds, if any.
    """

    type: str
    column: str | None
    success: bool
    observed_value: Any = None
    unexpected_count: int | None = None
    unexpected_examples: tuple[Any, ...] = ()
    expected: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    check: str = "invariants"
    tolerance: str | None = None

    @classmethod
    def from_spec(cls, spec: ExpectationSpec, **fields: Any) -> ExpectationOutcome:
        """An outcome for ``spec``; values are made JSON-safe."""
        fields = {k: to_plain(v) for k, v in fields.items()}
        fields["unexpected_examples"] = tuple(fields.get("unexpected_examples") or ())
        return cls(type=spec.type, column=spec.column, expected=describe(spec.kwargs),
                   check=spec.check, tolerance=spec.tolerance, **fields)  # fmt: skip

    def explain(self) -> str:
        """One line: what failed, what was measured, and which tolerance key to loosen."""
        where = f"column {self.column!r}: " if self.column else ""
        observed = self.error or describe_value(self.observed_value)
        if self.unexpected_count:
            shown = ", ".join(describe_value(v) for v in self.unexpected_examples)
            observed = f"{self.unexpected_count} unexpected values (e.g. {shown})"
        line = f"{where}{self.type} ({self.expected}) got {observed or 'nothing'}"
        if self.tolerance:
            keys = " / ".join(k.strip() for k in self.tolerance.split(","))
            line += (
                f"; tolerance: {keys} (validation.column_tolerances.{self.column}.<key> or "
                "validation.tolerances.<key>)"
            )
        return line

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        data = asdict(self)
        data["unexpected_examples"] = list(self.unexpected_examples)
        return data


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of a suite on one table or frame.

    ``engine`` says where it ran: ``"sql"`` (in the warehouse) or ``"dataframe"``. ``success``
    means every expectation of the ``blocking`` checks held; the others only warn.
    ``skipped`` names what was not checked and why (no rows, a column left unfilled or without
    a stored model): a result with skips is never a clean pass (see :attr:`complete`).
    """

    suite: str
    success: bool
    results: tuple[ExpectationOutcome, ...]
    engine: str
    table: str | None = None
    blocking: tuple[str, ...] = ("invariants",)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Whether every subject was checked: something was evaluated and nothing skipped."""
        return bool(self.results) and not self.skipped

    def skipping(self, reasons: Mapping[str, str]) -> ValidationResult:
        """This result with more subjects (a column, the table) recorded as not checked."""
        return replace(self, skipped={**self.skipped, **reasons})

    @property
    def failures(self) -> list[ExpectationOutcome]:
        """The expectations of blocking checks that did not hold (why ``success`` is False)."""
        return [r for r in self.results if not r.success and r.check in self.blocking]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        """The expectations of non-blocking checks that did not hold."""
        return [r for r in self.results if not r.success and r.check not in self.blocking]

    def of(self, check: str) -> ValidationResult:
        """The part of this result that belongs to one check."""
        results = tuple(r for r in self.results if r.check == check)
        success = check not in self.blocking or all(r.success for r in results)
        return replace(self, results=results, success=success)

    def including(self, outcome: ExpectationOutcome) -> ValidationResult:
        """This result with one more outcome (e.g. one measured outside Great Expectations)."""
        results = (*self.results, outcome)
        success = all(r.success for r in results if r.check in self.blocking)
        return replace(self, results=results, success=success)

    def explain(self) -> str:
        """The failures, then the warnings, one line each (see :meth:`ExpectationOutcome.explain`)."""
        return "\n".join([f"- failed: {r.explain()}" for r in self.failures]
                         + [f"- warning: {r.explain()}" for r in self.warnings]
                         + [f"- skipped: {what}: {why}" for what, why in self.skipped.items()])  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {
            "suite": self.suite,
            "success": self.success,
            "engine": self.engine,
            "table": self.table,
            "evaluated": len(self.results),
            "failed": len(self.failures),
            "warnings": len(self.warnings),
            "blocking": list(self.blocking),
            "skipped": dict(self.skipped),
            "results": [r.to_dict() for r in self.results],
        }

    def to_markdown(self) -> str:
        """A markdown table of every expectation, failures first."""
        where = f" on `{self.table}`" if self.table else ""
        counts = f"{len(self.failures)} of {len(self.results)}"
        verdict = "passed" if self.success else f"failed ({counts})"
        if self.warnings:
            verdict += f", {len(self.warnings)} warnings"
        if self.skipped:
            verdict += f", {len(self.skipped)} not checked"
        header = ["ok", "expectation", "column", "expected", "observed", "unexpected", "examples",
                  "check", "tolerance"]  # fmt: skip
        rows = []
        for r in sorted(self.results, key=lambda r: r.success):
            observed = r.error or describe_value(r.observed_value)
            examples = ", ".join(describe_value(v) for v in r.unexpected_examples)
            unexpected = "" if r.unexpected_count is None else str(r.unexpected_count)
            mark = "✅" if r.success else ("❌" if r.check in self.blocking else "⚠️")
            cells = [mark, f"`{r.type}`", r.column or "", r.expected, observed, unexpected,
                     examples, r.check, r.tolerance or ""]  # fmt: skip
            rows.append(cells)
        rows += [
            ["⏭️", "not checked", what, "", why, "", "", "", ""]
            for what, why in self.skipped.items()
        ]
        title = f"**Suite `{self.suite}`{where}: {verdict}** ({self.engine})"
        return f"{title}\n\n{markdown_table(header, rows)}"


def describe(kwargs: Mapping[str, Any]) -> str:
    """Short text of an expectation's bounds, e.g. ``min_value=1, max_value=5, mostly=0.9``."""
    parts = []
    for key, value in kwargs.items():
        if key in _BULKY_KWARGS:
            continue
        if key == "value_set" and len(value) > _SHOWN_VALUES:
            shown = ", ".join(describe_value(v) for v in list(value)[:_SHOWN_VALUES])
            parts.append(f"value_set=[{shown}, ... {len(value)} values]")
        else:
            parts.append(f"{key}={describe_value(value)}")
    return ", ".join(parts)


def describe_value(value: Any) -> str:
    """A value as short text: floats to 4 significant digits, None as empty."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(describe_value(v) for v in value) + "]"
    return "" if value is None else str(value)
