"""Note 11 (上下文学习 / In-context learning): accuracy against the number k of solved examples put in the prompt,
on Gemma 3 270M, for a CLDR relation (cldr_city) and the translation task, with Chinese and English prompts.

Writes notes/docs/generated/11-in-context/. Run: python notes/scripts/11-in-context.py [--fast]
Every k is scored by the eval itself (`bilingual_lm.eval.run.run_eval`: its request cache, its scoring rules
and its Wilson intervals); only the prompts change. The fast profile runs the same machinery on the default
n-gram and a few items (an n-gram, which sees two words back, has nothing to learn from examples).
"""

from __future__ import annotations

from dataclasses import replace

import matplotlib.pyplot as plt

from bilingual_lm.eval.loader import load_tasks, template_hash
from bilingual_lm.eval.rules import PRIMARY_RULE
from bilingual_lm.eval.run import EvalConfig, EvalSpec, run_eval
from bilingual_lm.eval.runner import join_answer
from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.score import load_scorer

SEED = 0
EXAMPLES = 8  # the first EXAMPLES items of each task are the worked examples, and are never asked
PROFILES = {
    "full": {"model": "gemma3-270m", "items": 8, "shots": (0, 1, 2, 4, 8)},  # about ten minutes on 2 cores
    "fast": {"model": "ngram:default", "items": 12, "shots": (0, 2, 8)},
}
# task -> its conditions (prompt language, answer language) and the text between two worked examples
TASKS = {
    "cldr_city": ((("zh", "zh"), ("en", "en")), "\n"),
    "hsk_translation": ((("zh", "en"), ("en", "zh")), "\n\n"),
}
LANGS = ("zh", "en")


# --8<-- [start:key]
def gold_surface(item, lang: str) -> str:
    return next(c for c in item.candidates if c.id == item.gold).surface[lang]


def with_examples(task, k: int, n_items: int):
    """`task` with k worked examples (prompt, then its gold answer, joined as the eval joins them) before every
    prompt and the neutral prompt; the items asked are the n_items after the examples, the same for every k."""
    conditions, separator = TASKS[task.name]
    answer_lang = dict(conditions)
    examples = task.items[:EXAMPLES][:k]
    prefix = {lang: "".join(e.prompts[lang] + join_answer(e.prompts[lang], gold_surface(e, answer_lang[lang]),
                                                          task.joiner(lang, answer_lang[lang])) + separator
                            for e in examples) for lang in LANGS}
    items = [replace(item, prompts={lang: prefix[lang] + item.prompts[lang] for lang in LANGS})
             for item in task.items[EXAMPLES:EXAMPLES + n_items]]
    templates = {**task.templates, **{name: {lang: prefix[lang] + text for lang, text in task.templates[name].items()}
                                      for name in ("prompt", "neutral")}}
    return replace(task, name=f"{task.name}_k{k}", items=items, templates=templates, conditions=conditions,
                   template_hash=template_hash(templates))
# --8<-- [end:key]


def accuracy_table(results: dict, shots, ui: str) -> str:
    """Accuracy with its 95% Wilson interval per task, condition and k (the primary rule)."""
    rows = []
    for task, (conditions, _) in TASKS.items():
        for prompt_lang, answer_lang in conditions:
            key = f"{prompt_lang}->{answer_lang}"
            cells = [f"`{task}`", key.replace("->", "→")]
            for k in shots:
                acc = results[task][k][key][PRIMARY_RULE]
                cells.append(f"{acc['mean']:.2f} [{acc['ci'][0]:.2f}, {acc['ci'][1]:.2f}]")
            cells.append(f"{results[task]['chance']:.3f}")
            rows.append(cells)
    headers = {"zh": ["任务", "条件", *[f"k = {k}" for k in shots], "随机猜"],
               "en": ["task", "condition", *[f"k = {k}" for k in shots], "chance"]}[ui]
    return markdown_table(headers, rows, "ll" + "r" * (len(shots) + 1))


def rules_table(results: dict, shots, rules: list[str], ui: str) -> str:
    """Accuracy under every scoring rule of the eval (`bilingual_lm.eval.rules`), per task, condition and k."""
    rows = []
    for task, (conditions, _) in TASKS.items():
        for prompt_lang, answer_lang in conditions:
            key = f"{prompt_lang}->{answer_lang}"
            for rule in rules:
                cells = [f"`{task}`", key.replace("->", "→"), f"`{rule}`"]
                for k in shots:
                    acc = results[task][k][key][rule]
                    cells.append(f"{acc['mean']:.2f} [{acc['ci'][0]:.2f}, {acc['ci'][1]:.2f}]")
                rows.append(cells)
    headers = {"zh": ["任务", "条件", "打分规则", *[f"k = {k}" for k in shots]],
               "en": ["task", "condition", "rule", *[f"k = {k}" for k in shots]]}[ui]
    return markdown_table(headers, rows, "lll" + "r" * len(shots))


def change(results: dict, task: str, key: str, rules: list[str], first: int, last: int) -> str:
    """'up' / 'down' when the 95% intervals at k = first and k = last do not overlap under every rule,
    else 'none': a change is called only when no choice of rule undoes it."""
    verdicts = set()
    for rule in rules:
        a, b = results[task][first][key][rule], results[task][last][key][rule]
        verdicts.add("up" if b["ci"][0] > a["ci"][1] else "down" if b["ci"][1] < a["ci"][0] else "none")
    return verdicts.pop() if len(verdicts) == 1 else "none"


PLOT_LABELS = {
    "zh": {"x": "提示里的示例数 k", "y": "准确率（95% 置信区间）", "chance": "随机猜", "cldr_city": "城市 → 所在国家",
           "hsk_translation": "HSK 译文选择", "zh->zh": "中文提示", "en->en": "英文提示", "zh->en": "中文句 → 选英文",
           "en->zh": "英文句 → 选中文"},
    "en": {"x": "worked examples in the prompt, k", "y": "accuracy (95% CI)", "chance": "chance",
           "cldr_city": "city → its country", "hsk_translation": "HSK translation choice", "zh->zh": "Chinese prompt",
           "en->en": "English prompt", "zh->en": "Chinese sentence → English", "en->zh": "English sentence → Chinese"},
}


def plot_shots(results: dict, shots, model: str, ui: str):
    """Accuracy against k with Wilson intervals, one panel per task, one line per prompt language."""
    labels = PLOT_LABELS[ui]
    figure, axes = plt.subplots(1, len(TASKS), figsize=(10.5, 4.2), sharey=True)
    positions = range(len(shots))
    for axis, (task, (conditions, _)) in zip(axes, TASKS.items(), strict=True):
        for (prompt_lang, answer_lang), colour, offset in zip(conditions, ("tab:red", "tab:blue"), (-0.06, 0.06),
                                                               strict=True):
            key = f"{prompt_lang}->{answer_lang}"
            acc = [results[task][k][key][PRIMARY_RULE] for k in shots]
            means = [a["mean"] for a in acc]
            errors = [[max(m - a["ci"][0], 0.0) for m, a in zip(means, acc, strict=True)],  # 0/n: a rounding hair
                      [max(a["ci"][1] - m, 0.0) for m, a in zip(means, acc, strict=True)]]
            axis.errorbar([p + offset for p in positions], means, yerr=errors, fmt="o-", capsize=3, color=colour,
                          label=labels[key])
        axis.axhline(results[task]["chance"], color="grey", linestyle=":", label=labels["chance"])
        axis.set_xticks(list(positions), [str(k) for k in shots])
        axis.set_xlabel(labels["x"])
        axis.set_title(f"{labels[task]} ({model})")
        axis.set_ylim(0, 1.02)
        axis.grid(True, alpha=0.3)
        axis.legend(loc="lower right")
    axes[0].set_ylabel(labels["y"])
    figure.tight_layout()
    return figure


def room(results: dict, task: str, key: str, shots, n_items: int) -> str | None:
    """'ceiling' when at most one item is missed without examples (examples have little room to help), 'chance'
    when chance lies inside the 95% interval at every k (the primary rule), else None."""
    accuracy = {k: results[task][k][key][PRIMARY_RULE] for k in shots}
    if accuracy[shots[0]]["mean"] >= (n_items - 1) / n_items:
        return "ceiling"
    if all(a["ci"][0] <= results[task]["chance"] <= a["ci"][1] for a in accuracy.values()):
        return "chance"
    return None


def summary(results: dict, shots, rules: list[str], n_items: dict, model: str) -> tuple[str, str]:
    """One sentence per task and condition: accuracy at the first and last k, and whether it robustly changed."""
    first, last = shots[0], shots[-1]
    verdicts = [change(results, task, f"{p}->{a}", rules, first, last)
                for task, (conditions, _) in TASKS.items() for p, a in conditions]
    said = {"up": ("上升", "rises"), "down": ("下降", "falls"), "none": ("没有稳健的变化", "does not change robustly")}
    where = {"ceiling": ("（不给例子时最多只错一道，例子几乎没有可提升的余地）",
                         " (at most one item missed without examples: little room for them to help)"),
             "chance": ("（每个 k 的区间都包含随机猜的水平）", " (chance lies inside the interval at every k)"),
             None: ("", "")}
    zh, en = [], []
    for task, (conditions, _) in TASKS.items():
        for prompt_lang, answer_lang in conditions:
            key = f"{prompt_lang}->{answer_lang}"
            a, b = (results[task][k][key][PRIMARY_RULE]["mean"] for k in (first, last))
            verdict = change(results, task, key, rules, first, last)
            level = where[room(results, task, key, shots, n_items[task])]
            zh.append(f"`{task}` {key.replace('->', '→')}：k = {first} 时 {a:.2f}，k = {last} 时 {b:.2f}，"
                      f"{said[verdict][0]}{level[0]}")
            en.append(f"`{task}` {key.replace('->', '→')}: {a:.2f} at k = {first}, {b:.2f} at k = {last}, "
                      f"{said[verdict][1]}{level[1]}")
    rules_zh, rules_en = "、".join(rules), ", ".join(rules)
    items = "、".join(f"`{t}` {n}" for t, n in n_items.items())
    items_en = ", ".join(f"{n} of `{t}`" for t, n in n_items.items())
    moved = {verdict: verdicts.count(verdict) for verdict in ("up", "down")}
    return (f"模型 `{model}`，每个 k 问同样的题（{items} 道）。" + "；".join(zh) + "。"
            f"“稳健”指在全部打分规则（{rules_zh}）下 k = {first} 与 k = {last} 的 95% 置信区间都不重叠。"
            f"总之，{len(verdicts)} 个条件里，{moved['up']} 个稳健上升，{moved['down']} 个稳健下降。",
            f"Model `{model}`, the same items at every k ({items_en}). " + "; ".join(en) + ". "
            f"\"Robust\" means the 95% intervals at k = {first} and k = {last} do not overlap under every scoring "
            f"rule ({rules_en}). In all, of {len(verdicts)} conditions, {moved['up']} rise robustly and "
            f"{moved['down']} fall robustly.")


def main(fast: bool = False) -> None:
    profile = PROFILES["fast" if fast else "full"]
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    shots = profile["shots"]
    tasks = {task.name: task for task in load_tasks(list(TASKS))}
    scorer = load_scorer(profile["model"], lang="zh")
    derived = [with_examples(tasks[name], k, profile["items"]) for name in TASKS for k in shots]
    # --8<-- [start:evaluate]
    output = run_eval(EvalSpec(model=scorer, langs=LANGS, tasks=derived, seed=SEED), EvalConfig())
    # --8<-- [end:evaluate]
    metrics = output.metrics
    rules = [rule for rule in metrics[derived[0].name]["rules"]]
    results: dict = {}
    for name in TASKS:
        results[name] = {"chance": metrics[f"{name}_k{shots[0]}"]["chance_accuracy"]}
        for k in shots:
            conditions = metrics[f"{name}_k{k}"]["conditions"]
            results[name][k] = {key: {rule: entry["rules"][rule]["accuracy"] for rule in rules}
                                for key, entry in conditions.items()}
    n_items = {name: metrics[f"{name}_k{shots[0]}"]["n_items"] for name in TASKS}
    model = output.model.name or profile["model"]

    out.write_bilingual("accuracy", accuracy_table(results, shots, "zh"), accuracy_table(results, shots, "en"))
    out.write_bilingual("rules", rules_table(results, shots, rules, "zh"), rules_table(results, shots, rules, "en"))
    out.write_bilingual("summary", *summary(results, shots, rules, n_items, model))
    out.save_figures(lambda ui: plot_shots(results, shots, model, ui), "shots")
    out.write_json("results.json", {"profile": out.profile, "model": profile["model"], "shots": list(shots),
                                    "examples": EXAMPLES, "items": n_items, "rules": rules,
                                    "primary_rule": PRIMARY_RULE,
                                    "accuracy": {name: {str(k): results[name][k] for k in shots} for name in TASKS},
                                    "chance": {name: results[name]["chance"] for name in TASKS}})
    out.write_provenance(model=profile["model"])


if __name__ == "__main__":
    main(fast=is_fast())
