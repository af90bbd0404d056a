"""The mask-and-score harness: hide known cells, impute them, score only what was hidden.

The same path scores our ``Imputer`` and any peer: an imputer here is any callable that takes a
frame with gaps and returns it filled (or an object with ``fit_transform``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from impute_assets.core.kinds import ColumnKind, infer_kinds
from impute_assets.evaluation.masking import Pattern, mask_cells
from impute_assets.evaluation.scoring import EvaluationReport, score

#: An imputer under test: a callable frame -> filled frame (or a result with ``.frame``), or an
#: object with ``fit_transform`` (such as ``Imputer``).
ImputerLike = Callable[[pd.DataFrame], Any] | Any


def evaluate(
    df: pd.DataFrame,
    imputer: ImputerLike,
    pattern: Pattern | str = "mcar",
    fraction: float = 0.2,
    seed: int = 0,
    columns: Sequence[str] | None = None,
    kinds: Mapping[str, ColumnKind] | None = None,
    method: str = "",
) -> EvaluationReport:
    """Mask ``df`` (see :func:`mask_cells`), run ``imputer`` on it, and score the hidden cells.

    ``imputer`` is a callable ``frame -> filled frame`` (a result with a ``.frame`` is
    unwrapped) or an object with ``fit_transform``, such as ``Imputer(config=...)``. The
    report's ``seconds`` is the imputer's wall time only.

    Example:
        >>> from impute_assets import Imputer
        >>> report = evaluate(frame, Imputer(epochs=20), "mar", 0.2, seed=1)
        >>> report.to_frame()[["column", "kind", "hidden"]]
          column     kind  hidden
        0      x  numeric      40
        1      y  numeric      35
        2      z  numeric      40
    """
    kinds = dict(kinds) if kinds is not None else infer_kinds(df)
    masked, mask = mask_cells(df, pattern, fraction, seed, columns, kinds)
    run = imputer.fit_transform if hasattr(imputer, "fit_transform") else imputer
    started = time.perf_counter()
    output = run(masked)
    seconds = time.perf_counter() - started
    filled = getattr(output, "frame", output)
    if not isinstance(filled, pd.DataFrame):
        raise TypeError(
            f"evaluate: the imputer returned {type(filled).__name__}; expected a DataFrame "
            "or a result with a .frame"
        )
    return replace(
        score(df, filled, mask, kinds),
        pattern=pattern,
        fraction=fraction,
        seed=seed,
        seconds=seconds,
        method=method or _method_name(imputer),
    )


def _method_name(imputer: ImputerLike) -> str:
    return getattr(imputer, "__name__", type(imputer).__name__)
