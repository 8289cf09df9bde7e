"""Open prompts: the next-token distribution after each context, and seeded ancestral samples.

Both run many contexts as one left-padded batch. Samples (temperature 1, the full distribution) continue on the
batch's KV cache; each request draws from its own seeded generator by inverting each row's cumulative
distribution, so a request's samples do not depend on the other requests in its batch. Special and markup
tokens (<start_of_image>, <unused0>...) are never drawn: they are not text.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Sequence

import torch

from bilingual_lm.errors import InputError
from bilingual_lm.score.base import NextTokenDistribution, SampleRequest
from bilingual_lm.score.transformer.encoding import context_ids, continuation_text
from bilingual_lm.score.transformer.padded import left_padded

SPECIAL_TOKEN = re.compile(r"<[^<>\s]+>|\[[a-z_]+\]")  # markup tokens that sampling never draws
_NEVER_SAMPLED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # tokenizer -> never_sampled's ids


@torch.inference_mode()
def next_token_distributions(scorer, contexts: Sequence[str]) -> list[NextTokenDistribution]:
    """The model's log-softmax (fp32) after each context, over its whole vocabulary."""
    ids, mask, positions = left_padded(scorer, [context_ids(scorer, context) for context in contexts])
    out = scorer.model(input_ids=ids, attention_mask=mask, position_ids=positions, **scorer.keep_last())
    logprobs = torch.log_softmax(out.logits[:, -1].float(), dim=-1).cpu()
    tokens = scorer.vocabulary(logprobs.shape[1])
    return [NextTokenDistribution(tokens=tokens, logprobs=row.tolist()) for row in logprobs]


@torch.inference_mode()
def sample(scorer, requests: Sequence[SampleRequest]) -> list[list[str]]:
    """Each request's samples: at most `max_new_tokens` tokens, stopping at the end-of-sequence token."""
    if any(r.num_samples < 1 or r.max_new_tokens < 1 for r in requests):
        raise InputError("num_samples and max_new_tokens must be positive")
    if not requests:
        return []
    contexts = [context_ids(scorer, r.context) for r in requests]
    ids, mask, positions = left_padded(scorer, contexts)
    out = scorer.model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True,
                       **scorer.keep_last())
    cache = out.cache
    owners = [r for r, request in enumerate(requests) for _ in range(request.num_samples)]
    rows_of = [[row for row, owner in enumerate(owners) if owner == r] for r in range(len(requests))]
    owner_index = torch.tensor(owners, device=scorer.device)
    cache.reorder_cache(owner_index)  # one copy of its context per sample (the public API beam search uses)
    logits = out.logits[owner_index, -1].float()
    mask = mask[owner_index]
    length = torch.tensor([len(contexts[r]) for r in owners], device=scorer.device)
    generators = [torch.Generator().manual_seed(r.seed) for r in requests]
    eos = set(_as_list(scorer.tokenizer.eos_token_id))
    never = never_sampled(scorer)
    new: list[list[int]] = [[] for _ in owners]
    done = [False] * len(owners)
    active = [True] * len(requests)  # a request draws until its samples are all done or its steps run out
    steps = max(r.max_new_tokens for r in requests)
    for step in range(steps):
        probs = torch.softmax(logits.index_fill(1, never, -math.inf), dim=-1).cpu()
        picked = [scorer.pad_id] * len(owners)
        for r, rows in enumerate(rows_of):
            active[r] = active[r] and step < requests[r].max_new_tokens and not all(done[row] for row in rows)
            if not active[r]:
                continue
            for row, token in zip(rows, _draw(probs[rows], generators[r]), strict=True):
                picked[row] = token
                if not done[row]:
                    done[row] = token in eos
                    if not done[row]:
                        new[row].append(token)
        if not any(active[r] and not all(done[row] for row in rows) for r, rows in enumerate(rows_of)):
            break
        if step + 1 == steps:
            break
        mask = torch.cat([mask, torch.ones((len(owners), 1), dtype=mask.dtype, device=scorer.device)], dim=1)
        out = scorer.model(input_ids=torch.tensor(picked, device=scorer.device)[:, None], attention_mask=mask,
                           position_ids=(length + step)[:, None], use_cache=True, cache=cache)
        logits = out.logits[:, -1].float()
    return [[continuation_text(scorer.tokenizer, contexts[r], new[row]) for row in rows]
            for r, rows in enumerate(rows_of)]


def never_sampled(scorer) -> torch.Tensor:
    """Token ids that sampling masks out: the tokenizer's special and markup tokens (<unused0>,
    <start_of_image>, [multimodal]...), which are not text; EOS stays, since it ends a sample. Found once per
    tokenizer (thousands of added tokens in Gemma's), kept while the tokenizer lives."""
    tokenizer = scorer.tokenizer
    if tokenizer not in _NEVER_SAMPLED:
        ids = {i for i, token in tokenizer.added_tokens_decoder.items()
               if token.special or SPECIAL_TOKEN.fullmatch(token.content)} | set(tokenizer.all_special_ids)
        _NEVER_SAMPLED[tokenizer] = torch.tensor(sorted(ids - set(_as_list(tokenizer.eos_token_id))), dtype=torch.long)
    return _NEVER_SAMPLED[tokenizer].to(scorer.device)


def _draw(probs: torch.Tensor, generator: torch.Generator) -> list[int]:
    """One token per row of `probs`, by inverting its cumulative distribution (fp64) at a uniform draw from
    `generator`: the same law as `torch.multinomial`, ~50× faster over a 262k vocabulary on a CPU."""
    cumulative = probs.double().cumsum(dim=-1)
    uniform = torch.rand(probs.shape[0], 1, generator=generator, dtype=torch.float64)
    picked = torch.searchsorted(cumulative, uniform * cumulative[:, -1:], right=True)
    return picked[:, 0].clamp(max=probs.shape[1] - 1).tolist()


def _as_list(value) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
