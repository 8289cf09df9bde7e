"""Text into Markdown that is also read as HTML (mkdocs' md_in_html, GitHub): user text stays text.

`escape` is for plain text (a model string, a task description, a note): `&`, `<`, `>` become entities, so
`<script>` shows as written instead of running, `|` cannot end a table cell, and a line break cannot end
the line. `escape_cell` is for a table cell that may hold code spans written by us (`` `<s>` ``): what is
inside a code span is literal in Markdown and kept; the rest is escaped.
"""

from __future__ import annotations

import html
import re

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)


def escape(text: object) -> str:
    """Plain text as Markdown/HTML that shows exactly this text."""
    flat = " ".join(str(text).splitlines())
    return html.escape(flat, quote=False).replace("|", "\\|")


def escape_cell(cell: object) -> str:
    """A table cell whose code spans are kept and whose other text is escaped."""
    text, out, last = " ".join(str(cell).splitlines()), [], 0
    for match in _CODE_SPAN.finditer(text):
        out += [escape(text[last:match.start()]), match.group(0).replace("|", "\\|")]
        last = match.end()
    return "".join([*out, escape(text[last:])])
