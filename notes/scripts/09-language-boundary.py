"""Note 9 (语言的边界 / The language boundary): `blm eval --lang zh,en` results, figures and CIs, read honestly.

Writes notes/docs/generated/09-language-boundary/. Run: python notes/scripts/09-language-boundary.py [--fast]
The full profile evaluates the default Transformer on the default suite; the fast profile evaluates the
default n-gram on the first items of each task (the page states which). With $BLM_NOTE_EVAL_DIR set to the
output folder of a finished run of the same `blm eval` command, the script reads that run instead of scoring
again (the eval is the slow part); the provenance box then names that run's own commit and time.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt

from bilingual_lm.cli import cli
from bilingual_lm.eval.rules import PRIMARY_RULE
from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.score.registry import DEFAULT_TRANSFORMER

SEED = 0
PROFILES = {  # profile -> blm eval options
    # The default run itself, every item of the default suite (what the README's main command runs).
    "full": ["--model", DEFAULT_TRANSFORMER, "--bootstrap", "1000"],
    "fast": ["--model", "ngram:default", "--limit", "10", "--bootstrap", "200"],
}
CONDITIONS = ("zh->zh", "zh->en", "en->zh", "en->en")
EFFECTS = {  # the 2×2's effects (bilingual_lm/eval/decompose.py): zh and en names, and what a + sign means
    "prompt_language": ("提示语言（中文 − 英文）", "prompt language (zh − en)"),
    "answer_language": ("答案语言（中文 − 英文）", "answer language (zh − en)"),
    "interaction": ("语言匹配（同语 − 跨语）", "matching (same − crossed)"),
}
ROBUST = "robust"  # bilingual_lm.eval.robustness.ROBUST: every scoring rule agrees on sign and excludes 0


def run_eval(options: list[str], output_dir: Path) -> float:
    """`blm eval --lang zh,en ...` into `output_dir`; the seconds it took."""
    began = time.perf_counter()
    cli.main(["eval", "--lang", "zh,en", "--seed", str(SEED), "--output-dir", str(output_dir), "--no-cache",
              *options], standalone_mode=False)
    return time.perf_counter() - began


def interval(value: dict, key: str = "mean", sign: str = "") -> str:
    low, high = value["ci"]
    return f"{value[key]:{sign}.2f} [{low:{sign}.2f}, {high:{sign}.2f}]"


# --8<-- [start:key]
def accuracy(task: dict, condition: str) -> dict | None:
    """Accuracy@1 with its Wilson 95% interval under the primary rule (summed log-probability)."""
    entry = task["conditions"].get(condition)
    return entry["rules"][PRIMARY_RULE]["accuracy"] if entry else None


def robust_effects(task: dict) -> dict[str, dict]:
    """The 2×2 effects that survive every scoring rule: {effect: {"diff", "ci", "sign"}} under the primary rule."""
    decomposition = task.get("decomposition")
    if not decomposition:
        return {}
    return {effect: {**decomposition["rules"][PRIMARY_RULE][effect], "sign": verdict["sign"]}
            for effect, verdict in decomposition["robustness"].items() if verdict["verdict"] == ROBUST}
# --8<-- [end:key]


def conditions_table(choice: dict, ui: str) -> str:
    """One row per task: items, chance and accuracy [95% CI] in each condition that the task has."""
    rows = [[f"`{name}`", task["n_items"], f"{task['chance_accuracy']:.3f}",
             *[interval(a) if (a := accuracy(task, c)) else "—" for c in CONDITIONS]] for name, task in choice.items()]
    headers = {"zh": ["任务", "题数", "随机猜", *[c.replace("->", "→") for c in CONDITIONS]],
               "en": ["task", "items", "chance", *[c.replace("->", "→") for c in CONDITIONS]]}[ui]
    return markdown_table(headers, rows, "lrr" + "r" * len(CONDITIONS))


def effects_table(choice: dict, ui: str) -> str:
    """One row per task with all four conditions: each 2×2 effect [95% CI] under the primary rule, marked
    with its verdict across the scoring rules."""
    marks = {"zh": {ROBUST: "稳健"}, "en": {ROBUST: "robust"}}[ui]
    rows = []
    for name, task in choice.items():
        decomposition = task.get("decomposition")
        if not decomposition:
            continue
        cells = [f"`{name}`"]
        for effect in EFFECTS:
            entry, verdict = decomposition["rules"][PRIMARY_RULE][effect], decomposition["robustness"][effect]
            cells.append(f"{interval(entry, 'diff', '+')} {marks.get(verdict['verdict'], '')}".strip())
        rows.append(cells)
    index = 0 if ui == "zh" else 1
    headers = [{"zh": "任务", "en": "task"}[ui], *[names[index] for names in EFFECTS.values()]]
    return markdown_table(headers, rows, "l" + "r" * len(EFFECTS))


PLOT_LABELS = {
    "zh": {"title": "各条件的准确率（95% 置信区间）", "chance": "随机猜", "y": "准确率",
           "effects": "2×2 效应（总对数概率规则，95% 置信区间；实心 = 在所有打分规则下稳健）",
           "x": "效应（准确率之差）"},
    "en": {"title": "Accuracy by condition (95% CI)", "chance": "chance", "y": "accuracy",
           "effects": "2×2 effects (summed log-probability, 95% CI; filled = robust under every scoring rule)",
           "x": "effect (difference in accuracy)"},
}
COLOURS = {"zh->zh": "tab:red", "zh->en": "tab:orange", "en->zh": "tab:purple", "en->en": "tab:blue"}


def plot_conditions(choice: dict, ui: str):
    """Accuracy in each condition, task by task, with its interval and the task's chance level."""
    labels = PLOT_LABELS[ui]
    names = list(choice)
    figure, axis = plt.subplots(figsize=(11, 4.6))
    width = 0.8 / len(CONDITIONS)
    labelled = set()
    for j, condition in enumerate(CONDITIONS):
        for i, name in enumerate(names):
            acc = accuracy(choice[name], condition)
            if acc is None:
                continue
            x = i + (j - (len(CONDITIONS) - 1) / 2) * width
            label = None if condition in labelled else condition.replace("->", "→")
            labelled.add(condition)
            axis.bar(x, acc["mean"], width, color=COLOURS[condition], label=label)
            low, high = max(acc["mean"] - acc["ci"][0], 0), max(acc["ci"][1] - acc["mean"], 0)
            axis.errorbar(x, acc["mean"], yerr=[[low], [high]], color="black", capsize=2, linewidth=1)
        axis.hlines([choice[n]["chance_accuracy"] for n in names], [i - 0.42 for i in range(len(names))],
                    [i + 0.42 for i in range(len(names))], colors="grey", linestyles=":",
                    label=labels["chance"] if j == 0 else None)
    axis.set_xticks(range(len(names)), names, rotation=15)
    axis.set_ylabel(labels["y"])
    axis.set_ylim(0, 1.05)
    axis.set_title(labels["title"])
    axis.legend(ncol=5, loc="upper left", fontsize=9)
    axis.grid(True, axis="y", alpha=0.3)
    figure.tight_layout()
    return figure


def plot_effects(choice: dict, ui: str):
    """Each task's three 2×2 effects with their intervals; filled where robust under every scoring rule."""
    labels = PLOT_LABELS[ui]
    index = 0 if ui == "zh" else 1
    tasks = [(name, task["decomposition"]) for name, task in choice.items() if task.get("decomposition")]
    figure, axes = plt.subplots(1, len(EFFECTS), figsize=(11, 0.5 * len(tasks) + 1.8), sharex=True, sharey=True)
    for axis, (effect, names) in zip(axes, EFFECTS.items(), strict=True):
        for row, (_, decomposition) in enumerate(tasks):
            entry = decomposition["rules"][PRIMARY_RULE][effect]
            robust = decomposition["robustness"][effect]["verdict"] == ROBUST
            axis.errorbar(entry["diff"], row, xerr=[[max(entry["diff"] - entry["ci"][0], 0)],
                                                    [max(entry["ci"][1] - entry["diff"], 0)]],
                          fmt="o", color="black", markerfacecolor="black" if robust else "white", capsize=3)
        axis.axvline(0, color="grey", linewidth=1)
        axis.set_title(names[index], fontsize=10)
        axis.set_xlabel(labels["x"])
        axis.grid(True, axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(tasks)), [name for name, _ in tasks])
    axes[0].invert_yaxis()
    figure.suptitle(labels["effects"], fontsize=10)
    figure.tight_layout()
    return figure


def eval_run(options: list[str]) -> tuple[dict, str, float, str | None]:
    """(results.json, report.md, seconds, the folder read) of the eval: a finished run named by
    $BLM_NOTE_EVAL_DIR, else a fresh run of `blm eval` with `options`."""
    finished = os.environ.get("BLM_NOTE_EVAL_DIR")
    with tempfile.TemporaryDirectory() as workdir:
        folder = Path(finished) if finished else Path(workdir) / "eval"
        seconds = None if finished else run_eval(options, folder)
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        report = (folder / "report.md").read_text(encoding="utf-8")
    if seconds is None:
        seconds = results["timings"]["total_s"]
    return results, report, seconds, finished


def main(fast: bool = False) -> None:
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    options = PROFILES[out.profile]
    results, report, seconds, finished = eval_run(options)
    metrics = results["metrics"]
    kept = {key: results[key] for key in ("schema_version", "run", "model", "device", "dtype", "settings",
                                          "conventions", "timings", "provenance") if key in results}
    out.write_json("eval-results.json", {**kept, "metrics": metrics})

    # The eval's own report, its title and figures dropped and its headings made bold lines: it sits collapsed
    # at the foot of the page and must not add entries to the page's contents.
    lines = [line for line in report.splitlines() if not line.startswith(("# ", "!["))]
    out.write_text("report.md", "\n".join(f"**{line.lstrip('#').strip()}**" if line.startswith("##") else line
                                          for line in lines))

    # What was run.
    model = results["model"]
    items = {name: task["n_items"] for name, task in metrics.items()}
    counts_zh = "、".join(f"`{name}` {n}" for name, n in items.items())
    counts_en = ", ".join(f"`{name}` {n}" for name, n in items.items())
    command = " ".join(["blm eval --lang zh,en", f"--seed {SEED}", *options])
    spec = model.get("spec") or model.get("name")
    out.write_bilingual(
        "setup",
        f"模型 `{spec}`（权重指纹 `{str(model.get('fingerprint'))[:12]}`），`{out.profile}` 配置，命令 `{command}`；"
        f"共 {sum(items.values()):,} 个题目（{counts_zh}），用时 {seconds:.0f} 秒。",
        f"Model `{spec}` (weights fingerprint `{str(model.get('fingerprint'))[:12]}`), `{out.profile}` profile, "
        f"command `{command}`; {sum(items.values()):,} items in all ({counts_en}), {seconds:.0f} s.",
    )

    choice = {name: task for name, task in metrics.items() if task["kind"] == "choice"}
    out.write_bilingual("conditions", conditions_table(choice, "zh"), conditions_table(choice, "en"))
    out.write_bilingual("effects", effects_table(choice, "zh"), effects_table(choice, "en"))
    out.save_figures(lambda ui: plot_conditions(choice, ui), "conditions")
    if any(task.get("decomposition") for task in choice.values()):
        out.save_figures(lambda ui: plot_effects(choice, ui), "effects")

    # The reading: only what survives every scoring rule, with its direction.
    zh, en = [], []
    best = {name: max((c for c in CONDITIONS if accuracy(task, c)), key=lambda c, t=task: accuracy(t, c)["mean"])
            for name, task in choice.items()}
    strongest = [name for name, condition in best.items() if condition == "en->en"]
    zh.append(f"在 {len(choice)} 个选择任务中，准确率最高的条件是 en→en 的有 {len(strongest)} 个"
              + (f"（{'、'.join(f'`{n}`' for n in strongest)}）。" if strongest else "。"))
    en.append(f"In {len(strongest)} of the {len(choice)} choice tasks the most accurate condition is en→en"
              + (f" ({', '.join(f'`{n}`' for n in strongest)})." if strongest else "."))
    for name, task in choice.items():
        found = robust_effects(task)
        if not task.get("decomposition"):
            continue
        if not found:
            zh.append(f"`{name}`：三个效应在所有打分规则下都不稳健。")
            en.append(f"`{name}`: none of the three effects is robust across the scoring rules.")
            continue
        parts_zh = [f"{EFFECTS[e][0]} {v['diff']:+.2f}" for e, v in found.items()]
        parts_en = [f"{EFFECTS[e][1]} {v['diff']:+.2f}" for e, v in found.items()]
        zh.append(f"`{name}`：在所有打分规则下稳健的效应是 {'，'.join(parts_zh)}。")
        en.append(f"`{name}`: robust under every scoring rule: {', '.join(parts_en)}.")
    matching = [name for name, task in choice.items() if robust_effects(task).get("interaction", {}).get("sign") == 1]
    if matching:
        zh.append(f"答案与提示同一种语言时更准确，这一点在 {len(matching)} 个任务上稳健。")
        en.append(f"Answering in the prompt's own language is more accurate, robustly, in {len(matching)} task(s).")
    parallel = next((task for task in metrics.values() if task["kind"] == "parallel"), None)
    if parallel and "differences" in parallel:
        d, share = parallel["differences"], parallel["first_costs_more"]
        zh.append(f"同一句话（HSK 平行句），中文整句比英文多 {interval(d['bits'], 'diff', '+')} 比特，"
                  f"{interval(share)} 的句对中文代价更高；每字节多 {interval(d['bits_per_byte'], 'diff', '+')} 比特"
                  "（每字的比较跨越书写系统：一个汉字承载的远多于一个字母）。")
        en.append(f"For the same sentence (HSK parallel pairs), Chinese costs {interval(d['bits'], 'diff', '+')} "
                  f"bits more per sentence than English, and more in a share of {interval(share)} of the pairs; "
                  f"{interval(d['bits_per_byte'], 'diff', '+')} bits more per byte (per character compares across "
                  "writing systems: one Han character carries far more than one letter).")
    out.write_bilingual("summary", "".join(zh), " ".join(en))
    out.write_json("results.json", {"seconds": seconds, "items": items, "best_condition": best,
                                    "robust_effects": {name: robust_effects(task) for name, task in choice.items()}})
    made = results.get("provenance", {})
    read = {"eval_read_from": finished, "eval_git_commit": made.get("git_commit"), "eval_created": made.get("created")}
    out.write_provenance(eval_command=command, **(read if finished else {}))


if __name__ == "__main__":
    main(fast=is_fast())
