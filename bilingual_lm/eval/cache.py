"""The on-disk request cache: an interrupted eval resumes without rescoring what it has done.

One SQLite table maps sha256(model fingerprint, request) to the JSON answer and a checksum of both. Each
answer is committed in its own transaction as soon as the model returns it, so a Ctrl-C or a kill never
leaves half a row and loses at most the model call in flight (the runner starts with one-request calls and
doubles them, so that call is never larger than the answers already saved). WAL mode lets the processes of
a data-parallel run write to the same file.

Every read checks the answer against its checksum: a row damaged on disk is counted in `corrupt`, dropped
and scored again, never used. A file that SQLite cannot read at all is one line that suggests --no-cache.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from bilingual_lm.errors import InputError
from bilingual_lm.paths import cache_dir

FORMAT = 2  # bump when the meaning of a cached answer changes (2: samples never hold special tokens)


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def model_fingerprint(description: dict) -> str:
    """sha256 of what determines a scorer's numbers, from its `describe()`: kind, identity (content hashes and
    settings, never a path as typed), dtype, is_probability and the device type (cuda:1 → cuda)."""
    keys = ("kind", "identity", "dtype", "is_probability")
    content = {key: description[key] for key in keys} | {"device": description["device"].split(":")[0]}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def default_cache_path() -> Path:
    return cache_dir("eval") / "requests.sqlite"


def checksum(key: str, answer: str) -> str:
    """What a row must hold beside its answer: sha256 of the key and the answer's JSON text."""
    return hashlib.sha256(f"{key}\x1f{answer}".encode()).hexdigest()


class RequestCache:
    """get/put of JSON answers keyed by (model fingerprint, request), each checked on read."""

    def __init__(self, path: str | Path | None, fingerprint: str):
        self.fingerprint = fingerprint
        self.path = Path(path) if path else None
        self._db = None
        self.hits = self.misses = self.corrupt = 0
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._guard():
                self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL)")
                columns = {row[1] for row in self._db.execute("PRAGMA table_info(answers)")}
                if "checksum" not in columns:  # a cache from before checksums: its rows read as misses
                    self._db.execute("ALTER TABLE answers ADD COLUMN checksum TEXT")

    @contextmanager
    def _guard(self):
        """SQLite's errors (a damaged or unreadable file, a full disk) as one line naming the cache."""
        try:
            yield
        except sqlite3.Error as error:
            raise InputError(f"{self.path}: the request cache cannot be used ({error}); rerun with --no-cache, "
                             "or delete the file") from None

    def key(self, request: dict) -> str:
        payload = canonical_json({"format": FORMAT, "model": self.fingerprint, "request": request})
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def get(self, request: dict):
        """The cached answer, or None (also for a row whose checksum does not match: it is dropped)."""
        row, key = None, self.key(request)
        if self._db is not None:
            with self._guard():
                row = self._db.execute("SELECT answer, checksum FROM answers WHERE key = ?", (key,)).fetchone()
        answer = self._verified(key, row) if row is not None else None
        if answer is None:
            self.misses += 1
            return None
        self.hits += 1
        return answer

    def _verified(self, key: str, row: tuple):
        text, stored = row
        if isinstance(text, str) and stored == checksum(key, text):
            try:
                return json.loads(text)
            except ValueError:
                pass
        if stored is not None:  # a row of this version that changed on disk
            self.corrupt += 1
        with self._guard():
            self._db.execute("DELETE FROM answers WHERE key = ?", (key,))
        return None

    def put(self, request: dict, answer) -> None:
        """Store one answer (atomically: one transaction)."""
        if self._db is not None:
            key, text = self.key(request), canonical_json(answer)
            with self._guard():
                self._db.execute("INSERT OR REPLACE INTO answers (key, answer, checksum) VALUES (?, ?, ?)",
                                 (key, text, checksum(key, text)))

    def __len__(self) -> int:
        if self._db is None:
            return 0
        with self._guard():
            return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
