"""The README's eval excerpt is rendered from a results directory and replaces only what lies between its markers."""

from eval_fixtures import write_tasks
from test_eval_robustness import SHORT, ShortAnswerScorer

from bilingual_lm.eval.loader import load_task_file
from bilingual_lm.eval.run import EvalConfig, EvalSpec, run_eval
from eval.readme_excerpt import BEGIN, END, excerpt, rewrite


def test_excerpt_states_only_robust_findings_and_rewrites_between_markers(tmp_path):
    task = load_task_file(write_tasks(tmp_path / "tasks", [SHORT]) / "t_short.yaml")
    run_eval(EvalSpec(model=ShortAnswerScorer(), tasks=[task], bootstrap=100),
             EvalConfig(output_dir=tmp_path / "run", cache=False))
    text = excerpt(tmp_path / "run", 12.0, "shared 2-core CPU, load average 6")
    assert text.startswith(BEGIN) and text.endswith(END)
    assert "Gemma 3 270M, shared 2-core CPU, load average 6, 12 s wall, model cached" in text
    assert "- Robust: no zh−en accuracy difference holds under every rule." in text
    assert "Not a finding: t_short: zh→zh vs en→en depends on the scoring rule" in text
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{BEGIN}\nold\n{END}\nafter\n", encoding="utf-8")
    rewrite(readme, text)
    assert readme.read_text(encoding="utf-8") == f"before\n{text}\nafter\n"
