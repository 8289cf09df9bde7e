"""Tasks from the HSK sentences of `hsk-sentences-audio` (zh/en pairs, HSK levels 1–6).

Only the held-out sentences of `train_test_split` are used (every 10th), so that an n-gram model trained
on the other nine in ten is not scored on its own training text. Sentences whose Chinese or English text
occurs twice there are left out. Items are ordered one HSK level after another (seeded within a level), so
that the first N items of a file hold the levels in equal shares.

* ``hsk_parallel``: each sentence in zh and en: the information cost of one meaning in each language.
* ``hsk_translation``: a sentence in one language, then its true translation among distractors of the
  same HSK level (zh→en and en→zh).
* ``hsk_open``: the first clauses of a sentence and of its English translation, cut at the same comma so
  that the two halves translate each other, as open prompts for next-token distributions and sampling.

    python -m eval.generate.hsk [--seed N] [--out DIR]
"""

from __future__ import annotations

import math
import re
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from bilingual_lm.corpora.hsk import LICENSE, HskSentence, train_test_split
from eval.generate.sampling import SEED, candidate_ids, interleaved
from eval.generate.taskfile import JOINERS, run_generators, write_task

GENERATOR = "eval.generate.hsk"
LANGUAGES = ("zh", "en")
CANDIDATES = 8
DEFAULT_LIMITS = {"hsk_parallel": 100, "hsk_translation": 30, "hsk_open": 12}


def held_out() -> list[HskSentence]:
    """The held-out sentences whose zh and en texts are each unique among them."""
    sentences = train_test_split()[1]
    zh = Counter(s.zh for s in sentences)
    en = Counter(s.en for s in sentences)
    return [s for s in sentences if zh[s.zh] == 1 and en[s.en] == 1]


def source() -> str:
    return (
        f"hsk-sentences-audio {version('hsk-sentences-audio')}: the held-out sentences of "
        "bilingual_lm.corpora.hsk.train_test_split (every 10th)"
    )


def header(name: str, kind: str, description: str, prompt: dict[str, str]) -> dict:
    return {
        "format": 1,
        "name": name,
        "kind": kind,
        "group": "hsk",
        "description": description,
        "source": source(),
        "license": LICENSE,
        "languages": list(LANGUAGES),
        "default_limit": DEFAULT_LIMITS[name],
        "templates": {"prompt": prompt},
    }


def ordered(sentences: list[HskSentence], seed: int, name: str) -> list[HskSentence]:
    return interleaved(sorted(sentences, key=lambda s: s.id), lambda s: s.level, seed, name, "order")


def parallel(seed: int = SEED) -> dict:
    name = "hsk_parallel"
    task = header(
        name,
        "parallel",
        "The same sentence in Chinese and in English: bits per sentence, per character and per byte of each side, "
        "and the share of pairs where the Chinese side costs more bits.",
        {"zh": "{text}", "en": "{text}"},
    )
    task["items"] = [
        {"id": s.id, "slots": {"text": {"zh": s.zh, "en": s.en}}, "meta": {"level": s.level}}
        for s in ordered(held_out(), seed, name)
    ]
    return task


def translation(seed: int = SEED) -> dict:
    name = "hsk_translation"
    sentences = held_out()
    task = header(
        name,
        "choice",
        f"A sentence, then its translation among {CANDIDATES - 1} other sentences of the same HSK level.",
        {"zh": "中文：{sentence}\nEnglish:", "en": "English: {sentence}\n中文："},
    )
    task["templates"]["neutral"] = {"zh": "中文：\nEnglish:", "en": "English:\n中文："}
    task["templates"]["joiner"] = JOINERS
    task["conditions"] = [["zh", "en"], ["en", "zh"]]
    task["concepts"] = {s.id: {"zh": s.zh, "en": s.en} for s in sorted(sentences, key=lambda s: s.id)}
    by_level: dict[int, list[str]] = {}
    for s in sentences:
        by_level.setdefault(s.level, []).append(s.id)
    task["items"] = [
        {
            "id": s.id,
            "slots": {"sentence": {"zh": s.zh, "en": s.en}},
            "candidates": candidate_ids(s.id, by_level[s.level], CANDIDATES, seed, name, s.id),
            "gold": s.id,
            "meta": {"level": s.level},
        }
        for s in ordered(sentences, seed, name)
    ]
    return task


def clauses(text: str, comma: str) -> list[str]:
    """The text cut after each `comma` (the comma stays with its clause)."""
    return [part for part in re.split(f"(?<={comma})", text) if part]


def open_prompt(sentence: HskSentence) -> dict[str, str] | None:
    """The first half (rounded up) of the clauses of each side, cut at the same comma, so that the halves
    translate each other; None unless the zh (，) and en (,) sides have the same number (≥ 2) of clauses."""
    zh, en = clauses(sentence.zh, "，"), clauses(sentence.en, ",")
    if len(zh) != len(en) or len(zh) < 2:
        return None
    half = math.ceil(len(zh) / 2)
    return {"zh": "".join(zh[:half]), "en": "".join(en[:half])}


def open_prompts(seed: int = SEED) -> dict:
    name = "hsk_open"
    task = header(
        name,
        "open",
        "The first clauses of an HSK sentence and of its translation, cut at the same comma, as open prompts.",
        {"zh": "{text}", "en": "{text}"},
    )
    prompts = {s.id: text for s in held_out() if (text := open_prompt(s))}
    eligible = [s for s in held_out() if s.id in prompts]
    task["items"] = [
        {"id": s.id, "slots": {"text": prompts[s.id]}, "meta": {"level": s.level}}
        for s in ordered(eligible, seed, name)
    ]
    return task


def generate(seed: int = SEED, out_dir: str | Path | None = None) -> list[Path]:
    return [write_task(build(seed), GENERATOR, out_dir) for build in (parallel, translation, open_prompts)]


def main(argv: list[str] | None = None) -> None:
    run_generators(f"python -m {GENERATOR}", __doc__.split("\n\n")[0], [generate], argv)


if __name__ == "__main__":
    main()
