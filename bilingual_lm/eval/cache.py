"""The on-disk request cache: an interrupted eval resumes without rescoring what it has done.

One SQLite table maps sha256(model fingerprint, request) to the JSON answer. Each answer is committed
in its own transaction, so a Ctrl-C or a kill loses at most the request in flight and never leaves half
a row; WAL mode lets the processes of a data-parallel run write to the same file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from bilingual_lm.paths import cache_dir

FORMAT = 1  # bump when the meaning of a cached answer changes


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def model_fingerprint(description: dict) -> str:
    """sha256 of a scorer's `describe()`, with its device reduced to the device type (cuda:1 → cuda) and
    without the record of a GGUF's conversion (`source.conversion`): the GGUF's sha256 is the identity."""
    description = dict(description)
    if isinstance(description.get("device"), str):
        description["device"] = description["device"].split(":")[0]
    if isinstance(description.get("source"), dict):
        description["source"] = {k: v for k, v in description["source"].items() if k != "conversion"}
    return hashlib.sha256(canonical_json(description).encode("utf-8")).hexdigest()


def default_cache_path() -> Path:
    return cache_dir("eval") / "requests.sqlite"


class RequestCache:
    """get/put of JSON answers keyed by (model fingerprint, request)."""

    def __init__(self, path: str | Path | None, fingerprint: str):
        self.fingerprint = fingerprint
        self.path = Path(path) if path else None
        self._db = None
        self.hits = self.misses = 0
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL)")

    def key(self, request: dict) -> str:
        payload = canonical_json({"format": FORMAT, "model": self.fingerprint, "request": request})
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def get(self, request: dict):
        """The cached answer, or None."""
        row = None
        if self._db is not None:
            row = self._db.execute("SELECT answer FROM answers WHERE key = ?", (self.key(request),)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(row[0])

    def put(self, request: dict, answer) -> None:
        """Store one answer (atomically: one transaction)."""
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO answers (key, answer) VALUES (?, ?)",
                (self.key(request), canonical_json(answer)),
            )

    def __len__(self) -> int:
        if self._db is None:
            return 0
        return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
