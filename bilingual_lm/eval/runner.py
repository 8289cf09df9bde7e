"""Scoring the tasks: every item under every language condition, through the request cache.

A *unit* is one item under one condition; it becomes one line of samples.jsonl:

* choice: (prompt language, answer language); `scorer.score_candidates(prompt, answers)` gives
  log p(answer | prompt) for each candidate (the prompt is computed once);
* parallel: one side (language) of a sentence pair; `scorer.score(texts)` gives its bits;
* open: one prompt language; `scorer.next_token_distribution` gives the entropy and the mass per script,
  and `scorer.sample` (seeded per item and language) the continuations whose diversity is measured.

Units are numbered in a fixed order (tasks, items, conditions), so a data-parallel run can shard them by
rank and put the gathered records back in the same order as a single process.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bilingual_lm.eval import metrics
from bilingual_lm.eval.bootstrap import stable_seed
from bilingual_lm.eval.cache import RequestCache
from bilingual_lm.eval.task import Item, Task
from bilingual_lm.score.base import Scorer

NUM_SAMPLES = 5  # sampled continuations per open prompt and language
MAX_NEW_TOKENS = 16
TOP_TOKENS = 10  # the most probable next tokens kept in each open record
PARALLEL_CHUNK = 32  # parallel texts scored (and cached) per call

ANSWER_JOIN = (
    "prompt + answer, with one space between them when the prompt's last and the answer's first "
    "character are both non-space and neither is a CJK character or CJK punctuation"
)


@dataclass(frozen=True)
class Unit:
    """One item of one task under one condition (answer_lang is None for parallel and open items)."""

    index: int
    task: Task
    item: Item
    prompt_lang: str
    answer_lang: str | None = None


def task_languages(task: Task, langs: Sequence[str]) -> list[str]:
    """The languages of `langs` (in their order) that the task is written in."""
    return [lang for lang in langs if not task.languages or lang in task.languages]


def task_conditions(task: Task, langs: Sequence[str]) -> list[tuple[str, str]]:
    """The (prompt, answer) language pairs of a choice task among `langs`, in a fixed order."""
    langs = task_languages(task, langs)
    pairs = [(p, a) for p in langs for a in langs]
    return [pair for pair in pairs if not task.conditions or pair in task.conditions]


def plan_units(tasks: Sequence[Task], langs: Sequence[str]) -> list[Unit]:
    """Every unit of `tasks` in the fixed order: task, item, then condition."""
    units: list[Unit] = []
    for task in tasks:
        if task.kind == "choice":
            conditions = task_conditions(task, langs)
        else:
            conditions = [(lang, None) for lang in task_languages(task, langs)]
        for item in task.items:
            for prompt_lang, answer_lang in conditions:
                units.append(Unit(len(units), task, item, prompt_lang, answer_lang))
    return units


def _is_cjk(char: str) -> bool:
    return metrics.token_script(char) == "han" or "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uffef"


def join_answer(prompt: str, answer: str) -> str:
    """The continuation that follows `prompt` for `answer` (see ANSWER_JOIN)."""
    if not prompt or not answer or prompt[-1].isspace() or answer[0].isspace():
        return answer
    if _is_cjk(prompt[-1]) or _is_cjk(answer[0]):
        return answer
    return " " + answer


def choice_request(unit: Unit) -> dict:
    prompt = unit.item.prompts[unit.prompt_lang]
    answers = [join_answer(prompt, c.surface[unit.answer_lang]) for c in unit.item.candidates]
    return {"kind": "candidates", "prompt": prompt, "candidates": answers}


def parallel_request(unit: Unit) -> dict:
    return {"kind": "text", "text": unit.item.prompts[unit.prompt_lang]}


def open_requests(unit: Unit, seed: int) -> tuple[dict, dict]:
    prompt = unit.item.prompts[unit.prompt_lang]
    sample_seed = stable_seed(seed, unit.task.name, unit.item.id, unit.prompt_lang) % 2**31
    return (
        {"kind": "next_token", "context": prompt, "top": TOP_TOKENS},
        {"kind": "sample", "context": prompt, "num_samples": NUM_SAMPLES, "max_new_tokens": MAX_NEW_TOKENS,
         "seed": sample_seed},
    )


def _base_record(unit: Unit) -> dict:
    record = {"unit": unit.index, "task": unit.task.name, "kind": unit.task.kind, "item": unit.item.id,
              "prompt_lang": unit.prompt_lang}
    if unit.task.kind == "choice":
        record["answer_lang"] = unit.answer_lang
    return record


def choice_record(unit: Unit, request: dict, logprobs: list[float]) -> dict:
    candidates = unit.item.candidates
    return {
        **_base_record(unit),
        "prompt": request["prompt"],
        "candidates": [c.id for c in candidates],
        "answers": request["candidates"],
        "n_chars": [len(c.surface[unit.answer_lang]) for c in candidates],
        "gold": unit.item.gold,
        "logprobs": logprobs,
    }


def parallel_record(unit: Unit, answer: dict) -> dict:
    return {**_base_record(unit), "text": unit.item.prompts[unit.prompt_lang], **answer}


def open_record(unit: Unit, summary: dict, samples: list[str]) -> dict:
    return {
        **_base_record(unit),
        "prompt": unit.item.prompts[unit.prompt_lang],
        **summary,
        "samples": samples,
        "distinct_1": metrics.distinct_n(samples, 1),
        "distinct_2": metrics.distinct_n(samples, 2),
        "type_token": metrics.type_token_ratio(samples),
    }


def _score_texts(scorer: Scorer, texts: list[str], batch_size: int | None) -> list[dict]:
    scores = scorer.score(texts, batch_size=batch_size)
    return [
        {
            "logprob": score.logprob,
            "bits": score.bits,
            "n_tokens": score.n_tokens,
            "n_chars": score.n_chars,
            "n_bytes": score.n_bytes,
            "bits_per_char": score.bits_per_char,
            "bits_per_byte": score.bits_per_byte,
        }
        for score in scores
    ]


def _next_token(scorer: Scorer, context: str) -> dict:
    distribution = scorer.next_token_distribution(context)
    summary = metrics.next_token_summary(distribution.tokens, distribution.logprobs)
    logp = metrics.normalised_logprobs(distribution.logprobs)
    top = sorted(range(len(logp)), key=lambda i: -logp[i])[:TOP_TOKENS]
    summary["top_tokens"] = [[distribution.tokens[i], float(logp[i])] for i in top]
    return summary


def _cached(cache: RequestCache, request: dict, compute):
    answer = cache.get(request)
    if answer is None:
        answer = compute()
        cache.put(request, answer)
    return answer


def run_units(
    scorer: Scorer,
    units: Iterable[Unit],
    cache: RequestCache,
    *,
    seed: int = 0,
    batch_size: int | None = None,
    progress: bool = False,
) -> list[dict]:
    """Score `units` (answers from the cache where it has them) and return one record per unit."""
    units = list(units)
    records: dict[int, dict] = {}
    console = Console(stderr=True)
    columns = (TextColumn("[bold]eval[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not progress, transient=False) as bar:
        task_id = bar.add_task("", total=len(units), rate="")
        start = time.perf_counter()

        def advance(unit: Unit, n: int = 1) -> None:
            done = bar.tasks[0].completed + n
            rate = f"{done / max(time.perf_counter() - start, 1e-9):.1f} units/s"
            bar.update(task_id, advance=n, description=unit.task.name, rate=rate)

        pending_texts: list[tuple[Unit, dict]] = []

        def flush_texts() -> None:
            answers = _score_texts(scorer, [request["text"] for _, request in pending_texts], batch_size)
            for (unit, request), answer in zip(pending_texts, answers, strict=True):
                cache.put(request, answer)
                records[unit.index] = parallel_record(unit, answer)
                advance(unit)
            pending_texts.clear()

        for unit in units:
            kind = unit.task.kind
            if kind == "choice":
                request = choice_request(unit)
                logprobs = _cached(cache, request, lambda r=request: [
                    float(x) for x in scorer.score_candidates(r["prompt"], r["candidates"])])
                records[unit.index] = choice_record(unit, request, logprobs)
                advance(unit)
            elif kind == "parallel":
                request = parallel_request(unit)
                answer = cache.get(request)
                if answer is not None:
                    records[unit.index] = parallel_record(unit, answer)
                    advance(unit)
                    continue
                pending_texts.append((unit, request))
                if len(pending_texts) >= PARALLEL_CHUNK:
                    flush_texts()
            elif kind == "open":
                next_request, sample_request = open_requests(unit, seed)
                summary = _cached(cache, next_request, lambda r=next_request: _next_token(scorer, r["context"]))
                samples = _cached(cache, sample_request, lambda r=sample_request: list(scorer.sample(
                    r["context"], r["num_samples"], r["max_new_tokens"], r["seed"])))
                records[unit.index] = open_record(unit, summary, samples)
                advance(unit)
            else:
                raise ValueError(f"task {unit.task.name}: unknown kind {kind!r}")
        if pending_texts:
            flush_texts()
    return [records[unit.index] for unit in units]
