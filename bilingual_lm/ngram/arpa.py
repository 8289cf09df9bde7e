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
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

import numpy as np

from bilingual_lm.atomic import atomic_write
from bilingual_lm.errors import InputError
from bilingual_lm.ngram.arpa_bulk import (
    LOG_ZERO,
    MAX_IDLE_LINES,
    MAX_LINE,
    Unplaced,
    assemble,
    read_sections,
    unigram_words,
    word_ids,
)
from bilingual_lm.ngram.arpa_text import BLOCK, SectionWriter, formatted, spaced_words
from bilingual_lm.ngram.lines import WordKeys
from bilingual_lm.ngram.model import NgramModel
from bilingual_lm.ngram.train import MAX_ORDER
from bilingual_lm.ngram.validate import check_header, check_tables
from bilingual_lm.ngram.vocabulary import BOS, EOS, UNK, Vocabulary

META_PREFIX = "# bilingual-lm: "
PLAIN_BYTES = 2 << 30  # a file up to this size (gunzipped) is read in bulk when its layout is plain …
PLAIN_LINE_BYTES = 256  # … and up to this many bytes an n-gram that its header counts (a gzip bomb is not read)
HEAD_BYTES = 1 << 20  # where the header must end
ARPA_END = b"\n\\end\\\n"
_COUNT_LINE = re.compile(r"ngram\s+(\d+)\s*=\s*(\d+)")


def write_arpa(model: NgramModel, path: str | Path) -> None:
    """Write `model` as an ARPA file (atomically), its numbers at KenLM's float32 precision (see
    `arpa_text.py`). Add-k above order 1 has no ARPA form."""
    if model.rule != "backoff" and model.order > 1:
        raise InputError("an add-k model above order 1 has no exact ARPA form (a word unseen after a "
                         "context gets a flat value, not a back-off); save it as .blm")
    meta = arpa_meta(model.smoothing, model.params, model.missing_backoff, model.is_probability)
    size = len(model.vocabulary)
    spaced, word_lengths = spaced_words(model.vocabulary.words)
    with atomic_write(path, "wb", flush_behind=True) as out:
        out.write(arpa_head(meta, [len(keys) for keys in model.keys]))
        section = None
        for n, keys in enumerate(model.keys, start=1):
            out.write(section_head(n))
            # the section below's lines are handed over, not kept here: only the new writer holds them
            section = SectionWriter(spaced, word_lengths, section.section() if section else None,
                                    keep=n < model.order)
            backoff = model.backoff[n - 1] if n < model.order else None
            prob = model.prob[n - 1]
            blocks = (slice(first, first + BLOCK) for first in range(0, len(keys), BLOCK))
            for numbers, b in formatted((prob[b], None if backoff is None else backoff[b], b) for b in blocks):
                prefix = keys[b] // size if n > 1 else None
                out.write(section.lines(numbers, prefix, keys[b] % size).data)
        out.write(ARPA_END)


def arpa_meta(smoothing: str, params: dict, missing_backoff: float = 0.0, is_probability: bool = True) -> dict:
    """What our comment line records of a model: how to score what the file does not store."""
    return {"smoothing": smoothing, "missing_backoff": missing_backoff, "is_probability": is_probability,
            "params": params}


def arpa_head(meta: dict, sizes: list[int]) -> bytes:
    """An ARPA file's first lines: our comment with `meta`, then the count of each order's n-grams."""
    header = [META_PREFIX + json.dumps(meta, ensure_ascii=False), "\\data\\"]
    header += [f"ngram {n}={size}" for n, size in enumerate(sizes, start=1)]
    return ("\n".join(header) + "\n").encode("utf-8")


def section_head(n: int) -> bytes:
    """The line that opens the section of order n."""
    return f"\n\\{n}-grams:\n".encode()


def read_arpa(path: str | Path, device: str = "cpu") -> NgramModel:
    """Load an ARPA file (ours or KenLM's); a malformed file is an InputError naming the line.

    A file of the plain layout (KenLM's and ours, up to `PLAIN_BYTES`) is read in bulk (`arpa_bulk.py`).
    Any other is read line by line (gunzipped on the fly), so memory follows the n-grams, not the bytes: a
    line longer than `MAX_LINE` characters is refused rather than read.
    """
    path = Path(path)
    model = _read_plain(path, device)
    if model is None:
        with _open_text(path) as handle:
            where = _Lines(str(path), handle)
            meta, header = _read_header(where, path)
            sections = [_read_section(where, n, count, line) for n, (count, line) in enumerate(header, start=1)]
            while where.more() and not where.line().strip():
                where.next()
            if not where.more() or where.line().strip() != "\\end\\":
                where.fail("expected \\end\\")
        model = _build(sections, meta, where, device)
    check_tables(model.keys, model.prob, model.backoff, len(model.vocabulary), model.rule, str(path))
    return model


def _read_header(where: _Lines, path: Path) -> tuple[dict, list[tuple[int, int]]]:
    """The `# bilingual-lm:` comment's fields and the `\\data\\` counts (count, line number) of each order."""
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
    return meta, header


def _read_plain(path: Path, device: str) -> NgramModel | None:
    """The model, read in bulk (`arpa_bulk.py`); None where the file is not of the plain layout, is larger
    than its counts make plausible, or holds a problem (the line-by-line reader then names it)."""
    parsed = _plain_sections(path)
    if parsed is None:
        return None
    meta, data, sections = parsed
    words = unigram_words(data, sections[0][2])
    probs, backoffs = [p for p, _, _ in sections], [b for _, b, _ in sections]
    if words is None or len(set(words)) < len(words) or BOS not in words or EOS not in words:
        return None
    vocab, probs[0], backoffs[0] = _vocabulary(words, probs[0], backoffs[0])
    unigrams = sections[0][2][:, 0]
    keys = WordKeys(data, unigrams[:, 0], unigrams[:, 1] - unigrams[:, 0])  # ids: the unigrams' order, as vocab's
    ids = [None] + [word_ids(data, spans, keys) for _, _, spans in sections[1:]]
    if any(i is None for i in ids[1:]):
        return None
    try:
        tables = assemble(ids, probs, backoffs, len(vocab))
    except Unplaced:
        return None
    return _model(vocab, *tables, meta, device)


def _plain_sections(path: Path):
    """The header's fields and `read_sections` of the rest, the file read whole (gunzipped) when its size fits
    its counts; None where it cannot be read so, or is not plain."""
    try:
        with path.open("rb") as raw:
            stream = _unzipped(raw)
            first = stream.read(HEAD_BYTES)
            start = first.find(b"\n\\1-grams:\n") + 1
            if not start:
                return None
            try:  # the header, read as the line reader reads it, up to the \\1-grams: line
                where = _Lines(str(path), io.StringIO(first[:start + len(b"\\1-grams:\n")].decode("utf-8")))
            except UnicodeDecodeError:
                return None
            meta, header = _read_header(where, path)
            if where.rest().strip() != "\\1-grams:":
                return None
            size = min(PLAIN_BYTES, HEAD_BYTES + PLAIN_LINE_BYTES * sum(count for count, _ in header))
            body = first[start:] + stream.read(max(size + 1 - len(first), 0))
    except (OSError, EOFError, zlib.error):
        return None
    if start + len(body) > size:
        return None
    sections = read_sections(body, [count for count, _ in header])
    return None if sections is None else (meta, *sections)


def _vocabulary(words: list[str], prob: np.ndarray, backoff: np.ndarray
                ) -> tuple[Vocabulary, np.ndarray, np.ndarray]:
    """The vocabulary of the unigrams' words and their log10 values; a closed-vocabulary model (no <unk>
    listed) gets <unk> at probability 0."""
    if UNK in words:
        return Vocabulary(words), prob, backoff
    return Vocabulary([*words, UNK]), np.append(prob, -math.inf), np.append(backoff, 0.0)


def _model(vocab: Vocabulary, keys, prob, backoff, meta: dict, device: str) -> NgramModel:
    backoff[-1] = np.zeros(len(keys[-1]))  # the highest order's back-off weights are never used
    return NgramModel(vocab, meta.get("smoothing", "arpa"), keys, prob, backoff,
                      missing_backoff=float(meta.get("missing_backoff", 0.0)),
                      is_probability=bool(meta.get("is_probability", True)), params=meta.get("params", {}),
                      device=device)


def _unzipped(raw: BinaryIO) -> BinaryIO:
    """`raw` (a file at its start), gunzipped on the fly where it begins with gzip's magic bytes."""
    gzipped = raw.read(2) == b"\x1f\x8b"
    raw.seek(0)
    return gzip.GzipFile(fileobj=raw) if gzipped else raw


@contextmanager
def _open_text(path: Path) -> Iterator[TextIO]:
    """The file as a stream of UTF-8 text, gunzipped when it is gzip-compressed (`.arpa.gz`)."""
    try:
        with path.open("rb") as raw:
            yield io.TextIOWrapper(_unzipped(raw), encoding="utf-8", newline="\n")
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

    def rest(self) -> str:
        """This line and every one after it, as text (the whole rest of the file is read)."""
        return "" if self._line is None else self._line + "\n" + self.handle.read()

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
    vocab, probs, backoffs = _vocabulary(words, np.asarray(probs, dtype=np.float64),
                                         np.asarray(backoffs, dtype=np.float64))
    size = len(vocab)
    ids = [None]
    for n, (_, _, grams, lines) in enumerate(sections[1:], start=2):
        rows = np.empty((len(grams), n), dtype=np.int64)
        for row, (gram, line) in enumerate(zip(grams, lines, strict=True)):
            for col, word in enumerate(gram):
                i = vocab.index.get(word)
                if i is None:
                    where.fail(f"the word {word!r} is not among the unigrams", line)
                rows[row, col] = i
        ids.append(rows)
    values = [(probs, backoffs)] + [(p, b) for p, b, _, _ in sections[1:]]
    try:
        tables = assemble(ids, [np.asarray(p, dtype=np.float64) for p, _ in values],
                          [np.asarray(b, dtype=np.float64) for _, b in values], size)
    except Unplaced as problem:
        _, _, grams, lines = sections[problem.order - 1]
        gram, line = " ".join(grams[problem.row]), lines[problem.row]
        if problem.prefix is not None:
            where.fail(f"the prefix of {gram!r} is not among the {problem.prefix}-grams", line)
        where.fail(f"the {problem.order}-gram {gram!r} appears twice", line)
    return _model(vocab, *tables, meta, device)
