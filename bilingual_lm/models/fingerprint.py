"""sha256 fingerprints of weight files, cached by (path, size, mtime) so a reload does not rehash."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from bilingual_lm.atomic import atomic_write
from bilingual_lm.errors import WriteError
from bilingual_lm.paths import keyed_cache_file

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth")


def weight_files(folder: Path) -> list[Path]:
    """The weight files of a model folder, in name order."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES))


def sha256_file(path: Path) -> str:
    """The file's sha256, from the cache when its size and mtime are unchanged."""
    path = Path(path).resolve()
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    cache_file = keyed_cache_file("fingerprints", key, ".json")
    if cache_file is not None and cache_file.exists():
        try:
            record = json.loads(cache_file.read_text())
            if record.get("key") == key:
                return record["sha256"]
        except (OSError, ValueError):
            pass
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    value = digest.hexdigest()
    if cache_file is None:
        return value
    try:
        with atomic_write(cache_file) as out:
            json.dump({"key": key, "sha256": value}, out)
    except (OSError, WriteError):  # a read-only or full cache only costs a rehash next time
        pass
    return value


def fingerprint(files: list[Path]) -> dict[str, str]:
    """{file name: sha256} for the given weight files."""
    return {os.path.basename(p): sha256_file(p) for p in files}
