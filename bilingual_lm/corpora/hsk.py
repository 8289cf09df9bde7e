"""The 4,354 HSK 3.0 sentences of the `hsk-sentences-audio` package (data CC-BY-SA-4.0).

Each sentence has Chinese text, an English translation, its HSK level (1–6) and a gold word
segmentation (punctuation left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

LICENSE = "CC-BY-SA-4.0"


@dataclass(frozen=True)
class HskSentence:
    id: str
    zh: str
    en: str
    level: int
    gold_words: tuple[str, ...]


@lru_cache(maxsize=1)
def hsk_sentences() -> tuple[HskSentence, ...]:
    """All sentences in the package's order."""
    from hsk_sentences_audio import load_sentences

    return tuple(
        HskSentence(
            id=record["id"],
            zh=record["chinese"],
            en=record["translation"]["en"],
            level=record["hsk_level"],
            gold_words=tuple(token["word"] for token in record["tokens"]),
        )
        for record in load_sentences()
    )


def train_test_split(sentences=None) -> tuple[list[HskSentence], list[HskSentence]]:
    """The split used by the KenLM fixtures: every 10th sentence (index % 10 == 9) is held out."""
    sentences = hsk_sentences() if sentences is None else sentences
    train = [s for i, s in enumerate(sentences) if i % 10 != 9]
    test = [s for i, s in enumerate(sentences) if i % 10 == 9]
    return train, test
