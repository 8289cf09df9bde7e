"""The native file format (`.blm`): the model's arrays in one numpy `.npz` archive, with a JSON header.

It loads without parsing text, keeps every value bit for bit, and also stores add-k models, which have
no ARPA form.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from bilingual_lm.atomic import atomic_write
from bilingual_lm.errors import InputError
from bilingual_lm.ngram.model import NgramModel
from bilingual_lm.ngram.train import MAX_ORDER
from bilingual_lm.ngram.validate import check_header, check_tables
from bilingual_lm.ngram.vocabulary import Vocabulary

FORMAT = "bilingual-lm-ngram"
VERSION = 1
NATIVE_FIELDS = {"format": ((str,), "a string"), "version": ((int,), "an integer"),
                 "order": ((int,), "an integer"), "rule": ((str,), "a string"), "vocab": ((list,), "a list")}
REQUIRED = ("format", "version", "order", "smoothing", "rule", "missing_backoff", "is_probability", "params",
            "vocab")


def write_native(model: NgramModel, path: str | Path) -> None:
    meta = {"format": FORMAT, "version": VERSION, "order": model.order, "smoothing": model.smoothing,
            "rule": model.rule, "missing_backoff": model.missing_backoff,
            "is_probability": model.is_probability, "params": model.params, "vocab": model.vocab}
    arrays = {"meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)}
    for n in range(1, model.order + 1):
        arrays[f"keys{n}"] = model.keys[n - 1]
        arrays[f"prob{n}"] = model.prob[n - 1]
        arrays[f"backoff{n}"] = model.backoff[n - 1]
    with atomic_write(path, "wb") as out:
        np.savez(out, **arrays)


def read_native(path: str | Path, device: str = "cpu") -> NgramModel:
    """Load a `.blm` file; a file that is not one, or whose fields or tables are wrong, is an InputError."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != VERSION:
                raise InputError(f"{path}: not a bilingual-lm n-gram file of version {VERSION}")
            check_header(meta, str(path), required=REQUIRED, extra=NATIVE_FIELDS)
            order = meta["order"]
            if not 1 <= order <= MAX_ORDER:
                raise InputError(f"{path}: the order must be from 1 to {MAX_ORDER}, not {order}")
            arrays = {name: [data[f"{name}{n}"] for n in range(1, order + 1)]
                      for name in ("keys", "prob", "backoff")}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a readable bilingual-lm n-gram file ({error})") from None
    if not all(isinstance(word, str) for word in meta["vocab"]):
        raise InputError(f"{path}: the vocabulary must be a list of strings")
    vocab = Vocabulary(meta["vocab"])
    check_tables(arrays["keys"], arrays["prob"], arrays["backoff"], len(vocab), meta["rule"], str(path))
    return NgramModel(vocab, meta["smoothing"], arrays["keys"], arrays["prob"],
                      arrays["backoff"], rule=meta["rule"], missing_backoff=meta["missing_backoff"],
                      is_probability=meta["is_probability"], params=meta["params"], device=device)
