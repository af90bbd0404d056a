"""Where each step's pod runs under ``dagster-k8s`` (``k8s_job_executor``): the op tags.

Training steps ask for an ``nvidia.com/gpu`` and land on the GPU node pool (tolerating its
taint); fill steps run on CPU nodes. Nodes are chosen by the label ``impute-assets/pool``
(``gpu`` or ``cpu``): label the node pools so, e.g. with the cloud's node-pool labels.
Dagster only reads these tags when steps run in their own pods; other executors ignore them.
"""

from __future__ import annotations

from typing import Any

#: The node label that picks a step's node pool.
POOL_LABEL = "impute-assets/pool"
#: The op tag dagster-k8s reads per step.
K8S_CONFIG_TAG = "dagster-k8s/config"


def pod_tags(
    pool: str, gpus: int = 0, cpu: str | None = None, memory: str | None = None
) -> dict[str, Any]:
    """The ``dagster-k8s/config`` op tag for a step on node pool ``pool``.

    ``gpus`` > 0 adds an ``nvidia.com/gpu`` limit and the toleration GPU pools are tainted
    with; ``cpu`` and ``memory`` (Kubernetes quantities) become the container's requests.
    """
    resources: dict[str, dict[str, str]] = {}
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    if requests:
        resources["requests"] = requests
    pod_spec: dict[str, Any] = {"node_selector": {POOL_LABEL: pool}}
    if gpus:
        resources["limits"] = {"nvidia.com/gpu": str(gpus)}
        pod_spec["tolerations"] = [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
        ]
    config: dict[str, Any] = {"pod_spec_config": pod_spec}
    if resources:
        config["container_config"] = {"resources": resources}
    return {K8S_CONFIG_TAG: config}


#: Training steps: one GPU, on the ``gpu`` pool.
TRAINING_POD_TAGS = pod_tags("gpu", gpus=1)
#: Fill steps: CPU pods (filling streams chunks; the requests bound a pod's share of a node).
FILL_POD_TAGS = pod_tags("cpu", cpu="1", memory="4Gi")
