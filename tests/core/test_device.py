"""Device and precision choice: bf16 autocast where the hardware multiplies bf16 natively."""

from __future__ import annotations

import pytest
import torch

from impute_assets.core import device
from impute_assets.core.device import autocast, full_precision, uses_bf16

CPU = torch.device("cpu")


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_bf16_on_cuda_and_on_cpus_with_native_bf16(monkeypatch, native) -> None:
    monkeypatch.setattr(device, "native_bf16_cpu", lambda: native)
    assert uses_bf16(CPU, "auto") is native
    assert uses_bf16(torch.device("cuda"), "auto")
    assert uses_bf16(CPU, "bf16")  # asked for: on whatever CPU
    assert not uses_bf16(CPU, "fp32") and not uses_bf16(torch.device("cuda"), "fp32")
    assert not uses_bf16(torch.device("mps"), "auto")


def test_full_precision_lifts_autocast_for_an_output_layer() -> None:
    layer = torch.nn.Linear(8, 3)
    x = torch.randn(16, 8)
    with autocast(CPU, "bf16"):
        assert layer(x).dtype == torch.bfloat16
        with full_precision(CPU):
            out = layer(x)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, layer(x))
