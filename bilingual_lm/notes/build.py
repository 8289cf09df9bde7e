"""`blm notes build`: run every note's script (`notes/scripts/*.py`), then `mkdocs build --strict`.

Each script runs in its own Python process, as a reader would run it (`python notes/scripts/<slug>.py
[--fast]`), so one note cannot leak state (seeds, threads, loaded models) into the next.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bilingual_lm.errors import InputError
from bilingual_lm.notes.output import FAST_BUILD, GENERATED_ENV


@dataclass
class ScriptRun:
    """How one note script went: its slug, exit status, seconds taken and its combined output."""

    slug: str
    returncode: int
    seconds: float
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def find_root(start: str | Path | None = None) -> Path:
    """The checkout holding `mkdocs.yml` and `notes/scripts/`, searched upwards from `start` (the cwd)."""
    start = Path(start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "mkdocs.yml").is_file() and (folder / "notes" / "scripts").is_dir():
            return folder
    raise InputError(f"no mkdocs.yml with notes/scripts/ in {start} or above; run this in the bilingual-lm checkout")


def find_scripts(root: str | Path, only: Sequence[str] = ()) -> list[Path]:
    """The note scripts in slug order; `only` keeps those whose slug equals or starts with one of its entries."""
    scripts = sorted((Path(root) / "notes" / "scripts").glob("[0-9]*.py"))
    if not only:
        return scripts
    chosen = [s for s in scripts if any(s.stem == o or s.stem.startswith(f"{o}-") for o in only)]
    unknown = [o for o in only if not any(s.stem == o or s.stem.startswith(f"{o}-") for s in scripts)]
    if unknown:
        names = ", ".join(s.stem for s in scripts)
        raise InputError(f"no note named {', '.join(map(repr, unknown))}; the notes are: {names}")
    return chosen


def run_script(script: Path, *, fast: bool, root: str | Path, generated: str | Path | None = None) -> ScriptRun:
    """Run one note script in a fresh interpreter, from the checkout's root, and capture what it prints.
    `generated` sends its results to that folder instead of the profile's default."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "HF_HUB_OFFLINE": "1"}
    env.pop(GENERATED_ENV, None)
    if generated is not None:
        env[GENERATED_ENV] = str(generated)
    command = [sys.executable, str(script.relative_to(root)), *(["--fast"] if fast else [])]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    return ScriptRun(script.stem, done.returncode, time.perf_counter() - began, done.stdout + done.stderr)


def fast_build_copy(root: str | Path) -> Path:
    """A fresh copy of the checkout's notes/ (without its generated results) and mkdocs.yml under
    build/notes-fast/, where the fast profile's scripts write and its site is built."""
    root = Path(root)
    copy = root / FAST_BUILD
    shutil.rmtree(copy / "notes", ignore_errors=True)
    shutil.copytree(root / "notes", copy / "notes", ignore=shutil.ignore_patterns("__pycache__", "generated"))
    shutil.copy(root / "mkdocs.yml", copy / "mkdocs.yml")
    return copy


def build_site(root: str | Path, site_dir: str | Path | None = None) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` on the checkout's `mkdocs.yml` (output captured)."""
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-f", str(Path(root) / "mkdocs.yml")]
    if site_dir:
        command += ["--site-dir", str(site_dir)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # material's notice about MkDocs 2, not a build problem
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
