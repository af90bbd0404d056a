"""The code a user copies from README.md and docs/*.md works as written.

- Every block fenced ```python is run, a page's blocks in order and in one namespace (a later
  block may use an earlier block's names), in a fresh working folder holding ``tests/data``.
  A block whose first line is ``# not run: <why>`` is skipped.
- Every YAML block declaring tables (a component ``defs.yaml`` or an ``impute.yaml``) is read
  the way the library reads it, so each table's keys and values are the ones the code accepts.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from impute_assets.pipeline import TableSpec
from impute_assets.pipeline.config_file import load_tables_file
from tests.factories import REPO_ROOT

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
NOT_RUN = "# not run"
COMPONENT = "impute_assets.dagster.ImputeTablesComponent"
#: A fence at the start of a line, its language, and the block up to the closing fence.
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


def blocks(page: Path, language: str) -> list[str]:
    """The fenced blocks of ``page`` in ``language``, in page order."""
    return [m.group(2) for m in _FENCE.finditer(page.read_text()) if m.group(1) == language]


def runnable(page: Path) -> list[str]:
    return [b for b in blocks(page, "python") if not b.startswith(NOT_RUN)]


def _name(page: Path) -> str:
    return str(page.relative_to(REPO_ROOT)) if page.is_relative_to(REPO_ROOT) else page.name


def run_blocks(page: Path) -> None:
    """Run the page's runnable Python blocks in order, in one namespace; name the one that fails."""
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for number, code in enumerate(runnable(page), start=1):
        try:
            exec(compile(code, f"{_name(page)} python block {number}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{_name(page)}, python block {number} failed: {exc!r}") from exc


@pytest.mark.parametrize("page", [p for p in PAGES if runnable(p)], ids=_name)
def test_python_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO_ROOT / "tests" / "data", tmp_path / "tests" / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IMPUTE_ASSETS_WAREHOUSE_URL", raising=False)
    run_blocks(page)


def _table_files(page: Path) -> list[tuple[str, dict]]:
    """YAML blocks that declare tables: ``("component", attributes)`` or ``("file", data)``."""
    found = []
    for code in blocks(page, "yaml"):
        data = yaml.safe_load(code)
        if isinstance(data, dict) and data.get("type") == COMPONENT:
            found.append(("component", data["attributes"]))
        elif isinstance(data, dict) and isinstance(data.get("tables"), list):
            found.append(("file", data))
    return found


@pytest.mark.parametrize("page", [p for p in PAGES if _table_files(p)], ids=_name)
def test_yaml_table_declarations_are_valid(page: Path, tmp_path: Path) -> None:
    for number, (kind, data) in enumerate(_table_files(page), start=1):
        defaults = data.get("defaults") or {}
        for table in data["tables"]:
            written = {k: v for k, v in table.items() if k != "translation"}
            assert isinstance(TableSpec.parse({**defaults, **written}), TableSpec)
        if kind == "file":  # an impute.yaml: read it as `impute-assets run` does
            path = tmp_path / f"impute_{number}.yaml"
            path.write_text(yaml.safe_dump(data))
            assert len(load_tables_file(path).tables) == len(data["tables"])


def test_the_blocks_a_user_copies_are_found() -> None:
    # The README's Python example and the getting-started defs.yaml are the first things a
    # user copies: if the extraction misses them, the tests above check nothing.
    assert runnable(REPO_ROOT / "README.md")
    assert _table_files(REPO_ROOT / "docs" / "getting-started.md")
    assert any(b.startswith(NOT_RUN) for b in blocks(REPO_ROOT / "docs" / "python.md", "python"))


def test_a_stale_block_fails_naming_the_page_and_block(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 1\n```\n\n```python\n# not run: an excerpt\nundefined\n```\n\n"
        "```python\nassert x == 2, 'stale example'\n```\n"
    )
    with pytest.raises(AssertionError, match=r"page.md, python block 2 failed: .*stale example"):
        run_blocks(page)
