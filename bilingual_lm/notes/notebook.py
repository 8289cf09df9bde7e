"""Each note's script as a Jupyter notebook (jupytext, "light" cells), made when the site is built.

The notebook is the script itself, cell by cell, with one set-up cell in front: `FAST` picks the profile and
`__file__` gives the script's path as when it runs from the checkout's root (where the notebook must run, so
that `bilingual_lm` and the HSK data are found). The fast profile writes under build/notes-fast/ and never over
the committed pages.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
from nbformat.v4 import new_code_cell, new_markdown_cell

ENTRY = "main(fast=is_fast())"  # the last line of every note script


def script_notebook(script: str | Path) -> str:
    """The notebook (.ipynb JSON text) of the note script `script` (`notes/scripts/<slug>.py`)."""
    script = Path(script)
    text = script.read_text(encoding="utf-8")
    if ENTRY not in text:
        raise ValueError(f"{script.name}: a note script ends with `{ENTRY}`")
    notebook = jupytext.reads(text.replace(ENTRY, "main(fast=FAST)"), fmt="py:light")
    path = f"notes/scripts/{script.name}"
    intro = (f"# `{path}`\n\n"
             f"This notebook is the note's script, cell by cell. Run it from the root of a bilingual-lm checkout "
             f"(`pip install -e \".[docs]\"`). With `FAST = True` it takes minutes on a laptop and writes to "
             f"`build/notes-fast/`; `FAST = False` re-makes the committed results under `notes/docs/generated/`.\n\n"
             f"本笔记本就是这篇笔记的脚本，逐格拆开。请在 bilingual-lm 仓库的根目录运行。")
    setup = f'FAST = True  # the fast profile\n__file__ = "{path}"  # the script\'s path from the checkout\'s root'
    notebook.cells[:0] = [new_markdown_cell(intro), new_code_cell(setup)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return jupytext.writes(notebook, fmt="ipynb")
