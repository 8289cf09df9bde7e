"""Shared helpers of the n-gram tests: the KenLM reference data in tests/data/kenlm-hsk/."""

from __future__ import annotations

from pathlib import Path

KENLM = Path(__file__).parent / "data" / "kenlm-hsk"


def sentences(name: str) -> list[list[str]]:
    """A tokenized file of the fixtures: one sentence a line, tokens separated by spaces."""
    return [line.split() for line in (KENLM / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def kenlm_query(name: str) -> list[list[tuple[str, int, float]]]:
    """KenLM's `query -v word` output: per sentence, (word, n-gram length, log10 p) for each word and </s>."""
    result, current = [], []
    for line in (KENLM / name).read_text(encoding="utf-8").splitlines():
        for item in line.split("\t"):
            fields = item.split(" ")
            if len(fields) != 3 or "=" not in fields[0]:
                continue  # the "Total:" and statistics lines
            word = fields[0].rsplit("=", 1)[0]
            current.append((word, int(fields[1]), float(fields[2])))
            if word == "</s>":
                result.append(current)
                current = []
    return result
