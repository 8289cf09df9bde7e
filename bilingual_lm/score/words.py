"""Word-level breakdowns: model tokens aligned to segmenter words by character offsets.

The rule, the same for every model:

* a model token belongs to the word(s) that its non-whitespace characters overlap;
* a token that straddles a word boundary merges the words it touches into one unit, so that every
  token is counted exactly once and no word is given a probability it was not scored with
  (e.g. a subword "吃披" over jieba's 吃 / 披萨 yields one unit 吃披萨);
* a token made only of whitespace joins the unit that follows it (the last unit at the end);
* a token with an empty span (`</s>`) is a unit of its own.

A unit's log-prob is the sum of its tokens' log-probs, so the units' sum equals the text's total.
The alignment takes time linear in the text, tokens and words (eval/bench/bench_hostile.py measures it).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence

from bilingual_lm.score.base import TokenScore, WordScore
from bilingual_lm.segment.base import Token


def align_words(text: str, tokens: Sequence[TokenScore], words: Sequence[Token]) -> list[WordScore]:
    """Group `tokens` (spans into `text`) by the segmenter's `words` under the rule above."""
    # 1. Merge words that one token overlaps into groups of consecutive word indices.
    group_of = list(range(len(words)))  # word index -> index of the first word of its group
    word_at = _word_index_by_char(text, words)
    token_words: list[tuple[int, int] | None] = []
    for token in tokens:
        covered = sorted({word_at[i] for i in range(token.start, token.end) if word_at[i] >= 0})
        token_words.append((covered[0], covered[-1]) if covered else None)
        if covered:
            for w in range(covered[0] + 1, covered[-1] + 1):
                group_of[w] = group_of[covered[0]]
    for w in range(1, len(words)):  # make group ids point to their true first word
        group_of[w] = group_of[group_of[w]]
    firsts = sorted(set(group_of))
    first_starts = [words[f].start for f in firsts]  # ascending: words come in text order
    last_of = {first: w for w, first in enumerate(group_of)}  # a group's last word

    # 2. Assign every token to a group (or a unit of its own when its span is empty).
    members: dict[int, list[TokenScore]] = {first: [] for first in firsts}
    units: list[tuple[int, WordScore]] = []
    for token, covered in zip(tokens, token_words, strict=True):
        if token.start == token.end:
            units.append((token.start, WordScore(token.text, token.start, token.end, token.logprob, "", 1)))
            continue
        if covered is None:  # whitespace only: the next group, or the last one
            following = bisect_left(first_starts, token.end)
            target = firsts[following] if following < len(firsts) else (firsts[-1] if firsts else None)
            if target is None:
                units.append((token.start, WordScore(token.text, token.start, token.end, token.logprob, "", 1)))
                continue
        else:
            target = group_of[covered[0]]
        members[target].append(token)

    for first in firsts:
        last = last_of[first]
        start, end = words[first].start, words[last].end
        scored = members[first]
        langs = {words[w].lang for w in range(first, last + 1)}
        units.append(
            (
                start,
                WordScore(
                    text=text[start:end],
                    start=start,
                    end=end,
                    logprob=math.fsum(t.logprob for t in scored),
                    lang=langs.pop() if len(langs) == 1 else "mixed",
                    n_tokens=len(scored),
                ),
            )
        )
    units.sort(key=lambda unit: (unit[0], unit[1].end == unit[1].start))
    return [unit for _, unit in units]


def _word_index_by_char(text: str, words: Sequence[Token]) -> list[int]:
    """For each character of `text`, the index of the word that holds it, or -1 (whitespace)."""
    index = [-1] * len(text)
    for w, word in enumerate(words):
        for i in range(word.start, word.end):
            index[i] = w
    return index
