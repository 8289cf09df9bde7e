"""PNG plots of a results directory (matplotlib's object API with the Agg canvas: no display, no pyplot)."""

from __future__ import annotations

from pathlib import Path

from bilingual_lm.atomic import atomic_write
from bilingual_lm.eval.schema import EvalResults


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="tight")
    return figure, figure.subplots()


def _save(figure, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=100)


def accuracy_by_condition(metrics: dict, path: Path, norm: str) -> bool:
    """Grouped bars: accuracy@1 per condition for each choice task, CIs as error bars, chance as a tick."""
    tasks = {name: t for name, t in metrics.items() if t["kind"] == "choice"}
    if not tasks:
        return False
    conditions = list(dict.fromkeys(c for t in tasks.values() for c in t["conditions"]))
    figure, axes = _figure(max(6, 1.6 * len(tasks) + 2), 4)
    width = 0.8 / len(conditions)
    for c_index, condition in enumerate(conditions):
        xs, means, errors = [], [], [[], []]
        for t_index, task in enumerate(tasks.values()):
            if condition not in task["conditions"]:
                continue
            entry = task["conditions"][condition]["rules"][norm]["accuracy"]
            xs.append(t_index + (c_index - (len(conditions) - 1) / 2) * width)
            means.append(entry["mean"])
            low, high = entry["ci"] or (entry["mean"], entry["mean"])
            errors[0].append(max(entry["mean"] - low, 0.0))  # a Wilson bound can round past the mean at 0 or 1
            errors[1].append(max(high - entry["mean"], 0.0))
        axes.bar(xs, means, width, yerr=errors, capsize=2, label=condition.replace("->", "→"))
    for t_index, task in enumerate(tasks.values()):
        axes.hlines(task["chance_accuracy"], t_index - 0.45, t_index + 0.45, colors="k", linestyles="dotted")
    axes.set_xticks(range(len(tasks)), list(tasks), rotation=20, ha="right")
    axes.set_ylabel("accuracy@1 (dotted: chance)")
    axes.set_ylim(0, 1)
    axes.legend(title="prompt→answer", fontsize="small")
    _save(figure, path)
    return True


def js_divergence(metrics: dict, path: Path, norm: str) -> bool:
    """Histograms of the per-item JS divergence (bits) of each task's first comparison."""
    series = {}
    for name, task in metrics.items():
        if task["kind"] == "choice" and task["comparisons"]:
            comparison, entry = next(iter(task["comparisons"].items()))
            series[f"{name} ({comparison})"] = entry["rules"][norm]["per_item_js_bits"]
    if not series:
        return False
    figure, axes = _figure(7, 4)
    axes.hist(list(series.values()), bins=20, range=(0, 1), label=list(series), histtype="step", linewidth=1.5)
    axes.set_xlabel("Jensen–Shannon divergence between the two languages' candidate distributions (bits)")
    axes.set_ylabel("items")
    axes.legend(fontsize="small")
    _save(figure, path)
    return True


def entropy_by_language(metrics: dict, path: Path, norm: str) -> bool:
    """Box plots of entropy: over the candidates per condition (left), of the next token per language (right)."""
    panels: dict[str, dict[str, list[float]]] = {"candidates": {}, "next token": {}}
    for task in metrics.values():  # results of schema 2.0 hold no per-item entropies: no plot
        if task["kind"] == "choice":
            for condition, entry in task["conditions"].items():
                if "per_item_entropy_bits" in entry["rules"].get(norm, {}):
                    panels["candidates"].setdefault(condition.replace("->", "→"), []).extend(
                        entry["rules"][norm]["per_item_entropy_bits"])
        elif task["kind"] == "open":
            for lang, values in task.get("per_item_entropy_bits", {}).items():
                panels["next token"].setdefault(lang, []).extend(values)
    panels = {name: groups for name, groups in panels.items() if groups}
    if not panels:
        return False
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4 + 3 * len(panels), 4), layout="tight")
    for axes, (name, groups) in zip(figure.subplots(1, len(panels), squeeze=False)[0], panels.items(), strict=True):
        axes.boxplot(list(groups.values()))
        axes.set_xticks(range(1, len(groups) + 1), list(groups))
        axes.set_title(f"{name} ({'prompt→answer' if name == 'candidates' else 'prompt language'})")
        axes.set_ylabel("entropy (bits)")
    _save(figure, path)
    return True


def _lens_conditions(metrics: dict) -> dict[str, dict[str, dict]]:
    """condition -> {lens task: its first-token summary} for the lens tasks of the results."""
    found: dict[str, dict[str, dict]] = {}
    for name, task in metrics.items():
        if task["kind"] == "lens":
            for condition, by_set in task["conditions"].items():
                if "p_zh" in by_set["first_token"]:
                    found.setdefault(condition, {})[name] = by_set["first_token"]
    return found


def _lens_file(condition: str) -> str:
    return f"lens_{condition.replace('->', '-')}.png"


def lens_curves(summaries: dict[str, dict], condition: str, path: Path) -> None:
    """One panel per lens task: p(zh) and p(en) against layer with 95% CI bands, the entropy on a second axis."""
    from matplotlib.figure import Figure

    # fixed margins (in inches, so they hold for any number of panels): a tight layout would measure every tick label
    # of every panel and twin axis, a second of drawing per figure
    width = 4.2 * len(summaries)
    figure = Figure(figsize=(width, 3.4))
    figure.subplots_adjust(left=0.6 / width, right=1 - 0.6 / width, bottom=0.15, top=0.9, wspace=0.55)
    for axes, (name, summary) in zip(figure.subplots(1, len(summaries), squeeze=False)[0], summaries.items(),
                                     strict=True):
        states = range(len(summary["p_zh"]))
        for key, label, color in (("p_zh", "p(zh answer)", "tab:blue"), ("p_en", "p(en answer)", "tab:orange")):
            means = [e["mean"] for e in summary[key]]
            low, high = zip(*[e["ci"] or (e["mean"], e["mean"]) for e in summary[key]], strict=True)
            axes.plot(states, means, color=color, label=label)
            axes.fill_between(states, low, high, color=color, alpha=0.25, linewidth=0)
        axes.set_ylim(0, 1)
        axes.set_xlabel("layer (0 = embeddings)")
        axes.set_ylabel("probability")
        axes.set_title(f"{name}, {condition.replace('->', '→')} (n={summary['n']})", fontsize="medium")
        entropy = axes.twinx()
        entropy.plot(states, [e["mean"] for e in summary["entropy_bits"]], color="0.4", linestyle="--",
                     label="entropy (bits)")
        entropy.set_ylabel("entropy (bits)", color="0.4")
        lines = axes.get_legend_handles_labels()[0] + entropy.get_legend_handles_labels()[0]
        axes.legend(lines, [line.get_label() for line in lines], fontsize="small", loc="upper left")
    _save(figure, path)


def write_plots(path: Path, typed: EvalResults) -> list[str]:
    """Write the plots that the results allow (they read the results, never the records); their file names."""
    norm = typed.conventions["primary_scoring_rule"]
    path = Path(path)
    written = []
    if accuracy_by_condition(typed.metrics, path / "accuracy_by_condition.png", norm):
        written.append("accuracy_by_condition.png")
    if js_divergence(typed.metrics, path / "js_divergence.png", norm):
        written.append("js_divergence.png")
    if entropy_by_language(typed.metrics, path / "entropy_by_language.png", norm):
        written.append("entropy_by_language.png")
    for condition, summaries in _lens_conditions(typed.metrics).items():
        lens_curves(summaries, condition, path / _lens_file(condition))
        written.append(_lens_file(condition))
    return written
