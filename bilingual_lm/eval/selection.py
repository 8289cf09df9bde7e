"""What a run gets: its languages (`--lang`) and the tasks those languages can run."""

from __future__ import annotations

from collections.abc import Sequence

from bilingual_lm.errors import InputError
from bilingual_lm.eval import aggregate, runner
from bilingual_lm.eval.task import Task

LANGS = ("zh", "en")


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
