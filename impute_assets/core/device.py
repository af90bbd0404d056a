"""Device and precision choice: cuda, then mps, then cpu; bf16 autocast on CUDA and on CPUs
that multiply bf16 natively."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import torch


def resolve_device(device: str = "auto") -> torch.device:
    """The torch device for ``device`` ("auto" picks cuda, then mps, then cpu)."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was asked for, but torch sees no CUDA device")
    if device == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError("device='mps' was asked for, but torch sees no MPS device")
    return torch.device(device)


@functools.cache
def native_bf16_cpu() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AMX tiles or AVX512-BF16). Elsewhere
    (plain AVX512, AVX2, ARM) torch emulates bf16 and it is slower than fp32."""
    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(bool(getattr(torch.cpu, probe, lambda: False)()) for probe in probes)


def uses_bf16(device: torch.device, precision: str) -> bool:
    """Whether to autocast to bf16: asked for, or "auto" on CUDA or a CPU with native bf16
    (:func:`native_bf16_cpu`)."""
    if precision == "bf16":
        return device.type in ("cuda", "cpu")
    if precision != "auto":
        return False
    return device.type == "cuda" or (device.type == "cpu" and native_bf16_cpu())


@contextlib.contextmanager
def full_precision(device: torch.device) -> Iterator[None]:
    """Autocast off (inside :func:`autocast`): for output layers, whose fills and log
    variances would otherwise keep bf16's 8 bits of mantissa (steps of 1/128 of a spread)."""
    with torch.autocast(device_type=device.type, enabled=False):
        yield


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """bf16 autocast where :func:`uses_bf16` says so, else full precision."""
    if uses_bf16(device, precision):
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
            yield
    else:
        yield
