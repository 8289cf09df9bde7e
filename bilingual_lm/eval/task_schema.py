"""The schema of a task file, checked field by field: every problem one `InputError` line naming the file, the
field and the reason, e.g. ``cldr_currency.yaml: items[3].gold: 'XX' is not among the candidates``.

`bilingual_lm.eval.loader` reads the YAML and calls these checks in order (header, languages, conditions,
templates, concepts, then each item); the format itself is documented in ``eval/README.md``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from pathlib import Path

from bilingual_lm.errors import InputError
from bilingual_lm.eval.task import Candidate, Item

FORMAT_VERSION = 1
KINDS = ("choice", "parallel", "open", "lens")
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_\-]*")

_TOP_LEVEL = {
    "format": False,
    "name": True,
    "kind": True,
    "group": False,
    "description": True,
    "source": True,
    "license": False,
    "languages": True,
    "conditions": False,
    "default_limit": False,
    "templates": True,
    "concepts": False,
    "items": True,
}  # field -> required
_ITEM_FIELDS = {"id", "slots", "candidates", "gold", "answer", "meta"}
TEMPLATE_KEYS = ("prompt", "neutral", "joiner")  # neutral: PMI's prompt; joiner: prompt->answer text


class Checker:
    """Raises `InputError`s that name the file and the field."""

    def __init__(self, shown: str):
        self.shown = shown

    def fail(self, field: str, reason: str):
        raise InputError(f"{self.shown}: {field}: {reason}" if field else f"{self.shown}: {reason}")

    def mapping(self, value, field: str) -> dict:
        if not isinstance(value, dict):
            self.fail(field, f"must be a mapping, got {_kind_of(value)}")
        return value

    def sequence(self, value, field: str, non_empty: bool = True) -> list:
        if not isinstance(value, list):
            self.fail(field, f"must be a list, got {_kind_of(value)}")
        if non_empty and not value:
            self.fail(field, "is empty")
        return value

    def text(self, value, field: str, non_empty: bool = True) -> str:
        if value is None:
            self.fail(field, "is empty")
        if not isinstance(value, str):
            hint = " (quote it)" if isinstance(value, bool | int | float) else ""
            self.fail(field, f"must be a string, got {_kind_of(value)} {value!r}{hint}")
        if non_empty and not value.strip():
            self.fail(field, "is empty")
        return value

    def per_language(self, value, field: str, languages: tuple[str, ...]) -> dict[str, str]:
        """A mapping with a non-empty string for exactly the task's languages."""
        value = self.mapping(value, field)
        for lang in languages:
            if lang not in value:
                self.fail(field, f"has no '{lang}' form (the task's languages are {', '.join(languages)})")
        for lang in value:
            if lang not in languages:
                self.fail(f"{field}.{lang}", f"'{lang}' is not one of the task's languages ({', '.join(languages)})")
            self.text(value[lang], f"{field}.{lang}")
        return value


def _kind_of(value) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


def _placeholders(check: Checker, template: str, field: str) -> set[str]:
    """The ``{name}`` fields of a template; positional fields, conversions and format specs are refused."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        check.fail(field, f"malformed template: {error}")
    names = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            check.fail(field, f"placeholder {{{name}}} must be a plain name like {{subject}}")
        if spec or conversion:
            check.fail(field, f"placeholder {{{name}}} must not have a conversion or format spec")
        names.add(name)
    return names


def check_header(check: Checker, data: dict, path: Path) -> tuple[str, str]:
    """The top-level fields: none unknown, the required ones there, the format, name (the file's), kind and
    the texts; returns the task's name and kind."""
    for key in data:
        if key not in _TOP_LEVEL:
            check.fail(str(key), f"unknown field (a task file has {', '.join(_TOP_LEVEL)})")
    for key, required in _TOP_LEVEL.items():
        if required and key not in data:
            check.fail(key, "is missing")
    if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        check.fail("format", f"this version of bilingual-lm reads task format {FORMAT_VERSION}, not {data['format']!r}")
    name = check.text(data["name"], "name")
    if not NAME_PATTERN.fullmatch(name):
        check.fail("name", f"{name!r} must be lower-case letters, digits, '_' or '-'")
    if name != path.stem:
        check.fail("name", f"{name!r} must match the file name ({path.stem}{path.suffix})")
    kind = check.text(data["kind"], "kind")
    if kind not in KINDS:
        check.fail("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    for key in ("description", "source"):
        check.text(data[key], key)
    for key in ("group", "license"):
        if key in data:
            check.text(data[key], key)
    if "default_limit" in data:
        limit = data["default_limit"]
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            check.fail("default_limit", f"must be a positive whole number, got {limit!r}")
    return name, kind


def check_languages(check: Checker, data: dict, kind: str) -> tuple[str, ...]:
    languages = check.sequence(data["languages"], "languages")
    for index, lang in enumerate(languages):
        check.text(lang, f"languages[{index}]")
        if not re.fullmatch(r"[a-z]{2,3}", lang):
            check.fail(f"languages[{index}]", f"'{lang}' is not a language code like zh or en")
    if len(set(languages)) != len(languages):
        check.fail("languages", "lists a language twice")
    if kind == "parallel" and len(languages) < 2:
        check.fail("languages", "a parallel task needs at least two languages")
    return tuple(languages)


def check_conditions(check: Checker, data: dict, languages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    conditions = []
    for index, pair in enumerate(check.sequence(data["conditions"], "conditions")):
        field = f"conditions[{index}]"
        if not (isinstance(pair, list) and len(pair) == 2):
            check.fail(field, "must be a [prompt_language, answer_language] pair")
        for lang in pair:
            if lang not in languages:
                check.fail(field, f"{lang!r} is not one of the task's languages ({', '.join(languages)})")
        if tuple(pair) in conditions:
            check.fail(field, f"{pair[0]}→{pair[1]} is listed twice")
        conditions.append(tuple(pair))
    return tuple(conditions)


def check_templates(check: Checker, data: dict, languages: tuple[str, ...]) -> tuple[dict, set[str]]:
    templates = check.mapping(data["templates"], "templates")
    for key in templates:
        if key not in TEMPLATE_KEYS:
            check.fail(f"templates.{key}", f"unknown template (templates are {', '.join(TEMPLATE_KEYS)})")
    if "prompt" not in templates:
        check.fail("templates", "has no 'prompt' template")
    prompt = check.per_language(templates["prompt"], "templates.prompt", languages)
    fields = {lang: _placeholders(check, prompt[lang], f"templates.prompt.{lang}") for lang in languages}
    first = fields[languages[0]]
    for lang in languages[1:]:
        if fields[lang] != first:
            check.fail(
                f"templates.prompt.{lang}",
                f"has placeholders {_braced(fields[lang])} but templates.prompt.{languages[0]} has {_braced(first)}",
            )
    if "neutral" in templates:
        neutral = check.per_language(templates["neutral"], "templates.neutral", languages)
        for lang in languages:
            if _placeholders(check, neutral[lang], f"templates.neutral.{lang}"):
                check.fail(f"templates.neutral.{lang}", "a neutral prompt has no placeholders")
    if "joiner" in templates:
        _check_joiners(check, check.mapping(templates["joiner"], "templates.joiner"), languages)
    return templates, first


def check_lens_prompts(check: Checker, data: dict, conditions: tuple[tuple[str, str], ...]) -> tuple[dict, set[str]]:
    """A lens task's templates.prompt: 'P->A' -> the prompt for each condition, all with the same placeholders
    (filled with the prompt language's slot values)."""
    templates = check.mapping(data["templates"], "templates")
    for key in templates:
        if key != "prompt":
            check.fail(f"templates.{key}", "unknown template (a lens task has one: prompt)")
    prompt = check.mapping(templates.get("prompt"), "templates.prompt")
    pairs = [f"{p}->{a}" for p, a in conditions]
    for key in prompt:
        if key not in pairs:
            check.fail(f"templates.prompt.{key}", f"is not one of the task's conditions ({', '.join(pairs)})")
    fields = []
    for pair in pairs:
        if pair not in prompt:
            check.fail("templates.prompt", f"has no '{pair}' (a lens task gives the prompt of each condition)")
        where = f"templates.prompt.{pair}"
        fields.append(_placeholders(check, check.text(prompt[pair], where), where))
        if fields[-1] != fields[0]:
            check.fail(where, f"has placeholders {_braced(fields[-1])} but {pairs[0]} has "
                       f"{_braced(fields[0])}")
    return templates, fields[0]


def _check_joiners(check: Checker, joiners: dict, languages: tuple[str, ...]) -> None:
    """templates.joiner: 'P->A' -> the text between a prompt in P and an answer in A, for every pair."""
    pairs = [f"{p}->{a}" for p in languages for a in languages]
    for key, value in joiners.items():
        if key not in pairs:
            check.fail(f"templates.joiner.{key}", f"is not a prompt->answer pair of the task ({', '.join(pairs)})")
        check.text(value, f"templates.joiner.{key}", non_empty=False)
    for pair in pairs:
        if pair not in joiners:
            check.fail("templates.joiner", f"has no '{pair}' (give the joiner of every prompt->answer pair)")


def _braced(names: Iterable[str]) -> str:
    return ", ".join(f"{{{name}}}" for name in sorted(names)) or "none"


def check_concepts(check: Checker, data: dict, languages: tuple[str, ...]) -> dict[str, Candidate]:
    if "concepts" not in data:
        check.fail("concepts", "is missing (a choice task defines its answer concepts)")
    concepts = check.mapping(data["concepts"], "concepts")
    if not concepts:
        check.fail("concepts", "is empty")
    table = {}
    for concept_id, surface in concepts.items():
        check.text(concept_id, f"concepts key {concept_id!r}")
        surface = check.per_language(surface, f"concepts.{concept_id}", languages)
        table[concept_id] = Candidate(id=concept_id, surface={lang: surface[lang] for lang in languages})
    return table


def check_item(
    check: Checker,
    raw,
    index: int,
    kind: str,
    languages: tuple[str, ...],
    slot_names: set[str],
    templates: dict,
    concepts: dict[str, Candidate],
    conditions: tuple[tuple[str, str], ...] = (),
) -> Item:
    field = f"items[{index}]"
    raw = check.mapping(raw, field)
    for key in raw:
        if key not in _ITEM_FIELDS:
            check.fail(f"{field}.{key}", f"unknown field (an item has {', '.join(sorted(_ITEM_FIELDS))})")
    if "id" not in raw:
        check.fail(field, "has no id")
    item_id = check.text(raw["id"], f"{field}.id")
    slots = check.mapping(raw.get("slots", {}), f"{field}.slots")
    for name in slot_names:
        if name not in slots:
            check.fail(f"{field}.slots", f"has no '{name}' (the prompt template uses {{{name}}})")
    for name in slots:
        if name not in slot_names:
            check.fail(f"{field}.slots.{name}", f"is not a placeholder of the prompt template ({_braced(slot_names)})")
    values = {name: check.per_language(slots[name], f"{field}.slots.{name}", languages) for name in slots}
    meta = check.mapping(raw.get("meta", {}), f"{field}.meta")
    if kind == "lens":
        return _lens_item(check, raw, field, item_id, values, templates, conditions, languages, meta)
    prompts = {
        lang: templates["prompt"][lang].format_map({name: values[name][lang] for name in values}) for lang in languages
    }
    if "answer" in raw:
        check.fail(f"{field}.answer", f"only lens tasks have answer (this task is '{kind}')")
    if kind != "choice":
        for key in ("candidates", "gold"):
            if key in raw:
                check.fail(f"{field}.{key}", f"only choice tasks have {key} (this task is '{kind}')")
        return Item(id=item_id, prompts=prompts, meta=meta)

    for key in ("candidates", "gold"):
        if key not in raw:
            check.fail(field, f"has no {key}")
    ids = check.sequence(raw["candidates"], f"{field}.candidates", non_empty=False)
    if not ids:
        check.fail(f"{field}.candidates", "is empty (a choice item needs candidates)")
    for position, concept_id in enumerate(ids):
        check.text(concept_id, f"{field}.candidates[{position}]")
        if concept_id not in concepts:
            check.fail(f"{field}.candidates[{position}]", f"{concept_id!r} is not defined under concepts")
    if len(set(ids)) != len(ids):
        check.fail(f"{field}.candidates", "lists a concept twice")
    if len(ids) < 2:
        check.fail(f"{field}.candidates", "needs at least two candidates")
    gold = check.text(raw["gold"], f"{field}.gold")
    if gold not in ids:
        check.fail(f"{field}.gold", f"{gold!r} is not among the candidates")
    candidates = tuple(concepts[concept_id] for concept_id in ids)
    for lang in languages:
        seen = {}
        for candidate in candidates:
            other = seen.setdefault(candidate.surface[lang], candidate.id)
            if other != candidate.id:
                check.fail(
                    f"{field}.candidates",
                    f"{other!r} and {candidate.id!r} have the same {lang} form {candidate.surface[lang]!r}",
                )
    return Item(id=item_id, prompts=prompts, candidates=candidates, gold=gold, meta=meta)


def _lens_item(check: Checker, raw: dict, field: str, item_id: str, values: dict, templates: dict,
               conditions: tuple[tuple[str, str], ...], languages: tuple[str, ...], meta: dict) -> Item:
    """A lens item: its prompt per condition ('P->A', slots in P) and its one-word answer per language."""
    for key in ("candidates", "gold"):
        if key in raw:
            check.fail(f"{field}.{key}", f"only choice tasks have {key} (this task is 'lens')")
    if "answer" not in raw:
        check.fail(field, "has no answer (a lens item gives its answer in each language)")
    answers = check.per_language(raw["answer"], f"{field}.answer", languages)
    prompts = {
        f"{p}->{a}": templates["prompt"][f"{p}->{a}"].format_map({name: values[name][p] for name in values})
        for p, a in conditions
    }
    return Item(id=item_id, prompts=prompts, answers=dict(answers), meta=meta)
