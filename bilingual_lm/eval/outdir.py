"""The results directory's guards: one writer at a time, a run's files published whole, a marker last.

* **Lock**: `blm eval` holds an exclusive `flock` on the directory itself from the check of what it holds
  until its files are written; a second run into the same directory stops at once (exit 2) instead of
  mixing its files with the first one's. `blm eval report` takes the same lock.
* **Staging**: a run writes every file into `.staging/` inside the directory, then moves them into place
  and removes the files of an older run that it did not write, so new never sits beside old.
* **Marker**: `COMPLETE` is written last and holds the sha256 of results.json and samples.jsonl. A directory
  without it (a run killed while writing) or whose data files do not match it (mixed or edited) is refused
  by `blm eval report` with one line.
* Temporary files and a staging folder left by a killed run are removed when the lock is taken.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import weakref
from collections.abc import Callable
from pathlib import Path

from bilingual_lm.atomic import atomic_write, remove_orphans
from bilingual_lm.errors import InputError, WriteError

MARKER = "COMPLETE"
STAGING = ".staging"
DATA_FILES = ("results.json", "samples.jsonl")
RESULT_FILES = (*DATA_FILES, "report.md")  # plus the *.png plots: the files a run owns


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OutputDir:
    """A results directory held under an exclusive lock until `release` (or `publish`)."""

    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"--output-dir {self.path}: exists and is not a directory")
        try:
            if create:
                self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            raise InputError(f"{self.path}: no such directory, so no results.json") from None
        except OSError as error:
            raise WriteError.from_os_error(error, self.path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(f"{self.path}: another blm eval is writing to this directory; wait for it to "
                             "finish or choose another --output-dir") from None
        self._release = weakref.finalize(self, os.close, fd)  # the lock goes with the descriptor
        if create:
            self._clean()

    def _clean(self) -> None:
        remove_orphans(self.path)
        shutil.rmtree(self.path / STAGING, ignore_errors=True)

    def release(self) -> None:
        self._release()

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(self, *_) -> None:
        self.release()

    def owned_files(self) -> set[str]:
        """The files of a run now in the directory."""
        return {name for name in RESULT_FILES if (self.path / name).is_file()} | {
            p.name for p in self.path.glob("*.png") if p.is_file()} | {MARKER}

    def publish(self, write: Callable[[Path], None]) -> None:
        """`write(staging)` writes the run's files; they replace the directory's, the marker last; unlock."""
        staging = self.path / STAGING
        try:
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            write(staging)
            new = sorted(p.name for p in staging.iterdir())
            old = self.owned_files()
            (self.path / MARKER).unlink(missing_ok=True)  # from here on the directory reads as incomplete
            for name in new:
                os.replace(staging / name, self.path / name)
            for name in old - set(new) - {MARKER}:
                (self.path / name).unlink(missing_ok=True)
            staging.rmdir()
            self.write_marker(new)
        except OSError as error:
            raise WriteError.from_os_error(error, self.path) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            self.release()

    def write_marker(self, files: list[str]) -> None:
        marker = {"files": sorted(files),
                  "sha256": {name: sha256_file(self.path / name) for name in DATA_FILES if name in files}}
        with atomic_write(self.path / MARKER) as handle:
            json.dump(marker, handle, indent=1)
            handle.write("\n")

    def check_complete(self) -> None:
        """InputError unless the marker is there and results.json and samples.jsonl are the ones it names."""
        marker_path = self.path / MARKER
        if not marker_path.is_file():
            raise InputError(f"{self.path}: incomplete results (no {MARKER} marker: the run that wrote it did not "
                             "finish); rerun `blm eval` into this --output-dir")
        try:
            hashes = json.loads(marker_path.read_text(encoding="utf-8"))["sha256"]
            names = [name for name in DATA_FILES if name in hashes]
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{marker_path}: not a readable {MARKER} marker") from None
        for name in names:
            path = self.path / name
            if not path.is_file() or sha256_file(path) != hashes[name]:
                raise InputError(f"{self.path}: {name} is not the one this run wrote (changed, or from another "
                                 "run); rerun `blm eval` into this --output-dir")
