"""One eval run, as a library call: tasks × languages scored by a scorer, summarised and written out.

    from bilingual_lm.eval.evaluate import evaluate
    results = evaluate(scorer, tasks, ["zh", "en"], output_dir="blm-results/run")

The CLI (`blm eval`) is a thin layer over `evaluate`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

from bilingual_lm.errors import InputError, WriteError
from bilingual_lm.eval import aggregate, distributed, results, runner
from bilingual_lm.eval.cache import RequestCache, default_cache_path, model_fingerprint
from bilingual_lm.eval.outdir import OutputDir
from bilingual_lm.eval.task import Task
from bilingual_lm.progress import Progress
from bilingual_lm.provenance import package_versions, provenance
from bilingual_lm.score.base import Scorer

LANGS = ("zh", "en")
EVAL_PACKAGES = ("pyyaml", "rich", "matplotlib", "babel", "hsk-sentences-audio", "accelerate", "gguf")


def parse_langs(text: str) -> list[str]:
    """'zh,en' -> ['zh', 'en'], or an InputError for an unknown, repeated or missing language."""
    langs = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [lang for lang in langs if lang not in LANGS]
    if unknown:
        raise InputError(f"unknown language {unknown[0]!r} in --lang; choose from {', '.join(LANGS)}")
    if not langs or len(set(langs)) != len(langs):
        raise InputError(f"--lang {text!r}: give one or two distinct languages, e.g. zh,en")
    return langs


def runnable_tasks(tasks: Sequence[Task], langs: Sequence[str], explicit: bool) -> tuple[list[Task], list[str]]:
    """The tasks that `langs` can run, and notes on what a single language leaves out.

    With one language only the per-language metrics run. A choice task whose conditions all pair two
    languages (translation choice) cannot run at all: an InputError if the user named it, else skipped.
    """
    notes: list[str] = []
    if len(langs) == 1:
        notes.append(f"one language ({langs[0]}): per-language metrics only; {aggregate.CROSS_LINGUAL} "
                     "need --lang zh,en")
    kept = []
    for task in tasks:
        if not runner.task_languages(task, langs):
            message = f"task {task.name} is written in {', '.join(task.languages)}, not in --lang {','.join(langs)}"
        elif task.kind in ("choice", "lens") and not runner.task_conditions(task, langs):
            pairs = ", ".join(f"{p}->{a}" for p, a in task.conditions)
            message = f"task {task.name} has only cross-lingual conditions ({pairs}) and needs --lang zh,en"
        else:
            kept.append(task)
            continue
        if explicit:
            raise InputError(message)
        notes.append(f"skipped: {message}")
    return kept, notes


def limit_tasks(tasks: Sequence[Task], limit: int | None) -> list[Task]:
    """The first `limit` items of each task."""
    if limit is None:
        return list(tasks)
    return [dataclasses.replace(task, items=task.items[:limit]) for task in tasks]


def evaluate(
    scorer: Scorer,
    tasks: Sequence[Task],
    langs: Sequence[str],
    *,
    model_spec: str | None = None,
    output_dir: str | Path | None = None,
    seed: int = 0,
    n_bootstrap: int = 1000,
    limit: int | None = None,
    batch_size: int | None = None,
    cache_path: str | Path | None | bool = True,
    overwrite: bool = False,
    progress: Progress | None = None,
    notes: Sequence[str] = (),
    load_seconds: float | None = None,
    group: distributed.ProcessGroup | None = None,
) -> dict | None:
    """Score, summarise and (with `output_dir`) write the results; returns them (None on ranks > 0).

    `cache_path`: True for the per-user cache, a path, or False/None for no cache.
    """
    started = time.perf_counter()
    group = group or distributed.ProcessGroup()
    tasks = limit_tasks(tasks, limit)
    description = scorer.describe().to_dict()
    fingerprint = model_fingerprint(description)
    task_records = {task.name: results.task_record(task) for task in tasks}
    identity = {
        "model_fingerprint": fingerprint,
        "tasks": {name: [r["template_hash"], r["items_hash"]] for name, r in task_records.items()},
        "languages": list(langs),
        "limit": limit,
        "seed": seed,
        "bootstrap": n_bootstrap,
    }
    directory = None  # held under its lock from this check until the results are published
    if output_dir is not None:  # on every rank, so that all of them stop on a refused directory
        directory = OutputDir(output_dir) if group.is_main else None
        results.check_output_dir(Path(output_dir), identity, overwrite)

    cache = RequestCache(default_cache_path() if cache_path is True else (cache_path or None), fingerprint)
    units = runner.plan_units(tasks, langs)
    score_start = time.perf_counter()
    try:
        mine = runner.run_units(scorer, group.shard(units), cache, seed=seed, batch_size=batch_size,
                                progress=progress if group.is_main else None)
    finally:
        cache.close()
    score_seconds = time.perf_counter() - score_start
    if cache.corrupt:
        notes = [*notes, f"request cache {cache.path}: {cache.corrupt} answer(s) failed their checksum (damaged "
                         "on disk) and were scored again"]
    records = distributed.gather_records(mine, group)
    if records is None:
        return None

    metrics_start = time.perf_counter()
    summary = aggregate.summarize(records, langs, n_bootstrap, seed)
    n_items = sum(len(task.items) for task in tasks)
    total_seconds = time.perf_counter() - started + (load_seconds or 0.0)
    output = {
        "schema_version": results.SCHEMA_VERSION,
        "run": identity,
        "model": {
            "spec": model_spec,
            "name": scorer.name,
            "fingerprint": fingerprint,
            "is_probability": scorer.is_probability,
            "describe": description,
        },
        "device": description.get("device"),
        "dtype": description.get("dtype"),
        "settings": {"languages": list(langs), "limit": limit, "batch_size": batch_size, "seed": seed,
                     "bootstrap": n_bootstrap, "processes": group.world_size},
        "tasks": task_records,
        "conventions": results.conventions(),
        "notes": list(notes),
        "metrics": summary,
        "timings": {
            "load_s": load_seconds,
            "score_s": score_seconds,
            "metrics_s": time.perf_counter() - metrics_start,
            "total_s": total_seconds,
            "units": len(units),
            "items": n_items,
            "units_per_s": len(units) / score_seconds if score_seconds > 0 else None,
            "items_per_s": n_items / score_seconds if score_seconds > 0 else None,
            "cache_hits_rank0": cache.hits,
            "cache_misses_rank0": cache.misses,
        },
        "provenance": provenance(seed=seed, eval_packages=package_versions(EVAL_PACKAGES)),
    }
    output = results.json_safe(output)
    if directory is not None:
        _publish(directory, output, records, cached=bool(cache_path))
    return output


def _publish(directory: OutputDir, output: dict, records: list[dict], cached: bool) -> None:
    """results.json, samples.jsonl, report.md and the plots, published whole into the locked directory."""
    from bilingual_lm.eval import plots, report

    def write(staging: Path) -> None:
        results.write_results(staging, output, records)
        report.write_report(staging, output)
        plots.write_plots(staging, output, records)

    try:
        directory.publish(write)
    except WriteError as error:
        if not cached:
            raise
        raise WriteError(f"{error} (the scored answers are in the request cache: a rerun into a writable "
                         "--output-dir scores nothing again)") from None
