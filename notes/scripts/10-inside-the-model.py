"""Note 10 (模型内部 / Inside the model): the logit lens on Gemma 3 270M's 18 layers, zh and en prompts.

Writes notes/docs/generated/10-inside-the-model/. Run: python notes/scripts/10-inside-the-model.py [--fast]
The full profile runs `blm eval --lang zh,en --tasks lens` on the default Transformer; the fast profile (no
Transformer in CI) redraws the figures and tables from the last full run's results, which it reads back.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from bilingual_lm.cli import cli
from bilingual_lm.eval.report_tables import layer_ranges
from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.score.registry import DEFAULT_TRANSFORMER

SEED = 0
OPTIONS = ["--model", DEFAULT_TRANSFORMER, "--tasks", "lens", "--bootstrap", "1000"]
COMMAND = " ".join(["blm eval --lang zh,en", f"--seed {SEED}", *OPTIONS])
CONDITIONS = ("zh->zh", "zh->en", "en->zh", "en->en")
LABELS = {
    "zh": {"p_zh": "p(中文答案)", "p_en": "p(英文答案)", "entropy": "熵（比特）", "layer": "层（0 = 词嵌入）",
           "probability": "概率"},
    "en": {"p_zh": "p(zh answer)", "p_en": "p(en answer)", "entropy": "entropy (bits)",
           "layer": "layer (0 = embeddings)", "probability": "probability"},
}


# --8<-- [start:key]
def run_eval(output_dir: Path) -> tuple[dict, float, list[float]]:
    """`blm eval --lang zh,en --tasks lens ...` into `output_dir`: its results, the seconds it took and the
    machine's 1-minute load average before and after (other jobs on the same cores slow it down)."""
    load = [os.getloadavg()[0]]
    began = time.perf_counter()
    cli.main(["eval", "--lang", "zh,en", "--seed", str(SEED), "--output-dir", str(output_dir), "--no-cache",
              *OPTIONS], standalone_mode=False)
    seconds = time.perf_counter() - began
    load.append(os.getloadavg()[0])
    return json.loads((output_dir / "results.json").read_text(encoding="utf-8")), seconds, load


def arrow(condition: str) -> str:
    return condition.replace("->", "→")


def draw_curves(tasks: dict[str, dict], panels: list[tuple[str, str]], lang: str, columns: int):
    """One panel per (task, condition): p(zh) and p(en) per layer with 95% CI bands; entropy dashed."""
    from matplotlib.figure import Figure

    rows = -(-len(panels) // columns)
    figure = Figure(figsize=(4.4 * columns, 3.3 * rows), layout="tight")
    label = LABELS[lang]
    for axes, (task, condition) in zip(figure.subplots(rows, columns, squeeze=False).flat, panels, strict=False):
        summary = tasks[task]["conditions"][condition]["first_token"]
        layers = range(len(summary["p_zh"]))
        for key, color in (("p_zh", "tab:blue"), ("p_en", "tab:orange")):
            axes.plot(layers, [e["mean"] for e in summary[key]], color=color, label=label[key])
            axes.fill_between(layers, [e["ci"][0] for e in summary[key]], [e["ci"][1] for e in summary[key]],
                              color=color, alpha=0.25, linewidth=0)
        axes.set_ylim(0, 1)
        axes.set_xlabel(label["layer"])
        axes.set_ylabel(label["probability"])
        axes.set_title(f"{task}  {arrow(condition)}  (n = {summary['n']})", fontsize=9)
        entropy = axes.twinx()
        entropy.plot(layers, [e["mean"] for e in summary["entropy_bits"]], color="0.4", linestyle="--",
                     label=label["entropy"])
        entropy.set_ylim(bottom=0)
        entropy.set_ylabel(label["entropy"], color="0.4")
        handles = axes.get_legend_handles_labels()[0] + entropy.get_legend_handles_labels()[0]
        axes.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="upper left")
    return figure


def peak(summary: dict, key: str, before: int) -> tuple[float, int]:
    """The highest mean of a curve over the states before `before`, and its layer."""
    values = [e["mean"] for e in summary[key][:before]]
    best = max(range(len(values)), key=values.__getitem__)
    return values[best], best


def layers_where(summary: dict) -> tuple[list[int], list[int]]:
    """The layers where p(en) − p(zh) has a 95% CI above 0, and where below 0."""
    above = [s for s, e in enumerate(summary["en_minus_zh"]) if e["ci"] and e["ci"][0] > 0]
    below = [s for s, e in enumerate(summary["en_minus_zh"]) if e["ci"] and e["ci"][1] < 0]
    return above, below
# --8<-- [end:key]


def ranges(states: list[int]) -> str:
    return layer_ranges(states, empty="—")


def main(fast: bool = False) -> None:
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    if fast:  # no Transformer in CI: redraw from the last full run
        saved = json.loads((out.committed_dir / "eval-results.json").read_text(encoding="utf-8"))
        results, seconds, load = saved, saved["note_seconds"], saved.get("note_load")
    else:
        with tempfile.TemporaryDirectory() as workdir:
            results, seconds, load = run_eval(Path(workdir) / "eval")
    kept = {key: results[key] for key in ("schema_version", "run", "model", "device", "dtype", "settings",
                                          "timings", "metrics") if key in results}
    out.write_json("eval-results.json", {**kept, "note_seconds": seconds, "note_load": load})
    tasks = {name: task for name, task in results["metrics"].items() if task["kind"] == "lens"}
    states = len(next(iter(tasks["lens_translation"]["conditions"].values()))["first_token"]["p_zh"])

    model = results["model"]
    out.write_bilingual(
        "setup",
        f"模型 `{model.get('spec') or model.get('name')}`（权重指纹 `{str(model['fingerprint'])[:12]}`，"
        f"{states - 1} 层），命令 `{COMMAND}`，用时 {seconds:.0f} 秒（双核 CPU，含载入模型"
        + (f"；开始和结束时 1 分钟平均负载为 {load[0]:.1f} 和 {load[1]:.1f}，本次运行自己的两个线程最多占 2，"
              "高于 2 说明还有别的任务在用这两个核"
           if load else "") + "）。",
        f"Model `{model.get('spec') or model.get('name')}` (weights fingerprint `{str(model['fingerprint'])[:12]}`, "
        f"{states - 1} layers), command `{COMMAND}`, {seconds:.0f} s on a 2-core CPU, model load included"
        + (f" (1-minute load average {load[0]:.1f} at the start and {load[1]:.1f} at the end; the run's own two "
           "threads account for up to 2, more means that other jobs shared the two cores)" if load else "") + ".",
    )
    rows = [[f"`{name}`", t["n_items"], t["kept"], t["dropped"]["join"], t["dropped"]["shared"],
             t["single_token_items"]] for name, t in tasks.items()]
    out.write_bilingual(
        "counts",
        markdown_table(["任务", "题目", "保留", "舍弃（与提示粘连）", "舍弃（首词元相同）",
                        "两种语言都是单个词元"], rows, "lrrrrr"),
        markdown_table(["task", "items", "kept", "dropped (joins the prompt)", "dropped (same first token)",
                        "one token in both languages"], rows, "lrrrrr"),
    )

    # The numbers the page reads: per task and condition, the last layer, the highest p(en) and p(zh) before
    # it, and the layers where the two differ beyond the bootstrap CI; for both item sets.
    table, facts = [], {}
    for name, task in tasks.items():
        for condition, by_set in task["conditions"].items():
            for item_set in ("first_token", "single_token"):
                summary = by_set[item_set]
                if "p_zh" not in summary:
                    continue
                en_peak, en_layer = peak(summary, "p_en", states - 1)
                zh_peak, zh_layer = peak(summary, "p_zh", states - 1)
                above, below = layers_where(summary)
                facts[f"{name} {condition} {item_set}"] = {"en_peak": [en_peak, en_layer], "above": above,
                                                           "below": below}
                table.append([f"`{name}`", arrow(condition), "首词元" if item_set == "first_token" else "单词元",
                              summary["n"], f"{summary['p_zh'][-1]['mean']:.2f}", f"{summary['p_en'][-1]['mean']:.2f}",
                              f"{en_peak:.2f} ({en_layer})", f"{zh_peak:.2f} ({zh_layer})", ranges(above),
                              ranges(below)])
    english = [[*row[:2], "first token" if row[2] == "首词元" else "single token", *row[3:]] for row in table]
    align = "lllrrrrrll"
    out.write_bilingual(
        "curves",
        markdown_table(["任务", "条件", "题目集", "n", "末层 p(中)", "末层 p(英)", "此前 p(英) 最高（层）",
                        "此前 p(中) 最高（层）", "p(英) 领先的层", "p(中) 领先的层"], table, align),
        markdown_table(["task", "condition", "items", "n", "p(zh) last", "p(en) last", "max p(en) before (layer)",
                        "max p(zh) before (layer)", "layers where p(en) leads", "layers where p(zh) leads"],
                       english, align),
    )

    translation = tasks["lens_translation"]
    out.save_figures(lambda lang: draw_curves(tasks, [("lens_translation", c) for c in CONDITIONS], lang, 2),
                     "translation")
    others = [(name, c) for name in tasks if name != "lens_translation" for c in tasks[name]["conditions"]]
    out.save_figures(lambda lang: draw_curves(tasks, others, lang, 2), "cloze-cldr")

    en_zh = facts["lens_translation en->zh first_token"]
    zh_zh = facts["lens_translation zh->zh first_token"]
    out.write_bilingual(
        "reading",
        f"英文提示、要中文答案（en→zh）时，最后一层之前 p(英文答案) 最高达到 {en_zh['en_peak'][0]:.2f}（第 "
        f"{en_zh['en_peak'][1]} 层），p(英) 显著高于 p(中) 的层是 {ranges(en_zh['above'])}；中文提示、要中文答案"
        f"（zh→zh）时，这一峰值为 {zh_zh['en_peak'][0]:.2f}（第 {zh_zh['en_peak'][1]} 层），"
        f"p(英) 显著高于 p(中) 的层是 {ranges(zh_zh['above'])}。",
        f"With an English prompt asking for a Chinese answer (en→zh), p(en answer) peaks at "
        f"{en_zh['en_peak'][0]:.2f} before the last layer (layer {en_zh['en_peak'][1]}), and p(en) exceeds p(zh) "
        f"beyond the CI at layers {ranges(en_zh['above'])}; with a Chinese prompt asking for a Chinese answer "
        f"(zh→zh) that peak is {zh_zh['en_peak'][0]:.2f} (layer {zh_zh['en_peak'][1]}), and p(en) exceeds p(zh) at "
        f"layers {ranges(zh_zh['above'])}.",
    )
    out.write_json("results.json", {"seconds": seconds, "states": states, "facts": facts,
                                    "kept": {name: t["kept"] for name, t in tasks.items()},
                                    "translation_n": translation["kept"]})
    out.write_provenance(eval_command=COMMAND)


if __name__ == "__main__":
    main(fast=is_fast())
