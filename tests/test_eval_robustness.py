"""The robustness verdict: a zh−en difference is a finding only when every scoring rule agrees."""

from eval_fixtures import CharBigramScorer, write_tasks

from bilingual_lm.eval import report, robustness
from bilingual_lm.eval.loader import load_task_file
from bilingual_lm.eval.run import EvalConfig, EvalSpec, run_eval


def test_same_sign_and_every_interval_clear_of_zero_is_robust():
    result = robustness.verdict({"sum": {"diff": -0.3, "ci": [-0.5, -0.1]}, "pmi": {"diff": -0.2, "ci": [-0.3, -0.05]}})
    assert result == {"verdict": robustness.ROBUST, "sign": -1, "disagreeing": []}


def test_rules_that_disagree_are_named():
    result = robustness.verdict({
        "sum": {"diff": -0.3, "ci": [-0.5, -0.1]},
        "token": {"diff": -0.2, "ci": [-0.4, -0.1]},
        "char": {"diff": 0.05, "ci": [-0.05, 0.16]},  # includes 0
        "pmi": {"diff": 0.2, "ci": [0.1, 0.3]},  # the other sign
    })
    assert result["verdict"] == robustness.DEPENDS
    assert result["disagreeing"] == ["char", "pmi"]
    assert robustness.describe(result) == "depends on the scoring rule (char, pmi disagree)"


def test_no_interval_clear_of_zero_is_no_difference():
    assert robustness.verdict({"sum": {"diff": 0.1, "ci": [-0.1, 0.3]}})["verdict"] == robustness.NONE


class ShortAnswerScorer(CharBigramScorer):
    """Knows nothing: log p(answer | prompt) = −(characters of the answer), one token per character."""

    def score_candidates(self, requests):
        return [[-float(len(c.strip())) for c in r.candidates] for r in requests]

    def continuation_tokens(self, requests):
        return [[len(c.strip()) for c in r.candidates] for r in requests]


# The gold concept "a" has the shortest Chinese name and the longest English one.
SHORT = {
    "format": 1, "name": "t_short", "kind": "choice", "description": "length trap", "source": "test",
    "languages": ["zh", "en"],
    "templates": {"prompt": {"zh": "{x}是", "en": "{x} is"}, "neutral": {"zh": "它是", "en": "It is"},
                  "joiner": {"zh->zh": "", "zh->en": " ", "en->zh": "", "en->en": " "}},
    "concepts": {"a": {"zh": "甲", "en": "alpha-long"}, "b": {"zh": "乙乙", "en": "beta"},
                 "c": {"zh": "丙丙丙", "en": "gamma"}},
    "items": [{"id": f"i{n}", "slots": {"x": {"zh": f"物{n}", "en": f"thing {n}"}}, "candidates": ["a", "b", "c"],
               "gold": "a"} for n in range(12)],
}


def test_a_scorer_that_prefers_short_answers_is_not_a_robust_finding(tmp_path):
    task = load_task_file(write_tasks(tmp_path / "tasks", [SHORT]) / "t_short.yaml")
    results = run_eval(EvalSpec(model=ShortAnswerScorer(), tasks=[task], bootstrap=200), EvalConfig(cache=False))
    metrics = results.metrics["t_short"]
    for condition, entry in metrics["conditions"].items():  # its accuracy is the fewest-tokens baseline's
        assert entry["rules"]["sum"]["accuracy"]["mean"] == entry["baselines"]["fewest_tokens"], condition
    native = metrics["comparisons"]["native"]
    assert native["rules"]["sum"]["differences"]["accuracy"]["diff"] == 1.0  # zh "wins" under sum...
    assert native["robustness"]["accuracy"]["verdict"] == robustness.DEPENDS  # ...but not under every rule
    assert {"token", "pmi"} <= set(native["robustness"]["accuracy"]["disagreeing"])
    text = report.render_markdown(results.to_dict(), plots=[])
    assert "Robust: no zh−en accuracy difference holds under every rule." in text
    assert "Not a finding: t_short: zh→zh vs en→en depends on the scoring rule" in text
    # In English the shortest answer, beta, is top-1 on every item and gold on none: a collapse on the answer prior,
    # named by its text as scored and its concept id.
    assert metrics["conditions"]["en->en"]["rules"]["sum"]["prior_collapse"] == {
        "candidate": "b", "answer": "beta", "top1_share": 1.0, "gold_share": 0.0}
    assert "beta (b) (sum: top-1 100%, gold 0%)" in text
