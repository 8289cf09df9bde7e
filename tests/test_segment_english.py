"""The English tokenizer, rule by rule; each expectation is written out by hand from the module's rules."""

import pytest

from bilingual_lm.segment import get_segmenter


def _words(text):
    return [t.text for t in get_segmenter("en").segment(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # contractions and inner apostrophes stay one token; an edge apostrophe is punctuation
        ("Don't worry, you're fine.", ["Don't", "worry", ",", "you're", "fine", "."]),
        ("O'Neill's students' books", ["O'Neill's", "students", "'", "books"]),
        ("I’m here", ["I’m", "here"]),  # typographic apostrophe
        # numbers: digits joined by single . , : / - between digits
        ("Pi is 3.14, not 1,000.", ["Pi", "is", "3.14", ",", "not", "1,000", "."]),
        ("On 2026-11-29 at 10:30, 1/2 left", ["On", "2026-11-29", "at", "10:30", ",", "1/2", "left"]),
        ("-5 and 50% and $5.99", ["-", "5", "and", "50", "%", "and", "$", "5.99"]),
        # hyphenated words, alphanumerics
        ("A well-known state-of-the-art COVID-19 test", ["A", "well-known", "state-of-the-art", "COVID-19", "test"]),
        ("the 3rd of 1990s", ["the", "3rd", "of", "1990s"]),
        ("a -- b", ["a", "-", "-", "b"]),
        # URLs and e-mails whole; trailing sentence punctuation and unbalanced ) are not part of them
        ("See https://example.com/a?b=1&c=2#x.", ["See", "https://example.com/a?b=1&c=2#x", "."]),
        ("(https://en.wikipedia.org/wiki/C_(language))", ["(", "https://en.wikipedia.org/wiki/C_(language)", ")"]),
        ("Visit www.python.org!", ["Visit", "www.python.org", "!"]),
        ("Mail ada.lovelace+lm@example.co.uk.", ["Mail", "ada.lovelace+lm@example.co.uk", "."]),
        # bare domains only with a common top-level domain; e.g. and Node.js are not domains
        ("See github.com/a/b, example.org.", ["See", "github.com/a/b", ",", "example.org", "."]),
        ("e.g. Node.js", ["e", ".", "g", ".", "Node", ".", "js"]),
        # each punctuation mark is its own token
        ("Wait...what?!", ["Wait", ".", ".", ".", "what", "?", "!"]),
        ('"Yes" (no) [maybe]', ['"', "Yes", '"', "(", "no", ")", "[", "maybe", "]"]),
        # Unicode letters, combining accents and case are kept as they are
        ("Café CAFÉ cafe\u0301 naïve Straße", ["Café", "CAFÉ", "cafe\u0301", "naïve", "Straße"]),
        # emoji with modifiers are one token; Han characters one token each
        ("ok 👍🏽 中文", ["ok", "👍🏽", "中", "文"]),
    ],
)
def test_english_rules(text, expected):
    assert _words(text) == expected


def test_spans_and_tags():
    tokens = get_segmenter("en").segment("  It's 3.14!")
    assert [(t.text, t.lang, t.start, t.end) for t in tokens] == [
        ("It's", "en", 2, 6),
        ("3.14", "num", 7, 11),
        ("!", "punct", 11, 12),
    ]
