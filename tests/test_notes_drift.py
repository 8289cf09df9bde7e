"""The drift check: the deterministic notes (02–04) re-run in the full profile must reproduce the committed
pages' results, and the comparison it rests on flags a changed table or figure but not a new provenance."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bilingual_lm.notes.drift import differences  # noqa: E402
from bilingual_lm.notes.output import NoteOutput  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DETERMINISTIC = ("02", "03", "04")  # counting, n-gram estimation, segmentation and sentencepiece: no sampling


def blm(*args: str) -> subprocess.CompletedProcess:
    code = "from bilingual_lm.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=1200)


def note_folder(root: Path, heights: list[float], table: str) -> Path:
    out = NoteOutput("05-demo", root, fast=False, seed=0)
    out.write_bilingual("table", table, table)
    figure, axis = plt.subplots()
    axis.bar(["a", "b"], heights)
    axis.set_ylim(0, 4)  # the same ticks, so the same image size
    out.save_figure(figure, "bars.png")
    out.write_provenance()
    return out.dir


@pytest.mark.slow  # reruns three notes in the full profile (minutes)
def test_committed_results_of_the_deterministic_notes_match_a_fresh_full_run():
    done = blm("notes", "check", *(arg for slug in DETERMINISTIC for arg in ("--only", slug)))
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert done.stdout == ""  # one line per differing file, and there is none


def test_differences_ignore_provenance_but_flag_a_changed_number_or_figure(tmp_path):
    committed = note_folder(tmp_path / "committed", [1, 2], "| n |\n| 1.5 |")
    assert differences(note_folder(tmp_path / "same", [1, 2], "| n |\n| 1.5 |"), committed) == []
    changed = note_folder(tmp_path / "changed", [1, 3], "| n |\n| 1.6 |")
    figure, *tables = differences(changed, committed)
    assert figure.startswith("bars.png: the figure differs (RMS ")
    assert tables == ["table.en.md: differs", "table.zh.md: differs"]
    (changed / "extra.md").write_text("new\n")
    (committed / "gone.md").write_text("old\n")
    lines = differences(changed, committed)
    assert "extra.md: made now, not committed" in lines and "gone.md: committed, no longer made" in lines
