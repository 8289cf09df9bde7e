"""`run_eval(spec, config)`: one eval run, the library entry that the CLI, the benchmarks, the tests and a
notebook all call.

    from bilingual_lm.eval.run import EvalConfig, EvalSpec, run_eval
    results = run_eval(EvalSpec(model="gemma3-270m", langs=("zh", "en")), EvalConfig(output_dir="runs/gemma"))
    results.metrics["cldr_city"]["conditions"]["zh->zh"]

`EvalSpec` is what the results depend on (model, languages, tasks, limit, seed, bootstrap); `EvalConfig` is how
the run goes (device, batch size, output directory, cache, progress, where notes go). `run_eval` owns the process
group of a data-parallel launch, loads the scorer (timed), scores every unit through the request cache, summarises,
writes the results directory and returns typed results (`schema.EvalResults`; None on the ranks other than 0).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bilingual_lm.errors import InputError, WriteError
from bilingual_lm.eval import aggregate, distributed, results, runner
from bilingual_lm.eval.cache import RequestCache, default_cache_path, model_fingerprint
from bilingual_lm.eval.outdir import OutputDir
from bilingual_lm.eval.schema import EvalResults, ModelRecord, RunIdentity, Settings, Timings
from bilingual_lm.eval.selection import parse_langs, runnable_tasks
from bilingual_lm.eval.task import Task
from bilingual_lm.progress import Progress
from bilingual_lm.provenance import package_versions, provenance
from bilingual_lm.score.base import Scorer
from bilingual_lm.score.registry import DEFAULT_TRANSFORMER

EVAL_PACKAGES = ("pyyaml", "rich", "matplotlib", "babel", "hsk-sentences-audio", "accelerate", "gguf")


@dataclass(frozen=True)
class EvalSpec:
    """What an eval's numbers depend on."""

    model: str | Scorer = DEFAULT_TRANSFORMER  # a --model string, or a scorer already loaded (its load not timed)
    langs: tuple[str, ...] = ("zh", "en")
    tasks: Sequence[str] | Sequence[Task] | None = None  # names, groups, suites, or Task objects; None: default suite
    tasks_dir: str | Path | None = None  # more task files
    limit: int | None = None  # the first N items of each task
    seed: int = 0
    bootstrap: int = 1000


@dataclass(frozen=True)
class EvalConfig:
    """How an eval runs; none of it changes a number."""

    device: str | None = None  # cpu, cuda, mps; None: automatic
    batch_size: int | None = None
    output_dir: str | Path | None = None  # None: results returned, nothing written
    overwrite: bool = False
    cache: bool | str | Path = True  # True: the per-user request cache; a path; False: none
    progress: Progress | None = None
    note: Callable[[str], None] | None = None  # called with each note as it arises (a skipped task, ...)


def run_eval(spec: EvalSpec, config: EvalConfig = EvalConfig()) -> EvalResults | None:
    """Load the tasks and the scorer, score, summarise and (with `config.output_dir`) write the results."""
    langs = parse_langs(",".join(spec.langs))
    selected, notes = runnable_tasks(_tasks(spec), langs, explicit=spec.tasks is not None)
    if not selected:
        raise InputError("no task to run")
    _tell(config, notes)
    group = distributed.process_group()
    try:
        scorer, load_seconds = _scorer(spec.model, config, group)
        output = _evaluate(scorer, [task.first(spec.limit) for task in selected], langs, spec, config, group, notes,
                           load_seconds)
    finally:
        distributed.leave(group)
    if output is None:
        return None
    _tell(config, output.notes[len(notes) :])  # what the run found (a damaged cache row, ...)
    return output


def _tasks(spec: EvalSpec) -> list[Task]:
    from bilingual_lm.eval.loader import load_tasks

    if spec.tasks is not None and all(isinstance(task, Task) for task in spec.tasks):
        return list(spec.tasks)
    return load_tasks(None if spec.tasks is None else list(spec.tasks), tasks_dir=spec.tasks_dir)


def _scorer(model: str | Scorer, config: EvalConfig, group: distributed.ProcessGroup) -> tuple[Scorer, float | None]:
    """The scorer and the seconds its load took (None for a scorer given already loaded)."""
    from bilingual_lm.score.registry import load_scorer

    if isinstance(model, Scorer):
        return model, None
    options = {"lang": "auto", "progress": config.progress}
    if group.device(config.device):
        options["device"] = group.device(config.device)
    if config.batch_size:
        options["batch_size"] = config.batch_size
    loading = time.perf_counter()
    scorer = load_scorer(model, **options)
    return scorer, time.perf_counter() - loading


def _evaluate(scorer: Scorer, tasks: list[Task], langs: list[str], spec: EvalSpec, config: EvalConfig,
              group: distributed.ProcessGroup, notes: list[str], load_seconds: float | None) -> EvalResults | None:
    """Score every unit of `tasks` (this rank's share), then on rank 0 summarise and write the results."""
    started = time.perf_counter()
    description = scorer.describe().to_dict()
    fingerprint = model_fingerprint(description)
    task_records = {task.name: results.task_record(task) for task in tasks}
    identity = RunIdentity(
        model_fingerprint=fingerprint,
        tasks={name: [r["template_hash"], r["items_hash"]] for name, r in task_records.items()},
        languages=list(langs), limit=spec.limit, seed=spec.seed, bootstrap=spec.bootstrap,
    )
    directory = None  # held under its lock from this check until the results are published
    if config.output_dir is not None:  # on every rank, so that all of them stop on a refused directory
        directory = OutputDir(config.output_dir) if group.is_main else None
        results.check_output_dir(Path(config.output_dir), asdict(identity), config.overwrite)

    cache = RequestCache(default_cache_path() if config.cache is True else (config.cache or None), fingerprint)
    units = runner.plan_units(tasks, langs)
    score_start = time.perf_counter()
    try:
        mine = runner.run_units(scorer, group.shard(units), cache, seed=spec.seed, batch_size=config.batch_size,
                                progress=config.progress if group.is_main else None)
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
    summary = aggregate.summarize(records, langs, spec.bootstrap, spec.seed)
    n_items = sum(len(task.items) for task in tasks)
    typed = EvalResults(
        schema_version=results.SCHEMA_VERSION,
        run=identity,
        model=ModelRecord(spec=spec.model if isinstance(spec.model, str) else None, name=scorer.name,
                          fingerprint=fingerprint, is_probability=scorer.is_probability, describe=description),
        device=description.get("device"),
        dtype=description.get("dtype"),
        settings=Settings(languages=list(langs), limit=spec.limit, batch_size=config.batch_size, seed=spec.seed,
                          bootstrap=spec.bootstrap, processes=group.world_size),
        tasks=task_records,
        conventions=results.conventions(),
        notes=list(notes),
        metrics=summary,
        timings=Timings(
            load_s=load_seconds,
            score_s=score_seconds,
            metrics_s=time.perf_counter() - metrics_start,
            total_s=time.perf_counter() - started + (load_seconds or 0.0),
            units=len(units),
            items=n_items,
            units_per_s=len(units) / score_seconds if score_seconds > 0 else None,
            items_per_s=n_items / score_seconds if score_seconds > 0 else None,
            cache_hits_rank0=cache.hits,
            cache_misses_rank0=cache.misses,
        ),
        provenance=provenance(seed=spec.seed, eval_packages=package_versions(EVAL_PACKAGES)),
    )
    output = EvalResults.from_dict(results.json_safe(typed.to_dict()))  # strict JSON: NaN and infinities as None
    if directory is not None:
        _publish(directory, output, records, cached=bool(config.cache))
    return output


def _publish(directory: OutputDir, output: EvalResults, records: list[dict], cached: bool) -> None:
    """results.json, samples.jsonl, report.md and the plots, published whole into the locked directory."""
    from bilingual_lm.eval import plots, report

    def write(staging: Path) -> None:
        data = output.to_dict()
        results.write_results(staging, data, records)
        report.write_report(staging, data, plots.write_plots(staging, output))

    try:
        directory.publish(write)
    except WriteError as error:
        if not cached:
            raise
        raise WriteError(f"{error} (the scored answers are in the request cache: a rerun into a writable "
                         "--output-dir scores nothing again)") from None


def _tell(config: EvalConfig, notes: list[str]) -> None:
    if config.note is not None:
        for note in notes:
            config.note(note)
