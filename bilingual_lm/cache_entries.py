"""What the cache directory holds, and removing parts of it (`blm cache`).

The cache directory is `$BLM_CACHE_DIR`, else the per-user cache (`~/.cache/bilingual-lm` on Linux). An
entry is one item in one of its folders (`models/gemma3-270m-…`, `ngram/hsk-zh-….blm`,
`eval/requests.sqlite` with its `-wal` and `-shm` files), or a whole folder whose files only make sense
together (`fingerprints`, `jieba`, `scripts`). Its last use is the latest access or modification time of its files (on
a file system mounted `noatime`, of modification only).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bilingual_lm.errors import InputError
from bilingual_lm.paths import cache_root

KINDS = {"models/gguf": "GGUF being converted", "models": "model conversion", "eval": "request cache",
         "ngram": "default n-gram", "tinylm": "tiny LM (notes)", "fingerprints": "weight sha256s",
         "jieba": "jieba dictionary", "scripts": "token scripts (lens)"}
WHOLE_FOLDERS = ("fingerprints", "jieba", "scripts")
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class Entry:
    """One removable thing in the cache: its name (a path relative to the cache directory) and what it is."""

    name: str
    kind: str
    bytes: int
    last_used: float  # seconds since the epoch
    detail: str = ""

    def to_dict(self) -> dict:
        record = asdict(self)
        record["last_used"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.last_used))
        return record


def list_entries(root: Path | None = None) -> list[Entry]:
    """Every entry of the cache directory `root` (default: the user's), by name."""
    root = root or cache_root()
    if not root.is_dir():
        return []
    entries = []
    for top in sorted(root.iterdir()):
        if top.is_dir() and top.name not in WHOLE_FOLDERS:
            names = sorted({_without_companion(child.name) for child in top.iterdir()})
            entries += [_entry(root, top / name, KINDS.get(f"{top.name}/{name}") or KINDS.get(top.name, top.name))
                        for name in names]
        else:
            entries.append(_entry(root, top, KINDS.get(top.name, "file")))
    return entries


def remove_entries(names: list[str], older_than: str | None = None, root: Path | None = None,
                   dry_run: bool = False) -> list[Entry]:
    """Remove the named entries and those not used for `older_than` (e.g. 30d); returns what was removed.

    An unknown name, or a name outside the cache directory, is an InputError and nothing is removed.
    """
    root = root or cache_root()
    entries = {entry.name: entry for entry in list_entries(root)}
    unknown = [name for name in names if name.strip("/") not in entries]
    if unknown:
        raise InputError(f"not in the cache {root}: {', '.join(unknown)} (see `blm cache`)")
    chosen = {name.strip("/") for name in names}
    if older_than is not None:
        cutoff = time.time() - parse_age(older_than)
        chosen |= {name for name, entry in entries.items() if entry.last_used < cutoff}
    removed = [entries[name] for name in sorted(chosen)]
    if not dry_run:
        for entry in removed:
            _remove(root / entry.name)
    return removed


def parse_age(text: str) -> float:
    """Seconds in an age such as `30d`, `12h`, `90m`, `2w` or `45s`; anything else is an InputError."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text or "")
    if not match:
        raise InputError(f"--older-than {text!r}: give a number and a unit s, m, h, d or w (e.g. 30d)")
    return float(match[1]) * UNITS[match[2]]


def _entry(root: Path, path: Path, kind: str) -> Entry:
    inside = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()] if path.is_dir() else [path]
    companions = [path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS]
    files = [p.lstat() for p in inside + companions if p.exists()]
    # files only: listing a folder updates its own access time
    last_used = max((t for s in files for t in (s.st_atime, s.st_mtime)), default=path.lstat().st_mtime)
    return Entry(name=path.relative_to(root).as_posix(), kind=kind, bytes=sum(s.st_size for s in files),
                 last_used=last_used, detail=_detail(path))


def _detail(path: Path) -> str:
    """What a model conversion was made from, or a partial folder's state."""
    if path.name.startswith("."):
        return "incomplete (a conversion in progress, or one that was interrupted)"
    source_file = path / "source.json"
    try:
        before = source_file.stat()
        source = json.loads(source_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    with contextlib.suppress(OSError):  # looking is not using: keep the access time
        os.utime(source_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    return f"from {source.get('gguf_file', '?')} (sha256 {str(source.get('gguf_sha256', ''))[:12]})"


def _without_companion(name: str) -> str:
    for suffix in SQLITE_COMPANIONS:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    for suffix in SQLITE_COMPANIONS:
        path.with_name(path.name + suffix).unlink(missing_ok=True)
