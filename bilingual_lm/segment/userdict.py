"""User dictionaries: the entries jieba can learn, and a matcher for the phrases it cannot.

A dictionary file holds one entry per line, as in jieba: ``word [freq] [tag]``, UTF-8 (a BOM is fine),
blank lines skipped. jieba's own format cannot tell a word ending in a number from a frequency
(``iPhone 15`` reads as the word ``iPhone`` with frequency 15), so a line may instead separate its
fields with tabs: ``iPhone 15<TAB>100<TAB>nz``; a line with a tab is always read that way.

jieba cuts its input at every character outside ``[\\u4E00-\\u9FD5a-zA-Z0-9+#&._%-]`` before it looks
words up, so an entry holding a space or other punctuation (``New York``, ``《红楼梦》``, ``C/C++``) can
never come out whole (jieba issues #56, #405, #749). Such entries become *protected phrases*: a
`PhraseMatcher` finds them first, leftmost-longest, and they are kept as single tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import regex

from bilingual_lm.errors import InputError
from bilingual_lm.textfile import read_text_file, text_lines

MAX_ENTRY_CHARS = 256  # longer is no word or phrase; the protected-phrase trie nests one group per character

# jieba's own line format: the word, then an optional frequency, then an optional tag.
_JIEBA_LINE = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")
# A letter or digit of an alphabetic script: a protected phrase never starts or ends inside such a word.
_WORD_CHAR = r"[\p{L}\p{N}--\p{Script=Han}]"
_IS_WORD_CHAR = regex.compile(r"(?V1)" + _WORD_CHAR)


@dataclass(frozen=True)
class UserWord:
    """One dictionary entry; `freq` None lets jieba pick a frequency that keeps the word whole."""

    word: str
    freq: int | None = None
    tag: str | None = None


def parse_user_dict(text: str, source: str = "<user dict>") -> list[UserWord]:
    """The entries of a dictionary file's text (format in the module docstring)."""
    entries = []
    for lineno, line in enumerate(text_lines(text.lstrip("\ufeff")), 1):
        if not line.strip():
            continue
        if "\t" in line:
            fields = line.strip("\r\n").split("\t")
            word, freq, tag = fields[0].strip(), _field(fields, 1), _field(fields, 2)
            if len(fields) > 3 or (freq is not None and not freq.isdigit()):
                raise InputError(f"{source}:{lineno}: expected 'word<TAB>freq<TAB>tag', got {line!r}")
        else:
            word, freq, tag = _JIEBA_LINE.match(line.strip()).groups()
            freq, tag = (freq.strip() if freq else None), (tag.strip() if tag else None)
        if not word:
            raise InputError(f"{source}:{lineno}: empty word")
        if len(word) > MAX_ENTRY_CHARS:
            raise InputError(f"{source}:{lineno}: an entry of {len(word)} characters; at most {MAX_ENTRY_CHARS}")
        entries.append(UserWord(word, int(freq) if freq is not None else None, tag))
    return entries


def _field(fields: list[str], index: int) -> str | None:
    return fields[index].strip() or None if index < len(fields) else None


def load_user_words(files: Iterable[str | Path] = (), words: Iterable[str | UserWord] = ()) -> list[UserWord]:
    """Entries from dictionary files, then from in-memory words (a plain string is a word as it is)."""
    entries = []
    for path in files:
        entries += parse_user_dict(read_text_file(path), str(path))
    for word in words:
        entry = word if isinstance(word, UserWord) else UserWord(word)
        if not entry.word or entry.word != entry.word.strip():
            raise InputError(f"user word {entry.word!r} is empty or has leading or trailing whitespace")
        if len(entry.word) > MAX_ENTRY_CHARS:
            raise InputError(f"user word of {len(entry.word)} characters; at most {MAX_ENTRY_CHARS}")
        entries.append(entry)
    return entries


class PhraseMatcher:
    """Finds given phrases in a text, leftmost-longest, never cutting an alphabetic word.

    The phrases compile into one trie-shaped regular expression, so matching costs about the same for
    ten phrases as for ten thousand. A phrase that starts (ends) with a letter or digit of an alphabetic
    script only matches where no such character precedes (follows) it: ``New York`` is found in
    ``I love New York.`` but not in ``New Yorker``.
    """

    def __init__(self, phrases: Iterable[str]):
        trie: dict = {}
        for phrase in set(phrases):
            node = trie
            for char in phrase:
                node = node.setdefault(char, {})
            node[""] = True
        self.pattern = _trie_pattern(trie, None) if trie else None
        self._compiled = regex.compile("(?V1)" + self.pattern) if trie else None

    def __bool__(self) -> bool:
        return self._compiled is not None

    def finditer(self, text: str) -> Iterable[regex.Match]:
        return self._compiled.finditer(text) if self._compiled else ()


def _trie_pattern(node: dict, last_char: str | None) -> str:
    """A regular expression matching the words of a trie, longest first (children before the end)."""
    branches = []
    for char in sorted(k for k in node if k):
        guard = r"(?<!" + _WORD_CHAR + ")" if last_char is None and _IS_WORD_CHAR.match(char) else ""
        branches.append(guard + regex.escape(char) + _trie_pattern(node[char], char))
    if "" in node:
        branches.append(r"(?!" + _WORD_CHAR + ")" if _IS_WORD_CHAR.match(last_char) else "")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"
