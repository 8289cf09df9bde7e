"""`blm eval`: how the prompt's language changes what a model says (`blm eval --lang zh,en`)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import click

from bilingual_lm.errors import InputError
from bilingual_lm.eval.bootstrap import MAX_RESAMPLES
from bilingual_lm.eval.rules import RULES
from bilingual_lm.score.registry import DEFAULT_TRANSFORMER


def default_output_dir(model: str) -> Path:
    """blm-results/<model>-<UTC timestamp>."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(model).name if ":" not in model else model).strip("-")
    return Path("blm-results") / f"{slug}-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}"


def _task_names(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise InputError("--tasks: no task names given")
    return names


def _list_tasks(tasks_dir: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from bilingual_lm.eval.loader import discover_tasks, load_tasks

    names = list(discover_tasks(tasks_dir))
    table = Table("task", "kind", "items", "in default suite", "group", "description", title="eval tasks")
    default_suite = {task.name: len(task.items) for task in load_tasks(None, tasks_dir=tasks_dir)}
    for task in load_tasks(names, tasks_dir=tasks_dir):
        default = str(default_suite.get(task.name, "–"))
        table.add_row(task.name, task.kind, str(len(task.items)), default, task.group, task.description)
    console = Console(markup=False)  # descriptions come from task files: never rich markup
    if not console.is_terminal:
        console = Console(width=max(console.width, 160), markup=False)
    console.print(table)


@click.group("eval", invoke_without_command=True)
@click.option("--model", "-m", default=DEFAULT_TRANSFORMER, show_default=True,
              help="ngram:PATH, hf:PATH_OR_ID, gguf:PATH or gemma3-270m.")
@click.option("--lang", default="zh,en", show_default=True,
              help="Languages: zh,en for the 2×2 design; one language runs the per-language metrics only.")
@click.option("--tasks", default=None,
              help="Comma-separated tasks, groups (cldr, hsk) or suites (default, all) [default: default].")
@click.option("--tasks-dir", type=click.Path(), default=None, help="Also load tasks from this directory.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Score the first N items of each task.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None)
@click.option("--device", default=None, help="cpu, cuda, mps [default: automatic].")
@click.option("--output-dir", type=click.Path(), default=None,
              help="Results directory [default: blm-results/<model>-<timestamp>].")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
              help="Seeds sampling and the bootstrap.")
@click.option("--bootstrap", type=click.IntRange(0, MAX_RESAMPLES), default=1000, show_default=True,
              help=f"Bootstrap resamples for the 95% CIs (0: none; at most {MAX_RESAMPLES}).")
@click.option("--overwrite", is_flag=True, help="Replace results of a different run in --output-dir.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the request cache.")
@click.option("--list-tasks", is_flag=True, help="List the tasks and exit.")
@click.pass_context
def eval_command(ctx, model, lang, tasks, tasks_dir, limit, batch_size, device, output_dir, seed, bootstrap,
                 overwrite, no_cache, list_tasks):
    """Score the eval tasks under each prompt × answer language and report how the languages differ.

    Subcommand: `blm eval report RESULTS_DIR` re-renders a results directory without rescoring.
    Data-parallel: `torchrun --nproc_per_node N -m bilingual_lm.eval --lang zh,en` or
    `accelerate launch --multi_gpu --num_processes N -m bilingual_lm.eval --lang zh,en`.
    """
    if ctx.invoked_subcommand is not None:
        return
    if list_tasks:
        _list_tasks(tasks_dir)
        return
    from rich.console import Console

    from bilingual_lm.cli.progress import rich_progress
    from bilingual_lm.eval import report
    from bilingual_lm.eval.run import EvalConfig, EvalSpec, run_eval

    stderr = Console(stderr=True, markup=False)
    output = Path(output_dir) if output_dir else default_output_dir(model)
    spec = EvalSpec(model=model, langs=tuple(lang.split(",")), tasks=_task_names(tasks), tasks_dir=tasks_dir,
                    limit=limit, seed=seed, bootstrap=bootstrap)
    config = EvalConfig(device=device, batch_size=batch_size, output_dir=output, overwrite=overwrite,
                        cache=not no_cache, progress=rich_progress,
                        note=lambda note: stderr.print(f"blm: note: {note}", highlight=False, markup=False))
    results = run_eval(spec, config)
    if results is None:
        return
    report.print_summary(results.to_dict())
    click.echo(f"results: {output}/ (results.json, samples.jsonl, report.md, plots)", err=True)


@eval_command.command("report")
@click.argument("results_dir", type=click.Path())
@click.option("--rule", type=click.Choice(RULES), default=None,
              help="Scoring rule of the detail tables and plots [default: the run's primary one, sum].")
def report_command(results_dir, rule):
    """Re-render report.md, the plots and the summary table of RESULTS_DIR, without rescoring."""
    from bilingual_lm.eval import plots, report
    from bilingual_lm.eval.outdir import MARKER, OutputDir
    from bilingual_lm.eval.results import read_results
    from bilingual_lm.eval.schema import EvalResults

    with OutputDir(results_dir, create=False) as directory:  # no run may write while we read
        results, _ = read_results(results_dir)
        directory.check_complete()
        if rule:
            results["conventions"]["primary_scoring_rule"] = rule
        drawn = plots.write_plots(Path(results_dir), EvalResults.from_dict(results))
        report.write_report(Path(results_dir), results, drawn)
        directory.write_marker(sorted(directory.owned_files() - {MARKER}))
    report.print_summary(results)
