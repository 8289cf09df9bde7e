"""Helpers for the hostile-input tests: run `blm` and check that it failed the promised way.

The promise (README, "Bad input gets one clear line"): exit status 2 for bad input or a file that cannot be
read or written, with exactly one line on stderr that starts with `blm: error:` and holds no traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# `blm` in a subprocess with the eval tests' scorer registered as --model bigram:default / bigram:slow
BLM = (
    f"import sys; sys.path.insert(0, {str(TESTS)!r}); import eval_fixtures; eval_fixtures.register(); "
    "from bilingual_lm.cli import main; sys.argv[0] = 'blm'; main()"
)


def subprocess_env(tmp_path: Path, **extra: str) -> dict:
    """The environment of a `blm` subprocess: its own cache directory, this checkout's code first."""
    path = os.pathsep.join([str(ROOT), str(TESTS), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "BLM_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": path, "COLUMNS": "200",
            **extra}


def blm(*args, env: dict, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run `blm ARGS` in a subprocess (arguments may be bytes, for invalid UTF-8)."""
    argv = [a if isinstance(a, bytes) else str(a) for a in args]
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.run([sys.executable, "-c", BLM, *argv], env=env, timeout=timeout, **streams)


def run_in_process(monkeypatch, *args) -> int:
    """Run the real entry point in this process; its exit status."""
    monkeypatch.setattr(sys, "argv", ["blm", *map(str, args)])
    try:
        from bilingual_lm.cli import main

        main()
    except SystemExit as done:
        return done.code
    return 0


def assert_one_line_error(code: int, stderr: str | bytes, *, expected: int = 2, says: str = "") -> str:
    """Exit status `expected`, one `blm:` line on stderr, no traceback; the line."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    lines = [line for line in stderr.splitlines() if line.strip() and not _is_progress(line)]
    assert code == expected, f"exit {code}, stderr: {stderr[-2000:]}"
    assert len(lines) == 1, f"expected one line, got: {stderr[-2000:]}"
    assert "Traceback" not in stderr and lines[0].startswith("blm: "), stderr
    assert says.lower() in lines[0].lower(), f"{says!r} not in {lines[0]!r}"
    return lines[0]


PROGRESS = re.compile(r"━|\d+%|it/s|s/it|-:--:--")  # rich's and tqdm's progress bars


def _is_progress(line: str) -> bool:
    """A progress bar's line or a note: output beside the error, not a second error."""
    return bool(PROGRESS.search(line)) and not line.startswith("blm: error") or line.startswith("blm: note:")


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` (relative path -> bytes), to show that nothing changed."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@contextlib.contextmanager
def tiny_tmpfs(path: Path, size: str = "64k", read_only: bool = False):
    """A small tmpfs mounted at `path` (needs root); yields False where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def damage_lines(lines: list[str], data, numbers) -> list[str]:
    """`lines` (of an ARPA file) with 1 to 3 random changes drawn from hypothesis's `data`: a line dropped,
    replaced by random text, one of its tab-separated fields replaced by a number drawn from `numbers`, or two
    lines swapped."""
    from hypothesis import strategies as st

    lines = list(lines)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        kind = data.draw(st.sampled_from(["drop", "text", "number", "swap"]))
        if kind == "drop":
            lines.pop(i)
        elif kind == "text":
            lines[i] = data.draw(st.text(max_size=30))
        elif kind == "number":
            parts = lines[i].split("\t")
            parts[data.draw(st.integers(0, len(parts) - 1))] = data.draw(numbers)
            lines[i] = "\t".join(parts)
        else:
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return lines
