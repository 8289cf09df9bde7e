"""`load_ngram`: an ARPA file or a native `.blm` file, told apart by their first bytes."""

from __future__ import annotations

from pathlib import Path

from bilingual_lm.ngram.model import NgramModel
from bilingual_lm.textfile import unreadable


def load_ngram(path: str | Path, device: str = "cpu") -> NgramModel:
    """Load an n-gram model from an ARPA file (KenLM's or ours) or our native format."""
    from bilingual_lm.ngram.arpa import read_arpa
    from bilingual_lm.ngram.native import read_native

    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as error:
        raise unreadable(path, error) from None
    if head == b"PK\x03\x04":
        return read_native(path, device)
    return read_arpa(path, device)
