"""The scoring contract that every model (n-gram or Transformer) implements.

The chain rule
--------------
A scorer returns log p(S) = Σᵢ log p(wᵢ | w₁ … wᵢ₋₁) together with every factor. For the n-gram model
(bos and eos on, as KenLM's ``query`` does) and the text "我爱吃披萨", segmented by jieba as
我 / 爱 / 吃 / 披萨::

    log p = log p(我 | <s>) + log p(爱 | <s> 我) + log p(吃 | <s> 我 爱)
          + log p(披萨 | … 吃) + log p(</s> | … 披萨)

Each factor is one `TokenScore`; `</s>` is a token with the empty span (len(text), len(text)).
A Transformer scores its own subword tokens, conditioned on BOS when the model has one, and does not
score an end-of-sequence token.

Continuations
-------------
``score([cont], contexts=[ctx])`` returns log p(cont | ctx). The scorer tokenizes ``ctx + cont`` as one
string and keeps the tokens whose span ends after ``len(ctx)``; spans are reported relative to ``cont``.
A token that straddles the join belongs to the continuation (its prediction is where the continuation
starts), so::

    logp(ctx + cont) == logp(ctx, eos=False) + logp(cont | ctx)

holds exactly whenever the tokenization of the whole splits at the join; where one token spans the join,
log p(ctx) alone scores a different, shorter token and the identity no longer holds.

Units
-----
Log-probabilities are in nats. Totals are also given in log10 and bits; perplexity is per scored token.
Only bits per character and bits per UTF-8 byte compare Chinese with English, since the two languages'
token counts mean different things.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol, runtime_checkable

LN2 = math.log(2.0)
LN10 = math.log(10.0)


@dataclass(frozen=True)
class TokenScore:
    """One chain-rule factor: log p(token | everything before it), in nats.

    `start`/`end` are the token's character span in the scored text (the continuation, when a context
    is given). `order` is the n-gram length matched (None for Transformers); `oov` marks `<unk>`.
    """

    text: str
    start: int
    end: int
    logprob: float
    order: int | None = None
    oov: bool = False


@dataclass(frozen=True)
class WordScore:
    """A word (from our segmenters) and the summed log-prob of the model tokens aligned to it."""

    text: str
    start: int
    end: int
    logprob: float
    lang: str
    n_tokens: int


@dataclass
class TextScore:
    """The chain-rule breakdown of one text, with totals in every unit that the tools report."""

    text: str
    tokens: list[TokenScore]
    words: list[WordScore] = field(default_factory=list)
    context: str | None = None
    model: str = ""
    is_probability: bool = True

    @property
    def logprob(self) -> float:
        """log p(text | context) in nats: the sum of the token factors."""
        return math.fsum(t.logprob for t in self.tokens)

    @property
    def log10(self) -> float:
        return self.logprob / LN10

    @property
    def bits(self) -> float:
        """−log₂ p: the information content of the text, in bits."""
        return -self.logprob / LN2

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    @property
    def n_chars(self) -> int:
        return len(self.text)

    @property
    def n_bytes(self) -> int:
        return len(self.text.encode("utf-8"))

    @property
    def perplexity(self) -> float:
        return math.exp(-self.logprob / self.n_tokens) if self.n_tokens else float("nan")

    @property
    def bits_per_token(self) -> float:
        return self.bits / self.n_tokens if self.n_tokens else float("nan")

    @property
    def bits_per_char(self) -> float:
        return self.bits / self.n_chars if self.n_chars else float("nan")

    @property
    def bits_per_byte(self) -> float:
        return self.bits / self.n_bytes if self.n_bytes else float("nan")

    def totals(self) -> dict:
        """The per-text figures, as plain numbers."""
        return {
            "logprob": self.logprob,
            "log10": self.log10,
            "bits": self.bits,
            "perplexity": self.perplexity,
            "n_tokens": self.n_tokens,
            "n_chars": self.n_chars,
            "n_bytes": self.n_bytes,
            "bits_per_token": self.bits_per_token,
            "bits_per_char": self.bits_per_char,
            "bits_per_byte": self.bits_per_byte,
        }

    def to_dict(self) -> dict:
        """A JSON-ready record: text, context, model, tokens, words and totals."""
        return {
            "text": self.text,
            "context": self.context,
            "model": self.model,
            "is_probability": self.is_probability,
            **self.totals(),
            "tokens": [asdict(t) for t in self.tokens],
            "words": [asdict(w) for w in self.words],
        }


@dataclass
class NextTokenDistribution:
    """The model's distribution over its next token after a context: token strings and their log-probs."""

    tokens: list[str]
    logprobs: Sequence[float]


@runtime_checkable
class Scorer(Protocol):
    """What every model implements, so that tables, CLI commands and evals can switch models freely."""

    name: str
    is_probability: bool  # False for scores that are not normalised (stupid backoff)

    def score(
        self,
        texts: Sequence[str],
        contexts: Sequence[str | None] | None = None,
        *,
        batch_size: int | None = None,
        progress: bool = False,
    ) -> list[TextScore]:
        """Score each text (optionally as a continuation of its context); results in input order."""
        ...

    def score_candidates(self, prompt: str, candidates: Sequence[str]) -> list[float]:
        """log p(candidate | prompt) in nats for each candidate, reusing the prompt's computation."""
        ...

    def next_token_distribution(self, context: str) -> NextTokenDistribution:
        """The full distribution over the next token (word for n-grams, subword for Transformers)."""
        ...

    def sample(self, context: str, num_samples: int, max_new_tokens: int, seed: int) -> list[str]:
        """Seeded ancestral samples continuing `context` (the continuation text only)."""
        ...

    def describe(self) -> dict:
        """How the scores were made: model id, weights fingerprint, device, dtype, conventions."""
        ...
