"""Per-step pods under dagster-k8s: training on the GPU pool with an nvidia.com/gpu, fills on
CPU pods, checked with dagster-k8s's own tag parser and Job builder (no cluster needed)."""

from __future__ import annotations

import pytest
from dagster_k8s.job import (
    DagsterK8sJobConfig,
    construct_dagster_k8s_job,
    get_user_defined_k8s_config,
)

from impute_assets.dagster import build_imputation_defs
from impute_assets.dagster.kubernetes import POOL_LABEL
from tests.factories import table_spec


def _pod(op_tags: dict[str, str]):
    """The pod spec dagster-k8s would launch for a step with these op tags."""
    job_config = DagsterK8sJobConfig(
        job_image="impute-assets:latest",
        dagster_home="/opt/dagster/home",
        instance_config_map="dagster-instance",
    )
    job = construct_dagster_k8s_job(
        job_config,
        ["dagster", "api", "execute_step"],
        "step-job",
        user_defined_k8s_config=get_user_defined_k8s_config(op_tags),
    )
    return job.spec.template.spec


@pytest.fixture
def ops(warehouse_url):
    defs = build_imputation_defs([table_spec("weather")])
    jobs = defs.resolve_implicit_global_asset_job_def()
    return {node.name: node.definition for node in jobs.graph.nodes}


def test_training_steps_ask_for_a_gpu_on_the_gpu_pool(ops):
    pod = _pod(ops["weather__models"].tags)
    (container,) = pod.containers
    assert container.resources.limits == {"nvidia.com/gpu": "1"}
    assert pod.node_selector == {POOL_LABEL: "gpu"}
    assert [t.key for t in pod.tolerations] == ["nvidia.com/gpu"]
    assert ops["weather__models"].pool == "gpu"  # Dagster's pool: limit it to the GPU count


def test_fill_steps_run_on_cpu_pods(ops):
    pod = _pod(ops["weather__imputed"].tags)
    (container,) = pod.containers
    assert pod.node_selector == {POOL_LABEL: "cpu"}
    assert "nvidia.com/gpu" not in (container.resources.limits or {})
    assert container.resources.requests == {"cpu": "1", "memory": "4Gi"}
    assert not pod.tolerations
