"""Device and precision choice: cuda, then mps, then cpu; bf16 autocast on CUDA."""

from __future__ import annotations

import contextlib
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


def uses_bf16(device: torch.device, precision: str) -> bool:
    """Whether to autocast to bf16: asked for, or "auto" on CUDA."""
    if precision == "bf16":
        return device.type in ("cuda", "cpu")
    return precision == "auto" and device.type == "cuda"


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """bf16 autocast where :func:`uses_bf16` says so, else full precision."""
    if uses_bf16(device, precision):
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
            yield
    else:
        yield
