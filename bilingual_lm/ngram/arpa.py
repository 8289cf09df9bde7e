"""ARPA files (log10 probabilities and back-off weights), written and read as KenLM does.

Reading also takes gzip-compressed files (`.arpa.gz`).

Our files begin with a `# bilingual-lm: {...}` comment line (KenLM skips `#` lines before `\\data\\`)
that records the smoothing, so that a stupid-backoff model keeps its α for contexts that are not stored.
log10 0 is written as -99 (the ARPA convention) and any value at or below -99 reads back as log10 0.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import re
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import numpy as np

from bilingual_lm.atomic import atomic_write
from bilingual_lm.errors import InputError
from bilingual_lm.ngram.arpa_text import BLOCK, SectionWriter, block_numbers, spaced_words
from bilingual_lm.ngram.model import NgramModel
from bilingual_lm.ngram.train import MAX_ORDER
from bilingual_lm.ngram.validate import check_header, check_tables
from bilingual_lm.ngram.vocabulary import BOS, EOS, UNK, Vocabulary

META_PREFIX = "# bilingual-lm: "
LOG_ZERO = -99.0
MAX_LINE = 1 << 16  # characters: an ARPA line holds a few numbers and at most MAX_ORDER words
MAX_IDLE_LINES = 10_000  # blank or comment lines in a row: more is not an ARPA file (a gzip bomb, say)
_COUNT_LINE = re.compile(r"ngram\s+(\d+)\s*=\s*(\d+)")


def write_arpa(model: NgramModel, path: str | Path) -> None:
    """Write `model` as an ARPA file (atomically), its numbers at KenLM's float32 precision (see
    `arpa_text.py`). Add-k above order 1 has no ARPA form."""
    if model.rule != "backoff" and model.order > 1:
        raise InputError("an add-k model above order 1 has no exact ARPA form (a word unseen after a "
                         "context gets a flat value, not a back-off); save it as .blm")
    meta = {"smoothing": model.smoothing, "missing_backoff": model.missing_backoff,
            "is_probability": model.is_probability, "params": model.params}
    size = len(model.vocabulary)
    spaced, word_lengths = spaced_words(model.vocabulary.words)
    with atomic_write(path, "wb") as out:
        header = [META_PREFIX + json.dumps(meta, ensure_ascii=False), "\\data\\"]
        header += [f"ngram {n}={len(keys)}" for n, keys in enumerate(model.keys, start=1)]
        out.write(("\n".join(header) + "\n").encode("utf-8"))
        section = None
        for n, keys in enumerate(model.keys, start=1):
            out.write(f"\n\\{n}-grams:\n".encode())
            # the section below's lines are handed over, not kept here: only the new writer holds them
            section = SectionWriter(spaced, word_lengths, section.section() if section else None,
                                    keep=n < model.order)
            backoff = model.backoff[n - 1] if n < model.order else None
            blocks = [slice(first, first + BLOCK) for first in range(0, len(keys), BLOCK)]
            # each block's numbers are formatted in a second thread while the block before is assembled
            with ThreadPoolExecutor(max_workers=1) as pool:
                numbers = [pool.submit(block_numbers, model.prob[n - 1][b], None if backoff is None else backoff[b])
                           for b in blocks[:1]]
                for i, b in enumerate(blocks):
                    if i + 1 < len(blocks):
                        after = blocks[i + 1]
                        numbers.append(pool.submit(block_numbers, model.prob[n - 1][after],
                                                   None if backoff is None else backoff[after]))
                    prefix = keys[b] // size if n > 1 else None
                    out.write(section.lines(numbers[i].result(), prefix, keys[b] % size).data)
                    numbers[i] = None
        out.write(b"\n\\end\\\n")


def read_arpa(path: str | Path, device: str = "cpu") -> NgramModel:
    """Load an ARPA file (ours or KenLM's); a malformed file is an InputError naming the line.

    The file is read line by line (gunzipped on the fly), so memory follows the n-grams, not the bytes:
    a line longer than `MAX_LINE` characters is refused rather than read.
    """
    with _open_text(Path(path)) as handle:
        where = _Lines(str(path), handle)
        meta = {}
        while where.more() and (not where.line().strip() or where.line().startswith("#")):
            if where.line().startswith(META_PREFIX):
                try:
                    meta = json.loads(where.line()[len(META_PREFIX):])
                except json.JSONDecodeError:
                    where.fail("the bilingual-lm comment is not valid JSON")
                meta = check_header(meta, f"{path}:{where.number()}: the bilingual-lm comment")
            where.next()
        if not where.more() or where.line().strip() != "\\data\\":
            where.fail("expected \\data\\ (is this an ARPA file?)")
        where.next()
        header: list[tuple[int, int]] = []  # (count, line number)
        while where.more() and where.line().strip():
            match = _COUNT_LINE.fullmatch(where.line().strip())
            if not match:
                where.fail(f"expected 'ngram N=COUNT', found {where.line()[:100]!r}")
            if int(match.group(1)) != len(header) + 1:
                where.fail(f"expected the count of {len(header) + 1}-grams, found {where.line()!r}")
            header.append((int(match.group(2)), where.number()))
            where.next()
        if not header:
            where.fail("the \\data\\ section lists no n-gram counts")
        if len(header) > MAX_ORDER:
            where.fail(f"{len(header)} orders; at most {MAX_ORDER} are read")
        sections = [_read_section(where, n, count, line) for n, (count, line) in enumerate(header, start=1)]
        while where.more() and not where.line().strip():
            where.next()
        if not where.more() or where.line().strip() != "\\end\\":
            where.fail("expected \\end\\")
    model = _build(sections, meta, where, device)
    check_tables(model.keys, model.prob, model.backoff, len(model.vocabulary), model.rule, str(path))
    return model


@contextmanager
def _open_text(path: Path) -> Iterator[TextIO]:
    """The file as a stream of UTF-8 text, gunzipped when it is gzip-compressed (`.arpa.gz`)."""
    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            binary = gzip.GzipFile(fileobj=raw) if gzipped else raw
            yield io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not valid UTF-8 ({error.reason})") from None
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"{path}: cannot read ({error})") from None


class _Lines:
    """A cursor over the file's lines that reports errors as `path:line: problem`."""

    def __init__(self, path: str, handle: TextIO):
        self.path, self.handle, self.i, self.idle = path, handle, 0, 0
        self._line: str | None = None
        self._read()

    def _read(self) -> None:
        line = self.handle.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise InputError(f"{self.path}:{self.i + 1}: malformed ARPA file: a line longer than {MAX_LINE} "
                             "characters")
        self._line = line[:-1] if line.endswith("\n") else (line or None)
        self.idle = self.idle + 1 if self._line is not None and (not line.strip() or line[0] == "#") else 0
        if self.idle > MAX_IDLE_LINES:
            self.fail(f"more than {MAX_IDLE_LINES} blank or comment lines in a row")

    def more(self) -> bool:
        return self._line is not None

    def line(self) -> str:
        return self._line

    def number(self) -> int:
        return self.i + 1

    def next(self) -> None:
        self.i += 1
        self._read()

    def fail(self, problem: str, line: int | None = None):
        line = line if line is not None else self.i + 1
        raise InputError(f"{self.path}:{line}: malformed ARPA file: {problem}")


def _read_section(where: _Lines, n: int, count: int, header_line: int):
    while where.more() and not where.line().strip():
        where.next()
    if not where.more() or where.line().strip() != f"\\{n}-grams:":
        found = repr(where.line()) if where.more() else "the end of the file"
        where.fail(f"missing the \\{n}-grams: section (found {found})")
    where.next()
    probs, backoffs, grams, numbers = [], [], [], []
    while where.more() and where.line().strip() and not where.line().startswith("\\"):
        parts = where.line().split()
        if len(parts) not in (n + 1, n + 2):
            where.fail(f"a {n}-gram line needs a log10 probability, {n} word(s) and maybe a back-off weight")
        probability = _number(where, parts[0], "log10 probability")
        if probability > 0:
            where.fail(f"positive log10 probability {parts[0]}")
        probs.append(probability)
        backoffs.append(_number(where, parts[-1], "back-off weight") if len(parts) == n + 2 else 0.0)
        grams.append(parts[1:n + 1])
        numbers.append(where.number())
        if len(grams) > count:
            where.fail(f"more {n}-grams than the header's ngram {n}={count}")
        where.next()
    if len(grams) != count:
        where.fail(f"the header says ngram {n}={count} but the \\{n}-grams: section has {len(grams)}",
                   header_line)
    return probs, backoffs, grams, numbers


def _number(where: _Lines, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        where.fail(f"the {what} {text!r} is not a number")
    if math.isnan(value) or value == math.inf:
        where.fail(f"the {what} is {text}")
    return -math.inf if value <= LOG_ZERO else value


def _build(sections, meta: dict, where: _Lines, device: str) -> NgramModel:
    probs, backoffs, unigrams, numbers = sections[0]
    words = [g[0] for g in unigrams]
    seen: dict[str, int] = {}
    for word, line in zip(words, numbers, strict=True):
        if word in seen:
            where.fail(f"the unigram {word!r} appears twice", line)
        seen[word] = line
    for special in (BOS, EOS):
        if special not in seen:
            where.fail(f"the unigrams lack {special}", numbers[0] if numbers else None)
    if UNK not in seen:  # a closed-vocabulary model: <unk> gets probability 0
        words.append(UNK)
        probs.append(-math.inf)
        backoffs.append(0.0)
    vocab = Vocabulary(words)
    size = len(vocab)
    keys = [np.arange(size, dtype=np.int64)]
    prob = [np.asarray(probs, dtype=np.float64)]
    backoff = [np.asarray(backoffs, dtype=np.float64)]
    for n, (p, b, grams, lines) in enumerate(sections[1:], start=2):
        ids = np.empty((len(grams), n), dtype=np.int64)
        for row, (gram, line) in enumerate(zip(grams, lines, strict=True)):
            for col, word in enumerate(gram):
                i = vocab.index.get(word)
                if i is None:
                    where.fail(f"the word {word!r} is not among the unigrams", line)
                ids[row, col] = i
        index = ids[:, 0]
        for j in range(1, n - 1):  # the index of each n-gram's (n-1)-word prefix
            table, key = keys[j], index * size + ids[:, j]
            pos = np.searchsorted(table, key).clip(max=max(len(table) - 1, 0))
            missing = np.flatnonzero((table[pos] != key) if len(table) else np.ones(len(key), bool))
            if len(missing):
                where.fail(f"the prefix of {' '.join(grams[missing[0]])!r} is not among the {j + 1}-grams",
                           lines[missing[0]])
            index = pos
        key = index * size + ids[:, n - 1]
        order = np.argsort(key, kind="stable")
        key = key[order]
        repeated = np.flatnonzero(np.diff(key) == 0)
        if len(repeated):
            row = order[repeated[0] + 1]
            where.fail(f"the {n}-gram {' '.join(grams[row])!r} appears twice", lines[row])
        keys.append(key)
        prob.append(np.asarray(p, dtype=np.float64)[order])
        backoff.append(np.asarray(b, dtype=np.float64)[order])
    backoff[-1] = np.zeros(len(keys[-1]))
    return NgramModel(vocab, meta.get("smoothing", "arpa"), keys, prob, backoff,
                      missing_backoff=float(meta.get("missing_backoff", 0.0)),
                      is_probability=bool(meta.get("is_probability", True)), params=meta.get("params", {}),
                      device=device)
