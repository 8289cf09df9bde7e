"""Eval task files: the schema checks, the template hash, discovery and suites, and the built-in tasks
checked against their sources (babel's CLDR data, the HSK sentences) and against a fresh regeneration."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from importlib.metadata import version
from pathlib import Path

import pytest

from bilingual_lm.corpora.hsk import hsk_sentences, train_test_split
from bilingual_lm.errors import InputError
from bilingual_lm.eval.loader import (
    BUILTIN_TASKS_DIR,
    discover_tasks,
    load_task_file,
    load_tasks,
    template_hash,
)

REPO = Path(__file__).resolve().parents[1]
BUILTIN = sorted(path.stem for path in BUILTIN_TASKS_DIR.glob("*.yaml"))

VALID = """\
name: {name}
kind: choice
description: Territory to currency.
source: hand-made test data
languages: [zh, en]
templates:
  prompt: {{zh: "{{subject}}的货币是", en: "The currency of {{subject}} is the "}}
concepts:
  JPY: {{zh: 日元, en: Japanese yen}}
  EUR: {{zh: 欧元, en: euro}}
  USD: {{zh: 美元, en: US dollar}}
items:
- id: JP
  slots:
    subject: {{zh: 日本, en: Japan}}
  candidates: [EUR, JPY, USD]
  gold: JPY
- id: FR
  slots:
    subject: {{zh: 法国, en: France}}
  candidates: [EUR, JPY, USD]
  gold: EUR
"""


def write(directory: Path, text: str, name: str = "x") -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def valid(name: str = "x") -> str:
    return VALID.format(name=name)


def test_a_valid_file_gives_prompts_from_templates_and_aligned_candidates(tmp_path):
    task = load_task_file(write(tmp_path, valid()))
    assert (task.name, task.kind, task.languages) == ("x", "choice", ("zh", "en"))
    japan = task.items[0]
    assert japan.prompts == {"zh": "日本的货币是", "en": "The currency of Japan is the "}
    assert [c.id for c in japan.candidates] == ["EUR", "JPY", "USD"]
    assert japan.candidates[1].surface == {"zh": "日元", "en": "Japanese yen"}
    assert japan.gold == "JPY"


# Each malformed file (a substitution in VALID) and the one line it must give, after "<file>: ".
MALFORMED = {
    "not yaml": (("items:\n", "items: [\n"), r"not valid YAML at line \d+, column \d+: .+"),
    "missing field": (("description: Territory to currency.\n", ""), "description: is missing"),
    "unknown field": (("languages:", "langs: [zh]\nlanguages:"), r"langs: unknown field \(a task file has .+\)"),
    "unknown kind": (("kind: choice", "kind: multiple"), "kind: 'multiple' is not one of choice, parallel, open, lens"),
    "name not the file's": (("name: x", "name: y"), r"name: 'y' must match the file name \(x.yaml\)"),
    "empty candidates": (
        ("candidates: [EUR, JPY, USD]\n  gold: EUR", "candidates: []\n  gold: EUR"),
        r"items\[1\].candidates: is empty \(a choice item needs candidates\)",
    ),
    "gold not a candidate": (("gold: EUR", "gold: XX"), r"items\[1\].gold: 'XX' is not among the candidates"),
    "undefined candidate": (
        ("candidates: [EUR, JPY, USD]\n  gold: EUR", "candidates: [EUR, CHF]\n  gold: EUR"),
        r"items\[1\].candidates\[1\]: 'CHF' is not defined under concepts",
    ),
    "concept lacks a language": (
        ("EUR: {zh: 欧元, en: euro}", "EUR: {zh: 欧元}"),
        r"concepts.EUR: has no 'en' form \(the task's languages are zh, en\)",
    ),
    "empty surface form": (("EUR: {zh: 欧元, en: euro}", "EUR: {zh: 欧元, en: ''}"), "concepts.EUR.en: is empty"),
    "slot lacks a language": (
        ("subject: {zh: 法国, en: France}", "subject: {en: France}"),
        r"items\[1\].slots.subject: has no 'zh' form \(the task's languages are zh, en\)",
    ),
    "slot not in template": (
        ("subject: {zh: 法国, en: France}", "country: {zh: 法国, en: France}"),
        r"items\[1\].slots: has no 'subject' \(the prompt template uses \{subject\}\)",
    ),
    "templates disagree": (
        ('en: "The currency of {subject} is the "', 'en: "The currency of {country} is the "'),
        r"templates.prompt.en: has placeholders \{country\} but templates.prompt.zh has \{subject\}",
    ),
    "attribute in placeholder": (
        ('en: "The currency of {subject} is the "', 'en: "{subject.__class__}"'),
        r"templates.prompt.en: placeholder \{subject.__class__\} must be a plain name like \{subject\}",
    ),
    "unbalanced brace": (
        ('en: "The currency of {subject} is the "', 'en: "The currency of {subject is the "'),
        "templates.prompt.en: malformed template: .+",
    ),
    "template language missing": (
        ('prompt: {zh: "{subject}的货币是", en: ', 'prompt: {zh: "{subject}的货币是", fr: '),
        r"templates.prompt: has no 'en' form \(the task's languages are zh, en\)",
    ),
    "duplicate item id": (("- id: FR", "- id: JP"), r"items\[1\].id: 'JP' is already the id of items\[0\]"),
    "unquoted NO": (("- id: FR", "- id: NO"), r"items\[1\].id: must be a string, got a boolean False \(quote it\)"),
    "duplicate key": (
        ("USD: {zh: 美元, en: US dollar}", "EUR: {zh: 美元, en: US dollar}"),
        "not valid YAML at line 11, column 3: duplicate key 'EUR'",
    ),
    "python tag": (
        ("source: hand-made test data", 'source: !!python/object/apply:os.system ["echo executed"]'),
        r"not valid YAML at line \d+, column \d+: could not determine a constructor .+",
    ),
    "condition language": (
        ("languages: [zh, en]", "languages: [zh, en]\nconditions: [[zh, fr]]"),
        r"conditions\[0\]: 'fr' is not one of the task's languages \(zh, en\)",
    ),
    "same surface twice": (
        ("USD: {zh: 美元, en: US dollar}", "USD: {zh: 美元, en: euro}"),
        r"items\[0\].candidates: 'EUR' and 'USD' have the same en form 'euro'",
    ),
    "bad default_limit": (
        ("languages:", "default_limit: 0\nlanguages:"),
        "default_limit: must be a positive whole number, got 0",
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_a_malformed_file_gives_one_line_naming_file_and_field(tmp_path, case, monkeypatch):
    (old, new), expected = MALFORMED[case]
    assert old in valid()
    path = write(tmp_path, valid().replace(old, new, 1))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as raised:
        load_task_file(path)
    message = str(raised.value)
    assert "\n" not in message
    assert re.fullmatch(f"x.yaml: {expected}", message), message


def test_a_parallel_task_refuses_candidates(tmp_path):
    text = valid().replace("kind: choice", "kind: parallel").split("concepts:")[0] + (
        "items:\n- id: a\n  slots:\n    subject: {zh: 日本, en: Japan}\n  candidates: [JPY]\n"
    )
    with pytest.raises(InputError, match=r"items\[0\].candidates: only choice tasks have candidates"):
        load_task_file(write(tmp_path, text))


def test_template_hash_is_sha256_of_canonical_json():
    templates = {"prompt": {"zh": "{x}是", "en": "{x} is "}}
    # Canonical JSON written by hand: keys sorted, no spaces, non-ASCII kept as UTF-8.
    canonical = '{"prompt":{"en":"{x} is ","zh":"{x}是"}}'
    assert template_hash(templates) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert template_hash({"prompt": {"en": "{x} is ", "zh": "{x}是"}}) == template_hash(templates)


def test_task_hash_changes_with_a_template_and_not_with_the_items(tmp_path):
    before = load_task_file(write(tmp_path, valid())).template_hash
    changed = load_task_file(write(tmp_path, valid().replace("is the ", "is "))).template_hash
    fewer_items = load_task_file(write(tmp_path, valid().split("- id: FR")[0])).template_hash
    assert changed != before
    assert fewer_items == before


def test_discover_lists_the_builtin_tasks_and_user_tasks(tmp_path):
    required = "cldr_currency cldr_language cldr_continent cldr_city hsk_parallel hsk_translation hsk_open"
    assert set(BUILTIN) >= set(required.split())
    assert list(discover_tasks()) == BUILTIN
    write(tmp_path, valid("mine"), "mine")
    found = discover_tasks(tmp_path)
    assert found["mine"] == tmp_path / "mine.yaml"
    assert list(found)[: len(BUILTIN)] == BUILTIN


def test_results_record_a_task_path_that_does_not_depend_on_where_things_are_installed(tmp_path, monkeypatch):
    # Two clones' runs must compare equal: a built-in task is named inside the package, a user's task as the user
    # would write it (relative to the working directory when inside it, else absolute).
    [city] = load_tasks(["cldr_city"])
    assert city.path == "bilingual_lm/eval/tasks/cldr_city.yaml"
    assert (REPO / city.path).read_bytes() == (BUILTIN_TASKS_DIR / "cldr_city.yaml").read_bytes()
    (tmp_path / "mine").mkdir()
    write(tmp_path / "mine", valid("mine"), "mine")
    monkeypatch.chdir(tmp_path)
    assert load_tasks(["mine"], tasks_dir="mine")[0].path == "mine/mine.yaml"
    monkeypatch.chdir(tmp_path / "mine")
    assert load_tasks(["mine"], tasks_dir=tmp_path / "mine")[0].path == "mine.yaml"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_tasks(["mine"], tasks_dir=tmp_path / "mine")[0].path == str((tmp_path / "mine" / "mine.yaml").resolve())


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: write(d, valid("cldr_city"), "cldr_city"), "'cldr_city' is already a built-in task"),
        (lambda d: write(d, valid("default"), "default"), "'default' is the name of a suite"),
        (lambda d: None, r"holds no task files \(\*.yaml\)"),
        (lambda d: write(d, valid()).rename(d / "gone"), "holds no task files"),
    ],
)
def test_bad_tasks_dir_is_an_input_error(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(InputError, match=message):
        discover_tasks(tmp_path)


def test_tasks_dir_that_is_not_a_directory(tmp_path):
    with pytest.raises(InputError, match="not a directory"):
        discover_tasks(tmp_path / "missing")


def test_default_suite_is_the_first_default_limit_items_of_each_task(tmp_path):
    full = {task.name: task for task in load_tasks(["all"])}
    default = load_tasks()
    assert [task.name for task in default] == [name for name in BUILTIN if full[name].default_limit]
    for task in default:
        limit = full[task.name].default_limit
        assert [item.id for item in task.items] == [item.id for item in full[task.name].items[:limit]]
        assert task.template_hash == full[task.name].template_hash
    # A user's tasks run in the default suite too.
    write(tmp_path, valid("mine"), "mine")
    assert [task.name for task in load_tasks(None, tmp_path)][-1] == "mine"


def test_names_select_tasks_groups_and_suites():
    assert [t.name for t in load_tasks("hsk_open,cldr_city")] == ["hsk_open", "cldr_city"]
    cldr = load_tasks(["cldr"])
    assert {t.name for t in cldr} == {name for name in BUILTIN if name.startswith("cldr_")}
    assert all(len(t.items) > (t.default_limit or 0) for t in cldr)  # named: the whole task
    assert [t.name for t in load_tasks(["cldr_city", "cldr"])].count("cldr_city") == 1
    with pytest.raises(InputError, match=r"unknown task 'nope'; tasks: cldr_city, .+; groups: cldr, hsk"):
        load_tasks(["nope"])


# The built-in tasks against their sources.


def test_currency_items_match_babel():
    from babel import Locale
    from babel.numbers import get_currency_name, get_territory_currencies

    from eval.generate.cldr import english_in_sentence

    zh, en = Locale("zh"), Locale("en")
    task = load_task_file(BUILTIN_TASKS_DIR / "cldr_currency.yaml")
    assert len(task.items) >= 150
    for item in task.items:
        assert get_territory_currencies(item.id, date(2026, 1, 1)) == [item.gold]
        assert item.prompts == {
            "zh": f"{zh.territories[item.id]}的货币是",
            "en": f"The currency of {english_in_sentence(en.territories[item.id])} is the",
        }
        gold = next(c for c in item.candidates if c.id == item.gold)
        assert gold.surface == {lang: get_currency_name(item.gold, count=1, locale=lang) for lang in ("zh", "en")}
        assert len(item.candidates) == 8


def test_language_items_match_babel():
    from babel.languages import get_official_languages

    task = load_task_file(BUILTIN_TASKS_DIR / "cldr_language.yaml")
    assert len(task.items) >= 100
    for item in task.items:
        assert get_official_languages(item.id, de_facto=True) == (item.gold,)
    brazil = next(item for item in task.items if item.id == "BR")
    assert brazil.prompts["zh"] == "巴西的官方语言是"
    assert next(c for c in brazil.candidates if c.id == "pt").surface == {"zh": "葡萄牙语", "en": "Portuguese"}


def test_continent_items_follow_un_m49():
    task = load_task_file(BUILTIN_TASKS_DIR / "cldr_continent.yaml")
    gold = {item.id: item.gold for item in task.items}
    # UN M49: Japan in Asia (142), Brazil in South America (005), the US and Mexico in North America
    # (003), France in Europe (150), Australia in Oceania (009), Egypt in Africa (002).
    expected = {"JP": "142", "BR": "005", "US": "003", "MX": "003", "FR": "150", "AU": "009", "NG": "002"}
    assert {code: gold[code] for code in expected} == expected
    assert "AQ" not in gold  # Antarctica: Outlying Oceania, no continent
    assert not {"RU", "TR", "EG", "KZ"} & set(gold)  # transcontinental: no one continent is the answer
    bahamas = next(item for item in task.items if item.id == "BS")
    assert bahamas.prompts["en"] == "Geographically, the Bahamas is located in"
    assert {c.surface["zh"] for c in task.items[0].candidates} == {"非洲", "北美洲", "南美洲", "大洋洲", "亚洲", "欧洲"}


def test_city_items_match_cldr_time_zones():
    from babel.core import get_global

    zone_territories = get_global("zone_territories")
    task = load_task_file(BUILTIN_TASKS_DIR / "cldr_city.yaml")
    assert len(task.items) >= 150
    for item in task.items:
        assert zone_territories[item.id] == item.gold
        gold = next(c for c in item.candidates if c.id == item.gold)
        for lang in ("zh", "en"):
            assert gold.surface[lang] not in item.prompts[lang]  # no city named like its country
    tokyo = next(item for item in task.items if item.id == "Asia/Tokyo")
    assert tokyo.prompts == {"zh": "东京这座城市位于", "en": "The city of Tokyo is located in"}
    zones = {item.id for item in task.items}
    assert not zones & {"Atlantic/Azores", "Pacific/Efate", "Indian/Chagos", "Atlantic/Madeira", "Pacific/Pohnpei"}
    assert "Atlantic/Reykjavik" in zones  # an ocean zone named after a city stays
    assert next(c for c in tokyo.candidates if c.id == "JP").surface == {"zh": "日本", "en": "Japan"}


def test_hsk_tasks_use_held_out_sentences_only():
    held_out = {s.id: s for s in train_test_split()[1]}
    levels = {s.id: s.level for s in hsk_sentences()}
    parallel = load_task_file(BUILTIN_TASKS_DIR / "hsk_parallel.yaml")
    assert len(parallel.items) >= 400
    for item in parallel.items:
        assert item.prompts == {"zh": held_out[item.id].zh, "en": held_out[item.id].en}
    translation = load_task_file(BUILTIN_TASKS_DIR / "hsk_translation.yaml")
    assert translation.conditions == (("zh", "en"), ("en", "zh"))
    for item in translation.items:
        sentence = held_out[item.gold]
        assert item.prompts == {"zh": f"中文：{sentence.zh}\nEnglish:", "en": f"English: {sentence.en}\n中文："}
        assert len(item.candidates) == 8
        for candidate in item.candidates:
            assert levels[candidate.id] == sentence.level and candidate.id in held_out
            assert candidate.surface == {"zh": held_out[candidate.id].zh, "en": held_out[candidate.id].en}


def test_open_prompts_are_beginnings_of_hsk_sentences_cut_at_the_same_comma():
    sentences = {s.id: s for s in hsk_sentences()}
    task = load_task_file(BUILTIN_TASKS_DIR / "hsk_open.yaml")
    assert len(task.items) >= 20
    for item in task.items:
        sentence = sentences[item.id]
        assert sentence.zh.startswith(item.prompts["zh"]) and len(item.prompts["zh"]) < len(sentence.zh)
        assert sentence.en.startswith(item.prompts["en"]) and len(item.prompts["en"]) < len(sentence.en)
        # aligned halves: both end at a comma, after as many clauses on each side
        assert item.prompts["zh"].endswith("，") and item.prompts["en"].endswith(",")
        assert item.prompts["zh"].count("，") == item.prompts["en"].count(",")


def test_default_suite_levels_are_balanced():
    translation = next(task for task in load_tasks() if task.name == "hsk_translation")
    counts = [sum(item.meta["level"] == level for item in translation.items) for level in range(1, 7)]
    assert counts == [5] * 6  # 30 items, HSK levels 1-6 taken in turn


# Regeneration and packaging.


def recorded_versions() -> dict[str, str]:
    """The source package versions that the built-in files record in their `source` field."""
    sources = [load_task_file(path).source for path in sorted(BUILTIN_TASKS_DIR.glob("*.yaml"))]
    found = {}
    for package in ("babel", "language-data", "hsk-sentences-audio"):
        versions = {m for source in sources for m in re.findall(rf"{package} ([0-9][^\s:;)]*)", source)}
        assert len(versions) == 1, (package, versions)
        found[package] = versions.pop()
    return found


def test_generated_files_equal_a_fresh_regeneration(tmp_path):
    recorded = recorded_versions()
    installed = {package: version(package) for package in recorded}
    if installed != recorded:
        pytest.skip(f"the task files were made with {recorded}; installed: {installed}")
    command = [sys.executable, "-m", "eval.generate", "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    fresh = sorted(path.name for path in tmp_path.glob("*.yaml"))
    assert fresh == sorted(f"{name}.yaml" for name in BUILTIN)
    for name in fresh:
        assert (tmp_path / name).read_bytes() == (BUILTIN_TASKS_DIR / name).read_bytes(), name


def test_task_files_ship_in_the_wheel(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(REPO / "bilingual_lm", source / "bilingual_lm", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), "."],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert {f"bilingual_lm/eval/tasks/{name}.yaml" for name in BUILTIN} <= shipped
