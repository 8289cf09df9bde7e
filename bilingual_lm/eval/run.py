"""`run_eval(spec, config)`: one eval run from a model string, as the CLI and a notebook both call it.

    from bilingual_lm.eval.run import EvalConfig, EvalSpec, run_eval
    results = run_eval(EvalSpec(model="gemma3-270m", langs=("zh", "en")), EvalConfig(output_dir="runs/gemma"))
    results.metrics["cldr_city"]["conditions"]["zh->zh"]

`EvalSpec` is what the results depend on (model, languages, tasks, limit, seed, bootstrap); `EvalConfig` is how
the run goes (device, batch size, output directory, cache, progress, where notes go). `run_eval` owns the process
group of a data-parallel launch, loads the scorer (timed), scores through `evaluate`, and returns typed results
(`schema.EvalResults`; None on the ranks other than 0).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bilingual_lm.errors import InputError
from bilingual_lm.eval import distributed
from bilingual_lm.eval.evaluate import evaluate, parse_langs, runnable_tasks
from bilingual_lm.eval.schema import EvalResults
from bilingual_lm.progress import Progress
from bilingual_lm.score.registry import DEFAULT_TRANSFORMER


@dataclass(frozen=True)
class EvalSpec:
    """What an eval's numbers depend on."""

    model: str = DEFAULT_TRANSFORMER
    langs: tuple[str, ...] = ("zh", "en")
    tasks: tuple[str, ...] | None = None  # task names, groups or suites; None: the default suite
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
    from bilingual_lm.eval.loader import load_tasks
    from bilingual_lm.score.registry import load_scorer

    langs = parse_langs(",".join(spec.langs))
    names = list(spec.tasks) if spec.tasks is not None else None
    selected, notes = runnable_tasks(load_tasks(names, tasks_dir=spec.tasks_dir), langs, explicit=names is not None)
    if not selected:
        raise InputError("no task to run")
    _tell(config, notes)
    group = distributed.process_group()
    try:
        options = {"lang": "auto", "progress": config.progress}
        if group.device(config.device):
            options["device"] = group.device(config.device)
        if config.batch_size:
            options["batch_size"] = config.batch_size
        loading = time.perf_counter()
        scorer = load_scorer(spec.model, **options)
        load_seconds = time.perf_counter() - loading
        output = evaluate(
            scorer, selected, langs, model_spec=spec.model, output_dir=config.output_dir, seed=spec.seed,
            n_bootstrap=spec.bootstrap, limit=spec.limit, batch_size=config.batch_size, cache_path=config.cache,
            overwrite=config.overwrite, progress=config.progress, notes=notes, load_seconds=load_seconds, group=group,
        )
    finally:
        distributed.leave(group)
    if output is None:
        return None
    _tell(config, output["notes"][len(notes) :])  # what the run found (a damaged cache row, ...)
    return EvalResults.from_dict(output)


def _tell(config: EvalConfig, notes: list[str]) -> None:
    if config.note is not None:
        for note in notes:
            config.note(note)
