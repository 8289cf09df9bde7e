"""Segmentation accuracy against gold words: word-boundary and word precision, recall and F1.

Gold segmentations often leave punctuation out (the HSK gold does): the gold words, concatenated, are
the sentence with some characters removed. Scoring happens on that *kept* string. Each predicted
token is cut down to its kept characters (a token with none, such as ``。``, vanishes), then

- **boundaries** are the cut points strictly inside the kept string (its two ends are always cuts and
  are not counted): ``我|爱|北京`` has boundaries {1, 2};
- **words** are the spans ``[start, end)`` (the usual SIGHAN word score).

Counts add up over a corpus (micro-averaging). Overlapping predictions (search and full modes)
simply contribute all their boundaries and spans.

Worked example: sentence ``我爱北京。``, gold 我 | 爱 | 北京, prediction 我爱 | 北 | 京 | 。
Kept string 我爱北京 (n = 4). Gold boundaries {1, 2}; predicted {2, 3}: one in common, so boundary
P = 1/2, R = 1/2. Gold words {(0,1), (1,2), (2,4)}; predicted {(0,2), (2,3), (3,4)}: none in common.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bilingual_lm.errors import InputError


@dataclass(frozen=True)
class Counts:
    """Matches, predictions and gold items of one kind (boundaries or words)."""

    matched: int = 0
    predicted: int = 0
    gold: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.matched + other.matched, self.predicted + other.predicted, self.gold + other.gold)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class SegmentationScore:
    """Boundary and word counts; add scores of sentences to score a corpus."""

    boundaries: Counts = Counts()
    words: Counts = Counts()

    def __add__(self, other: SegmentationScore) -> SegmentationScore:
        return SegmentationScore(self.boundaries + other.boundaries, self.words + other.words)


def kept_positions(text: str, gold_words: Sequence[str]) -> list[int | None]:
    """For each character of `text`, its index in the concatenated gold words, or None if dropped.

    Gold characters are matched to the text left to right; an InputError says where they do not fit.
    """
    kept = "".join(gold_words)
    positions: list[int | None] = []
    k = 0
    for char in text:
        if k < len(kept) and char == kept[k]:
            positions.append(k)
            k += 1
        else:
            positions.append(None)
    if k != len(kept):
        raise InputError(f"gold words {'|'.join(gold_words)!r} are not a subsequence of {text!r}")
    return positions


def score_segmentation(text: str, gold_words: Sequence[str], spans: Iterable[tuple[int, int]]) -> SegmentationScore:
    """Score predicted token spans (character offsets in `text`) against the gold words of `text`."""
    positions = kept_positions(text, gold_words)
    n = sum(len(word) for word in gold_words)
    predicted_words = set()
    for start, end in spans:
        inside = [p for p in positions[start:end] if p is not None]
        if inside:
            predicted_words.add((inside[0], inside[-1] + 1))
    gold_words_spans, offset = set(), 0
    for word in gold_words:
        gold_words_spans.add((offset, offset + len(word)))
        offset += len(word)
    predicted_cuts = {p for span in predicted_words for p in span if 0 < p < n}
    gold_cuts = {p for span in gold_words_spans for p in span if 0 < p < n}
    return SegmentationScore(
        Counts(len(predicted_cuts & gold_cuts), len(predicted_cuts), len(gold_cuts)),
        Counts(len(predicted_words & gold_words_spans), len(predicted_words), len(gold_words_spans)),
    )
