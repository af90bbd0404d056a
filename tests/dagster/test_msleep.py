"""ggplot2's ``msleep`` (83 real rows, sparse and skewed columns) filled (``fill: all``) and
published with the default validation: invariants block, distribution checks only warn, and
``sleep_cycle``, filled by mean/mode, is judged against its observed values (never against its
own fills), so its shrunken spread warns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from impute_assets.dagster import build_imputation_defs
from impute_assets.warehouse import Warehouse
from tests.dagster.runs import check_evaluations, materialize
from tests.factories import TINY_MODEL, URL_ENV

MSLEEP = Path(__file__).resolve().parents[1] / "data" / "msleep.csv"


def test_default_validation_publishes_honest_fills_of_msleep(warehouse_url, unique_name, tmp_path):
    frame = pd.read_csv(MSLEEP, keep_default_na=False, na_values=["NA"])
    warehouse = Warehouse(warehouse_url)
    warehouse.publish(frame, unique_name)
    filled = ["vore", "conservation", "sleep_rem", "sleep_cycle", "brainwt"]  # every gap
    spec = {"table": unique_name, "url_env": URL_ENV, "key": ["name"], "model": TINY_MODEL,
            "columns": filled, "fill": "all",
            # 32 observed cells: fill by mean/mode, as the library's cheap candidates would.
            "column_model": {"sleep_cycle": {"candidates": ["mean_mode"]}}}  # fmt: skip
    defs = build_imputation_defs([spec], model_store=str(tmp_path / "models"))

    run = materialize(defs)

    assert run.success
    published = warehouse.read(f"{unique_name}_imputed")
    assert len(published) == 83
    assert published[filled].notna().all().all()
    checks = check_evaluations(run)
    assert checks["expectations"].passed
    distribution = checks["distribution"]
    assert distribution.severity.value == "WARN"
    text = distribution.metadata["impute_assets/expectations"].value
    sleep_cycle = [line for line in text.splitlines() if "| sleep_cycle |" in line]
    assert distribution.passed is False
    assert any(line.startswith("| ⚠️") for line in sleep_cycle), text
