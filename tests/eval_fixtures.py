"""Fixtures for the eval tests: a tiny deterministic scorer and small task files in the YAML format.

The scorer is a character bigram model with add-one smoothing that implements the `Scorer` contract
exactly (the eval engine, not this model, is what the tests test):
p(c | b) = (count(b c) + 1) / (count(b) + V) over the training characters plus <unk>, with <s> before the
first character of the text (or the context's last character when a context is given).
`register()` makes it loadable as `--model bigram:NAME` in CLI subprocesses.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import time
from collections import Counter
from pathlib import Path

import yaml

from bilingual_lm.score.base import Description, NextTokenDistribution, Scorer, TextScore, TokenScore
from bilingual_lm.score.registry import register_scorer

TRAINING_TEXT = (
    "日本的货币是日元。美国的货币是美元。中国的货币是人民币。英国的货币是英镑。"
    "The currency of Japan is the Japanese yen. The currency of the United States is the US dollar. "
    "The currency of China is the Chinese yuan. The currency of the United Kingdom is the British pound. "
    "东京位于日本。巴黎位于法国。北京位于中国。伦敦位于英国。Tokyo is in Japan. Paris is in France. "
    "我爱吃苹果。他喜欢喝茶。I love to eat apples. He likes to drink tea. 今天天气很好。The weather is nice today."
)
BOS = "<s>"
UNK = "<unk>"


class CharBigramScorer(Scorer):
    name = "char-bigram"
    is_probability = True

    def __init__(self, text: str = TRAINING_TEXT, delay: float = 0.0):
        self.vocab = sorted(set(text)) + [UNK]
        self.pairs = Counter(zip([BOS, *text], text, strict=False))
        self.history = Counter([BOS, *text[:-1]])
        self.delay = delay  # seconds per call of `score`, so that a test can interrupt a run mid-way
        self.fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()

    def logprob(self, char: str, previous: str) -> float:
        char = char if char in self.vocab else UNK
        return math.log((self.pairs[(previous, char)] + 1) / (self.history[previous] + len(self.vocab)))

    def score(self, texts, contexts=None, *, batch_size=None, progress=False):
        contexts = contexts or [None] * len(texts)
        time.sleep(self.delay)
        results = []
        for text, context in zip(texts, contexts, strict=True):
            previous = context[-1] if context else BOS
            tokens = []
            for index, char in enumerate(text):
                tokens.append(TokenScore(char, index, index + 1, self.logprob(char, previous)))
                previous = char
            results.append(TextScore(text=text, tokens=tokens, context=context, model=self.name))
        return results

    def score_candidates(self, requests):
        return [[score.logprob for score in self.score(list(r.candidates), [r.prompt] * len(r.candidates))]
                for r in requests]

    def continuation_tokens(self, requests):
        return [[len(c) for c in r.candidates] for r in requests]

    def next_token_distributions(self, contexts):
        return [NextTokenDistribution(list(self.vocab), [self.logprob(c, context[-1] if context else BOS)
                                                          for c in self.vocab]) for context in contexts]

    def sample(self, requests):
        return [self._sample(r.context, r.num_samples, r.max_new_tokens, r.seed) for r in requests]

    def _sample(self, context, num_samples, max_new_tokens, seed):
        rng = random.Random(seed)
        samples = []
        for _ in range(num_samples):
            previous, out = context[-1] if context else BOS, []
            for _ in range(max_new_tokens):
                weights = [math.exp(self.logprob(c, previous)) for c in self.vocab]
                char = rng.choices(self.vocab, weights)[0]
                out.append("?" if char == UNK else char)
                previous = char
            samples.append("".join(out))
        return samples

    def describe(self):
        return Description(name=self.name, kind="bigram", identity={"text_sha256": self.fingerprint}, device="cpu",
                           dtype="float64", is_probability=True)


@register_scorer("bigram")
def load(target: str, **options) -> CharBigramScorer:
    """`bigram:default`, or `bigram:slow` (sleeps BLM_TEST_DELAY seconds per request)."""
    delay = float(os.environ.get("BLM_TEST_DELAY", "0.05")) if target == "slow" else 0.0
    return CharBigramScorer(delay=delay)


def register() -> None:
    """Importing this module registers `bigram:`; a CLI subprocess calls this to import it."""


CURRENCY = {
    "format": 1, "name": "t_currency", "kind": "choice", "group": "test", "description": "territory -> currency",
    "source": "test fixture", "languages": ["zh", "en"],
    "templates": {"prompt": {"zh": "{country}的货币是", "en": "The currency of {country} is"}},
    "concepts": {"JPY": {"zh": "日元", "en": "Japanese yen"}, "USD": {"zh": "美元", "en": "US dollar"},
                 "CNY": {"zh": "人民币", "en": "Chinese yuan"}, "GBP": {"zh": "英镑", "en": "British pound"}},
    "items": [
        {"id": code, "slots": {"country": {"zh": zh, "en": en}}, "candidates": ["JPY", "USD", "CNY", "GBP"],
         "gold": gold}
        for code, zh, en, gold in [("JP", "日本", "Japan", "JPY"), ("US", "美国", "the United States", "USD"),
                                   ("CN", "中国", "China", "CNY"), ("GB", "英国", "the United Kingdom", "GBP"),
                                   ("FR", "法国", "France", "USD"), ("DE", "德国", "Germany", "GBP")]
    ],
}
TRANSLATION = {
    "format": 1, "name": "t_translation", "kind": "choice", "group": "test", "description": "translation choice",
    "source": "test fixture", "languages": ["zh", "en"], "conditions": [["zh", "en"], ["en", "zh"]],
    "templates": {"prompt": {"zh": "{sentence} English: ", "en": "{sentence} 中文："}},
    "concepts": {"s1": {"zh": "我爱吃苹果。", "en": "I love to eat apples."},
                 "s2": {"zh": "他喜欢喝茶。", "en": "He likes to drink tea."},
                 "s3": {"zh": "今天天气很好。", "en": "The weather is nice today."}},
    "items": [
        {"id": sid, "slots": {"sentence": {"zh": zh, "en": en}}, "candidates": ["s1", "s2", "s3"], "gold": sid}
        for sid, zh, en in [("s1", "我爱吃苹果。", "I love to eat apples."),
                            ("s2", "他喜欢喝茶。", "He likes to drink tea."),
                            ("s3", "今天天气很好。", "The weather is nice today.")]
    ],
}
PARALLEL = {
    "format": 1, "name": "t_parallel", "kind": "parallel", "group": "test", "description": "parallel sentences",
    "source": "test fixture", "languages": ["zh", "en"], "templates": {"prompt": {"zh": "{text}", "en": "{text}"}},
    "items": [{"id": f"p{i}", "slots": {"text": {"zh": zh, "en": en}}} for i, (zh, en) in enumerate(
        [("我爱吃苹果。", "I love to eat apples."), ("他喜欢喝茶。", "He likes to drink tea."),
         ("今天天气很好。", "The weather is nice today."), ("北京位于中国。", "Beijing is in China.")])],
}
OPEN = {
    "format": 1, "name": "t_open", "kind": "open", "group": "test", "description": "open prompts",
    "source": "test fixture", "languages": ["zh", "en"], "templates": {"prompt": {"zh": "{start}", "en": "{start}"}},
    "items": [{"id": f"o{i}", "slots": {"start": {"zh": zh, "en": en}}} for i, (zh, en) in enumerate(
        [("我爱", "I love"), ("今天", "Today"), ("他喜欢", "He likes")])],
}
TASKS = (CURRENCY, TRANSLATION, PARALLEL, OPEN)
TASK_NAMES = ",".join(task["name"] for task in TASKS)


def write_tasks(directory: Path, tasks=TASKS) -> Path:
    """Write task files (one YAML per task) into `directory` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        (directory / f"{task['name']}.yaml").write_text(yaml.safe_dump(task, allow_unicode=True), encoding="utf-8")
    return directory
