"""Exact chain-rule scores from any Hugging Face causal LM (default: Gemma 3 270M).

Conventions (all recorded by `describe()`):

* **BOS.** With ``bos="auto"`` (or ``"always"``) the model's BOS token is put before the text, so the first
  token is scored as log p(t₁ | BOS). With ``bos="never"``, or a model without BOS, the first token has no
  context and is left out of the scores (the tokens' sum is then log p(t₂ … tₙ | t₁)).
* **Continuations.** ``context + text`` is tokenized as one string with character offsets; the scored tokens
  run from the first one whose span ends after ``len(context)``. A token that straddles the join is the
  continuation's first token; its span is clipped to start at 0 of the continuation.
* **Long texts.** A text longer than the window (``window`` tokens, BOS included) is scored in windows that
  advance by ``stride`` tokens: every token is scored exactly once, with BOS and the ``window - 1 - stride``
  or more tokens before it as context (the standard strided evaluation).
* **Words.** Tokens are grouped into our segmenter's words by character offsets (`align_words`).
* **Numerics.** Logits are computed only at the positions whose next token is scored. The head runs over
  tiles of (positions × vocabulary slice) with an online logsumexp, so no (positions × 262k) logits tensor is
  ever held; each slice is soft-capped as the model does (tanh(x / c) · c, when the config sets
  ``final_logit_softcapping``). At load, this head is checked against the model's own log-softmax; a model
  whose head is something else (e.g. a logit scale) is scored from its own logits instead. Log-softmax is
  always in fp32. bf16 on CUDA differs from fp32 by bf16 rounding of the weights and activations (about 3
  significant digits); the tolerance to use there is to be measured on a GPU (not yet done).
* **Batches.** Texts of at most ``TREE_TOKENS`` tokens are sorted by their tokens and merged into token trees:
  texts that start alike (BOS, a shared context, the same first words) share those tokens, which run once;
  each token keeps its own position and attends to its ancestors only (a 4-D mask, per layer type when
  sliding windows are shorter than a tree), so it gets exactly the hidden state it has in its own sequence.
  At load, trees are checked against plain rows on a probe; a model that fails the check uses plain rows.
  Longer texts run in length-sorted, right-padded batches. The hidden states of many batches then go through
  the head together, whose weights (60 % of Gemma 270M's) are read once per pass instead of once per batch.
  A text's scores do not depend on its batch (≤ 1e-4 apart in fp32, tested).

**Batches across requests.** `score_candidates_batch` runs the prompts of many requests as one left-padded
batch (KV cache; positions start at 0 at each prompt's first token), then all their candidates in one batch on
that cache, each row masked to its own prompt; `next_token_distributions` and `sample_batch` do the same for
open prompts. Samples draw by inverting each row's cumulative distribution at a uniform from the request's own
seeded generator, so a request's samples do not depend on the other requests in its batch.

A tokenizer without character offsets (a "slow" Python tokenizer) is refused with a clear error, since
offsets are what make continuations and word breakdowns exact.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import torch

from bilingual_lm.errors import InputError
from bilingual_lm.progress import Progress, report
from bilingual_lm.score.base import (
    CandidatesRequest,
    Description,
    HiddenStatesRequest,
    NextTokenDistribution,
    SampleRequest,
    Scorer,
    TextScore,
    TokenScore,
)
from bilingual_lm.score.words import align_words

BOS_OPTIONS = ("auto", "always", "never")
DEFAULT_BATCH_SIZE = 32
DEFAULT_MAX_CHARS = 20_000
DEFAULT_WINDOW = 4096  # tokens per forward pass at most; the model's own limit when that is smaller
MAX_BATCH_TOKENS = 2048  # padded tokens per forward pass: bounds the (scored positions × vocab) logits
# The head's online logsumexp runs over tiles of (positions × vocabulary rows), written into one reused buffer.
# On a CPU a 1024 × 2048 fp32 tile (8 MiB) stays in cache for the max / exp / sum passes over it; on a GPU
# large tiles keep the kernels busy.
HEAD_TILE = {"cpu": (1024, 2048), "other": (4096, 16384)}
HEAD_QUEUE_ROWS = 4096  # hidden states that wait for one pass of the head
TREE_TOKENS = 64  # tokens per token tree: rows this short are merged into trees (attention costs tree length²)
MAX_PADDING = 0.2  # a batch closes before padding would exceed this fraction of its tokens
CANDIDATE_ROWS = 128  # candidates per forward pass in `score_candidates_batch`


@dataclass
class _Encoded:
    """One text (with its context) as model input: token ids with BOS, and which of them are scored."""

    ids: list[int]  # BOS first when used
    offsets: list[tuple[int, int]]  # into context + text; (0, 0) for BOS
    first_scored: int  # index into ids of the first scored token
    context_chars: int


class _Pairs:
    """Which hidden state (by row) predicts which target token, and where each score goes (item, token index)."""

    def __init__(self):
        self.rows: list[int] = []
        self.targets: list[int] = []
        self.where: list[tuple[int, int]] = []

    def add(self, row: int, target: int, where: tuple[int, int]) -> None:
        self.rows.append(row)
        self.targets.append(target)
        self.where.append(where)

    def targets_on(self, device) -> torch.Tensor:
        return torch.tensor(self.targets, device=device)


class _Tree:
    """Token sequences merged where they start alike (a trie): node i holds token ids[i] at position
    positions[i] of its sequences, and attends to `ancestors[i]` (itself included)."""

    def __init__(self):
        self.ids: list[int] = []
        self.positions: list[int] = []
        self.ancestors: list[list[int]] = []

    def grow(self, token: int, position: int, parent: int | None) -> int:
        node = len(self.ids)
        self.ids.append(token)
        self.positions.append(position)
        self.ancestors.append([*(self.ancestors[parent] if parent is not None else []), node])
        return node


class _HeadQueue:
    """Hidden states waiting for the LM head (`head_logprobs(hidden, targets, rows)`), with the target token to
    read for each score."""

    def __init__(self, head_logprobs):
        self.head_logprobs = head_logprobs
        self._reset()

    def _reset(self) -> None:
        self.hidden: list[torch.Tensor] = []
        self.size = 0
        self.pairs = _Pairs()

    def add(self, hidden: torch.Tensor, pairs: _Pairs) -> None:
        for row, target, where in zip(pairs.rows, pairs.targets, pairs.where, strict=True):
            self.pairs.add(self.size + row, target, where)
        self.hidden.append(hidden)
        self.size += hidden.shape[0]

    def flush(self, logprobs: list[dict[int, float]]) -> None:
        """Run the head over everything queued and store the scores."""
        if self.pairs.where:
            hidden = torch.cat(self.hidden)
            rows = torch.tensor(self.pairs.rows, device=hidden.device)
            values = self.head_logprobs(hidden, self.pairs.targets_on(hidden.device), rows)
            _store(logprobs, self.pairs.where, values)
        self._reset()


@dataclass
class _Row:
    """One forward-pass row: ids[start:end] (after BOS when used), scoring ids[score_from:end]."""

    item: int
    start: int
    end: int
    score_from: int


class TransformerScorer(Scorer):
    """The `Scorer` contract over a causal LM and its fast tokenizer."""

    is_probability = True

    def __init__(
        self,
        model,
        tokenizer,
        *,
        name: str,
        lang: str = "auto",
        bos: str = "auto",
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_chars: int = DEFAULT_MAX_CHARS,
        window: int | None = None,
        stride: int | None = None,
        weights_sha256: dict[str, str] | None = None,
        source: dict | None = None,
    ):
        if bos not in BOS_OPTIONS:
            raise InputError(f"unknown BOS convention {bos!r}; use one of {', '.join(BOS_OPTIONS)}")
        if batch_size < 1 or max_chars < 1:
            raise InputError("batch_size and max_chars must be positive")
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.lang = lang
        self._segmenter = None  # built on first use: jieba's dictionary takes seconds to load
        self._tokens: list[str] = []  # the vocabulary's token strings, built on first use
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.weights_sha256 = weights_sha256 or {}
        self.source = source or {}
        self.device = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        bos_id = tokenizer.bos_token_id
        if bos == "always" and bos_id is None:
            raise InputError(f"{name} has no BOS token; use bos='never' or 'auto'")
        self.bos_id = None if bos == "never" else bos_id
        self._lead = [self.bos_id] if self.bos_id is not None else []  # put before every text
        self.bos = bos
        limit = getattr(model.config.get_text_config(), "max_position_embeddings", None) or DEFAULT_WINDOW
        self.window = min(window or DEFAULT_WINDOW, limit)
        self.stride = stride or self.window // 2
        if self.window < 2 or not 0 < self.stride < self.window - 1:
            raise InputError(f"need 0 < stride < window - 1 (window={self.window}, stride={self.stride})")
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        parameters = inspect.signature(model.forward).parameters
        self._keeps_logits = "logits_to_keep" in parameters
        self._check_offsets()
        self._fused_head = self._head_matches_model()
        self._merges_prefixes = self._trees_match_model()

    # ---- the Scorer protocol -------------------------------------------------------------------------------

    def score(
        self,
        texts: Sequence[str],
        contexts: Sequence[str | None] | None = None,
        *,
        batch_size: int | None = None,
        progress: Progress | None = None,
    ) -> list[TextScore]:
        """Score each text (optionally as a continuation of its context); results in input order."""
        contexts = list(contexts) if contexts is not None else [None] * len(texts)
        if len(contexts) != len(texts):
            raise InputError(f"{len(texts)} texts but {len(contexts)} contexts")
        encoded = [self._encode(text, context) for text, context in zip(texts, contexts, strict=True)]
        logprobs = self._score_rows(self._rows(encoded), encoded, batch_size or self.batch_size, progress)
        return [
            self._text_score(text, context, enc, logprobs[i])
            for i, (text, context, enc) in enumerate(zip(texts, contexts, encoded, strict=True))
        ]

    def continuation_tokens(self, requests: Sequence[CandidatesRequest]) -> list[list[int]]:
        """How many tokens `score_candidates` scores for each candidate (tokenization only, no model call)."""
        return [[len(enc.ids) - enc.first_scored for enc in (self._encode(c, r.prompt) for c in r.candidates)]
                for r in requests]

    @torch.inference_mode()
    def score_candidates(self, requests: Sequence[CandidatesRequest]) -> list[list[float]]:
        """log p(candidate | prompt) for each candidate of many requests in few forward passes: the prompts of up
        to `CANDIDATE_ROWS` candidates' worth of requests run as one left-padded batch (KV cache), then all
        their candidates as one batch on that cache, each row attending to its own prompt only."""
        results: list[list[float] | None] = [None] * len(requests)
        chunk: list[tuple[int, list[_Encoded], int]] = []
        rows = 0
        for r, (prompt, candidates) in enumerate((request.prompt, request.candidates) for request in requests):
            if not candidates:
                results[r] = []
                continue
            encoded = [self._encode(candidate, prompt) for candidate in candidates]
            shared = min(_common_prefix([enc.ids for enc in encoded]), *(enc.first_scored for enc in encoded))
            if shared == 0 or not self._fused_head or max(len(enc.ids) for enc in encoded) > self.window:
                results[r] = [s.logprob for s in self.score(candidates, [prompt] * len(candidates))]
                continue
            if chunk and rows + len(encoded) > CANDIDATE_ROWS:
                self._score_candidate_chunk(chunk, results)
                chunk, rows = [], 0
            chunk.append((r, encoded, shared))
            rows += len(encoded)
        if chunk:
            self._score_candidate_chunk(chunk, results)
        return results

    def _score_candidate_chunk(self, chunk: list[tuple[int, list[_Encoded], int]], results: list) -> None:
        width = max(shared for _, _, shared in chunk)
        ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for i, (_, encoded, shared) in enumerate(chunk):  # left-padded: every prompt ends at column width - 1
            ids[i, width - shared :] = torch.tensor(encoded[0].ids[:shared])
            mask[i, width - shared :] = 1
        positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
        out = self.model.base_model(
            input_ids=ids.to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions.to(self.device),
            use_cache=True,
        )
        last_logprobs = self._full_logprobs(out.last_hidden_state[:, -1])
        cache = out.cache
        owners, tails, terms = [], [], []
        for i, (_, encoded, shared) in enumerate(chunk):
            for enc in encoded:
                owners.append(i)
                tails.append(enc.ids[shared:])
                first = [last_logprobs[i, enc.ids[shared]].item()] if enc.first_scored == shared else []
                terms.append(first)
        tail_width = max(len(tail) for tail in tails)
        tail_ids = torch.full((len(tails), tail_width), self.pad_id, dtype=torch.long)
        tail_mask = torch.zeros((len(tails), tail_width), dtype=torch.long)
        keep = torch.zeros((len(tails), tail_width), dtype=torch.bool)
        targets, where = [], []
        row = 0
        for _, encoded, shared in chunk:
            for enc in encoded:
                tail = tails[row]
                tail_ids[row, : len(tail)] = torch.tensor(tail, dtype=torch.long)
                tail_mask[row, : len(tail)] = 1
                for index in range(max(enc.first_scored, shared + 1), len(enc.ids)):
                    keep[row, index - 1 - shared] = True
                    targets.append(enc.ids[index])
                    where.append(row)
                row += 1
        if targets:
            owner = torch.tensor(owners, device=self.device)
            cache.batch_select_indices(owner)
            shared_lengths = torch.tensor([shared for _, _, shared in chunk])[owners]
            inputs = {
                "input_ids": tail_ids.to(self.device),
                "attention_mask": torch.cat([mask[owners], tail_mask], dim=1).to(self.device),
                "position_ids": (shared_lengths[:, None] + torch.arange(tail_width)).to(self.device),
                "cache": cache,
                "use_cache": True,
            }
            values = self._logprobs_at(inputs, keep.to(self.device), torch.tensor(targets, device=self.device))
            for row, value in zip(where, values.tolist(), strict=True):
                terms[row].append(value)
        row = 0
        for r, encoded, _ in chunk:
            results[r] = [math.fsum(terms[row + j]) for j in range(len(encoded))]
            row += len(encoded)

    def _full_logprobs(self, hidden: torch.Tensor) -> torch.Tensor:
        """log_softmax over the whole vocabulary of the head at `hidden` (rows × vocab, fp32; soft-capped)."""
        head = self.model.get_output_embeddings()
        cap = getattr(self.model.config.get_text_config(), "final_logit_softcapping", None)
        logits = head(hidden).float()
        if cap is not None:
            logits = torch.tanh(logits / cap) * cap
        return torch.log_softmax(logits, dim=-1)

    @torch.inference_mode()
    def next_token_distributions(self, contexts: Sequence[str]) -> list[NextTokenDistribution]:
        """`next_token_distribution` for many contexts in one left-padded forward pass."""
        ids, mask, positions = self._left_padded([self._context_ids(context) for context in contexts])
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, **self._keep_last())
        logprobs = torch.log_softmax(out.logits[:, -1].float(), dim=-1).cpu()
        tokens = self._vocabulary(logprobs.shape[1])
        return [NextTokenDistribution(tokens=tokens, logprobs=row.tolist()) for row in logprobs]

    @torch.inference_mode()
    def sample(self, requests: Sequence[SampleRequest]) -> list[list[str]]:
        """Seeded ancestral samples (temperature 1, full distribution) for many requests in one batch: each
        request draws from its own seeded generator, so its samples do not depend on the other requests."""
        requests = [(r.context, r.num_samples, r.max_new_tokens, r.seed) for r in requests]
        if any(num < 1 or steps < 1 for _, num, steps, _ in requests):
            raise InputError("num_samples and max_new_tokens must be positive")
        if not requests:
            return []
        contexts = [self._context_ids(context) for context, _, _, _ in requests]
        ids, mask, positions = self._left_padded(contexts)
        out = self.model(
            input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, **self._keep_last()
        )
        cache = out.cache
        owners = [r for r, (_, num, _, _) in enumerate(requests) for _ in range(num)]
        rows_of = [[row for row, owner in enumerate(owners) if owner == r] for r in range(len(requests))]
        owner_index = torch.tensor(owners, device=self.device)
        cache.batch_select_indices(owner_index)
        logits = out.logits[owner_index, -1].float()
        mask = mask[owner_index]
        length = torch.tensor([len(contexts[r]) for r in owners], device=self.device)
        generators = [torch.Generator().manual_seed(seed) for _, _, _, seed in requests]
        eos = set(_as_list(self.tokenizer.eos_token_id))
        new: list[list[int]] = [[] for _ in owners]
        done = [False] * len(owners)
        active = [True] * len(requests)  # a request draws until its samples are all done or its steps run out
        for step in range(max(steps for _, _, steps, _ in requests)):
            probs = torch.softmax(logits, dim=-1).cpu()
            picked = [self.pad_id] * len(owners)
            for r, rows in enumerate(rows_of):
                active[r] = active[r] and step < requests[r][2] and not all(done[row] for row in rows)
                if not active[r]:
                    continue
                draws = _draw(probs[rows], generators[r])
                for row, token in zip(rows, draws, strict=True):
                    picked[row] = token
                    if not done[row]:
                        done[row] = token in eos
                        if not done[row]:
                            new[row].append(token)
            if not any(active[r] and not all(done[row] for row in rows) for r, rows in enumerate(rows_of)):
                break
            if step + 1 == max(steps for _, _, steps, _ in requests):
                break
            mask = torch.cat([mask, torch.ones((len(owners), 1), dtype=mask.dtype, device=self.device)], dim=1)
            out = self.model(
                input_ids=torch.tensor(picked, device=self.device)[:, None],
                attention_mask=mask,
                position_ids=(length + step)[:, None],
                use_cache=True,
                cache=cache,
            )
            logits = out.logits[:, -1].float()
        return [[self._continuation_text(contexts[r], new[row]) for row in rows] for r, rows in enumerate(rows_of)]

    def _left_padded(self, sequences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Token ids left-padded to one width, their attention mask and position ids (0 at each first token)."""
        width = max(len(seq) for seq in sequences)
        ids = torch.full((len(sequences), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for i, seq in enumerate(sequences):
            ids[i, width - len(seq) :] = torch.tensor(seq, dtype=torch.long)
            mask[i, width - len(seq) :] = 1
        positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
        return ids.to(self.device), mask.to(self.device), positions.to(self.device)

    def _vocabulary(self, size: int) -> list[str]:
        """The token strings of ids 0 … size-1 (converted once: a 262k vocabulary takes a while)."""
        if len(self._tokens) != size:
            self._tokens = self.tokenizer.convert_ids_to_tokens(list(range(size)))
        return self._tokens

    @torch.inference_mode()
    def hidden_states(self, requests: Sequence[HiddenStatesRequest]) -> list[torch.Tensor]:
        """The residual stream at each request's token: [n_layers + 1, d_model] in fp32 on the CPU; row 0 is the
        embedding output, row i the output of layer i, the last row before the final norm (transformers would
        put the normed state there, `tie_last_hidden_states`)."""
        sequences = [self._context_ids(request.text) for request in requests]
        for request, seq in zip(requests, sequences, strict=True):
            if not -len(seq) <= request.position < len(seq):
                raise InputError(f"position {request.position} is outside the {len(seq)} tokens of {request.text!r}")
        if not requests:
            return []
        ids, mask, positions = self._left_padded(sequences)
        config = self.model.config
        tied = getattr(config, "tie_last_hidden_states", None)
        config.tie_last_hidden_states = False
        try:
            out = self.model.base_model(input_ids=ids, attention_mask=mask, position_ids=positions,
                                        output_hidden_states=True)
        finally:
            config.tie_last_hidden_states = tied
        layers = torch.stack(out.hidden_states, dim=1)  # batch × (n_layers + 1) × width × d_model
        width = ids.shape[1]
        return [layers[b, :, width - len(seq) + request.position % len(seq)].float().cpu()
                for b, (request, seq) in enumerate(zip(requests, sequences, strict=True))]

    def describe(self) -> Description:
        """The weights' sha256 and every setting that changes a score (identity); conventions and the code paths
        chosen (details)."""
        text_config = self.model.config.get_text_config()
        head = "sliced online logsumexp" if self._fused_head else "model logits at scored positions"
        trees = f"token trees (texts of at most {TREE_TOKENS} tokens)" if self._merges_prefixes else "none"
        identity = {
            "weights_sha256": self.weights_sha256,
            "bos": self.tokenizer.convert_ids_to_tokens(self.bos_id) if self.bos_id is not None else None,
            "window": self.window,
            "stride": self.stride,
            "head": head,
            "shared_prefixes": trees,
            "segmenter": self.lang,
        }
        details = {
            "architecture": type(self.model).__name__,
            "source": self.source,
            "log_softmax_dtype": "float32",
            "bos": identity["bos"],
            "bos_option": self.bos,
            "first_token": "log p(t1 | BOS)" if self.bos_id is not None else "not scored (no BOS)",
            "max_chars": self.max_chars,
            "tokenizer": type(self.tokenizer).__name__,
            "vocab_size": text_config.vocab_size,
            "final_logit_softcapping": getattr(text_config, "final_logit_softcapping", None),
            "head": head,
            "shared_prefixes": trees,
        }
        return Description(name=self.name, kind="transformer", identity=identity, device=str(self.device),
                           dtype=str(self.dtype).removeprefix("torch."), is_probability=True, details=details)

    # ---- tokenization --------------------------------------------------------------------------------------

    def _check_offsets(self) -> None:
        message = (
            f"the tokenizer of {self.name} ({type(self.tokenizer).__name__}) gives no character offsets; "
            "bilingual-lm needs a fast (tokenizers-backed) tokenizer to align tokens with text"
        )
        try:
            encoding = self.tokenizer("a", add_special_tokens=False, return_offsets_mapping=True)
        except (NotImplementedError, ValueError, TypeError) as error:
            raise InputError(message) from error
        if "offset_mapping" not in encoding:  # Python tokenizers ignore the request silently
            raise InputError(message)

    def _encode(self, text: str, context: str | None) -> _Encoded:
        if not isinstance(text, str) or not text.strip():
            raise InputError("empty text: nothing to score")
        context = context or ""
        if len(context) + len(text) > self.max_chars:
            raise InputError(
                f"text of {len(context) + len(text)} characters (with its context) is over the limit of "
                f"{self.max_chars}; raise max_chars to score it"
            )
        encoding = self.tokenizer(context + text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = list(encoding["input_ids"]), [tuple(span) for span in encoding["offset_mapping"]]
        if self.bos_id is not None:
            ids, offsets = [self.bos_id, *ids], [(0, 0), *offsets]
        lead = len(self._lead)
        first = lead
        if context:
            first = next((i for i in range(lead, len(ids)) if offsets[i][1] > len(context)), len(ids))
        if self.bos_id is None:
            first = max(first, 1)  # the very first token has nothing to be conditioned on
        if first >= len(ids):
            raise InputError(f"no token of {text[:40]!r} can be scored (it has a single token and no BOS)")
        return _Encoded(ids=ids, offsets=offsets, first_scored=first, context_chars=len(context))

    def _context_ids(self, context: str) -> list[int]:
        if len(context) > self.max_chars:
            raise InputError(f"context of {len(context)} characters is over the limit of {self.max_chars}")
        ids = list(self.tokenizer(context, add_special_tokens=False)["input_ids"]) if context else []
        if self.bos_id is not None:
            ids = [self.bos_id, *ids]
        if not ids:
            raise InputError("empty context and no BOS token: nothing to condition on")
        if len(ids) > self.window:
            ids = ([self.bos_id] if self.bos_id is not None else []) + ids[len(ids) - self.window + 1 :]
        return ids

    def _continuation_text(self, context_ids: list[int], new_ids: list[int]) -> str:
        before = self.tokenizer.decode(context_ids, skip_special_tokens=True)
        after = self.tokenizer.decode(context_ids + new_ids, skip_special_tokens=True)
        if after.startswith(before):
            return after[len(before) :]
        return self.tokenizer.decode(new_ids, skip_special_tokens=True)

    # ---- windows and batches -------------------------------------------------------------------------------

    def _rows(self, encoded: list[_Encoded]) -> list[_Row]:
        """Split each text into forward-pass rows of at most `window` tokens (BOS included)."""
        rows = []
        for item, enc in enumerate(encoded):
            lead = len(self._lead)
            n, span = len(enc.ids), self.window - lead
            if n <= self.window:
                rows.append(_Row(item, lead, n, enc.first_scored))
                continue
            scored_to = enc.first_scored
            end = min(n, self.window)
            while scored_to < n:
                start = max(lead, end - span)
                rows.append(_Row(item, start, end, scored_to))
                scored_to = end
                end = min(n, end + self.stride)
        return rows

    @torch.inference_mode()
    def _score_rows(self, rows: list[_Row], encoded: list[_Encoded], batch_size: int, progress: Progress | None):
        """Per item, {token index: log p} for every scored token.

        Short rows are merged into token trees (`_Tree`): rows that start alike (BOS, a shared context, the same
        first words) share those tokens, each computed once. Longer rows run in length-sorted padded batches.
        The hidden states of many batches then wait in a queue for one pass of the sliced head, whose weights
        (60 % of Gemma 270M's) are read once per pass instead of once per batch."""
        logprobs: list[dict[int, float]] = [{} for _ in encoded]
        sequences = [self._lead + encoded[row.item].ids[row.start : row.end] for row in rows]
        is_short = [self._merges_prefixes and len(seq) <= TREE_TOKENS for seq in sequences]
        short = [r for r, flag in enumerate(is_short) if flag]
        long = [r for r, flag in enumerate(is_short) if not flag]
        plan = [("tree", batch) for batch in _tree_batches(short, sequences, batch_size)]
        plan += [
            ("padded", [long[i] for i in batch])
            for batch in _length_sorted_batches([len(sequences[r]) for r in long], batch_size)
        ]
        queue = _HeadQueue(self._head_logprobs)
        with report(progress, "scoring", len(plan)) as advance:
            for kind, batch in plan:
                advance(1)
                chosen = [(rows[r], sequences[r]) for r in batch]
                inputs, keep, pairs = self._tree_inputs(chosen) if kind == "tree" else self._padded_inputs(chosen)
                if not pairs.where:
                    continue
                if self._fused_head:
                    queue.add(self.model.base_model(**inputs).last_hidden_state[keep], pairs)
                else:
                    _store(logprobs, pairs.where, self._logprobs_at(inputs, keep, pairs.targets_on(self.device)))
                if queue.size >= HEAD_QUEUE_ROWS:
                    queue.flush(logprobs)
        queue.flush(logprobs)
        return logprobs

    def _padded_inputs(self, chosen: list[tuple[_Row, list[int]]]) -> tuple[dict, torch.Tensor, _Pairs]:
        """One right-padded batch of rows: model inputs, the positions whose next token is scored (`keep`), and
        which token to read at each kept position (in row-major order) for which score."""
        width = max(len(seq) for _, seq in chosen)
        lead = len(self._lead)
        ids = torch.full((len(chosen), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(chosen), width), dtype=torch.long)
        keep = torch.zeros((len(chosen), width), dtype=torch.bool)
        pairs = _Pairs()
        for b, (row, seq) in enumerate(chosen):
            ids[b, : len(seq)] = torch.tensor(seq)
            mask[b, : len(seq)] = 1
            for index in range(row.score_from, row.end):
                column = index - row.start + lead
                keep[b, column - 1] = True
                pairs.add(len(pairs.where), seq[column], (row.item, index))
        inputs = {"input_ids": ids.to(self.device), "attention_mask": mask.to(self.device), "use_cache": False}
        return inputs, keep.to(self.device), pairs

    def _tree_inputs(self, chosen: list[tuple[_Row, list[int]]]) -> tuple[dict, torch.Tensor, _Pairs]:
        """Rows (sorted by their tokens) merged into token trees of at most `TREE_TOKENS` tokens, one tree per
        batch row: each token sits at its position in its sequence and attends to its ancestors only (a 4-D
        mask), so it gets the hidden state it has in its own sequence."""
        lead = len(self._lead)
        trees: list[_Tree] = []
        previous: list[int] = []
        path: list[int] = []  # the tree nodes of the previous sequence
        asks = []  # (tree, node, target, where)
        for row, seq in chosen:
            shared = _common_prefix([previous, seq]) if trees else 0
            if not trees or len(trees[-1].ids) + len(seq) - shared > TREE_TOKENS:
                trees.append(_Tree())
                shared = 0
            tree = trees[-1]
            path = path[:shared]
            for column in range(shared, len(seq)):
                path.append(tree.grow(seq[column], column, parent=path[-1] if path else None))
            for index in range(row.score_from, row.end):
                column = index - row.start + lead
                asks.append((len(trees) - 1, path[column - 1], seq[column], (row.item, index)))
            previous = seq
        width = max(len(tree.ids) for tree in trees)
        ids = torch.full((len(trees), width), self.pad_id, dtype=torch.long)
        positions = torch.zeros((len(trees), width), dtype=torch.long)
        allowed = torch.eye(width, dtype=torch.bool).repeat(len(trees), 1, 1)  # padding attends to itself
        for t, tree in enumerate(trees):
            ids[t, : len(tree.ids)] = torch.tensor(tree.ids)
            positions[t, : len(tree.ids)] = torch.tensor(tree.positions)
            for node, ancestors in enumerate(tree.ancestors):
                allowed[t, node, ancestors] = True
        keep = torch.zeros((len(trees), width), dtype=torch.bool)
        for t, node, _, _ in asks:
            keep[t, node] = True
        kept_index = (keep.flatten().cumsum(0) - 1).view(keep.shape)  # row of each kept node in hidden[keep]
        pairs = _Pairs()
        for t, node, target, where in asks:
            pairs.add(int(kept_index[t, node]), target, where)
        inputs = {
            "input_ids": ids.to(self.device),
            "position_ids": positions.to(self.device),
            "attention_mask": self._tree_mask(allowed, positions),
            "use_cache": False,
        }
        return inputs, keep.to(self.device), pairs

    def _tree_mask(self, allowed: torch.Tensor, positions: torch.Tensor) -> torch.Tensor | dict[str, torch.Tensor]:
        """The additive 4-D attention mask of a batch of token trees: one for every layer, or one per layer type
        when sliding-window layers look back less than a tree's length."""
        window = getattr(self.model.config.get_text_config(), "sliding_window", None)

        def additive(where: torch.Tensor) -> torch.Tensor:
            mask = torch.zeros(where.shape, dtype=self.dtype).masked_fill_(~where, torch.finfo(self.dtype).min)
            return mask[:, None].to(self.device)

        if window is None or window >= TREE_TOKENS:
            return additive(allowed)
        near = positions[:, :, None] - positions[:, None, :] < window
        return {"full_attention": additive(allowed), "sliding_attention": additive(allowed & near)}

    def _logprobs_at(self, inputs: dict, keep: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """log p(target) at each `keep` position (row-major order), computing logits only there."""
        if self._fused_head:
            hidden = self.model.base_model(**inputs).last_hidden_state[keep]
            return self._head_logprobs(hidden, targets)
        if self._keeps_logits:
            return _target_logprobs(self.model(**inputs, logits_to_keep=keep).logits, targets)
        return _target_logprobs(self.model(**inputs).logits[keep], targets)

    def _head_logprobs(
        self, hidden: torch.Tensor, targets: torch.Tensor, rows: torch.Tensor | None = None
    ) -> torch.Tensor:
        """log_softmax(head(hidden[rows[i]]))[targets[i]] for each i (rows default to 0, 1, …), without the
        (rows × vocab) logits: an online logsumexp over tiles of the head, each soft-capped as the model does
        (tanh(x / c) · c), in fp32. The vocabulary is the outer loop, so the head's weights are read once."""
        head = self.model.get_output_embeddings()
        cap = getattr(self.model.config.get_text_config(), "final_logit_softcapping", None)
        count = hidden.shape[0]
        rows = torch.arange(count, device=hidden.device) if rows is None else rows
        tile_rows, tile_columns = HEAD_TILE["cpu" if hidden.device.type == "cpu" else "other"]
        buffer = torch.empty((min(tile_rows, count), tile_columns), device=hidden.device)
        top = torch.full((count,), -math.inf, device=hidden.device)
        total = torch.zeros(count, device=hidden.device)
        picked = torch.empty(targets.shape[0], device=hidden.device)
        for begin in range(0, head.weight.shape[0], tile_columns):
            part = head.weight[begin : begin + tile_columns]
            part_bias = head.bias[begin : begin + tile_columns] if head.bias is not None else None
            wanted = (targets >= begin) & (targets < begin + part.shape[0])
            for first in range(0, count, tile_rows):
                chunk = slice(first, first + tile_rows)
                logits = _slice_logits(hidden[chunk], part, part_bias, cap, buffer)
                here = wanted & (rows >= first) & (rows < first + tile_rows)
                picked[here] = logits[rows[here] - first, targets[here] - begin]
                new_top = torch.maximum(top[chunk], logits.amax(dim=-1))
                total[chunk].mul_(torch.exp(top[chunk] - new_top)).add_(
                    logits.sub_(new_top[:, None]).exp_().sum(dim=-1)
                )
                top[chunk] = new_top
        return picked - top[rows] - torch.log(total[rows])

    @torch.inference_mode()
    def _head_matches_model(self) -> bool:
        """Whether `_head_logprobs` over the base model reproduces the model's own log-softmax (it does for
        heads that are a linear layer plus optional softcapping; others use the model's logits instead)."""
        if self.model.get_output_embeddings() is None:
            return False
        vocab_size = self.model.config.get_text_config().vocab_size
        ids = torch.randint(0, vocab_size, (1, 8), generator=torch.Generator().manual_seed(0)).to(self.device)
        try:
            hidden = self.model.base_model(input_ids=ids).last_hidden_state[0]
        except (AttributeError, TypeError):
            return False
        expected = torch.log_softmax(self.model(input_ids=ids).logits[0].float(), dim=-1)
        targets = torch.arange(8, device=self.device) * (vocab_size // 8)
        got = self._head_logprobs(hidden, targets)
        tolerance = 1e-4 if self.dtype == torch.float32 else 5e-2
        return bool((got - expected[torch.arange(8), targets]).abs().max() <= tolerance)

    @torch.inference_mode()
    def _trees_match_model(self) -> bool:
        """Whether token trees reproduce plain padded rows on a probe whose sequences start alike. A model
        whose attention ignores 4-D masks, or looks back less than a tree's length, is scored from padded rows."""
        config = self.model.config.get_text_config()
        layer_types = set(getattr(config, "layer_types", None) or ["full_attention"])
        window = getattr(config, "sliding_window", None)
        if not self._fused_head or not layer_types <= {"full_attention", "sliding_attention"}:
            return False
        if window is not None and window < TREE_TOKENS and "sliding_attention" not in layer_types:
            return False  # a window applied to every layer without layer types (one mask for all)
        if getattr(config, "attention_chunk_size", None):
            return False
        generator = torch.Generator().manual_seed(0)
        stem = torch.randint(0, config.vocab_size, (5,), generator=generator).tolist()
        probe = [
            self._lead + stem + torch.randint(0, config.vocab_size, (n,), generator=generator).tolist() for n in (3, 1)
        ]
        chosen = [(_Row(i, len(self._lead), len(seq), 1), seq) for i, seq in enumerate(probe)]
        scores = []
        for inputs, keep, pairs in (self._padded_inputs(chosen), self._tree_inputs(sorted(chosen, key=lambda c: c[1]))):
            queue, logprobs = _HeadQueue(self._head_logprobs), [{} for _ in probe]
            try:
                queue.add(self.model.base_model(**inputs).last_hidden_state[keep], pairs)
            except (AttributeError, KeyError, RuntimeError, TypeError, ValueError):
                return False
            queue.flush(logprobs)
            scores.append(logprobs)
        tolerance = 1e-4 if self.dtype == torch.float32 else 5e-2
        padded, trees = scores
        return all(
            row.keys() == other.keys() and all(abs(row[i] - other[i]) <= tolerance for i in row)
            for row, other in zip(padded, trees, strict=True)
        )

    def _keep_last(self) -> dict:
        return {"logits_to_keep": 1} if self._keeps_logits else {}

    # ---- results -------------------------------------------------------------------------------------------

    def _text_score(self, text: str, context: str | None, enc: _Encoded, logprobs: dict[int, float]) -> TextScore:
        shift = enc.context_chars
        tokens = []
        for index in range(enc.first_scored, len(enc.ids)):
            start, end = enc.offsets[index]
            start, end = max(start - shift, 0), max(end - shift, 0)
            surface = text[start:end] or self.tokenizer.convert_ids_to_tokens(enc.ids[index])
            tokens.append(TokenScore(text=surface, start=start, end=end, logprob=logprobs[index]))
        words = align_words(text, tokens, self.segmenter.segment(text))
        return TextScore(text=text, tokens=tokens, words=words, context=context, model=self.name)

    @property
    def segmenter(self):
        if self._segmenter is None:
            from bilingual_lm.segment import get_segmenter

            self._segmenter = get_segmenter(self.lang)
        return self._segmenter


def load_hf_scorer(target: str, **options) -> TransformerScorer:
    """`hf:TARGET`: a local model folder, or a hub id already in the local Hugging Face cache."""
    from bilingual_lm.models import load_hf_model

    return _load_scorer(load_hf_model, target, **options)


def load_gguf_scorer(target: str, *, progress: Progress | None = None, **options) -> TransformerScorer:
    """`gguf:PATH`, or `gguf:default` for the packaged Gemma 3 270M (converted once, reported to `progress`, then
    cached)."""
    from bilingual_lm.models import load_gguf_model

    return _load_scorer(partial(load_gguf_model, progress=progress), target, **options)


def _load_scorer(
    load_model,
    target: str,
    *,
    lang: str = "auto",
    device: str | None = None,
    dtype: str | None = None,
    batch_size: int | None = DEFAULT_BATCH_SIZE,
    bos: str = "auto",
    max_chars: int | None = DEFAULT_MAX_CHARS,
    window: int | None = None,
    stride: int | None = None,
    **_other,
) -> TransformerScorer:
    """Load a model with `load_model` and wrap it; options meant for other model kinds (an n-gram's `eos`, …)
    are ignored."""
    loaded = load_model(target, device=device, dtype=dtype)
    return TransformerScorer(
        loaded.model,
        loaded.tokenizer,
        name=loaded.name,
        lang=lang,
        bos=bos,
        batch_size=batch_size or DEFAULT_BATCH_SIZE,
        max_chars=max_chars or DEFAULT_MAX_CHARS,
        window=window,
        stride=stride,
        weights_sha256=loaded.weights_sha256,
        source=loaded.source,
    )


def _target_logprobs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """log_softmax(logits)[target] per row, in fp32."""
    logits = logits.float()
    return logits.gather(1, targets[:, None])[:, 0] - torch.logsumexp(logits, dim=-1)


def _store(logprobs: list[dict[int, float]], where: list[tuple[int, int]], values: torch.Tensor) -> None:
    for (item, index), value in zip(where, values.tolist(), strict=True):
        logprobs[item][index] = value


def _length_sorted_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches, longest first, of at most `batch_size` rows, `MAX_BATCH_TOKENS` padded
    tokens and a `MAX_PADDING` fraction of padding (a row longer than that runs alone)."""
    order = sorted(range(len(lengths)), key=lambda r: -lengths[r])
    batches: list[list[int]] = []
    real = 0
    for r in order:
        if batches and len(batches[-1]) < batch_size:
            padded = (len(batches[-1]) + 1) * lengths[batches[-1][0]]
            if padded <= MAX_BATCH_TOKENS and real + lengths[r] >= (1 - MAX_PADDING) * padded:
                batches[-1].append(r)
                real += lengths[r]
                continue
        batches.append([r])
        real = lengths[r]
    return batches


def _tree_batches(indices: list[int], sequences: list[list[int]], batch_size: int) -> list[list[int]]:
    """Indices sorted by their sequences (so that sequences starting alike are neighbours), cut into batches of
    at most `batch_size` sequences, as even as that allows (no small last batch), and at most about
    `MAX_BATCH_TOKENS` tokens."""
    order = sorted(indices, key=lambda r: sequences[r])
    per_batch = math.ceil(len(order) / math.ceil(len(order) / batch_size)) if order else batch_size
    batches: list[list[int]] = []
    tokens = 0
    for r in order:
        if not batches or len(batches[-1]) >= per_batch or tokens + len(sequences[r]) > MAX_BATCH_TOKENS:
            batches.append([])
            tokens = 0
        batches[-1].append(r)
        tokens += len(sequences[r])
    return batches


def _slice_logits(hidden, weight, bias, cap: float | None, buffer: torch.Tensor) -> torch.Tensor:
    """hidden @ weightᵀ + bias, soft-capped, written in fp32 into the top-left corner of `buffer`."""
    logits = buffer[: hidden.shape[0], : weight.shape[0]]
    if hidden.dtype == torch.float32 and bias is None:
        torch.mm(hidden, weight.T, out=logits)
    else:
        logits.copy_(torch.nn.functional.linear(hidden, weight, bias))
    if cap is not None:
        logits.div_(cap).tanh_().mul_(cap)
    return logits


def _draw(probs: torch.Tensor, generator: torch.Generator) -> list[int]:
    """One token per row of `probs`, by inverting its cumulative distribution (fp64) at a uniform draw from
    `generator`: the same law as `torch.multinomial`, ~50× faster over a 262k vocabulary on a CPU."""
    cumulative = probs.double().cumsum(dim=-1)
    uniform = torch.rand(probs.shape[0], 1, generator=generator, dtype=torch.float64)
    picked = torch.searchsorted(cumulative, uniform * cumulative[:, -1:], right=True)
    return picked[:, 0].clamp(max=probs.shape[1] - 1).tolist()


def _common_prefix(sequences: list[list[int]]) -> int:
    first = sequences[0]
    length = min(len(seq) for seq in sequences)
    for i in range(length):
        if any(seq[i] != first[i] for seq in sequences):
            return i
    return length


def _as_list(value) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
