"""Scoring the tasks: every item under every language condition, through the request cache.

A *unit* is one item under one condition; it becomes one line of samples.jsonl:

* choice: (prompt language, answer language); `scorer.score_candidates` gives
  log p(answer | prompt) for each candidate. One request serves every answer language of a prompt (the
  candidates in each answer language, concatenated), so the prompt is computed once per item and prompt
  language, not once per condition;
* parallel: one side (language) of a sentence pair; `scorer.score(texts)` gives its bits;
* open: one prompt language; `scorer.next_token_distributions` gives the entropy and the mass per script,
  and `scorer.sample` (seeded per item and language) the continuations whose diversity is measured;
* lens: (prompt language, answer language); the logit lens of the model's layers at the prompt's last token
  (`eval.layers`: all waiting lens units go through the model in one call).

Choice requests, open requests and parallel texts missing from the cache are answered in batches across
items through the batch methods of the `Scorer` contract; each request is cached as soon as its batch
returns. The first calls are small (`call_size`), so that a run killed early has saved as much as it loses.

Units are numbered in a fixed order (tasks, items, conditions), so a data-parallel run can shard them by
rank (whole requests at a time) and put the gathered records back in the same order as a single process.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from bilingual_lm.eval import layers, metrics
from bilingual_lm.eval.bootstrap import stable_seed
from bilingual_lm.eval.cache import RequestCache
from bilingual_lm.eval.task import Item, Task
from bilingual_lm.progress import Progress, report
from bilingual_lm.score.base import CandidatesRequest, SampleRequest, Scorer
from bilingual_lm.segment.script import is_cjk

NUM_SAMPLES = 4  # sampled continuations per open prompt and language
MAX_NEW_TOKENS = 12
TOP_TOKENS = 10  # the most probable next tokens kept in each open record
PARALLEL_CHUNK = 32  # parallel texts scored (and cached) per call
CHOICE_CHUNK = 32  # choice requests scored (and cached) per call
OPEN_CHUNK = 32  # open units answered (and cached) per batched call: each sampling step reads the 262k-row head
# once for all of them, so the default suite's 24 run as one call
LENS_CHUNK = 256  # lens units read (and cached) per call: their states share one pass of the head

ANSWER_JOIN = (
    "prompt + answer, with one space between them when the prompt's last and the answer's first "
    "character are both non-space and neither is a CJK character or CJK punctuation"
)


@dataclass(frozen=True)
class Unit:
    """One item of one task under one condition (answer_lang is None for parallel and open items).

    `request` numbers the model request that answers the unit (shared by a choice item's conditions with
    the same prompt language).
    """

    index: int
    request: int
    task: Task
    item: Item
    prompt_lang: str
    answer_lang: str | None = None
    neutral: bool = False  # a choice task's neutral prompt (PMI's reference), not one of its items


def task_languages(task: Task, langs: Sequence[str]) -> list[str]:
    """The languages of `langs` (in their order) that the task is written in."""
    return [lang for lang in langs if not task.languages or lang in task.languages]


def task_conditions(task: Task, langs: Sequence[str]) -> list[tuple[str, str]]:
    """The (prompt, answer) language pairs of a choice task among `langs`, in a fixed order."""
    langs = task_languages(task, langs)
    pairs = [(p, a) for p in langs for a in langs]
    return [pair for pair in pairs if not task.conditions or pair in task.conditions]


NEUTRAL_ITEM = "(neutral)"  # the item id of a task's neutral-prompt unit (not a valid id in a generated file)


def neutral_item(task: Task) -> Item | None:
    """Every candidate concept of the task's items after the neutral prompt (None: the task has none).

    Scored once per task and condition as an ordinary candidate request, it gives log p(answer | neutral)
    for the PMI rule."""
    prompts = {lang: task.neutral_prompt(lang) for lang in task.languages}
    if task.kind != "choice" or not task.items or None in prompts.values():
        return None
    concepts = {c.id: c for item in task.items for c in item.candidates}
    return Item(id=NEUTRAL_ITEM, prompts=prompts, candidates=tuple(concepts[cid] for cid in sorted(concepts)))


def plan_units(tasks: Sequence[Task], langs: Sequence[str]) -> list[Unit]:
    """Every unit of `tasks` in the fixed order: task, (its neutral prompt,) item, then condition."""
    units: list[Unit] = []
    for task in tasks:
        if task.kind in ("choice", "lens"):
            conditions = task_conditions(task, langs)
        else:
            conditions = [(lang, None) for lang in task_languages(task, langs)]
        neutral = neutral_item(task)
        for item in ([neutral] if neutral else []) + list(task.items):
            for prompt_lang, answer_lang in conditions:
                shares_request = units and units[-1].item is item and units[-1].prompt_lang == prompt_lang
                request = units[-1].request if shares_request and task.kind == "choice" else len(units)
                units.append(Unit(len(units), request, task, item, prompt_lang, answer_lang, item is neutral))
    return units


def join_answer(prompt: str, answer: str, joiner: str | None = None) -> str:
    """The continuation that follows `prompt` for `answer`: the task's joiner, else the ANSWER_JOIN rule."""
    if joiner is not None:
        return joiner + answer
    if not prompt or not answer or prompt[-1].isspace() or answer[0].isspace():
        return answer
    if is_cjk(prompt[-1]) or is_cjk(answer[0]):
        return answer
    return " " + answer


def choice_request(units: Sequence[Unit]) -> dict:
    """One request for units of the same item and prompt language: all their answers after the prompt."""
    prompt = units[0].item.prompts[units[0].prompt_lang]
    answers = [join_answer(prompt, c.surface[unit.answer_lang], unit.task.joiner(unit.prompt_lang, unit.answer_lang))
               for unit in units for c in unit.item.candidates]
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
        record["neutral"] = unit.neutral
    return record


def choice_record(unit: Unit, prompt: str, answers: list[str], logprobs: list[float], n_tokens: list[int]) -> dict:
    candidates = unit.item.candidates
    return {
        **_base_record(unit),
        "prompt": prompt,
        "candidates": [c.id for c in candidates],
        "answers": answers,
        "n_chars": [len(c.surface[unit.answer_lang]) for c in candidates],
        "n_tokens": n_tokens,
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
        "special_tokens": metrics.special_token_count(samples),
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


def _next_token_summary(distribution) -> dict:
    summary = metrics.next_token_summary(distribution.tokens, distribution.logprobs)
    logp = metrics.normalised_logprobs(distribution.logprobs)
    top = np.argsort(-logp, kind="stable")[:TOP_TOKENS]
    summary["top_tokens"] = [[distribution.tokens[i], float(logp[i])] for i in top]
    return summary


def _choice_records(scorer: Scorer, group: list[Unit], request: dict, logprobs: list[float]) -> list[dict]:
    records, offset = [], 0
    [n_tokens] = scorer.continuation_tokens([CandidatesRequest(request["prompt"], tuple(request["candidates"]))])
    for unit in group:
        end = offset + len(unit.item.candidates)
        records.append(choice_record(unit, request["prompt"], request["candidates"][offset:end], logprobs[offset:end],
                                     n_tokens[offset:end]))
        offset = end
    return records


class _Scoring:
    """The requests of one run: each answered from the cache, or by the scorer and then cached."""

    def __init__(self, scorer: Scorer, cache: RequestCache, seed: int, batch_size: int | None):
        self.scorer, self.cache, self.seed, self.batch_size = scorer, cache, seed, batch_size
        self.pending_texts: list[tuple[Unit, dict]] = []  # parallel texts not in the cache yet
        self.pending_choices: list[tuple[list[Unit], dict]] = []  # choice requests not in the cache yet
        self.pending_opens: list[tuple] = []  # open units with a request not in the cache yet
        self.pending_lens: list[tuple[Unit, dict]] = []  # lens units not in the cache yet
        self.logit_lens = None  # the scorer's lens, built at the first lens request the cache cannot answer

    def choice(self, group: list[Unit]) -> list[dict]:
        """The records if the request is cached; else none, and the request waits for `flush_choices`."""
        request = choice_request(group)
        logprobs = self.cache.get(request)
        if logprobs is None:
            self.pending_choices.append((group, request))
            return []
        return _choice_records(self.scorer, group, request, logprobs)

    def flush_choices(self) -> list[dict]:
        """Score the waiting choice requests in one batched call."""
        if not self.pending_choices:
            return []
        pending, self.pending_choices = self.pending_choices, []
        answers = self.scorer.score_candidates(
            [CandidatesRequest(r["prompt"], tuple(r["candidates"])) for _, r in pending]
        )
        records = []
        for (group, request), answer in zip(pending, answers, strict=True):
            logprobs = [float(x) for x in answer]
            self.cache.put(request, logprobs)
            records.extend(_choice_records(self.scorer, group, request, logprobs))
        return records

    def parallel(self, unit: Unit) -> dict | None:
        """The record if the text is cached; else None, and the text waits for `flush_texts`."""
        request = parallel_request(unit)
        answer = self.cache.get(request)
        if answer is None:
            self.pending_texts.append((unit, request))
            return None
        return parallel_record(unit, answer)

    def flush_texts(self) -> list[dict]:
        """Score the waiting parallel texts in one batched call; their records."""
        if not self.pending_texts:
            return []
        answers = _score_texts(self.scorer, [request["text"] for _, request in self.pending_texts], self.batch_size)
        records = []
        for (unit, request), answer in zip(self.pending_texts, answers, strict=True):
            self.cache.put(request, answer)
            records.append(parallel_record(unit, answer))
        self.pending_texts.clear()
        return records

    def open(self, unit: Unit) -> dict | None:
        """The record if both requests are cached; else None, and the unit waits for `flush_opens`."""
        next_request, sample_request = open_requests(unit, self.seed)
        summary, samples = self.cache.get(next_request), self.cache.get(sample_request)
        if summary is None or samples is None:
            self.pending_opens.append((unit, next_request, summary, sample_request, samples))
            return None
        return open_record(unit, summary, samples)

    def flush_opens(self) -> list[dict]:
        """Answer the waiting open units' requests in one batched call each."""
        pending, self.pending_opens = self.pending_opens, []
        contexts = [next_request["context"] for _, next_request, summary, _, _ in pending if summary is None]
        distributions = iter(self.scorer.next_token_distributions(contexts) if contexts else [])
        asks = [SampleRequest(r["context"], r["num_samples"], r["max_new_tokens"], r["seed"])
                for _, _, _, r, samples in pending if samples is None]
        sampled = iter(self.scorer.sample(asks) if asks else [])
        records = []
        for unit, next_request, summary, sample_request, samples in pending:
            if summary is None:
                summary = _next_token_summary(next(distributions))
                self.cache.put(next_request, summary)
            if samples is None:
                samples = list(next(sampled))
                self.cache.put(sample_request, samples)
            records.append(open_record(unit, summary, samples))
        return records

    def lens(self, unit: Unit) -> dict | None:
        """The record if the lens request is cached; else None, and the unit waits for `flush_lens`."""
        request = layers.lens_request(unit)
        answer = self.cache.get(request)
        if answer is None:
            self.pending_lens.append((unit, request))
            return None
        return layers.lens_record(_base_record(unit), unit, answer)

    def flush_lens(self) -> list[dict]:
        """Read the waiting lens requests through the model's layers in one call; their records."""
        if not self.pending_lens:
            return []
        pending, self.pending_lens = self.pending_lens, []
        self.logit_lens = self.logit_lens or layers.lens_of(self.scorer)
        answers = layers.answer_requests(self.logit_lens, [request for _, request in pending])
        records = []
        for (unit, request), answer in zip(pending, answers, strict=True):
            self.cache.put(request, answer)
            records.append(layers.lens_record(_base_record(unit), unit, answer))
        return records


def call_size(largest: int, saved: int) -> int:
    """Requests per model call: 1, then as many as are already saved, up to `largest` (1, 1, 2, 4, ...).

    A kill loses at most the call in flight, which is never larger than the number of units already done.
    """
    return max(1, min(largest, saved))


def run_units(
    scorer: Scorer,
    units: Iterable[Unit],
    cache: RequestCache,
    *,
    seed: int = 0,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> list[dict]:
    """Score `units` (answers from the cache where it has them) and return one record per unit."""
    units = list(units)
    scoring = _Scoring(scorer, cache, seed, batch_size)
    records: dict[int, dict] = {}
    with report(progress, "eval", len(units)) as advance:

        def done(new: list[dict], task: str | None) -> None:
            records.update((record["unit"], record) for record in new)
            advance(len(new), note=task)

        for _, group in itertools.groupby(units, key=lambda unit: unit.request):
            group = list(group)
            kind, task = group[0].task.kind, group[0].task.name
            if kind == "choice":
                done(scoring.choice(group), task)
                if len(scoring.pending_choices) >= call_size(CHOICE_CHUNK, len(records)):
                    done(scoring.flush_choices(), task)
            elif kind == "parallel":
                record = scoring.parallel(group[0])
                done([record] if record else [], task)
                if len(scoring.pending_texts) >= call_size(PARALLEL_CHUNK, len(records)):
                    done(scoring.flush_texts(), task)
            elif kind == "open":
                record = scoring.open(group[0])
                done([record] if record else [], task)
                if len(scoring.pending_opens) >= call_size(OPEN_CHUNK, len(records)):
                    done(scoring.flush_opens(), task)
            elif kind == "lens":
                record = scoring.lens(group[0])
                done([record] if record else [], task)
                if len(scoring.pending_lens) >= call_size(LENS_CHUNK, len(records)):
                    done(scoring.flush_lens(), task)
            else:
                raise ValueError(f"task {task}: unknown kind {kind!r}")
        done(scoring.flush_lens(), None)
        done(scoring.flush_choices(), None)
        done(scoring.flush_opens(), None)
        done(scoring.flush_texts(), None)
    return [records[unit.index] for unit in units]
