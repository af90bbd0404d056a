"""``impute-assets run impute.yaml``: the pipeline end to end from the command line."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from impute_assets.cli import main
from impute_assets.warehouse import Warehouse
from tests.factories import URL_ENV, sample_frame


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """``impute-assets run ARGS`` in this process (the env var names the test's warehouse)."""

    def run(*args: str, url: str) -> SimpleNamespace:
        monkeypatch.setenv(URL_ENV, url)
        monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
        code = main(["run", *args])
        return SimpleNamespace(returncode=code, stdout=capsys.readouterr().out, stderr="")

    return run


def test_run_fills_a_partition_then_reuses_or_retrains(run_cli, duckdb_url, unique_name, tmp_path):
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(sample_frame(rows=120), unique_name)
    path = tmp_path / "impute.yaml"
    path.write_text(
        f"model_store: models\ntables:\n  - table: {unique_name}\n    url_env: {URL_ENV}\n"
        "    key: [id]\n    columns: [y, z]\n    partition: {column: month, kind: dynamic}\n"
        "    model: {epochs: 2, hidden_dim: 8, patience: 1}\n"
    )
    first = run_cli(str(path), "--partition", "1", url=duckdb_url)
    assert first.returncode == 0, first.stderr + first.stdout
    published = warehouse.read(f"{unique_name}_imputed")
    assert set(published["month"]) == {1}
    assert f"{unique_name}_imputed [1]: {len(published)} rows" in first.stdout
    assert "train" in first.stdout and (tmp_path / "models").is_dir()

    forced = run_cli(str(path), "--table", unique_name, "--partition", "2", "--force-retrain",
                     url=duckdb_url)  # fmt: skip
    assert forced.returncode == 0, forced.stderr + forced.stdout
    assert "retrain forced by the run" in forced.stdout
    assert set(warehouse.read(f"{unique_name}_imputed")["month"]) == {1, 2}


def test_run_names_the_file_and_key_of_a_bad_table(run_cli, tmp_path, duckdb_url):
    path = tmp_path / "impute.yaml"
    path.write_text("tables:\n  - table: t\n    confidence: 2\n")
    result = run_cli(str(path), url=duckdb_url)
    assert result.returncode == 2
    assert "impute.yaml" in result.stdout and "confidence" in result.stdout


def test_dry_run_previews_fills_and_publishes_nothing(run_cli, duckdb_url, unique_name, tmp_path):
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(sample_frame(rows=120), unique_name)
    path = tmp_path / "impute.yaml"
    path.write_text(
        f"model_store: models\ntables:\n  - table: {unique_name}\n    url_env: {URL_ENV}\n"
        "    key: [id]\n    columns: [y, z]\n    model: {epochs: 2, hidden_dim: 8, patience: 1}\n"
    )
    result = run_cli(str(path), "--dry-run", url=duckdb_url)
    assert result.returncode == 0, result.stderr + result.stdout
    preview = warehouse.read(f"{unique_name}_imputed__preview")
    assert f"DRY RUN {unique_name}_imputed" in result.stdout
    assert f"{unique_name}_imputed__preview ({len(preview)} rows)" in result.stdout
    assert "coverage" in result.stdout and "set size" in result.stdout
    assert preview["lower"].notna().sum() and preview["prediction_set"].notna().sum()
    with warehouse.engine.connect() as conn:
        for name in (f"{unique_name}_imputed", f"{unique_name}_imputed_audit"):
            assert not warehouse.dialect.has_table(conn, name, None)


def test_run_refuses_a_table_declared_twice_before_running_any(run_cli, tmp_path, duckdb_url):
    path = tmp_path / "impute.yaml"
    path.write_text("tables:\n  - table: t\n  - table: t\n")
    result = run_cli(str(path), url=duckdb_url)
    assert result.returncode == 2
    assert "impute.yaml:3: table 't' is declared again" in result.stdout.replace("\n", "")


def test_run_reports_rows_outside_every_window(run_cli, duckdb_url, unique_name, tmp_path):
    frame = sample_frame(rows=120)  # months 1, 2 alternate; every third row mid-month or NULL
    starts = [date(2013, m, 1) for m in frame["month"]]
    frame["month_start"] = [
        None if i % 6 == 2 else d.replace(day=15) if i % 3 == 2 else d for i, d in enumerate(starts)
    ]
    Warehouse(duckdb_url).publish(frame, unique_name)
    path = tmp_path / "impute.yaml"
    path.write_text(
        f"model_store: models\ntables:\n  - table: {unique_name}\n    url_env: {URL_ENV}\n"
        "    key: [id]\n    columns: [y, z]\n    exclude: [month]\n"
        "    partition: {column: month_start, kind: monthly, start: 2013-01-01}\n"
        "    model: {epochs: 2, hidden_dim: 8, patience: 1}\n"
    )
    result = run_cli(str(path), url=duckdb_url)
    assert result.returncode == 0, result.stdout
    assert "40 row(s) are in no monthly partition window of column 'month_start'" in result.stdout
    assert "2013-02-15: 20, NULL: 20" in result.stdout  # i % 3 == 2: NULL when even, else Feb
    assert len(Warehouse(duckdb_url).read(f"{unique_name}_imputed")) == 80
