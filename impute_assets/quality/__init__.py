"""Validate imputed tables with Great Expectations 1.x, against their observed values.

``build_suite`` turns a :class:`~impute_assets.core.profile.TableProfile` into a plain
:class:`Suite`; ``validate_frame`` / ``validate_table`` run it (GE is imported only then) and
return a plain :class:`ValidationResult`. Its ``invariants`` block publishing; its
``distribution`` checks warn unless the suite blocks on them. ``mean_mode_filled`` gives the
distribution a mean/mode-filled column should have; ``observed_unchanged`` and
``fills_finite`` check, on frames, that no observed cell changed and no fill is infinite.
"""

from impute_assets.quality.expected import mean_mode_filled
from impute_assets.quality.observed import fills_finite, observed_unchanged
from impute_assets.quality.result import ExpectationOutcome, ValidationResult
from impute_assets.quality.runner import columns_read, validate_frame, validate_table
from impute_assets.quality.suite import ExpectationSpec, Suite, Tolerances, build_suite

__all__ = [
    "ExpectationOutcome",
    "ExpectationSpec",
    "Suite",
    "Tolerances",
    "ValidationResult",
    "build_suite",
    "columns_read",
    "fills_finite",
    "mean_mode_filled",
    "observed_unchanged",
    "validate_frame",
    "validate_table",
]
