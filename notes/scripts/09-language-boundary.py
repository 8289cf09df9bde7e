"""Note 9 (语言的边界 / The language boundary): `blm eval --lang zh,en` results, figures and CIs, read honestly.

Writes notes/docs/generated/09-language-boundary/. Run: python notes/scripts/09-language-boundary.py [--fast]
The full profile evaluates the default Transformer on the default suite; the fast profile evaluates the
default n-gram on the first items of each task (the page states which).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from bilingual_lm.cli import cli
from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.score.registry import DEFAULT_TRANSFORMER

SEED = 0
PROFILES = {  # profile -> blm eval options
    "full": ["--model", DEFAULT_TRANSFORMER, "--bootstrap", "1000"],
    "fast": ["--model", "ngram:default", "--limit", "10", "--bootstrap", "200"],
}
FIGURES = ("accuracy_by_condition.png", "js_divergence.png", "entropy_by_language.png")
# The comparisons of a choice task: (key in results.json, zh label, en label).
COMPARISONS = (
    ("native", "zh→zh 对 en→en", "zh→zh vs en→en"),
    ("answer_zh", "答案为中文：zh→zh 对 en→zh", "answer in zh: zh→zh vs en→zh"),
    ("answer_en", "答案为英文：zh→en 对 en→en", "answer in en: zh→en vs en→en"),
    ("crossed", "翻译方向：zh→en 对 en→zh", "translation direction: zh→en vs en→zh"),
)


def run_eval(options: list[str], output_dir: Path) -> float:
    """`blm eval --lang zh,en ...` into `output_dir`; the seconds it took."""
    began = time.perf_counter()
    cli.main(["eval", "--lang", "zh,en", "--seed", str(SEED), "--output-dir", str(output_dir), "--no-cache",
              *options], standalone_mode=False)
    return time.perf_counter() - began


def interval(value: dict, key: str = "diff") -> str:
    low, high = value["ci"]
    return f"{value[key]:+.3f} [{low:+.3f}, {high:+.3f}]"


def excludes_zero(value: dict) -> bool:
    low, high = value["ci"]
    return low > 0 or high < 0


def main(fast: bool = False) -> None:
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    options = PROFILES[out.profile]
    with tempfile.TemporaryDirectory() as workdir:
        seconds = run_eval(options, Path(workdir) / "eval")
        results = json.loads((Path(workdir) / "eval" / "results.json").read_text(encoding="utf-8"))
        report = (Path(workdir) / "eval" / "report.md").read_text(encoding="utf-8")
        for name in FIGURES:
            shutil.copyfile(Path(workdir) / "eval" / name, out.dir / name)
            (out.dir / name).chmod(0o644)
    metrics = results["metrics"]
    kept = {key: results[key] for key in ("schema_version", "run", "model", "device", "dtype", "settings",
                                          "conventions", "timings", "provenance") if key in results}
    out.write_json("eval-results.json", {**kept, "metrics": metrics})

    # The eval's own report, with its title and figures dropped (the page shows the figures) and its headings
    # moved one level down.
    lines = [line for line in report.splitlines() if not line.startswith(("# ", "!["))]
    out.write_text("report.md", "\n".join("#" + line if line.startswith("##") else line for line in lines))

    # What was run.
    model = results["model"]
    items = {name: task["n_items"] for name, task in metrics.items()}
    command = " ".join(["blm eval --lang zh,en", f"--seed {SEED}", *options])
    out.write_bilingual(
        "setup",
        f"模型 `{model.get('spec', model.get('name'))}`（权重指纹 `{str(model.get('fingerprint'))[:12]}`），"
        f"`{out.profile}` 配置，命令 `{command}`；共 {sum(items.values()):,} 个题目，用时 {seconds:.0f} 秒。",
        f"Model `{model.get('spec', model.get('name'))}` (weights fingerprint `{str(model.get('fingerprint'))[:12]}`), "
        f"`{out.profile}` profile, command `{command}`; {sum(items.values()):,} items in all, {seconds:.0f} s.",
    )

    # The 2×2 design, task by task: each zh−en difference in accuracy with its paired bootstrap CI.
    choice = {name: task for name, task in metrics.items() if task["kind"] == "choice"}
    rows, verdicts = [], {key: [] for key, _, _ in COMPARISONS}
    for name, task in choice.items():
        row = [f"`{name}`", task["n_items"], f"{task['chance_accuracy']:.3f}"]
        for key, _, _ in COMPARISONS:
            comparison = task["comparisons"].get(key)
            if comparison is None:
                row.append("—")
                continue
            difference = comparison["none"]["differences"]["accuracy"]
            verdicts[key].append(excludes_zero(difference))
            row.append(interval(difference) + (" *" if excludes_zero(difference) else ""))
        native = task["comparisons"].get("native") or task["comparisons"].get("crossed")
        row += [f"{native['none']['js_bits']['mean']:.3f}", f"{native['none']['rankc']['mean']:.3f}"]
        rows.append(row)
    align = "lrr" + "l" * len(COMPARISONS) + "rr"
    out.write_bilingual(
        "design",
        markdown_table(["任务", "题数", "随机水平", *(f"Δ 准确率（{zh}）" for _, zh, _ in COMPARISONS),
                        "JS（比特）", "RankC"], rows, align),
        markdown_table(["task", "items", "chance", *(f"Δ accuracy ({en})" for _, _, en in COMPARISONS),
                        "JS (bits)", "RankC"], rows, align),
    )

    # The reading, with its numbers.
    prompt_only = verdicts["answer_zh"] + verdicts["answer_en"]
    open_task = next((task for task in metrics.values() if task["kind"] == "open"), None)
    parallel = next((task for task in metrics.values() if task["kind"] == "parallel"), None)
    zh = [f"在 {len(verdicts['native'])} 个两种语言都能作答的选择任务中，有 {sum(verdicts['native'])} 个任务的 "
          f"zh→zh 与 en→en 准确率之差的 95% 置信区间不含 0；固定答案语言、只换提示语言的 {len(prompt_only)} "
          f"个比较中，有 {sum(prompt_only)} 个不含 0（表中以 * 标出）。"]
    en = [f"Of the {len(verdicts['native'])} choice tasks answerable in both languages, {sum(verdicts['native'])} "
          f"have a zh→zh minus en→en accuracy difference whose 95% CI excludes 0; of the {len(prompt_only)} "
          f"comparisons that hold the answer language fixed and change only the prompt's language, "
          f"{sum(prompt_only)} exclude 0 (marked * in the table)."]
    if open_task:
        own = {lang: open_task["languages"][lang]["own_script_mass"] for lang in ("zh", "en")}
        entropy = open_task["differences"]["entropy_bits"] if "differences" in open_task else None
        zh.append(f"在开放提示下，下一个词元的概率质量落在提示自身文字上的比例：中文提示 {own['zh']['mean']:.3f}，"
                  f"英文提示 {own['en']['mean']:.3f}" + (f"；熵之差（zh−en）为 {interval(entropy)} 比特。"
                                                      if entropy else "。"))
        en.append(f"At open prompts, the share of next-token probability mass in the prompt's own script is "
                  f"{own['zh']['mean']:.3f} after a Chinese prompt and {own['en']['mean']:.3f} after an English one"
                  + (f"; the entropy difference (zh−en) is {interval(entropy)} bits." if entropy else "."))
    if parallel:
        d = parallel["differences"]
        zh.append(f"同一句话，中文比英文每字多 {interval(d['bits_per_char'])} 比特，每字节多 "
                  f"{interval(d['bits_per_byte'])} 比特。")
        en.append(f"For the same sentence, Chinese costs {interval(d['bits_per_char'])} bits per character and "
                  f"{interval(d['bits_per_byte'])} bits per byte more than English.")
    out.write_bilingual("summary", "".join(zh), " ".join(en))
    out.write_json("results.json", {"seconds": seconds, "items": items, "verdicts": verdicts})
    out.write_provenance(eval_command=command)


if __name__ == "__main__":
    main(fast=is_fast())
