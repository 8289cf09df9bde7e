"""User text in every renderer shows as written: rich markup in a text or a task description, HTML in a
model string reaching report.md, and table cells of the notes (Markdown read as HTML by md_in_html)."""

from __future__ import annotations

import json

import markdown
import pytest
from eval_fixtures import CURRENCY, register, write_tasks
from hostile import run_in_process

from bilingual_lm.markdown import escape, escape_cell
from bilingual_lm.notes.output import markdown_table

HOSTILE = ["a [/] b", "[bold]x[/bold] y", "[link=file:///etc/passwd]z[/link]"]


def html_of(text: str) -> str:
    """What mkdocs makes of the Markdown (python-markdown with the site's table and md_in_html extensions)."""
    return markdown.markdown(text, extensions=["tables", "md_in_html"])


@pytest.mark.parametrize("text", HOSTILE)
def test_rich_markup_in_a_scored_text_is_printed_as_written(text, monkeypatch, capsys):
    assert run_in_process(monkeypatch, "score", "--lang", "en", text) == 0
    assert text in capsys.readouterr().out


def test_rich_markup_in_a_task_description_is_listed_as_written(tmp_path, monkeypatch, capsys):
    task = json.loads(json.dumps(CURRENCY))
    task["description"] = "currency [/] of [bold]territories[/bold]"
    write_tasks(tmp_path / "tasks", [task])
    monkeypatch.setenv("COLUMNS", "300")
    assert run_in_process(monkeypatch, "eval", "--list-tasks", "--tasks-dir", tmp_path / "tasks") == 0
    assert "currency [/] of [bold]territories[/bold]" in capsys.readouterr().out


def test_html_in_a_model_string_is_text_in_report_md(tmp_path, monkeypatch, capsys):
    register()
    monkeypatch.setenv("BLM_CACHE_DIR", str(tmp_path / "cache"))
    spec = "bigram:<script>alert(1)</script>"
    code = run_in_process(monkeypatch, "eval", "--model", spec, "--tasks", "t_currency", "--tasks-dir",
                          write_tasks(tmp_path / "tasks", [CURRENCY]), "--bootstrap", "10", "--output-dir",
                          tmp_path / "out")
    assert code == 0, capsys.readouterr().err
    page = html_of((tmp_path / "out" / "report.md").read_text(encoding="utf-8"))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "a | b", "x\ny", "&amp; <b>bold</b>", "[/]"])
def test_escaped_text_renders_as_itself(text):
    page = html_of(f"| cell |\n|---|\n| {escape(text)} |\n")
    assert "<script>" not in page and "<b>" not in page
    shown = page.split("<td>")[1].split("</td>")[0]
    assert shown == escape(" ".join(text.splitlines())).replace("\\|", "|")  # entities: the text as written


def test_notes_tables_keep_code_spans_and_escape_the_rest():
    assert escape_cell("`<s>` then <img src=x onerror=alert(1)> | end") == (
        "`<s>` then &lt;img src=x onerror=alert(1)&gt; \\| end")
    page = html_of(markdown_table(["token", "note"], [["`<s>`", "<script>x</script>"]]))
    assert "<code>&lt;s&gt;</code>" in page and "<script>" not in page
