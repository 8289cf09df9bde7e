"""The knowledge notes: where each note's script writes its results, and the driver that rebuilds the site."""

from bilingual_lm.notes.build import build_site, find_scripts, run_script
from bilingual_lm.notes.output import NoteOutput, markdown_table

__all__ = ["NoteOutput", "build_site", "find_scripts", "markdown_table", "run_script"]
