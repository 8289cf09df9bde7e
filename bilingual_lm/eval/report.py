"""The summary tables of a results.json, rendered as report.md and as a rich table on the terminal.

Both renderings come from the same `summary_tables`, so the terminal and the file never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from bilingual_lm.atomic import atomic_write

REPORT = "report.md"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]


def _number(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _signed(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.{digits}f}"


def _with_ci(entry: dict, key: str = "mean", signed: bool = False) -> str:
    text = (_signed if signed else _number)(entry.get(key))
    ci = entry.get("ci")
    if ci:
        text += f" [{(_signed if signed else _number)(ci[0])}, {(_signed if signed else _number)(ci[1])}]"
    return text


def _arrow(condition: str) -> str:
    return condition.replace("->", "→")


def summary_tables(results: dict, norm: str | None = None) -> list[Table]:
    """The report's tables (for the `norm` length normalisation of candidate scores; default: primary)."""
    norm = norm or results["conventions"]["primary_length_normalisation"]
    langs = results["settings"]["languages"]
    diff = f"{langs[0]}−{langs[1]}" if len(langs) > 1 else ""
    choice = Table(
        f"Choice tasks per condition (length normalisation: {norm}; 95% CI)",
        ["task", "condition", "n", "acc@1", "chance", "MRR", "p(gold)", "entropy (bits)", "ECE", "Brier"],
        [],
    )
    cross = Table(
        f"Across languages ({diff}; Δ = {diff} with paired bootstrap 95% CI)",
        ["task", "comparison", "RankC", "JS (bits)", "top-1 agree", "both correct", "Δ acc@1", "Δ entropy",
         "Δ p(gold)"],
        [],
    )
    parallel = Table("Information cost of parallel sentences (95% CI)", ["task", "n", "language", "bits/char",
                     "bits/byte"], [])
    open_table = Table(
        "Open prompts: next-token distribution and sampled continuations (95% CI)",
        ["task", "n", "language", "entropy (bits)", "own-script mass", "other-script mass", "distinct-1",
         "distinct-2", "type/token"],
        [],
    )
    for name, task in results["metrics"].items():
        if task["kind"] == "choice":
            for condition, by_norm in task["conditions"].items():
                m = by_norm[norm]
                choice.rows.append([name, _arrow(condition), str(task["n_items"]), _with_ci(m["accuracy"]),
                                    _number(task["chance_accuracy"]), _number(m["mrr"]["mean"]),
                                    _number(m["gold_prob"]["mean"]), _with_ci(m["entropy_bits"]),
                                    _number(m["ece"]), _number(m["brier"]["mean"])])
            for comparison, entry in task["comparisons"].items():
                m = entry[norm]
                overlap = m["correct_overlap"]
                label = f"{comparison} ({_arrow(entry['conditions'][0])} vs {_arrow(entry['conditions'][1])})"
                cross.rows.append([name, label, _with_ci(m["rankc"]), _with_ci(m["js_bits"]),
                                   _number(m["top1_agreement"]["mean"]),
                                   f"{overlap['both']} (J={_number(overlap['jaccard'], 2)})",
                                   _with_ci(m["differences"]["accuracy"], "diff", True),
                                   _with_ci(m["differences"]["entropy_bits"], "diff", True),
                                   _with_ci(m["differences"]["gold_prob"], "diff", True)])
        else:
            table = parallel if task["kind"] == "parallel" else open_table
            names = ["bits_per_char", "bits_per_byte"] if task["kind"] == "parallel" else [
                "entropy_bits", "own_script_mass", "other_script_mass", "distinct_1", "distinct_2", "type_token"]
            for lang, m in task["languages"].items():
                table.rows.append([name, str(task["n_items"]), lang, *[_with_ci(m[k]) for k in names]])
            if task["differences"]:
                table.rows.append([name, str(task["n_items"]), f"Δ {diff}",
                                   *[_with_ci(task["differences"][k], "diff", True) for k in names]])
    return [table for table in (choice, cross, parallel, open_table) if table.rows]


def _header(results: dict) -> list[str]:
    model = results["model"]
    timings = results["timings"]
    lines = [
        f"model: {model.get('spec') or model.get('name')} (fingerprint {model['fingerprint'][:12]}), "
        f"device {results.get('device')}, dtype {results.get('dtype')}",
        f"languages: {','.join(results['settings']['languages'])}; seed {results['settings']['seed']}; "
        f"bootstrap {results['settings']['bootstrap']}; limit {results['settings']['limit']}",
        f"{timings['items']} items, {timings['units']} scored units in {timings['score_s']:.1f} s "
        f"({_number(timings.get('items_per_s'), 1)} items/s); total {timings['total_s']:.1f} s",
    ]
    return lines + [f"note: {note}" for note in results.get("notes", [])]


def render_markdown(results: dict) -> str:
    """report.md: the header, the tables, the conventions and the plots."""
    lines = ["# blm eval report", ""]
    lines += [f"- {line}" for line in _header(results)] + [""]
    for table in summary_tables(results):
        lines += [f"## {table.title}", "", "| " + " | ".join(table.headers) + " |",
                  "|" + "---|" * len(table.headers)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table.rows]
        lines.append("")
    lines += ["## Conventions", ""]
    for key, value in results["conventions"].items():
        lines.append(f"- **{key}**: {value}")
    lines += ["", "## Plots", ""]
    for name in ("accuracy_by_condition.png", "js_divergence.png", "entropy_by_language.png"):
        lines.append(f"![{name}]({name})")
    return "\n".join(lines) + "\n"


def write_report(path: Path, results: dict) -> None:
    with atomic_write(Path(path) / REPORT) as handle:
        handle.write(render_markdown(results))


def print_summary(results: dict, console: Console | None = None) -> None:
    """The terminal summary: the header lines and each table."""
    console = console or Console()
    if not console.is_terminal:
        console = Console(file=console.file, width=max(console.width, 200))
    for line in _header(results):
        console.print(line, highlight=False)
    for table in summary_tables(results):
        rich_table = RichTable(title=table.title, title_justify="left")
        for header in table.headers:
            rich_table.add_column(header, overflow="fold")
        for row in table.rows:
            rich_table.add_row(*row)
        console.print(rich_table)
