"""Candidates after a shared prompt, with a KV cache: log p(candidate | prompt) for many requests at once.

The prompts of up to `CANDIDATE_ROWS` candidates' worth of requests run as one left-padded batch (positions start
at 0 at each prompt's first token) that keeps its KV cache; then all their candidates run as one batch on that
cache, each row attending to its own prompt only. A request whose candidates share no prompt token, or that is
longer than the window, is scored as plain continuations (`TransformerScorer.score`), which this path equals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from bilingual_lm.score.base import CandidatesRequest
from bilingual_lm.score.transformer.encoding import Encoded, common_prefix, encode
from bilingual_lm.score.transformer.head import full_logprobs
from bilingual_lm.score.transformer.padded import left_padded

CANDIDATE_ROWS = 128  # candidates per forward pass


@torch.inference_mode()
def score_candidates(scorer, requests: Sequence[CandidatesRequest]) -> list[list[float]]:
    """log p(candidate | prompt) for each candidate of each request.

    Requests are chunked in order of their longest candidate, so that a chunk's rows pad to similar widths."""
    results: list[list[float] | None] = [None] * len(requests)
    ready: list[tuple[int, list[Encoded], int]] = []
    for r, request in enumerate(requests):
        prompt, candidates = request.prompt, request.candidates
        if not candidates:
            results[r] = []
            continue
        encoded = [encode(scorer, candidate, prompt) for candidate in candidates]
        shared = min(common_prefix([enc.ids for enc in encoded]), *(enc.first_scored for enc in encoded))
        if shared == 0 or not scorer.paths.tiled_head or max(len(enc.ids) for enc in encoded) > scorer.window:
            results[r] = [s.logprob for s in scorer.score(candidates, [prompt] * len(candidates))]
            continue
        ready.append((r, encoded, shared))
    chunk: list[tuple[int, list[Encoded], int]] = []
    rows = 0
    for entry in sorted(ready, key=lambda e: max(len(enc.ids) for enc in e[1]) - e[2]):
        if chunk and rows + len(entry[1]) > CANDIDATE_ROWS:
            _score_chunk(scorer, chunk, results)
            chunk, rows = [], 0
        chunk.append(entry)
        rows += len(entry[1])
    if chunk:
        _score_chunk(scorer, chunk, results)
    return results


def _score_chunk(scorer, chunk: list[tuple[int, list[Encoded], int]], results: list) -> None:
    """The prompts of `chunk` (shared tokens, left-padded, with a KV cache), then their candidates' tails.

    A tail runs without its last token (which is only predicted), and a candidate of one token, scored at the
    prompt's last position, needs no tail row at all."""
    ids, mask, positions = left_padded(scorer, [encoded[0].ids[:shared] for _, encoded, shared in chunk])
    out = scorer.model.base_model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True)
    last_logprobs = full_logprobs(scorer.model, out.last_hidden_state[:, -1])
    terms, tails = [], []  # tails: (candidate number, owner, shared, encoded) of candidates with later tokens
    for i, (_, encoded, shared) in enumerate(chunk):
        for enc in encoded:
            tails += [(len(terms), i, shared, enc)] if len(enc.ids) > shared + 1 else []
            terms.append([last_logprobs[i, enc.ids[shared]].item()] if enc.first_scored == shared else [])
    if tails:
        width = max(len(enc.ids) - 1 - shared for _, _, shared, enc in tails)
        tail_ids = torch.full((len(tails), width), scorer.pad_id, dtype=torch.long)
        tail_mask = torch.zeros((len(tails), width), dtype=torch.long)
        keep = torch.zeros((len(tails), width), dtype=torch.bool)
        targets, where = [], []
        for row, (number, _, shared, enc) in enumerate(tails):
            tail = enc.ids[shared:-1]
            tail_ids[row, : len(tail)] = torch.tensor(tail, dtype=torch.long)
            tail_mask[row, : len(tail)] = 1
            for index in range(max(enc.first_scored, shared + 1), len(enc.ids)):
                keep[row, index - 1 - shared] = True
                targets.append(enc.ids[index])
                where.append(number)
        owners = [owner for _, owner, _, _ in tails]
        cache = out.cache
        cache.batch_select_indices(torch.tensor(owners, device=scorer.device))  # one copy of its prompt per row
        shared_lengths = torch.tensor([shared for _, _, shared, _ in tails])
        inputs = {
            "input_ids": tail_ids.to(scorer.device),
            "attention_mask": torch.cat([mask[owners], tail_mask.to(scorer.device)], dim=1),
            "position_ids": (shared_lengths[:, None] + torch.arange(width)).to(scorer.device),
            "cache": cache,
            "use_cache": True,
        }
        values = scorer.logprobs_at(inputs, keep.to(scorer.device), torch.tensor(targets, device=scorer.device))
        for number, value in zip(where, values.tolist(), strict=True):
            terms[number].append(value)
    number = 0
    for r, encoded, _ in chunk:
        results[r] = [math.fsum(terms[number + j]) for j in range(len(encoded))]
        number += len(encoded)
