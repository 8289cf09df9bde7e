"""Atomic file writes: a result is either the old file or the whole new one, never half of it.

`atomic_write(path)` writes a temporary file beside `path` (`.NAME.XXXX.tmp`), fsyncs it and renames it
over `path`. It refuses a target that is not a regular file (a device such as /dev/full, a FIFO, a
directory) rather than replace it. A new file gets the permissions of the umask, a replaced one keeps its
own. On any failure the temporary file is removed and the old file is untouched; an OSError becomes a
`WriteError` naming the path and the problem (no space left, read-only file system, permission denied,
file too large).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from bilingual_lm.errors import WriteError

TMP_SUFFIX = ".tmp"
FLUSH_EVERY = 32 << 20  # bytes between the flushes of `FlushBehind`


def current_umask() -> int:
    """The process's umask (read by setting it and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def writable_target(path: str | Path) -> Path:
    """`path` with symbolic links resolved, or a WriteError if it exists and is not a regular file."""
    path = Path(os.path.realpath(path))
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path
    except OSError as error:
        raise WriteError.from_os_error(error, path) from None
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file (a device, FIFO or socket)"
        raise WriteError(f"cannot write {path}: it is {kind}; refusing to replace it")
    return path


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8",
                 flush_behind: bool = False) -> Iterator[IO]:
    """Write to a temporary file beside `path`, then rename it over `path` on success. With `flush_behind`
    (for large files written piece by piece), the bytes written are handed to the disk as the writing goes
    (`FlushBehind`), so that the final fsync waits for the last part only."""
    target = writable_target(path)
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        permissions = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~current_umask()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
        os.fchmod(fd, permissions)
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
            if flush_behind:
                with FlushBehind(handle, FLUSH_EVERY) as behind:
                    yield behind
            else:
                yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        tmp = None
        _fsync_directory(target.parent)
    except OSError as error:
        raise WriteError.from_os_error(error, path) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


class FlushBehind:
    """A binary file's `write` that hands what has been written to the disk in a second thread (`os.fdatasync`)
    every `every` bytes, while the caller computes what comes next (the thread waits on the disk, not on the
    interpreter). Leaving it waits for the flush in flight and raises its error, if any."""

    def __init__(self, handle: IO[bytes], every: int):
        self.handle, self.every, self.unflushed = handle, every, 0
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending = None

    def write(self, data) -> int:
        written = self.handle.write(data)
        self.unflushed += written
        if self.unflushed >= self.every and (self.pending is None or self.pending.done()):
            self._wait()
            self.handle.flush()
            self.pending = self.pool.submit(os.fdatasync, self.handle.fileno())
            self.unflushed = 0
        return written

    def _wait(self) -> None:
        if self.pending is not None:
            self.pending.result()
            self.pending = None

    def __enter__(self) -> FlushBehind:
        return self

    def __exit__(self, *_) -> None:
        try:
            self._wait()
        finally:
            self.pool.shutdown()


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (best effort: some file systems cannot open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_orphans(directory: str | Path) -> list[Path]:
    """Delete temporary files that an interrupted `atomic_write` left in `directory`; the paths removed.

    Call it only where no other writer can be at work (e.g. under the directory's lock).
    """
    removed = []
    for tmp in Path(directory).glob(f".*{TMP_SUFFIX}"):
        if tmp.is_file() and not tmp.is_symlink():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed
