"""The notes' fast profile, re-run as CI does: `blm notes build --fast` in a copy of notes/ and mkdocs.yml (the
committed full-profile results are left alone), then reproducibility of a note script run twice."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNIPPET = re.compile(r'^\s*--8<-- "([^"]+)"', re.M)


def copy_checkout(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "notes", tmp_path / "notes", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return tmp_path


def run(command: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def generated(root: Path, slug: str) -> dict[str, bytes]:
    """The files a note script made, except its provenance (which records the time and commit)."""
    folder = root / "notes" / "docs" / "generated" / slug
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith("provenance")}


def test_fast_profile_regenerates_every_note_and_the_strict_site_builds(tmp_path):
    root = copy_checkout(tmp_path)
    for folder in (root / "notes" / "docs" / "generated").iterdir():
        shutil.rmtree(folder)  # nothing left over from the committed results
    done = run([sys.executable, "-c", "from bilingual_lm.cli import main; main()", "notes", "build", "--fast",
                "--site-dir", str(tmp_path / "site")], cwd=root, timeout=1500)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    docs = root / "notes" / "docs"
    for page in docs.glob("*.md"):
        for included in SNIPPET.findall(page.read_text(encoding="utf-8")):
            assert (docs / included).is_file(), (page.name, included)
    for provenance in (docs / "generated").glob("*/provenance.json"):
        assert '"profile": "fast"' in provenance.read_text(encoding="utf-8"), provenance
    assert (tmp_path / "site" / "en" / "01-chain-rule" / "index.html").is_file()


@pytest.mark.parametrize("slug", ["02-counting", "04-segmentation"])
def test_note_script_gives_identical_results_when_run_again(tmp_path, slug):
    # Counting, n-gram estimation and sentencepiece training are deterministic: tables, JSON and even the
    # PNG bytes repeat exactly.
    root = copy_checkout(tmp_path)
    script = [sys.executable, f"notes/scripts/{slug}.py", "--fast"]
    first = run(script, root, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    before = generated(root, slug)
    second = run(script, root, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    assert generated(root, slug) == before
