"""Paired bootstrap 95% confidence intervals over items (percentile method, seeded).

Every statistic of a task is resampled with the same matrix of item indices, so a zh−en difference is
paired: each resample draws items, and both languages' figures come from those same items.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

CONFIDENCE = 0.95
MAX_RESAMPLES = 100_000  # the resample matrix is resamples × items integers: 100k × 100 items is 80 MB


def stable_seed(*parts: object) -> int:
    """A 64-bit integer from `parts` that is the same in every process and Python run."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


class Bootstrap:
    """`n_resamples` draws of `n_items` item indices with replacement, seeded by (`seed`, `key`)."""

    def __init__(self, n_items: int, n_resamples: int, seed: int, key: str = ""):
        self.n_items = n_items
        self.n_resamples = n_resamples
        rng = np.random.default_rng([seed, stable_seed(key)])
        self.indices = rng.integers(0, n_items, size=(n_resamples, n_items)) if n_items else None

    def _interval(self, per_item: np.ndarray) -> list[float] | None:
        if not self.n_resamples or self.indices is None:
            return None
        with np.errstate(all="ignore"):
            resampled = np.nanmean(per_item[self.indices], axis=1)
        resampled = resampled[~np.isnan(resampled)]
        if resampled.size == 0:
            return None
        tail = (1 - CONFIDENCE) / 2 * 100
        low, high = np.percentile(resampled, [tail, 100 - tail])
        return [float(low), float(high)]

    def mean(self, values: Sequence[float]) -> dict:
        """{"mean": the mean over items, "ci": [low, high] or None}."""
        per_item = self._check(values)
        return {"mean": _nanmean(per_item), "ci": self._interval(per_item)}

    def difference(self, a: Sequence[float], b: Sequence[float]) -> dict:
        """{"diff": mean(a) − mean(b), "ci": the paired interval} for per-item values of the same items."""
        per_a, per_b = self._check(a), self._check(b)
        return {"diff": _nanmean(per_a - per_b), "ci": self._interval(per_a - per_b)}

    def _check(self, values: Sequence[float]) -> np.ndarray:
        per_item = np.asarray(values, dtype=np.float64)
        if per_item.shape != (self.n_items,):
            raise ValueError(f"expected {self.n_items} per-item values, got {per_item.shape}")
        return per_item


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")
