"""Device and dtype choice: cuda, then mps, then cpu; fp32 on the CPU, bf16 on CUDA.

The CPU stays in fp32 because bf16 matmuls run far slower there (figures in eval/bench/README.md). Log-softmax
is always taken in fp32, whatever the weights' dtype.
"""

from __future__ import annotations

import torch

from bilingual_lm.errors import InputError

DTYPES = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float16": torch.float16,
    "fp16": torch.float16,
}


def resolve_device(device: str | torch.device | None, *, needs_float64: bool = False) -> torch.device:
    """`None`/'auto' picks cuda, then mps, then cpu; an explicit device must be available.

    MPS has no float64: a caller whose tensors need it (the n-gram tables) passes `needs_float64`, so that
    'auto' skips mps and an explicit mps is refused with a clear error.
    """
    if device in (None, "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available() and not needs_float64:
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise InputError(f"unknown device {device!r}; use auto, cpu, cuda, cuda:N or mps") from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {device!r} requested but CUDA is not available")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise InputError(f"device {device!r} requested but MPS is not available")
    if resolved.type == "mps" and needs_float64:
        raise InputError(f"device {device!r} has no float64, which this model's tables need; use cpu or cuda")
    if resolved.type not in ("cpu", "cuda", "mps"):
        raise InputError(f"unsupported device {device!r}; use auto, cpu, cuda, cuda:N or mps")
    return resolved


def resolve_dtype(dtype: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    """`None`/'auto' is bf16 on CUDA and fp32 elsewhere; otherwise one of `DTYPES`."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype in (None, "auto"):
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if dtype not in DTYPES:
        raise InputError(f"unknown dtype {dtype!r}; use auto, {', '.join(DTYPES)}")
    return DTYPES[dtype]
