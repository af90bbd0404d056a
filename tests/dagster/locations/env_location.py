"""The code location the multi-process tests run: everything it needs comes from env vars, as
on a worker host (no state from the process that submitted the run). With
``IMPUTE_ASSETS_TEST_EXECUTOR=celery`` steps go to Celery workers; else Dagster's default."""

import os

from impute_assets.dagster import build_imputation_defs
from tests.factories import table_spec


def _executor():
    if os.environ.get("IMPUTE_ASSETS_TEST_EXECUTOR") != "celery":
        return None
    from dagster_celery import celery_executor

    return celery_executor.configured(
        {
            "broker": os.environ["IMPUTE_ASSETS_TEST_CELERY_BROKER"],
            "config_source": {"task_default_queue": os.environ["IMPUTE_ASSETS_TEST_CELERY_QUEUE"]},
        }
    )


defs = build_imputation_defs(
    # fill: all: the tests using this location are about executors and concurrency, and check
    # that every gap was filled (w, noise, is otherwise left by its gate)
    [
        table_spec(
            os.environ["IMPUTE_ASSETS_TEST_TABLE"],
            partition={"column": "month"},
            exclude=[],
            fill="all",
        )
    ],
    model_store=os.environ["IMPUTE_ASSETS_TEST_MODEL_STORE"],
    executor=_executor(),
)
