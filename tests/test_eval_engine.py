"""The eval engine in-process: units, records, metrics, cache and resume, results files.

The scorer is the character bigram of eval_fixtures: the engine, not the model, is under test, and every
figure is checked against a plain computation from the scorer's own `score`.
"""

import json
import math

import numpy as np
import pytest
from eval_fixtures import TASK_NAMES, CharBigramScorer, write_tasks

from bilingual_lm.errors import InputError
from bilingual_lm.eval import report
from bilingual_lm.eval.loader import load_tasks
from bilingual_lm.eval.results import read_results
from bilingual_lm.eval.run import EvalConfig, EvalSpec, run_eval
from bilingual_lm.eval.selection import parse_langs, runnable_tasks


@pytest.fixture(scope="module")
def tasks(tmp_path_factory):
    return load_tasks(TASK_NAMES.split(","), tasks_dir=write_tasks(tmp_path_factory.mktemp("tasks")))


@pytest.fixture(scope="module")
def run(tasks, tmp_path_factory):
    """One complete run (no cache), its results and records."""
    out = tmp_path_factory.mktemp("run") / "out"
    results = run_eval(EvalSpec(model=CharBigramScorer(), tasks=tasks, bootstrap=200),
                       EvalConfig(output_dir=out, cache=False))
    return out, results.to_dict(), read_results(out)[1]


def by_task(records, name):
    return [r for r in records if r["task"] == name]


def test_every_item_is_scored_once_under_each_condition(run):
    _, _, records = run
    keys = [(r["task"], r["item"], r["prompt_lang"], r.get("answer_lang")) for r in records]
    assert len(keys) == len(set(keys))
    # currency: 6 items × 4 conditions; translation: 3 × 2 (zh→en, en→zh); parallel 4 × 2; open 3 × 2
    assert len(by_task(records, "t_currency")) == 24
    assert {(r["prompt_lang"], r["answer_lang"]) for r in by_task(records, "t_translation")} == {
        ("zh", "en"), ("en", "zh")}
    assert len(by_task(records, "t_parallel")) == 8
    assert len(by_task(records, "t_open")) == 6
    assert [r["unit"] for r in records] == list(range(44))


def test_candidate_logprobs_equal_unbatched_continuation_scores(run):
    _, _, records = run
    scorer = CharBigramScorer()
    for record in by_task(records, "t_currency") + by_task(records, "t_translation"):
        expected = [scorer.score([answer], [record["prompt"]])[0].logprob for answer in record["answers"]]
        assert record["logprobs"] == expected


def test_answers_join_prompts_with_a_space_only_between_latin_text(run):
    _, _, records = run
    record = next(r for r in records if r["item"] == "JP" and r["prompt_lang"] == "en" and r["answer_lang"] == "en")
    assert record["prompt"] == "The currency of Japan is"
    assert record["answers"][0] == " Japanese yen"
    record = next(r for r in records if r["item"] == "JP" and r["prompt_lang"] == "zh" and r["answer_lang"] == "en")
    assert record["answers"][0] == "Japanese yen"


def test_accuracy_and_gold_probability_match_a_plain_computation(run):
    _, results, records = run
    for condition in ("zh->zh", "en->en"):
        prompt_lang, answer_lang = condition.split("->")
        rows = [r for r in by_task(records, "t_currency")
                if r["prompt_lang"] == prompt_lang and r["answer_lang"] == answer_lang]
        hits, gold_probs = [], []
        for r in rows:
            logprobs = np.array(r["logprobs"])
            probs = np.exp(logprobs - logprobs.max()) / np.exp(logprobs - logprobs.max()).sum()
            gold = r["candidates"].index(r["gold"])
            hits.append(int(np.argmax(probs)) == gold)  # np.argmax takes the first of tied maxima
            gold_probs.append(probs[gold])
        summary = results["metrics"]["t_currency"]["conditions"][condition]["rules"]["sum"]
        assert summary["accuracy"]["mean"] == pytest.approx(np.mean(hits))
        assert summary["gold_prob"]["mean"] == pytest.approx(np.mean(gold_probs))
        assert results["metrics"]["t_currency"]["chance_accuracy"] == pytest.approx(1 / 4)


def test_the_plots_per_item_entropies_are_those_of_the_records(run):
    _, results, records = run
    for condition in ("zh->zh", "zh->en", "en->zh", "en->en"):
        rows = [r for r in by_task(records, "t_currency") if not r.get("neutral")
                and f"{r['prompt_lang']}->{r['answer_lang']}" == condition]
        expected = []
        for r in rows:  # the entropy (bits) of the softmax over the candidates' summed log-probabilities
            probs = np.exp(np.array(r["logprobs"]) - max(r["logprobs"]))
            probs /= probs.sum()
            expected.append(float(-(probs * np.log2(probs)).sum()))
        got = results["metrics"]["t_currency"]["conditions"][condition]["rules"]["sum"]["per_item_entropy_bits"]
        assert got == pytest.approx(expected, rel=1e-12)
    for lang in ("zh", "en"):
        expected = [r["entropy_bits"] for r in by_task(records, "t_open") if r["prompt_lang"] == lang]
        assert results["metrics"]["t_open"]["per_item_entropy_bits"][lang] == expected


def test_parallel_bits_per_char_match_the_scorer(run, tasks):
    _, results, records = run
    scorer = CharBigramScorer()
    parallel = next(t for t in tasks if t.name == "t_parallel")
    for lang in ("zh", "en"):
        scores = scorer.score([item.prompts[lang] for item in parallel.items])
        expected = np.mean([-s.logprob / math.log(2) / len(s.text) for s in scores])
        got = results["metrics"]["t_parallel"]["languages"][lang]["bits_per_char"]["mean"]
        assert got == pytest.approx(expected, rel=1e-12)
    assert {r["text"] for r in by_task(records, "t_parallel")} == {
        item.prompts[lang] for item in parallel.items for lang in ("zh", "en")}


def test_open_samples_are_seeded(tasks, tmp_path):
    open_task = [t for t in tasks if t.name == "t_open"]
    first, again, other = (run_eval(EvalSpec(model=CharBigramScorer(), tasks=open_task, seed=seed),
                                    EvalConfig(output_dir=tmp_path / name, cache=False))
                           for name, seed in (("a", 0), ("b", 0), ("c", 1)))
    samples = [read_results(tmp_path / name)[1] for name in "abc"]
    assert [r["samples"] for r in samples[0]] == [r["samples"] for r in samples[1]]
    assert [r["samples"] for r in samples[0]] != [r["samples"] for r in samples[2]]
    assert first.metrics == again.metrics != other.metrics


def test_results_record_how_they_were_made(run):
    _, results, _ = run
    assert results["schema_version"].startswith("2.")
    assert len(results["model"]["fingerprint"]) == 64
    assert results["device"] == "cpu" and results["dtype"] == "float64"
    assert len(results["tasks"]["t_currency"]["template_hash"]) == 64
    assert results["provenance"]["packages"]["numpy"] == np.__version__
    assert "git_commit" in results["provenance"] and results["provenance"]["seed"] == 0
    assert results["timings"]["items"] == 16 and results["timings"]["units"] == 44
    assert results["conventions"]["ece_bins"] == 10


class Interrupting(CharBigramScorer):
    """Raises KeyboardInterrupt (as Ctrl-C would) on the n-th call of score_candidates; counts the requests
    it answers."""

    def __init__(self, after: int):
        super().__init__()
        self.calls, self.after, self.requests = 0, after, 0

    def score_candidates(self, requests):
        self.calls += 1
        if self.calls == self.after:
            raise KeyboardInterrupt
        self.requests += len(requests)
        return super().score_candidates(requests)


def test_an_interrupted_run_resumes_without_rescoring(run, tasks, tmp_path):
    _, complete, complete_records = run
    cache = tmp_path / "cache.sqlite"
    out = tmp_path / "out"
    interrupted = Interrupting(after=3)
    config = EvalConfig(output_dir=out, cache=cache)
    with pytest.raises(KeyboardInterrupt):
        run_eval(EvalSpec(model=interrupted, tasks=tasks, bootstrap=200), config)
    assert not (out / "results.json").exists()
    counting = Interrupting(after=-1)
    resumed = run_eval(EvalSpec(model=counting, tasks=tasks, bootstrap=200), config)
    # one request per choice item and prompt language: 6 × 2 (currency) + 3 × 2 (translation) = 18;
    # the first two calls' requests were answered and cached before the interrupt
    assert 0 < interrupted.requests < 18 and counting.requests == 18 - interrupted.requests
    assert read_results(out)[1] == complete_records
    assert resumed.metrics == complete["metrics"]


def test_a_cached_run_equals_a_fresh_run(run, tasks, tmp_path):
    _, complete, _ = run
    cache = tmp_path / "cache.sqlite"
    run_eval(EvalSpec(model=CharBigramScorer(), tasks=tasks, bootstrap=200), EvalConfig(cache=cache))
    cached = run_eval(EvalSpec(model=Interrupting(after=1), tasks=tasks, bootstrap=200), EvalConfig(cache=cache))
    assert cached.timings.cache_misses_rank0 == 0
    assert cached.metrics == complete["metrics"]


def test_one_language_runs_per_language_metrics_only(tasks, tmp_path):
    kept, notes = runnable_tasks(tasks, ["zh"], explicit=False)
    assert [t.name for t in kept] == ["t_currency", "t_parallel", "t_open"]
    assert any("RankC" in note for note in notes) and any("t_translation" in note for note in notes)
    results = run_eval(EvalSpec(model=CharBigramScorer(), langs=("zh",), tasks=kept), EvalConfig(cache=False))
    assert list(results.metrics["t_currency"]["conditions"]) == ["zh->zh"]
    assert results.metrics["t_currency"]["comparisons"] == {}
    assert results.metrics["t_parallel"]["differences"] == {}
    with pytest.raises(InputError, match="needs --lang zh,en"):
        runnable_tasks(tasks, ["zh"], explicit=True)


@pytest.mark.parametrize("text", ["fr", "zh,zh", "", "zh,en,zh"])
def test_bad_languages_are_refused(text):
    with pytest.raises(InputError):
        parse_langs(text)


def test_an_output_dir_with_other_results_is_refused(run, tasks):
    out, complete, _ = run
    same = run_eval(EvalSpec(model=CharBigramScorer(), tasks=tasks, bootstrap=200),
                    EvalConfig(output_dir=out, cache=False))
    assert same.metrics == complete["metrics"]
    other_seed = EvalSpec(model=CharBigramScorer(), tasks=tasks, bootstrap=200, seed=5)
    with pytest.raises(InputError, match="different run"):
        run_eval(other_seed, EvalConfig(output_dir=out, cache=False))
    run_eval(other_seed, EvalConfig(output_dir=out, cache=False, overwrite=True))
    assert json.loads((out / "results.json").read_text())["settings"]["seed"] == 5


def test_the_report_renders_from_the_results_file_alone(tasks, tmp_path):
    results = run_eval(EvalSpec(model=CharBigramScorer(), tasks=tasks, bootstrap=50),
                       EvalConfig(output_dir=tmp_path, cache=False))
    reread, _ = read_results(tmp_path)
    drawn = ["accuracy_by_condition.png", "js_divergence.png", "entropy_by_language.png"]
    assert report.render_markdown(reread, drawn) == (tmp_path / "report.md").read_text()
    assert report.render_markdown(results.to_dict(), drawn) == (tmp_path / "report.md").read_text()
    assert "| t_currency | zh→zh | 6 |" in (tmp_path / "report.md").read_text()
    for name in drawn:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_limit_scores_the_first_items_of_each_task(tasks):
    results = run_eval(EvalSpec(model=CharBigramScorer(), tasks=tasks, limit=2, bootstrap=0), EvalConfig(cache=False))
    assert {name: task["n_items"] for name, task in results.metrics.items()} == {
        "t_currency": 2, "t_translation": 2, "t_parallel": 2, "t_open": 2}
    assert results.metrics["t_currency"]["conditions"]["zh->zh"]["rules"]["sum"]["mrr"]["ci"] is None
