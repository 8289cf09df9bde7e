"""Open-addressing hash tables over uint64 keys, built and probed for whole arrays at once with numpy.

A word's packed key (`lines.py`) is found in one or two memory reads, as KenLM's `probing` structure finds an
n-gram, where a sorted table needs a binary search. Each key (one or more uint64 columns) lives in a slot of a
power-of-two table at most half full, found from its hash by linear probing: look at the home slot, then the
next, until the key or an empty slot turns up. The whole batch of queries probes together, round after round,
each round only for the keys still unresolved (after the first round, few are).
"""

from __future__ import annotations

import numpy as np

EMPTY = np.uint64(2**64 - 1)  # marks a free slot in the first column: no key may hold it there
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


def mix(columns: tuple[np.ndarray, ...]) -> np.ndarray:
    """A multiplicative 64-bit hash of each key (a tuple of uint64 columns); its top bits are the best mixed."""
    mixed = columns[0] * _MIX[0]
    for key in columns[1:]:
        mixed ^= key * _MIX[1]
        mixed *= _MIX[0]
    return mixed


class ProbingTable:
    """Keys (tuples of uint64 columns, the first never `EMPTY`) -> int64 values ≥ 0, looked up in bulk.

    The table has at least `spread` slots a key: at most 1/spread of it full, and fewer probes go past the
    first slot (a quarter full, about one in seven) the more room it has."""

    def __init__(self, columns: tuple[np.ndarray, ...], values: np.ndarray, spread: int = 2):
        count = len(values)
        bits = max((spread * count - 1).bit_length(), 4)
        self.shift = np.uint64(64 - bits)
        self.mask = (1 << bits) - 1
        # a slot's key columns and its value side by side (a record): one memory read finds both
        fields = [(f"k{column}", np.uint64) for column in range(len(columns))] + [("value", np.int64)]
        self.slots = np.zeros(1 << bits, dtype=fields)
        self.slots["k0"] = EMPTY
        pending = np.arange(count)
        home = self._home(columns)
        owner = np.empty(1 << bits, dtype=np.int64)
        while len(pending):
            free = self.slots["k0"].take(home) == EMPTY
            # where several keys want one free slot, one write wins and the others move on with the rest
            owner[home[free]] = pending[free]
            won = np.zeros(len(pending), dtype=bool)
            won[free] = owner[home[free]] == pending[free]
            placed, at = pending[won], home[won]
            for column, key in enumerate(columns):
                self.slots[f"k{column}"][at] = key[placed]
            self.slots["value"][at] = values[placed]
            pending, home = pending[~won], (home[~won] + 1) & self.mask

    def _home(self, columns: tuple[np.ndarray, ...]) -> np.ndarray:
        """Each key's first slot: the top bits of its `mix` (Fibonacci hashing)."""
        return (mix(columns) >> self.shift).astype(np.int64)

    def find(self, columns: tuple[np.ndarray, ...]) -> np.ndarray:
        """The value of each query key, or -1 where the key is not in the table."""
        slot = self._home(columns)
        stored = self.slots.take(slot)
        hit = self._matches(stored, columns)
        found = np.where(hit, stored["value"], -1)  # the first round, over every key
        further = ~hit & (stored["k0"] != EMPTY)
        pending = np.flatnonzero(further)
        slot = (slot[pending] + 1) & self.mask
        keys = tuple(key[pending] for key in columns)
        while len(pending):
            stored = self.slots.take(slot)
            hit = self._matches(stored, keys)
            found[pending[hit]] = stored["value"][hit]
            further = ~hit & (stored["k0"] != EMPTY)
            pending, slot = pending[further], (slot[further] + 1) & self.mask
            keys = tuple(key[further] for key in keys)
        return found

    @staticmethod
    def _matches(stored: np.ndarray, keys: tuple[np.ndarray, ...]) -> np.ndarray:
        hit = stored["k0"] == keys[0]
        for column in range(1, len(keys)):
            hit &= stored[f"k{column}"] == keys[column]
        return hit
