"""Training compute and a small scaling law: loss ≈ a · x^(−b), fitted as a straight line in log–log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def training_flops(parameters: float, tokens: float) -> float:
    """C ≈ 6·N·D: two FLOPs per weight per token forward, four backward (Kaplan et al., 2020)."""
    return 6.0 * parameters * tokens


@dataclass(frozen=True)
class PowerLaw:
    """y = a · x^(−exponent)."""

    a: float
    exponent: float

    def __call__(self, x):
        return self.a * np.asarray(x, dtype=float) ** (-self.exponent)


def fit_power_law(x: Sequence[float], y: Sequence[float]) -> PowerLaw:
    """Least squares on log y = log a − b · log x (needs two or more distinct positive x)."""
    log_x, log_y = np.log(np.asarray(x, dtype=float)), np.log(np.asarray(y, dtype=float))
    if len(log_x) < 2 or np.ptp(log_x) == 0:
        raise ValueError("a power law needs at least two distinct x values")
    slope, intercept = np.polyfit(log_x, log_y, 1)
    return PowerLaw(a=float(np.exp(intercept)), exponent=float(-slope))
