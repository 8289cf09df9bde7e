"""Candidates after a prompt: log p(candidate | prompt) for many requests at once, as token trees.

Each candidate is its prompt + candidate as one token sequence (`encoding.encode`, so a token that straddles the
join is the candidate's). All the candidates of all the requests go through `TransformerScorer.score_rows` in
one call: short sequences are merged into token trees (`trees.py`), so a prompt runs once per tree and its
candidates branch off it, with no padding and no KV cache to copy; their hidden states share passes of the tiled
head. Only the summed log-probabilities are built: no words, no token spans.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bilingual_lm.score.base import CandidatesRequest
from bilingual_lm.score.transformer.encoding import encode, windows

CANDIDATE_BATCH = 512  # candidate sequences per forward pass (at most `padded.MAX_BATCH_TOKENS` tokens of them)


def score_candidates(scorer, requests: Sequence[CandidatesRequest]) -> list[list[float]]:
    """log p(candidate | prompt) for each candidate of each request, in request order."""
    encoded = [encode(scorer, candidate, request.prompt) for request in requests for candidate in request.candidates]
    rows = windows(encoded, len(scorer.lead), scorer.window, scorer.stride)
    logprobs = scorer.score_rows(rows, encoded, CANDIDATE_BATCH) if rows else []
    sums = iter([math.fsum(values[i] for i in range(enc.first_scored, len(enc.ids)))
                 for enc, values in zip(encoded, logprobs, strict=True)])
    return [[next(sums) for _ in request.candidates] for request in requests]
