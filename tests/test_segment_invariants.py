"""The Token contract, for any text: spans in order, disjoint, matching the text, with whitespace-only gaps.

Overlapping modes (search, full) keep a weaker contract: sorted spans that match the text and cover
every non-whitespace character.
"""

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bilingual_lm.segment import get_segmenter
from bilingual_lm.segment.script import LANG_TAGS

# Characters that stress the rules: Han (BMP and astral), Latin with accents and combining marks,
# digits and their separators, ASCII and full-width punctuation, every kind of whitespace, emoji.
TRICKY = list(
    "我爱北京天安门中华人民共和国的了是〇々𠀀㐀U盘"
    "aZéß"
    "\u0301\u200d"
    "0123456789３"
    ".,:-/'’@%+#&_"
    "，。！？：；「」（）《》…—"
    " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2028\u3000"
    "😀👍🏽🇨🇳"
) + ["https://", "www.", "a@b.co", "don't", "New York", "\r\n"]

texts = st.lists(st.one_of(st.sampled_from(TRICKY), st.characters()), max_size=40).map("".join)

DISJOINT = [
    ("zh", {}),
    ("zh", {"hmm": False}),
    ("zh", {"backend": "rjieba"}),
    ("zh", {"user_words": ["New York", "U盘", "a.b", "《红楼梦》"]}),
    ("en", {}),
    ("auto", {}),
    ("auto", {"user_words": ["New York", "U盘", "LM demo"]}),
    ("char", {}),
    ("space", {}),
]
OVERLAPPING = [("zh", {"mode": "search"}), ("zh", {"mode": "full"}), ("zh", {"backend": "rjieba", "mode": "search"})]


@functools.cache
def _segmenter(case: int, overlapping: bool = False):
    name, options = (OVERLAPPING if overlapping else DISJOINT)[case]
    return get_segmenter(name, **options)


def _ids(cases):
    return [name + "".join(f"-{k}={v}" for k, v in options.items()) for name, options in cases]


@pytest.mark.parametrize("case", range(len(DISJOINT)), ids=_ids(DISJOINT))
@settings(max_examples=100, deadline=None)
@given(text=texts)
def test_tokens_are_disjoint_spans_with_whitespace_gaps(case, text):
    tokens = _segmenter(case).segment(text)
    position = 0
    for token in tokens:
        assert position <= token.start < token.end
        assert text[position : token.start].isspace() or position == token.start
        assert text[token.start : token.end] == token.text
        assert token.lang in LANG_TAGS
        position = token.end
    assert text[position:].isspace() or position == len(text)


@pytest.mark.parametrize("case", range(len(OVERLAPPING)), ids=_ids(OVERLAPPING))
@settings(max_examples=100, deadline=None)
@given(text=texts)
def test_overlapping_modes_are_sorted_and_cover_every_character(case, text):
    tokens = _segmenter(case, overlapping=True).segment(text)
    spans = [(t.start, t.end) for t in tokens]
    assert spans == sorted(spans)
    assert all(text[t.start : t.end] == t.text and t.start < t.end for t in tokens)
    covered = set()
    for start, end in spans:
        covered.update(range(start, end))
    assert covered == {i for i, char in enumerate(text) if not char.isspace()}
