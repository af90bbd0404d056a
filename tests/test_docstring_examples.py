"""Every ``>>>`` example in the library's docstrings runs, and shows what it says it shows.

The examples may use two frames without building them: ``df``, Datawig's people table (Name,
Age, Income, with gaps), and ``frame``, numeric readings (x; y = 3x + noise with gaps; z). They
import everything else themselves and run in an empty folder, so the files they write land there.
"""

from __future__ import annotations

import doctest
import importlib
import io
import re

import pytest

from tests.factories import REPO_ROOT, people_frame, readings_frame

LIBRARY = REPO_ROOT / "impute_assets"
#: Every library module with a docstring example (found, so that a new example runs too).
MODULES = sorted(
    ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
    for path in LIBRARY.rglob("*.py")
    if ">>>" in path.read_text(encoding="utf-8")
)
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: A log record on stdout (Airflow's structlog prints ``<UTC time> [info     ] ...`` lines there).
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* \[\w+ *\] .*\n", re.MULTILINE)


class _IgnoringLogLines(doctest.OutputChecker):
    """Compares what an example prints, not what the libraries it calls log."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        return super().check_output(want, LOG_LINE.sub("", got), optionflags)

    def output_difference(self, example: doctest.Example, got: str, optionflags: int) -> str:
        return super().output_difference(example, LOG_LINE.sub("", got), optionflags)


def test_the_examples_are_found() -> None:
    assert "impute_assets.core.imputer" in MODULES and "impute_assets.pipeline.run" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    # An example may set a connection variable, as a user would; it must not outlive the test.
    monkeypatch.delenv("AIRFLOW_CONN_WAREHOUSE", raising=False)
    module = importlib.import_module(name)
    names = {"df": people_frame(), "frame": readings_frame()}
    examples = [
        t
        for t in doctest.DocTestFinder().find(module, name, globs=vars(module), extraglobs=names)
        if t.examples
    ]
    skipped = [t.name for t in examples for e in t.examples if e.options.get(doctest.SKIP)]
    assert not skipped, f"examples that never run: {skipped}"
    report = io.StringIO()
    runner = doctest.DocTestRunner(checker=_IgnoringLogLines(), optionflags=OPTIONS)
    for test in examples:
        runner.run(test, out=report.write)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0, name
    assert results.failed == 0, report.getvalue()
