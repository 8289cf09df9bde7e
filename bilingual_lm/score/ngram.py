"""Chain-rule scores from an n-gram model, under the contract of `bilingual_lm/score/base.py`.

Conventions (all recorded by `describe()`):

* **Words.** The text is split by our segmenter (zh, en, auto, space…) and each word is one model token;
  `<s>` conditions the first word and `</s>` is scored at the end (eos on), as KenLM's ``query`` does.
  `</s>` is a token with the empty span (len(text), len(text)). Word breakdowns are the tokens themselves.
* **Continuations.** ``context + text`` is segmented as one string; the tokens whose span ends after
  ``len(context)`` are the continuation's (a word straddling the join is the continuation's first token,
  its span clipped to start at 0). Under a scorer with eos off (``with_eos(False)``),
  ``logp(context) + logp(text | context)`` equals ``logp(context + text)`` whenever the segmentation splits
  at the join. Candidates (`score_candidates`) are always scored without `</s>`.
* **Stupid backoff** gives scores, not probabilities: ``is_probability`` is False.

The default model (``ngram:default``) is trained at first use on the HSK sentences' training split
(the nine tenths that the KenLM fixtures train on; the held-out tenth stays unseen), segmented by the
language's segmenter, order 3, modified Kneser-Ney, and cached under the user's cache directory.
For ``lang="auto"`` it is one joint model of the Chinese and English sentences, segmented by the
mixed-script segmenter, so that code-switched text is scored by one model.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from bilingual_lm.errors import InputError
from bilingual_lm.models.device import resolve_device
from bilingual_lm.ngram import NgramModel, load_ngram, train_ngram
from bilingual_lm.ngram.native import VERSION as NATIVE_VERSION
from bilingual_lm.ngram.validate import check_scores
from bilingual_lm.ngram.vocabulary import EOS, UNK
from bilingual_lm.progress import Progress, report
from bilingual_lm.score.base import (
    CandidatesRequest,
    Description,
    NextTokenDistribution,
    SampleRequest,
    Scorer,
    TextScore,
    TokenScore,
)
from bilingual_lm.score.words import align_words
from bilingual_lm.segment.base import Segmenter, Token, get_segmenter
from bilingual_lm.segment.script import is_spaced

DEFAULT_ORDER = 3
DEFAULT_SMOOTHING = "kn"
DEFAULT_LANGS = ("zh", "en", "auto")
RECIPE_VERSION = 1
# characters per text (with its context): segmenting, scoring and aligning are linear, about 35 µs per
# character on a 2-core CPU (eval/bench/bench_hostile.py), so the default bound is about 35 s of work
DEFAULT_MAX_CHARS = 1_000_000


class NgramScorer(Scorer):
    """Score texts with `model`, words cut by `segmenter`; `eos` scores `</s>` after each text."""

    def __init__(self, model: NgramModel, segmenter: Segmenter, name: str, *, eos: bool = True,
                 path: str | Path | None = None, recipe: dict | None = None, max_chars: int = DEFAULT_MAX_CHARS):
        self.model = model
        self.max_chars = max_chars
        self.segmenter = segmenter
        self.name = name
        self.eos = eos
        self.path = Path(path) if path else None
        self.recipe = recipe
        self.is_probability = model.is_probability
        self._sha256 = None

    def with_eos(self, eos: bool) -> NgramScorer:
        """The same model and segmenter, scoring `</s>` after each text or not."""
        other = copy.copy(self)
        other.eos = eos
        return other

    def score(self, texts: Sequence[str], contexts: Sequence[str | None] | None = None, *,
              batch_size: int | None = None, progress: Progress | None = None) -> list[TextScore]:
        """Score each text (as a continuation of its context when given)."""
        contexts = list(contexts) if contexts is not None else [None] * len(texts)
        if len(contexts) != len(texts):
            raise InputError(f"{len(texts)} texts but {len(contexts)} contexts")
        self._check_texts(texts, contexts)
        batch_size = batch_size or 4096
        results: list[TextScore] = []
        with report(progress, "scoring", len(texts)) as advance:
            for first in range(0, len(texts), batch_size):
                chunk = range(first, min(first + batch_size, len(texts)))
                results += self._score_batch([texts[i] for i in chunk], [contexts[i] for i in chunk], self.eos)
                advance(len(chunk))
        return results

    def _check_texts(self, texts: Sequence[str], contexts: Sequence[str | None]) -> None:
        for text, context in zip(texts, contexts, strict=True):
            if not text.strip():
                raise InputError("empty or whitespace-only text")
            if len(text) + len(context or "") > self.max_chars:
                raise InputError(f"text of {len(text) + len(context or '')} characters (with its context) is over "
                                 f"the limit of {self.max_chars}; split it, or raise --max-chars to score it")

    def score_table(self, texts: Sequence[str], *, batch_size: int = 4096, progress: Progress | None = None
                    ) -> ScoreTable:
        """What `score(texts)` gives, without contexts, as arrays (no object per token, no word breakdown):
        the spans come from the segmenter's `spans` where it has one, else from its tokens."""
        self._check_texts(texts, [None] * len(texts))
        spans_of = getattr(self.segmenter, "spans", None) or (lambda text: [(t.start, t.end) for t in
                                                                             self.segmenter.segment(text)])
        spans, parts = [], []
        with report(progress, "scoring", len(texts)) as advance:
            for first in range(0, len(texts), batch_size):
                batch = texts[first:first + batch_size]
                cut = [spans_of(text) for text in batch]
                scores = self.model.score_sentences([[text[a:b] for a, b in pairs] for text, pairs in
                                                     zip(batch, cut, strict=True)], eos=self.eos)
                if self.is_probability:
                    check_scores(scores.logprobs, self.name)
                spans += cut
                parts.append(scores)
                advance(len(batch))
        return ScoreTable(list(texts), spans, self.eos, np.concatenate([p.logprobs for p in parts]),
                          np.concatenate([p.orders for p in parts]), np.concatenate([p.oov for p in parts]))

    def _score_batch(self, texts: list[str], contexts: list[str | None], eos: bool) -> list[TextScore]:
        segmented = [self.segmenter.segment((c or "") + t) for t, c in zip(texts, contexts, strict=True)]
        scores = self.model.score_sentences([[w.text for w in words] for words in segmented], eos=eos)
        if self.is_probability:
            check_scores(scores.logprobs, self.name)
        results = []
        for i, (text, context, words) in enumerate(zip(texts, contexts, segmented, strict=True)):
            cut = len(context or "")
            factors = scores.sentence(i)
            tokens, units = [], []
            for word, (logprob, order, oov) in zip(words, factors, strict=False):
                if word.end <= cut:
                    continue
                start, end = max(word.start - cut, 0), word.end - cut
                tokens.append(TokenScore(word.text, start, end, logprob, order, oov))
                units.append(Token(text[start:end], word.lang, start, end))
            if eos:
                logprob, order, _ = factors[-1]
                tokens.append(TokenScore(EOS, len(text), len(text), logprob, order, False))
            results.append(TextScore(text=text, tokens=tokens, words=align_words(text, tokens, units),
                                     context=context, model=self.name, is_probability=self.is_probability))
        return results

    def score_candidates(self, requests: Sequence[CandidatesRequest]) -> list[list[float]]:
        """ln p(candidate | prompt) for each candidate (no </s>: the candidate need not end the text)."""
        open_ended = self.with_eos(False)
        return [[r.logprob for r in open_ended.score(request.candidates, [request.prompt] * len(request.candidates))]
                for request in requests]

    def continuation_tokens(self, requests: Sequence[CandidatesRequest]) -> list[list[int]]:
        """The words of each candidate after its prompt (no </s>), as `score_candidates` scores them."""
        open_ended = self.with_eos(False)
        return [[r.n_tokens for r in open_ended.score(request.candidates, [request.prompt] * len(request.candidates))]
                for request in requests]

    def next_token_distributions(self, contexts: Sequence[str]) -> list[NextTokenDistribution]:
        """ln p(w | context) for every word of the vocabulary that can follow (with </s> and <unk>)."""
        distributions = []
        for context in contexts:
            tokens, logprobs = self.model.next_word_logprobs([w.text for w in self.segmenter.segment(context)])
            distributions.append(NextTokenDistribution(tokens=tokens, logprobs=logprobs))
        return distributions

    def sample(self, requests: Sequence[SampleRequest]) -> list[list[str]]:
        """Seeded ancestral samples, word by word until </s> or `max_new_tokens` words (see `_sample`)."""
        return [self._sample(r.context, r.num_samples, r.max_new_tokens, r.seed) for r in requests]

    def _sample(self, context: str, num_samples: int, max_new_tokens: int, seed: int) -> list[str]:
        """Seeded ancestral samples, word by word until </s> or `max_new_tokens` words.

        `<unk>` is never drawn (its mass is spread over the rest by renormalising), since it has no text.
        Words are joined with a space where both sides are Latin letters or digits, else directly.
        """
        rng = np.random.default_rng(seed)
        history = [w.text for w in self.segmenter.segment(context)]
        samples = []
        for _ in range(num_samples):
            drawn: list[str] = []
            for _ in range(max_new_tokens):
                tokens, logprobs = self.model.next_word_logprobs(history + drawn)
                weights = np.exp(logprobs - np.max(logprobs))
                weights[tokens.index(UNK) if self.model.vocabulary.unk != 0 else 0] = 0.0
                word = tokens[rng.choice(len(tokens), p=weights / weights.sum())]
                if word == EOS:
                    break
                drawn.append(word)
            samples.append(_join(drawn, context))
        return samples

    def describe(self) -> Description:
        """The model file's sha256, order, smoothing, sizes and conventions (the path as given is a detail)."""
        if self._sha256 is None and self.path is not None:
            self._sha256 = hashlib.sha256(self.path.read_bytes()).hexdigest()
        identity = {
            "sha256": self._sha256,
            "order": self.model.order,
            "smoothing": self.model.smoothing,
            "params": self.model.params,
            "vocab_size": len(self.model.vocab),
            "ngram_counts": [len(k) for k in self.model.keys],
            "segmenter": self.segmenter.name,
            "bos": True,
            "eos": self.eos,
        }
        return Description(name=self.name, kind="ngram", identity=identity, device=str(self.model.device),
                           dtype="float64", is_probability=self.is_probability,
                           details={"path": str(self.path) if self.path else None, "recipe": self.recipe})


@dataclass
class ScoreTable:
    """`NgramScorer.score_table`'s answer: text i's tokens are its `spans[i]` (then `</s>` where `eos`), and
    their log p (nats), n-gram lengths and OOV flags lie end to end in the arrays."""

    texts: list[str]
    spans: list[list[tuple[int, int]]]
    eos: bool
    logprobs: np.ndarray
    orders: np.ndarray
    oov: np.ndarray

    def rows(self) -> Iterator[tuple[int, str, int, int, float, int, bool]]:
        """(text index, token, start, end, log p, n-gram length, oov) of every token, in order."""
        at = 0
        logprobs, orders, oov = self.logprobs.tolist(), self.orders.tolist(), self.oov.tolist()
        for index, (text, pairs) in enumerate(zip(self.texts, self.spans, strict=True)):
            for start, end in pairs:
                yield index, text[start:end], start, end, logprobs[at], orders[at], oov[at]
                at += 1
            if self.eos:
                yield index, EOS, len(text), len(text), logprobs[at], orders[at], oov[at]
                at += 1


def load_ngram_scorer(target: str, lang: str = "auto", *, device: str | None = None, eos: bool = True,
                      progress: Progress | None = None, max_chars: int | None = None, **_options) -> NgramScorer:
    """The scorer for ``ngram:TARGET``: TARGET is an ARPA/.blm path, or ``default`` (see the module doc).

    `lang` names the segmenter (zh, en, auto, space, char…). Options meant for other model kinds
    (dtype, …) are ignored.
    """
    segmenter = get_segmenter(lang)
    device = str(resolve_device(device, needs_float64=True))
    if target == "default":
        path, recipe = default_model_path(lang, progress)
        name = f"ngram:default-{lang}"
    else:
        path, recipe, name = Path(target), None, f"ngram:{target}"
    return NgramScorer(load_ngram(path, device=device), segmenter, name, eos=eos, path=path, recipe=recipe,
                       max_chars=max_chars or DEFAULT_MAX_CHARS)


def default_recipe(lang: str) -> dict:
    """Everything that determines the default model of `lang`; its hash names the cached file."""
    if lang not in DEFAULT_LANGS:
        raise InputError(f"no default n-gram for --lang {lang!r}; choose one of {', '.join(DEFAULT_LANGS)}")
    return {
        "recipe": RECIPE_VERSION,
        "corpus": "hsk-sentences-audio",
        "corpus_version": _version("hsk-sentences-audio"),
        "split": "train (index % 10 != 9)",
        "texts": {"zh": ["zh"], "en": ["en"], "auto": ["zh", "en"]}[lang],
        "segmenter": lang,
        "jieba": _version("jieba"),
        "order": DEFAULT_ORDER,
        "smoothing": DEFAULT_SMOOTHING,
        "format": NATIVE_VERSION,
    }


def default_model_path(lang: str, progress: Progress | None = None) -> tuple[Path, dict]:
    """The cached default model of `lang`, trained (reported to `progress`) and written atomically on first use."""
    from bilingual_lm.corpora.hsk import train_test_split
    from bilingual_lm.paths import cache_dir

    recipe = default_recipe(lang)
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir("ngram") / f"hsk-{lang}-o{DEFAULT_ORDER}-{DEFAULT_SMOOTHING}-{digest}.blm"
    if not path.exists():
        segmenter = get_segmenter(lang)
        train, _ = train_test_split()
        texts = [getattr(s, field) for field in recipe["texts"] for s in train]
        sentences = [[w.text for w in segmenter.segment(t)] for t in texts]
        train_ngram(sentences, DEFAULT_ORDER, DEFAULT_SMOOTHING, progress=progress).save(path)
    return path, recipe


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _join(words: list[str], context: str) -> str:
    """Words as text: a space between two Latin/digit ends, nothing otherwise (Chinese, punctuation)."""
    text, previous = "", context[-1:] if context else ""
    for word in words:
        if previous and is_spaced(previous[-1]) and is_spaced(word[0]):
            text += " "
        text += word
        previous = word
    return text
