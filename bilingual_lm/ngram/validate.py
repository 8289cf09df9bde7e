"""Checks that a loaded n-gram model is one: every rule of the tables in one place, for ARPA and `.blm`.

A model file is refused with one line (an InputError) when a value could not come from a probability model:

* log10 probabilities must be numbers ≤ 0 (−∞ is log10 0, written −99 in ARPA); NaN and +∞ are refused;
* back-off weights must be finite or −∞ and below +`MAX_BACKOFF` (log10 of 10^99: no smoothing comes close);
* the keys of each order must be sorted, distinct and in range (a prefix index times the vocabulary size
  plus a word id), with one probability and one back-off per key;
* the rule must be one the query tables know, and the header fields must have their types.

A back-off weight can still be too large for the lower-order probability it multiplies; `check_scores`
catches that where it shows, in the log-probabilities of the tokens scored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bilingual_lm.errors import InputError

RULES = ("backoff", "flat")  # NgramTables: a Katz/ARPA back-off, or add-k's flat value for unseen words
MAX_BACKOFF = 99.0
# the optional fields of the `# bilingual-lm:` ARPA header and of the .blm header: name -> (types, what)
HEADER_FIELDS = {
    "smoothing": ((str,), "a string"),
    "missing_backoff": ((int, float), "a number"),
    "is_probability": ((bool,), "true or false"),
    "params": ((dict,), "an object"),
}


def check_header(meta: object, source: str, required: Sequence[str] = (), extra: dict | None = None) -> dict:
    """`meta` if it is an object whose known fields have their types; an InputError naming the field if not."""
    fields = {**HEADER_FIELDS, **(extra or {})}
    if not isinstance(meta, dict):
        raise InputError(f"{source}: the header must be a JSON object, not {type(meta).__name__}")
    unknown = sorted(set(meta) - set(fields))
    if unknown:
        raise InputError(f"{source}: unknown header field {unknown[0]!r}")
    for name in required:
        if name not in meta:
            raise InputError(f"{source}: the header lacks the field {name!r}")
    for name, value in meta.items():
        types, what = fields[name]
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise InputError(f"{source}: the header field {name!r} must be {what}, not {value!r}"[:300])
    missing = meta.get("missing_backoff", 0.0)
    if not (math.isfinite(missing) and missing <= 0):
        raise InputError(f"{source}: the header field 'missing_backoff' must be a finite log10 weight ≤ 0, "
                         f"not {missing!r}")
    return meta


def check_tables(keys: Sequence[np.ndarray], prob: Sequence[np.ndarray], backoff: Sequence[np.ndarray],
                 vocab_size: int, rule: str, source: str) -> None:
    """InputError naming the first table value that no probability model can have."""
    if rule not in RULES:
        raise InputError(f"{source}: unknown rule {rule!r}; known: {', '.join(RULES)}")
    if not len(keys) or not (len(keys) == len(prob) == len(backoff)):
        raise InputError(f"{source}: the model needs keys, probabilities and back-offs for each order")
    previous = vocab_size  # the number of (n-1)-grams: an n-gram key is prefix index × |V| + word id
    for n, (k, p, b) in enumerate(zip(keys, prob, backoff, strict=True), start=1):
        where = f"{source}: the {n}-grams"
        for name, array in (("keys", k), ("probabilities", p), ("back-offs", b)):
            if not isinstance(array, np.ndarray) or array.ndim != 1:
                raise InputError(f"{where}' {name} are not a one-dimensional array")
        if k.dtype.kind not in "iu" or p.dtype.kind != "f" or b.dtype.kind != "f":
            raise InputError(f"{where}: keys must be integers and probabilities and back-offs floats "
                             f"(found {k.dtype}, {p.dtype}, {b.dtype})")
        if not (len(k) == len(p) == len(b)):
            raise InputError(f"{where}: {len(k)} keys but {len(p)} probabilities and {len(b)} back-offs")
        if n == 1 and not np.array_equal(k, np.arange(vocab_size)):
            raise InputError(f"{where}: the unigram keys must be the word ids 0..{vocab_size - 1}")
        if len(k) and (k[0] < 0 or k[-1] >= previous * vocab_size):
            raise InputError(f"{where}: a key is out of range (0..{previous * vocab_size - 1})")
        unsorted = np.flatnonzero(np.diff(k) <= 0)
        if len(unsorted):
            raise InputError(f"{where}: the keys are not sorted and distinct (at position {unsorted[0] + 1})")
        _check_values(p, f"{where}: log10 probability", upper=0.0)
        _check_values(b, f"{where}: log10 back-off weight", upper=MAX_BACKOFF)
        previous = len(k)


def _check_values(values: np.ndarray, what: str, upper: float) -> None:
    bad = np.flatnonzero(np.isnan(values) | (values > upper) | (values == math.inf))
    if len(bad):
        raise InputError(f"{what} {float(values[bad[0]]):g} at position {bad[0]} (must be ≤ {upper:g}, or −∞)")


def check_scores(log_probs: np.ndarray, source: str) -> None:
    """InputError if a scored token got p > 1: the model's back-off weights are not consistent."""
    bad = np.flatnonzero(log_probs > 1e-9)
    if len(bad):
        raise InputError(f"{source}: the model gives a token the log-probability {log_probs[bad[0]]:+.4g} > 0 "
                         "(p > 1): its back-off weights are inconsistent")
