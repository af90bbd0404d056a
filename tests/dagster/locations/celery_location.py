"""The code location Celery workers load: everything it needs comes from env vars, as on a
worker host (no state from the process that submitted the run)."""

import os

from dagster_celery import celery_executor

from impute_assets.dagster import build_imputation_defs
from tests.dagster.conftest import table_spec

defs = build_imputation_defs(
    [table_spec(os.environ["IMPUTE_ASSETS_TEST_TABLE"], partition={"column": "month"}, exclude=[])],
    model_store=os.environ["IMPUTE_ASSETS_TEST_MODEL_STORE"],
    executor=celery_executor.configured(
        {
            "broker": os.environ["IMPUTE_ASSETS_TEST_CELERY_BROKER"],
            "config_source": {"task_default_queue": os.environ["IMPUTE_ASSETS_TEST_CELERY_QUEUE"]},
        }
    ),
)
