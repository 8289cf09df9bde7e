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
score an end-of-sequence token: for Gemma's tokens ▁I / ▁love / ▁pizza of "I love pizza"::

    log p = log p(▁I | <bos>) + log p(▁love | <bos> ▁I) + log p(▁pizza | <bos> ▁I ▁love)

Continuations
-------------
``score([cont], contexts=[ctx])`` returns log p(cont | ctx). The scorer tokenizes ``ctx + cont`` as one
string and keeps the tokens whose span ends after ``len(ctx)``; spans are reported relative to ``cont``.
A token that straddles the join belongs to the continuation (its prediction is where the continuation
starts), so::

    logp(ctx + cont) == logp(ctx) + logp(cont | ctx)        (an n-gram scorer loaded with eos off)

holds exactly whenever the tokenization of the whole splits at the join; where one token spans the join,
log p(ctx) alone scores a different, shorter token and the identity no longer holds.

The batch-first contract
------------------------
`Scorer` is the one place a new backend implements. Every method takes a list of requests and answers them
in input order, so that a backend batches as it likes and an eval runner calls one method per kind of
request (it never asks what a scorer can do): `score` (texts, optionally after contexts), `score_candidates`
(`CandidatesRequest`: log p(candidate | prompt) of each candidate) with `continuation_tokens` (how many
tokens each of those scores sums), `next_token_distributions`,
`sample` (`SampleRequest`) and `hidden_states` (`HiddenStatesRequest`: the residual stream at every layer, for
the logit lens; a backend without layers inherits the `NotSupportedError`). The single-request forms
(`score_one`, `score_candidates_one`, `next_token_distribution`, `sample_one`) are thin defaults on top: a
request's answer never depends on the other requests of its batch (to 1e-4 in fp32 for a Transformer,
exactly for an n-gram). `describe()` returns one `Description` schema for every backend.

Units
-----
Log-probabilities are in nats. Totals are also given in log10 and bits; perplexity is per scored token.
Only bits per character and bits per UTF-8 byte compare Chinese with English, since the two languages'
token counts mean different things.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from bilingual_lm.errors import NotSupportedError

if TYPE_CHECKING:
    import torch

    from bilingual_lm.progress import Progress

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


@dataclass(frozen=True)
class CandidatesRequest:
    """Score each candidate as a continuation of `prompt`: one log p(candidate | prompt) per candidate."""

    prompt: str
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class SampleRequest:
    """`num_samples` seeded ancestral samples of at most `max_new_tokens` model tokens continuing `context`."""

    context: str
    num_samples: int
    max_new_tokens: int
    seed: int


@dataclass(frozen=True)
class HiddenStatesRequest:
    """The residual stream at one token of `text`: `position` indexes the model's tokens of `text` (BOS first
    when the model uses one); -1 is the last token, whose states predict the token after `text`."""

    text: str
    position: int = -1


@dataclass(frozen=True)
class Description:
    """How a scorer's numbers are made, in one schema for every backend.

    `identity` holds everything that determines the scores and nothing else: content hashes (the weights'
    sha256, the model file's sha256), never a path as typed, plus each setting that changes a score. The
    eval's request cache and run identity hash it (`fingerprint`), so ``ngram:m.arpa`` and ``ngram:./m.arpa``
    are one model. `details` holds the rest: conventions, sizes, the path as given, the code paths chosen.
    """

    name: str  # the model as named when loaded (e.g. "gemma3-270m", "ngram:default-zh")
    kind: str  # "ngram" or "transformer"
    identity: dict
    device: str
    dtype: str
    is_probability: bool
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class Scorer(ABC):
    """What every model implements, so that tables, CLI commands and evals can switch models freely (see the
    module docstring for the chain rule and the batch-first convention)."""

    name: str
    is_probability: bool = True  # False for scores that are not normalised (stupid backoff)

    @abstractmethod
    def score(
        self,
        texts: Sequence[str],
        contexts: Sequence[str | None] | None = None,
        *,
        batch_size: int | None = None,
        progress: Progress | None = None,
    ) -> list[TextScore]:
        """Score each text (as a continuation of its context when given); results in input order."""

    @abstractmethod
    def score_candidates(self, requests: Sequence[CandidatesRequest]) -> list[list[float]]:
        """log p(candidate | prompt) in nats for each candidate of each request, with no end-of-text factor
        (a candidate need not end the text)."""

    @abstractmethod
    def continuation_tokens(self, requests: Sequence[CandidatesRequest]) -> list[list[int]]:
        """How many tokens `score_candidates` scores for each candidate (the per-token rule's divisor)."""

    @abstractmethod
    def next_token_distributions(self, contexts: Sequence[str]) -> list[NextTokenDistribution]:
        """The full distribution over the next token after each context (word for n-grams, subword for
        Transformers)."""

    @abstractmethod
    def sample(self, requests: Sequence[SampleRequest]) -> list[list[str]]:
        """Each request's samples (the continuation text only), drawn from the request's own seeded generator."""

    def hidden_states(self, requests: Sequence[HiddenStatesRequest]) -> list[torch.Tensor]:
        """Per request, the residual stream at its position: a float32 CPU tensor [n_layers + 1, d_model] whose
        row 0 is the embedding output and row i the output of layer i (before the final norm)."""
        raise NotSupportedError(f"{self.name} has no hidden states (only Transformer scorers have layers)")

    @abstractmethod
    def describe(self) -> Description:
        """How the scores were made (see `Description`)."""

    # ---- single-request forms ------------------------------------------------------------------------------

    def score_one(self, text: str, context: str | None = None) -> TextScore:
        return self.score([text], [context])[0]

    def score_candidates_one(self, prompt: str, candidates: Sequence[str]) -> list[float]:
        return self.score_candidates([CandidatesRequest(prompt, tuple(candidates))])[0]

    def next_token_distribution(self, context: str) -> NextTokenDistribution:
        return self.next_token_distributions([context])[0]

    def sample_one(self, context: str, num_samples: int, max_new_tokens: int, seed: int) -> list[str]:
        return self.sample([SampleRequest(context, num_samples, max_new_tokens, seed)])[0]

    def hidden_states_one(self, text: str, position: int = -1) -> torch.Tensor:
        return self.hidden_states([HiddenStatesRequest(text, position)])[0]
