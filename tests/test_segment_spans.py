"""`spans(text)`: the segmenters' bulk path gives the spans of their tokens, without the tokens."""

import random

import pytest

from bilingual_lm.corpora.hsk import hsk_sentences
from bilingual_lm.segment import get_segmenter


def texts() -> list[str]:
    rng = random.Random(0)
    hsk = [s.zh for s in hsk_sentences()[:400]]
    alphabet = "我爱北京天安门的了是在 ，。abc 12-3.x\t"
    return hsk + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(200)]


@pytest.mark.parametrize("lang,options", [
    ("zh", {}), ("zh", {"hmm": False}), ("zh", {"backend": "rjieba"}), ("zh", {"backend": "rjieba", "hmm": False}),
    ("zh", {"mode": "search"}), ("zh", {"user_words": ["天安门广场", "x.com"]}), ("space", {}),
])
def test_spans_are_the_spans_of_the_tokens(lang, options):
    if options.get("backend") == "rjieba":
        pytest.importorskip("rjieba")
    segmenter = get_segmenter(lang, **options)
    for text in texts():
        assert segmenter.spans(text) == [(t.start, t.end) for t in segmenter.segment(text)], text
