"""`run_eval(spec, config)`: the library entry that the CLI and a notebook call, with typed results."""

import json

import eval_fixtures  # noqa: F401  (registers the bigram: scorer)
from eval_fixtures import TASK_NAMES, CharBigramScorer, write_tasks

from bilingual_lm.eval.loader import load_tasks
from bilingual_lm.eval.run import EvalConfig, EvalSpec, run_eval
from bilingual_lm.eval.schema import EvalResults


def test_a_model_string_and_the_scorer_it_loads_give_the_same_results_and_file(tmp_path):
    tasks_dir = write_tasks(tmp_path / "tasks")
    notes = []
    spec = EvalSpec(model="bigram:default", tasks=tuple(TASK_NAMES.split(",")), tasks_dir=tasks_dir, bootstrap=50)
    results = run_eval(spec, EvalConfig(output_dir=tmp_path / "out", cache=False, note=notes.append))
    # the scorer given already loaded, with its tasks given as Task objects: only the load goes untimed
    loaded = run_eval(EvalSpec(model=CharBigramScorer(), tasks=load_tasks(list(spec.tasks), tasks_dir=tasks_dir),
                               bootstrap=50), EvalConfig(cache=False))
    assert isinstance(results, EvalResults)
    assert results.metrics == loaded.metrics
    assert results.run == loaded.run and results.model.spec == "bigram:default" and loaded.model.spec is None
    assert results.timings.load_s is not None and loaded.timings.load_s is None
    assert results.timings.units == loaded.timings.units == 44
    written = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert list(results.to_dict()) == list(written)
    assert {k: v for k, v in results.to_dict().items() if k != "provenance"} == {
        k: v for k, v in written.items() if k != "provenance"}
    assert notes == []  # two languages: nothing left out


def test_one_language_notes_what_it_leaves_out(tmp_path):
    notes = []
    spec = EvalSpec(model="bigram:default", langs=("zh",), tasks=("t_currency",),
                    tasks_dir=write_tasks(tmp_path / "tasks"), bootstrap=0)
    results = run_eval(spec, EvalConfig(cache=False, note=notes.append))
    assert list(results.metrics["t_currency"]["conditions"]) == ["zh->zh"]
    assert any("per-language metrics only" in note for note in notes)


def test_results_read_back_from_json_write_the_same_bytes(tmp_path):
    spec = EvalSpec(model="bigram:default", tasks=("t_currency", "t_open"), tasks_dir=write_tasks(tmp_path / "t"),
                    bootstrap=20)
    run_eval(spec, EvalConfig(output_dir=tmp_path / "out", cache=False))
    text = (tmp_path / "out" / "results.json").read_text(encoding="utf-8")
    again = json.dumps(EvalResults.from_dict(json.loads(text)).to_dict(), ensure_ascii=False, indent=1) + "\n"
    assert again == text
