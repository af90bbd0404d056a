"""Evaluation: seeded masking (MCAR, MAR, MNAR) and scores on the hidden cells only.

Needs the ``evaluation`` extra (scipy, scikit-learn). Used by ``impute-assets
evaluate`` and the benchmarks.
"""

from impute_assets.evaluation.harness import ImputerLike, evaluate
from impute_assets.evaluation.masking import MASKABLE_KINDS, PATTERNS, Pattern, mask_cells
from impute_assets.evaluation.scoring import ColumnScore, EvaluationReport, macro_f1, score

__all__ = [
    "MASKABLE_KINDS",
    "PATTERNS",
    "ColumnScore",
    "EvaluationReport",
    "ImputerLike",
    "Pattern",
    "evaluate",
    "macro_f1",
    "mask_cells",
    "score",
]
