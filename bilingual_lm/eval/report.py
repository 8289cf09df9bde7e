"""The summary tables of a results.json, rendered as report.md and as a rich table on the terminal.

Both renderings come from the same `summary_tables`, so the terminal and the file never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from bilingual_lm.atomic import atomic_write
from bilingual_lm.eval.report_tables import findings, number, summary_tables
from bilingual_lm.markdown import escape

REPORT = "report.md"
HOW_TO_READ = ("How to read this report: every choice figure is given under four scoring rules (sum, per token, "
               "per character, PMI against a neutral prompt), each with the baselines it must beat. A zh−en "
               "difference is *robust* only when every rule gives it the same sign with a 95% interval that "
               "excludes 0; the prose below states only those. See eval/README.md, \"How to read this report\".")


def header_lines(results: dict) -> list[str]:
    model = results["model"]
    timings = results["timings"]
    lines = [
        f"model: {model.get('spec') or model.get('name')} (fingerprint {model['fingerprint'][:12]}), "
        f"device {results.get('device')}, dtype {results.get('dtype')}",
        f"languages: {','.join(results['settings']['languages'])}; seed {results['settings']['seed']}; "
        f"bootstrap {results['settings']['bootstrap']}; limit {results['settings']['limit']}",
        f"{timings['items']} items, {timings['units']} scored units in {timings['score_s']:.1f} s "
        f"({number(timings.get('items_per_s'), 1)} items/s); total {timings['total_s']:.1f} s",
    ]
    return lines + [f"note: {note}" for note in results.get("notes", [])]


def render_markdown(results: dict, plots: Sequence[str]) -> str:
    """report.md: the header, the tables, the conventions and the plots (`plots`: the files the run drew)."""
    lines = ["# blm eval report", ""]
    lines += [f"- {escape(line)}" for line in header_lines(results)] + ["", HOW_TO_READ, "", "## Findings", ""]
    lines += [f"- {escape(line)}" for line in findings(results)] + [""]
    for table in summary_tables(results):  # every cell and line escaped: task text and model strings are the user's
        lines += [f"## {escape(table.title)}", "", "| " + " | ".join(map(escape, table.headers)) + " |",
                  "|" + "---|" * len(table.headers)]
        lines += ["| " + " | ".join(map(escape, row)) + " |" for row in table.rows]
        lines.append("")
    lines += ["## Conventions", ""]
    for key, value in results["conventions"].items():
        lines.append(f"- **{escape(key)}**: {escape(value)}")
    lines += ["", "## Plots", ""]
    lines += [f"![{name}]({name})" for name in plots] or ["(none: these results allow no plot)"]
    return "\n".join(lines) + "\n"


def write_report(path: Path, results: dict, plots: Sequence[str]) -> None:
    with atomic_write(Path(path) / REPORT) as handle:
        handle.write(render_markdown(results, plots))


def print_summary(results: dict, console: Console | None = None) -> None:
    """The terminal summary: the header lines and each table."""
    console = console or Console(markup=False)  # task text and model strings are the user's
    if not console.is_terminal:
        console = Console(file=console.file, width=max(console.width, 200), markup=False)
    for line in header_lines(results):
        console.print(line, highlight=False)
    for line in findings(results):
        console.print(line, highlight=False)
    for table in summary_tables(results):
        rich_table = RichTable(title=table.title, title_justify="left")
        for header in table.headers:
            rich_table.add_column(header, overflow="fold")
        for row in table.rows:
            rich_table.add_row(*row)
        console.print(rich_table)
