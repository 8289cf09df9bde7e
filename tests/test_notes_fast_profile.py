"""The notes' fast profile, re-run as CI does: `blm notes build --fast` in a copy of the checkout writes its
results and site under build/notes-fast/ and leaves the committed full-profile results alone; a note script run
twice gives the same files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bilingual_lm.notes.output import GENERATED_ENV

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # every test here runs note scripts (minutes)
SNIPPET = re.compile(r'^\s*--8<-- "([^"]+)"', re.M)


def copy_checkout(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "notes", tmp_path / "notes", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return tmp_path


def run(command: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def generated(folder: Path, slug: str) -> dict[str, bytes]:
    """The files a note script made in `folder/slug`, except its provenance (which records time and commit)."""
    folder = folder / slug
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith("provenance")}


def every_file(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_fast_profile_builds_its_own_site_and_leaves_the_committed_pages_alone(tmp_path):
    root = copy_checkout(tmp_path)
    committed = every_file(root / "notes" / "docs" / "generated")
    assert committed
    done = run([sys.executable, "-c", "from bilingual_lm.cli import main; main()", "notes", "build", "--fast"],
               cwd=root, timeout=1500)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert every_file(root / "notes" / "docs" / "generated") == committed
    fast = root / "build" / "notes-fast"
    assert done.stdout.strip() == str(fast / "site")
    docs = fast / "notes" / "docs"
    for page in docs.glob("*.md"):
        for included in SNIPPET.findall(page.read_text(encoding="utf-8")):
            # snippets' base paths are notes/docs and the root; a script excerpt names its section after ':'
            name = included.split(":")[0]
            assert (docs / name).is_file() or (fast / name).is_file(), (page.name, included)
    made = sorted((docs / "generated").glob("*/provenance.json"))
    assert len(made) == len(list((root / "notes" / "scripts").glob("[0-9]*.py")))
    for provenance in made:
        assert '"profile": "fast"' in provenance.read_text(encoding="utf-8"), provenance
    assert (fast / "site" / "en" / "01-chain-rule" / "index.html").is_file()


@pytest.mark.parametrize("slug", ["02-counting", "04-segmentation"])
def test_note_script_gives_identical_results_when_run_again(tmp_path, slug):
    # Counting, n-gram estimation and sentencepiece training are deterministic: tables, JSON and even the
    # PNG bytes repeat exactly.
    script = [sys.executable, f"notes/scripts/{slug}.py", "--fast"]
    env = {**os.environ, GENERATED_ENV: str(tmp_path)}
    first = subprocess.run(script, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    before = generated(tmp_path, slug)
    second = subprocess.run(script, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    assert generated(tmp_path, slug) == before
