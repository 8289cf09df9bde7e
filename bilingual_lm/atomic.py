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
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from bilingual_lm.errors import WriteError

TMP_SUFFIX = ".tmp"


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
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write to a temporary file beside `path`, then rename it over `path` on success."""
    target = writable_target(path)
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        permissions = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~current_umask()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
        os.fchmod(fd, permissions)
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
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
