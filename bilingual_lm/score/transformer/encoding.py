"""Texts as model input: token ids with character offsets, which of them are scored, and windows of long texts.

``context + text`` is tokenized as one string; the scored tokens run from the first one whose span ends after
``len(context)`` (a token straddling the join is the continuation's). A text longer than the window is cut into
rows that advance by ``stride`` tokens, each token scored once with BOS and at least ``window - 1 - stride``
tokens before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bilingual_lm.errors import InputError


@dataclass
class Encoded:
    """One text (with its context) as model input: token ids with BOS, and which of them are scored."""

    ids: list[int]  # BOS first when used
    offsets: list[tuple[int, int]]  # into context + text; (0, 0) for BOS
    first_scored: int  # index into ids of the first scored token
    context_chars: int


@dataclass
class Row:
    """One forward-pass row: ids[start:end] (after BOS when used), scoring ids[score_from:end]."""

    item: int
    start: int
    end: int
    score_from: int


def check_offsets(tokenizer, name: str) -> None:
    """An InputError unless `tokenizer` gives character offsets (a fast, tokenizers-backed one)."""
    message = (
        f"the tokenizer of {name} ({type(tokenizer).__name__}) gives no character offsets; "
        "bilingual-lm needs a fast (tokenizers-backed) tokenizer to align tokens with text"
    )
    try:
        encoding = tokenizer("a", add_special_tokens=False, return_offsets_mapping=True)
    except (NotImplementedError, ValueError, TypeError) as error:
        raise InputError(message) from error
    if "offset_mapping" not in encoding:  # Python tokenizers ignore the request silently
        raise InputError(message)


def encode(scorer, text: str, context: str | None) -> Encoded:
    """`text` after `context` as one token sequence, BOS first when the scorer uses it."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("empty text: nothing to score")
    context = context or ""
    if len(context) + len(text) > scorer.max_chars:
        raise InputError(
            f"text of {len(context) + len(text)} characters (with its context) is over the limit of "
            f"{scorer.max_chars}; raise --max-chars to score it"
        )
    encoding = scorer.tokenizer(context + text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = list(encoding["input_ids"]), [tuple(span) for span in encoding["offset_mapping"]]
    lead = len(scorer.lead)
    ids, offsets = [*scorer.lead, *ids], [(0, 0)] * lead + offsets
    first = lead
    if context:
        first = next((i for i in range(lead, len(ids)) if offsets[i][1] > len(context)), len(ids))
    if not lead:
        first = max(first, 1)  # the very first token has nothing to be conditioned on
    if first >= len(ids):
        raise InputError(f"no token of {text[:40]!r} can be scored (it has a single token and no BOS)")
    return Encoded(ids=ids, offsets=offsets, first_scored=first, context_chars=len(context))


def context_ids(scorer, context: str) -> list[int]:
    """The ids that condition what follows `context` (BOS first; the last `window` tokens of a long one)."""
    if len(context) > scorer.max_chars:
        raise InputError(f"context of {len(context)} characters is over the limit of {scorer.max_chars}")
    ids = scorer.lead + (list(scorer.tokenizer(context, add_special_tokens=False)["input_ids"]) if context else [])
    if not ids:
        raise InputError("empty context and no BOS token: nothing to condition on")
    if len(ids) > scorer.window:
        ids = scorer.lead + ids[len(ids) - scorer.window + 1 :]
    return ids


def continuation_text(tokenizer, context_ids: list[int], new_ids: list[int]) -> str:
    """The text that `new_ids` add after `context_ids` (decoded together, so that byte pieces join up)."""
    before = tokenizer.decode(context_ids, skip_special_tokens=True)
    after = tokenizer.decode(context_ids + new_ids, skip_special_tokens=True)
    if after.startswith(before):
        return after[len(before) :]
    return tokenizer.decode(new_ids, skip_special_tokens=True)


def windows(encoded: list[Encoded], lead: int, window: int, stride: int) -> list[Row]:
    """Each text cut into forward-pass rows of at most `window` tokens (BOS included)."""
    rows = []
    for item, enc in enumerate(encoded):
        n, span = len(enc.ids), window - lead
        if n <= window:
            rows.append(Row(item, lead, n, enc.first_scored))
            continue
        scored_to = enc.first_scored
        end = min(n, window)
        while scored_to < n:
            start = max(lead, end - span)
            rows.append(Row(item, start, end, scored_to))
            scored_to = end
            end = min(n, end + stride)
    return rows


def common_prefix(sequences: list[list[int]]) -> int:
    """The length of the longest prefix that all `sequences` share."""
    first = sequences[0]
    length = min(len(seq) for seq in sequences)
    for i in range(length):
        if any(seq[i] != first[i] for seq in sequences):
            return i
    return length
