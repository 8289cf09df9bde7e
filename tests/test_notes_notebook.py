"""Each note as a notebook (jupytext from the script): run cell by cell, as a kernel would, it makes exactly what
the script makes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bilingual_lm.notes.notebook import script_notebook
from bilingual_lm.notes.output import GENERATED_ENV

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "notes" / "scripts").glob("[0-9][0-9]-*.py"))
RUN_CELLS = """
import json, sys
namespace = {"__name__": "__main__"}
for cell in json.load(open(sys.argv[1], encoding="utf-8"))["cells"]:
    if cell["cell_type"] == "code":
        exec(compile("".join(cell["source"]), "<cell>", "exec"), namespace)
"""


def made(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith("provenance")}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_holds_every_line_of_the_script(script):
    notebook = json.loads(script_notebook(script))
    code = "".join("".join(c["source"]) + "\n" for c in notebook["cells"][2:] if c["cell_type"] == "code")
    lines = [line for line in script.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [line for line in code.splitlines() if line.strip()] == [
        line.replace("main(fast=is_fast())", "main(fast=FAST)") for line in lines]
    assert notebook["cells"][0]["cell_type"] == "markdown" and "FAST = True" in "".join(notebook["cells"][1]["source"])


@pytest.mark.slow  # runs a note's script, then its notebook (minutes)
def test_notebook_run_cell_by_cell_makes_what_the_script_makes(tmp_path):
    script = ROOT / "notes" / "scripts" / "02-counting.py"
    notebook = tmp_path / "02-counting.ipynb"
    notebook.write_text(script_notebook(script), encoding="utf-8")
    runs = {}
    for name, command in (("script", [str(script.relative_to(ROOT)), "--fast"]),
                          ("notebook", ["-c", RUN_CELLS, str(notebook)])):
        env = {**os.environ, GENERATED_ENV: str(tmp_path / name), "MPLBACKEND": "Agg"}
        done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        runs[name] = made(tmp_path / name / "02-counting")
    assert runs["notebook"] == runs["script"] and "results.json" in runs["script"]
