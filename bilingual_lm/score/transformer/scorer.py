"""`TransformerScorer`: the `Scorer` contract over a Hugging Face causal LM and its fast tokenizer.

The class holds the settings and dispatches each request to the file of its concern (see the package docstring).
Scoring texts: `encoding.windows` cuts them into rows; short rows go to token trees, the rest to padded batches;
their hidden states wait in a `HeadQueue` for one pass of the tiled head.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

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
from bilingual_lm.score.transformer import candidates, sampling, states
from bilingual_lm.score.transformer.encoding import Encoded, Row, check_offsets, context_ids, encode, windows
from bilingual_lm.score.transformer.head import HEAD_QUEUE_ROWS, HeadQueue, head_logprobs, softcap, store
from bilingual_lm.score.transformer.head import target_logprobs as model_target_logprobs
from bilingual_lm.score.transformer.padded import length_sorted_batches, padded_inputs
from bilingual_lm.score.transformer.paths import choose_paths
from bilingual_lm.score.transformer.trees import TREE_TOKENS, tree_batches, tree_inputs
from bilingual_lm.score.words import align_words

BOS_OPTIONS = ("auto", "always", "never")
DEFAULT_BATCH_SIZE = 32
DEFAULT_MAX_CHARS = 20_000
DEFAULT_WINDOW = 4096  # tokens per forward pass at most; the model's own limit when that is smaller


class TransformerScorer(Scorer):
    """The `Scorer` contract over a causal LM and its fast tokenizer; `tiled_head` and `prefix_trees` ("auto",
    "on", "off") choose the scoring paths (`paths.py`)."""

    is_probability = True

    def __init__(self, model, tokenizer, *, name: str, lang: str = "auto", bos: str = "auto",
                 batch_size: int = DEFAULT_BATCH_SIZE, max_chars: int = DEFAULT_MAX_CHARS, window: int | None = None,
                 stride: int | None = None, weights_sha256: dict[str, str] | None = None, source: dict | None = None,
                 tiled_head: str = "auto", prefix_trees: str = "auto"):
        if bos not in BOS_OPTIONS:
            raise InputError(f"unknown BOS convention {bos!r}; use one of {', '.join(BOS_OPTIONS)}")
        if batch_size < 1 or max_chars < 1:
            raise InputError("batch_size and max_chars must be positive")
        self.model, self.tokenizer, self.name, self.lang = model, tokenizer, name, lang
        self._segmenter = None  # built on first use: jieba's dictionary takes seconds to load
        self._tokens: list[str] = []  # the vocabulary's token strings, built on first use
        self.batch_size, self.max_chars = batch_size, max_chars
        self.weights_sha256, self.source = weights_sha256 or {}, source or {}
        self.device = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        bos_id = tokenizer.bos_token_id
        if bos == "always" and bos_id is None:
            raise InputError(f"{name} has no BOS token; use bos='never' or 'auto'")
        self.bos, self.bos_id = bos, None if bos == "never" else bos_id
        self.lead = [self.bos_id] if self.bos_id is not None else []  # put before every text
        limit = getattr(model.config.get_text_config(), "max_position_embeddings", None) or DEFAULT_WINDOW
        self.window = min(window or DEFAULT_WINDOW, limit)
        self.stride = stride or self.window // 2
        if self.window < 2 or not 0 < self.stride < self.window - 1:
            raise InputError(f"need 0 < stride < window - 1 (window={self.window}, stride={self.stride})")
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.keeps_logits = "logits_to_keep" in inspect.signature(model.forward).parameters
        check_offsets(tokenizer, name)
        self.paths = choose_paths(self, tiled_head, prefix_trees)

    # ---- the Scorer contract -------------------------------------------------------------------------------

    def score(self, texts: Sequence[str], contexts: Sequence[str | None] | None = None, *,
              batch_size: int | None = None, progress: Progress | None = None) -> list[TextScore]:
        """Score each text (optionally as a continuation of its context); results in input order."""
        contexts = list(contexts) if contexts is not None else [None] * len(texts)
        if len(contexts) != len(texts):
            raise InputError(f"{len(texts)} texts but {len(contexts)} contexts")
        encoded = [encode(self, text, context) for text, context in zip(texts, contexts, strict=True)]
        rows = windows(encoded, len(self.lead), self.window, self.stride)
        logprobs = self.score_rows(rows, encoded, batch_size or self.batch_size, progress)
        return [self._text_score(text, context, enc, logprobs[i])
                for i, (text, context, enc) in enumerate(zip(texts, contexts, encoded, strict=True))]

    def score_candidates(self, requests: Sequence[CandidatesRequest]) -> list[list[float]]:
        return candidates.score_candidates(self, requests)

    def continuation_tokens(self, requests: Sequence[CandidatesRequest]) -> list[list[int]]:
        """How many tokens `score_candidates` scores for each candidate (tokenization only, no model call)."""
        return [[len(enc.ids) - enc.first_scored for enc in (encode(self, c, r.prompt) for c in r.candidates)]
                for r in requests]

    def next_token_distributions(self, contexts: Sequence[str]) -> list[NextTokenDistribution]:
        return sampling.next_token_distributions(self, contexts)

    def sample(self, requests: Sequence[SampleRequest]) -> list[list[str]]:
        return sampling.sample(self, requests)

    @torch.inference_mode()
    def hidden_states(self, requests: Sequence[HiddenStatesRequest]) -> list[torch.Tensor]:
        """The residual stream at each request's token: [n_layers + 1, d_model] in fp32 on the CPU; row 0 is the
        embedding output, row i the output of layer i, the last row before the final norm (`states.py`)."""
        sequences = [context_ids(self, request.text) for request in requests]
        for request, seq in zip(requests, sequences, strict=True):
            if not -len(seq) <= request.position < len(seq):
                raise InputError(f"position {request.position} is outside the {len(seq)} tokens of {request.text!r}")
        return states.hidden_states(self, sequences, [request.position for request in requests]) if requests else []

    def describe(self) -> Description:
        """The weights' sha256 and every setting that changes a score (identity); conventions, the paths chosen and
        what their probes found (details)."""
        text_config = self.model.config.get_text_config()
        head = "sliced online logsumexp" if self.paths.tiled_head else "model logits at scored positions"
        trees = f"token trees (texts of at most {TREE_TOKENS} tokens)" if self.paths.prefix_trees else "none"
        bos = self.tokenizer.convert_ids_to_tokens(self.bos_id) if self.bos_id is not None else None
        identity = {"weights_sha256": self.weights_sha256, "bos": bos, "window": self.window, "stride": self.stride,
                    "head": head, "shared_prefixes": trees, "segmenter": self.lang}
        details = {
            "architecture": type(self.model).__name__,
            "source": self.source,
            "log_softmax_dtype": "float32",
            "bos": bos,
            "bos_option": self.bos,
            "first_token": "log p(t1 | BOS)" if self.bos_id is not None else "not scored (no BOS)",
            "max_chars": self.max_chars,
            "tokenizer": type(self.tokenizer).__name__,
            "vocab_size": text_config.vocab_size,
            "final_logit_softcapping": softcap(self.model),
            "head": head,
            "shared_prefixes": trees,
            "probes": self.paths.probes,
        }
        return Description(name=self.name, kind="transformer", identity=identity, device=str(self.device),
                           dtype=str(self.dtype).removeprefix("torch."), is_probability=True, details=details)

    # ---- shared by the concerns' files ---------------------------------------------------------------------

    def logprobs_at(self, inputs: dict, keep: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """log p(target) at each `keep` position (row-major order), computing logits only there."""
        if self.paths.tiled_head:
            return head_logprobs(self.model, self.model.base_model(**inputs).last_hidden_state[keep], targets)
        if self.keeps_logits:
            return model_target_logprobs(self.model(**inputs, logits_to_keep=keep).logits, targets)
        return model_target_logprobs(self.model(**inputs).logits[keep], targets)

    def keep_last(self) -> dict:
        """The forward option that computes logits at the last position only, where the model has it."""
        return {"logits_to_keep": 1} if self.keeps_logits else {}

    def vocabulary(self, size: int) -> list[str]:
        """The token strings of ids 0 … size-1 (converted once: a 262k vocabulary takes a while)."""
        if len(self._tokens) != size:
            self._tokens = self.tokenizer.convert_ids_to_tokens(list(range(size)))
        return self._tokens

    @property
    def segmenter(self):
        if self._segmenter is None:
            from bilingual_lm.segment import get_segmenter

            self._segmenter = get_segmenter(self.lang)
        return self._segmenter

    # ---- scoring texts -------------------------------------------------------------------------------------

    @torch.inference_mode()
    def score_rows(self, rows: list[Row], encoded: list[Encoded], batch_size: int, progress: Progress | None = None):
        """Per item, {token index: log p} for every scored token: short rows in token trees, the rest in padded
        batches; with the tiled head, the hidden states of many batches go through the head in one pass."""
        logprobs: list[dict[int, float]] = [{} for _ in encoded]
        sequences = [self.lead + encoded[row.item].ids[row.start : row.end] for row in rows]
        is_short = [self.paths.prefix_trees and len(seq) <= TREE_TOKENS for seq in sequences]
        short = [r for r, flag in enumerate(is_short) if flag]
        long = [r for r, flag in enumerate(is_short) if not flag]
        plan = [("tree", batch) for batch in tree_batches(short, sequences, batch_size)]
        plan += [("padded", [long[i] for i in batch])
                 for batch in length_sorted_batches([len(sequences[r]) for r in long], batch_size)]
        queue = HeadQueue(self.model)
        with report(progress, "scoring", len(plan)) as advance:
            for kind, batch in plan:
                advance(1)
                chosen = [(rows[r], sequences[r]) for r in batch]
                inputs, keep, pairs = (tree_inputs if kind == "tree" else padded_inputs)(self, chosen)
                if not pairs.where:
                    continue
                if self.paths.tiled_head:
                    queue.add(self.model.base_model(**inputs).last_hidden_state[keep], pairs)
                else:
                    store(logprobs, pairs.where, self.logprobs_at(inputs, keep, pairs.targets_on(self.device)))
                if queue.size >= HEAD_QUEUE_ROWS:
                    queue.flush(logprobs)
        queue.flush(logprobs)
        return logprobs

    def _text_score(self, text: str, context: str | None, enc: Encoded, logprobs: dict[int, float]) -> TextScore:
        shift = enc.context_chars
        tokens = []
        for index in range(enc.first_scored, len(enc.ids)):
            start, end = enc.offsets[index]
            start, end = max(start - shift, 0), max(end - shift, 0)
            surface = text[start:end] or self.tokenizer.convert_ids_to_tokens(enc.ids[index])
            tokens.append(TokenScore(text=surface, start=start, end=end, logprob=logprobs[index]))
        words = align_words(text, tokens, self.segmenter.segment(text))
        return TextScore(text=text, tokens=tokens, words=words, context=context, model=self.name)
