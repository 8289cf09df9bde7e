"""Seeded choices for the generators: every draw is keyed by the seed and a name, never by call order."""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Sequence
from itertools import chain, zip_longest

SEED = 0


def seeded(seed: int, *key: str) -> random.Random:
    """A generator seeded from `seed` and `key` (string seeds hash with SHA-512: stable across Pythons)."""
    return random.Random(":".join([str(seed), *key]))


def candidate_ids(gold: str, pool: Iterable[str], size: int, seed: int, *key: str) -> list[str]:
    """`gold` plus `size` − 1 others drawn from `pool`, sorted; the whole pool when it is not larger."""
    others = sorted(set(pool) - {gold})
    if len(others) >= size:
        others = seeded(seed, *key).sample(others, size - 1)
    return sorted([gold, *others])


def shuffled(items: Sequence, seed: int, *key: str) -> list:
    """A seeded permutation, so that the first N items of a generated file are a random sample."""
    items = list(items)
    seeded(seed, *key).shuffle(items)
    return items


def interleaved(items: Sequence, stratum, seed: int, *key: str) -> list:
    """A seeded shuffle within each stratum (e.g. HSK level), then one from each stratum in turn.

    The first N items then hold the strata in equal shares (as far as each stratum lasts).
    """
    strata: dict[Hashable, list] = {}
    for item in items:
        strata.setdefault(stratum(item), []).append(item)
    rounds = zip_longest(*(shuffled(strata[s], seed, *key, str(s)) for s in sorted(strata)))
    return [item for item in chain.from_iterable(rounds) if item is not None]
