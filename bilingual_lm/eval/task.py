"""The in-memory form of an eval task (loaded from YAML by `bilingual_lm.eval.loader`).

Three kinds of task:

* ``choice``: each item asks a question whose answer is one of a set of candidate concepts. Prompts and
  candidate surface forms exist in every language, aligned by concept id (an ISO code, say), so every
  item is scored under each prompt-language × answer-language condition (zh→zh, zh→en, en→zh, en→en),
  restricted to `Task.conditions` when the task lists them (translation choice: zh→en and en→zh).
* ``parallel``: each item is the same meaning written in each language (`Item.prompts`); the eval compares
  the information cost (bits per sentence, per character and per byte) of the two sides.
* ``open``: each item is an open prompt per language; the eval reads the next-token distribution
  (entropy, language fidelity) and seeded samples (distinct-n, type/token).
* ``lens``: each item has a prompt per condition (`Item.prompts` keyed ``"zh->en"``: the prompt in zh asking
  for the answer in en) and a one-word answer per language (`Item.answers`); the eval reads, at every layer,
  p(the answer's first token) in each language (`bilingual_lm.lens`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    """One answer concept with its surface form in each language, e.g. JPY: {zh: 日元, en: Japanese yen}."""

    id: str
    surface: dict[str, str]


@dataclass(frozen=True)
class Item:
    """One question: its prompt per language, the candidate concepts and the gold concept id."""

    id: str
    prompts: dict[str, str]
    candidates: tuple[Candidate, ...] = ()
    gold: str | None = None
    answers: dict[str, str] = field(default_factory=dict)  # lens: the one-word answer per language
    meta: dict = field(default_factory=dict)


@dataclass
class Task:
    """A named set of items of one kind, with the templates and hash that identify its prompts."""

    name: str
    kind: str  # "choice" | "parallel" | "open" | "lens"
    description: str
    source: str
    templates: dict[str, dict[str, str]]  # e.g. {"prompt": {"zh": ..., "en": ...}, "answer": {...}}
    items: list[Item]
    template_hash: str  # sha256 of the canonical JSON of `templates`
    path: str = ""
    group: str = ""  # the relation or family the task reports under (e.g. "cldr")
    conditions: tuple[tuple[str, str], ...] = ()  # allowed (prompt_lang, answer_lang); empty = all
    languages: tuple[str, ...] = ()  # the languages every prompt and surface form is given in
    license: str = ""  # the licence of the source data
    default_limit: int | None = None  # items the `default` suite runs (the first ones); None = not in it

    def first(self, limit: int | None) -> Task:
        """The task with only its first `limit` items (the generators order items so that these are a sample)."""
        if limit is None or limit >= len(self.items):
            return self
        return dataclasses.replace(self, items=self.items[:limit])

    def neutral_prompt(self, lang: str) -> str | None:
        """The task's neutral prompt in `lang` (PMI's reference context), or None if it has none."""
        return self.templates.get("neutral", {}).get(lang)

    def joiner(self, prompt_lang: str, answer_lang: str) -> str | None:
        """The text put between a prompt in `prompt_lang` and an answer in `answer_lang` (None: not set)."""
        return self.templates.get("joiner", {}).get(f"{prompt_lang}->{answer_lang}")
