"""Lens tasks through `blm eval`: the 2×2 design, the cache, results.json, the report and the plots, on a
tiny Gemma 3 (softcapped, sliding-window layers) over the built-in lens task files."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from eval_fixtures import CharBigramScorer

from bilingual_lm.errors import InputError
from bilingual_lm.eval import layers
from bilingual_lm.eval.loader import load_task_file, load_tasks
from bilingual_lm.eval.run import EvalConfig, EvalSpec, run_eval
from bilingual_lm.score.transformer import TransformerScorer
from tests.tiny_causal_lm import next_logprob, saved, tiny_gemma3, tiny_tokenizer

LIMIT = 5


@pytest.fixture(scope="module")
def scorer():
    return TransformerScorer(tiny_gemma3(), tiny_tokenizer(), name="tiny-gemma3", lang="auto")


@pytest.fixture(scope="module")
def run(scorer, tmp_path_factory):
    out = tmp_path_factory.mktemp("lens")
    tasks = load_tasks(["lens_translation", "lens_cloze"])
    results = run_eval(EvalSpec(model=scorer, tasks=tasks, limit=LIMIT, bootstrap=200),
                       EvalConfig(output_dir=out, cache=out / "cache.sqlite")).to_dict()
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    return out, results, records


def test_every_item_is_read_under_each_condition_of_its_task(run):
    _, _, records = run
    seen = {(r["task"], r["item"], r["prompt_lang"], r["answer_lang"]) for r in records}
    assert len(seen) == len(records) == LIMIT * 4 + LIMIT * 2
    assert {(r["prompt_lang"], r["answer_lang"]) for r in records if r["task"] == "lens_cloze"} == {("zh", "zh"),
                                                                                                    ("en", "en")}


def test_last_layer_log_p_is_the_models_next_token_log_p(run, scorer):
    _, _, records = run
    lens = layers.lens_of(scorer)
    for record in records:
        if "dropped" in record:
            continue
        ids = lens.encode(record["prompt"])
        for lang in ("zh", "en"):
            token = scorer.tokenizer(record["prompt"] + record["answers"][lang], add_special_tokens=False)[
                "input_ids"][len(ids) - 1]
            assert record["logprobs"][lang][-1] == pytest.approx(next_logprob(scorer.model, ids, token), abs=1e-5)


def test_results_hold_per_layer_curves_with_bootstrap_bands(run, scorer):
    _, results, records = run
    task = results["metrics"]["lens_translation"]
    assert task["kept"] + sum(task["dropped"].values()) == task["n_items"] == LIMIT
    summary = task["conditions"]["en->zh"]["first_token"]
    states = scorer.model.config.num_hidden_layers + 1
    assert summary["n"] == task["kept"] and len(summary["p_zh"]) == states
    kept = [r for r in records if r["task"] == "lens_translation" and r["prompt_lang"] == "en"
            and r["answer_lang"] == "zh" and "dropped" not in r]
    for state in range(states):
        mean = sum(math.exp(r["logprobs"]["zh"][state]) for r in kept) / len(kept)
        entry = summary["p_zh"][state]
        assert entry["mean"] == pytest.approx(mean, abs=1e-9)
        assert entry["ci"][0] <= entry["mean"] <= entry["ci"][1]
        difference = summary["en_minus_zh"][state]["diff"]
        assert difference == pytest.approx(summary["p_en"][state]["mean"] - entry["mean"], abs=1e-9)


def test_report_and_one_plot_per_condition(run):
    out, _, _ = run
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Logit lens: items kept by the first-token rule" in report
    assert "Lens lens_translation en→zh" in report
    for condition in ("zh-zh", "zh-en", "en-zh", "en-en"):
        assert (out / f"lens_{condition}.png").stat().st_size > 0
    # A lens-only run draws no accuracy, JS or entropy plot, and its report lists exactly the plots it drew.
    listed = re.findall(r"^!\[[^\]]*\]\(([^)]+)\)$", report, re.M)
    assert sorted(listed) == sorted(p.name for p in out.glob("*.png")) and "accuracy_by_condition.png" not in listed


def test_a_cached_run_reads_no_layers(run, scorer, tmp_path, monkeypatch):
    out, results, _ = run
    monkeypatch.setattr(layers, "answer_requests", lambda *a: pytest.fail("the cache should answer every request"))
    again = run_eval(EvalSpec(model=scorer, tasks=("lens_translation", "lens_cloze"), limit=LIMIT, bootstrap=200),
                     EvalConfig(cache=out / "cache.sqlite"))
    assert again.metrics == results["metrics"]


def test_a_model_without_layers_is_refused_with_one_line():
    with pytest.raises(InputError, match="lens tasks read a Transformer's layers"):
        run_eval(EvalSpec(model=CharBigramScorer(), tasks=("lens_cloze",), limit=2, bootstrap=0),
                 EvalConfig(cache=False))


LENS_FILE = """\
name: x
kind: lens
description: A word, repeated.
source: test
languages: [zh, en]
conditions: [[zh, en], [en, en]]
templates:
  prompt: {zh->en: '中文: "{word}" - English: "', en->en: 'English: "{word}" - English: "'}
items:
- id: water
  slots: {word: {zh: 水, en: water}}
  answer: {zh: 水, en: water}
"""


def test_a_lens_file_gives_one_prompt_per_condition_in_the_prompt_language(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(LENS_FILE, encoding="utf-8")
    item = load_task_file(path).items[0]
    assert item.prompts == {"zh->en": '中文: "水" - English: "', "en->en": 'English: "water" - English: "'}
    assert item.answers == {"zh": "水", "en": "water"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("conditions: [[zh, en], [en, en]]\n", "", r"conditions: is missing \(a lens task lists its .+\)"),
        ("  answer: {zh: 水, en: water}\n", "", r"items\[0\]: has no answer \(a lens item gives its answer .+\)"),
        ("answer: {zh: 水, en: water}", "answer: {zh: 水}", r"items\[0\].answer: has no 'en' form .+"),
        ("en->en: 'English", "zh->zh: 'English", r"templates.prompt.zh->zh: is not one of the task's conditions .+"),
        ("'English: \"{word}\" - English: \"'", "'English: \"{w}\"'",
         r"templates.prompt.en->en: has placeholders \{w\} but zh->en has \{word\}"),
        ("  answer:", "  gold: water\n  answer:", r"items\[0\].gold: only choice tasks have gold .+"),
    ],
)
def test_a_malformed_lens_file_gives_one_line_naming_the_field(tmp_path, old, new, message):
    path = tmp_path / "x.yaml"
    path.write_text(LENS_FILE.replace(old, new), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_task_file(path)
    assert re.fullmatch(f".*x.yaml: {message}", str(raised.value)), str(raised.value)


@pytest.fixture(scope="module")
def saved_gemma3(tmp_path_factory):
    return saved(tiny_gemma3(), tmp_path_factory.mktemp("tiny-gemma3"))


def test_blm_lens_prints_each_layers_answer_probabilities_as_json(blm, saved_gemma3, scorer):
    prompt = 'English: "water" - 中文: "'
    done = blm("lens", "--model", f"hf:{saved_gemma3}", "--format", "json", prompt, "--answer", "zh=水",
               "--answer", "en=water")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert [row["layer"] for row in shown["layers"]] == list(range(scorer.model.config.num_hidden_layers + 1))
    lens = layers.lens_of(scorer)  # the same seeded weights, read in this process
    ids = lens.encode(prompt)
    token = scorer.tokenizer(prompt + "水", add_special_tokens=False)["input_ids"][len(ids) - 1]
    assert shown["layers"][-1]["p_zh"] == pytest.approx(math.exp(next_logprob(scorer.model, ids, token)), abs=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--answer", "zh:水"), r"--answer 'zh:水': write LANG=WORD"),
        (("--answer", "zh=水", "--answer", "zh=火"), "zh is given twice"),
        (("--model", f"ngram:{Path(__file__).parent / 'data/kenlm-hsk/zh.o3.arpa.gz'}"),
         "lens tasks read a Transformer's layers"),
    ],
)
def test_blm_lens_bad_input_is_one_line_and_exit_2(blm, saved_gemma3, args, message):
    model = () if "--model" in args else ("--model", f"hf:{saved_gemma3}")
    done = blm("lens", *model, *args, "中文: \"")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and re.search(message, done.stderr), done.stderr
