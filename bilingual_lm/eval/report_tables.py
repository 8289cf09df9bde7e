"""The summary tables of a results.json (the same for report.md and the terminal), and its robust findings."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bilingual_lm.eval import robustness


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]


def number(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.{digits}f}"


def with_ci(entry: dict | None, key: str = "mean", sign: bool = False, digits: int = 3) -> str:
    if entry is None:
        return "–"
    form = signed if sign else number
    text = form(entry.get(key), digits)
    ci = entry.get("ci")
    if ci:
        text += f" [{form(ci[0], digits)}, {form(ci[1], digits)}]"
    if entry.get("holm_significant"):
        text += " *"
    return text


def arrow(condition: str) -> str:
    return condition.replace("->", "→")


def _collapsed(collapse: dict) -> str:
    """The collapsed-on answer as scored, with its candidate id when that differs (a CLDR code: 亚洲 (142))."""
    answer, candidate = collapse.get("answer", collapse["candidate"]), collapse["candidate"]
    return answer if answer == candidate else f"{answer} ({candidate})"


def _choice_tables(results: dict, rule: str, diff: str) -> list[Table]:
    rules = results["conventions"]["scoring_rules"]
    accuracy = Table("Choice tasks: accuracy@1 under every scoring rule (95% Wilson CI), beside its baselines",
                     ["task", "condition", "n", "tokens/cand", *[f"acc ({r})" for r in rules], "uniform",
                      "most-freq gold", "fewest tokens", "answer prior", "prior collapse"], [])
    detail = Table(f"Choice tasks under the {rule} rule (95% CI)",
                   ["task", "condition", "MRR", "p(gold)", "entropy (bits)", "ECE [CI] (calibrated)", "Brier"], [])
    cross = Table(f"Across languages: Δ accuracy@1 = {diff}, paired bootstrap 95% CI under every rule "
                  "(* Holm-significant); the verdict across rules",
                  ["task", "comparison", *[f"Δ acc ({r})" for r in rules], "verdict"], [])
    agreement = Table("Across languages: RankC and JS divergence beside their chance levels (permuted candidates)",
                      ["task", "comparison", "RankC (sum)", "RankC (token)", "RankC chance", f"JS bits ({rule})",
                       "JS chance", "top-1 agree (sum)", "both correct (sum)"], [])
    twobytwo = Table(f"The 2×2 decomposed (accuracy; {diff} effects with 95% CI under every rule)",
                     ["task", "effect", *rules, "verdict"], [])
    concept = Table("Concept-level answers (both answer languages merged per concept)",
                    ["task", "rule", "acc (prompt 1st lang)", "acc (prompt 2nd lang)", "Δ acc", "RankC", "RankC chance",
                     "JS bits", "JS chance"], [])
    for name, task in results["metrics"].items():
        if task["kind"] != "choice":
            continue
        for condition, entry in task["conditions"].items():
            base, by_rule = entry["baselines"], entry["rules"]
            collapse = next((f"{_collapsed(c)} ({r}: top-1 {c['top1_share']:.0%}, gold {c['gold_share']:.0%})"
                             for r, m in by_rule.items() if (c := m.get("prior_collapse"))), "")
            tokens = number(entry["tokens"]["per_candidate"], 2)
            accuracy.rows.append([name, arrow(condition), str(task["n_items"]), tokens,
                                  *[with_ci(by_rule.get(r, {}).get("accuracy"), digits=2) for r in rules],
                                  number(base["uniform"], 2), number(base["most_frequent_gold"], 2),
                                  number(base["fewest_tokens"], 2), number(base["answer_prior"], 2), collapse])
            if rule in by_rule:
                m = by_rule[rule]
                ece = m["ece"]
                detail.rows.append([name, arrow(condition), number(m["mrr"]["mean"]), number(m["gold_prob"]["mean"]),
                                    with_ci(m["entropy_bits"], digits=2),
                                    f"{with_ci(ece, digits=2)} ({number(ece['calibrated_mean'], 2)})",
                                    number(m["brier"]["mean"])])
        for comparison, entry in task["comparisons"].items():
            label = f"{comparison} ({arrow(entry['conditions'][0])} vs {arrow(entry['conditions'][1])})"
            by_rule = entry["rules"]
            cross.rows.append([name, label, *[with_ci(by_rule[r]["differences"]["accuracy"], "diff", True, 2)
                                              if r in by_rule else "–" for r in rules],
                               robustness.describe(entry["robustness"]["accuracy"])])
            shown = by_rule.get(rule, by_rule["sum"])
            overlap = by_rule["sum"]["correct_overlap"]
            agreement.rows.append([name, label, with_ci(by_rule["sum"]["rankc"], digits=2),
                                   with_ci(by_rule.get("token", {}).get("rankc"), digits=2),
                                   number(by_rule["sum"]["rankc_chance"], 2), with_ci(shown["js_bits"], digits=2),
                                   number(shown["js_chance"], 2), number(by_rule["sum"]["top1_agreement"]["mean"], 2),
                                   f"{overlap['both']} (J={number(overlap['jaccard'], 2)})"])
        if "decomposition" in task:
            dec = task["decomposition"]
            for effect, verdict in dec["robustness"].items():
                twobytwo.rows.append([name, effect.replace("_", " "),
                                      *[with_ci(dec["rules"][r][effect], "diff", True, 2) if r in dec["rules"] else "–"
                                        for r in rules], robustness.describe(verdict)])
        if "concept_level" in task:
            level = task["concept_level"]
            prompts = list(level["conditions"])
            for r, entry in level["comparison"].items():
                accuracies = [with_ci(level["conditions"][p][r]["accuracy"], digits=2) for p in prompts]
                concept.rows.append([name, r, *accuracies, with_ci(entry["accuracy_difference"], "diff", True, 2),
                                     with_ci(entry["rankc"], digits=2),
                                     number(entry["rankc_chance"], 2), with_ci(entry["js_bits"], digits=2),
                                     number(entry["js_chance"], 2)])
    return [accuracy, detail, cross, agreement, twobytwo, concept]


def summary_tables(results: dict, rule: str | None = None) -> list[Table]:
    """The report's tables; `rule` picks the scoring rule of the detail tables (default: the primary one)."""
    rule = rule or results["conventions"]["primary_scoring_rule"]
    langs = results["settings"]["languages"]
    diff = f"{langs[0]}−{langs[1]}" if len(langs) > 1 else ""
    parallel = Table("Information cost of parallel sentences (95% CI)",
                     ["task", "n", "language", "bits/sentence", "bits/char", "bits/byte", f"{langs[0]} costs more"], [])
    open_table = Table(
        "Open prompts: next-token distribution and sampled continuations (95% CI)",
        ["task", "n", "language", "entropy (bits)", "own-script mass", "other-script mass", "distinct-1",
         "distinct-2", "type/token", "special tokens"], [])
    for name, task in results["metrics"].items():
        if task["kind"] == "parallel":
            for lang, m in task["languages"].items():
                parallel.rows.append([name, str(task["n_items"]), lang, with_ci(m["bits"], digits=1),
                                      with_ci(m["bits_per_char"]), with_ci(m["bits_per_byte"]), ""])
            if task["differences"]:
                d = task["differences"]
                parallel.rows.append([name, str(task["n_items"]), f"Δ {diff}", with_ci(d["bits"], "diff", True, 1),
                                      with_ci(d["bits_per_char"], "diff", True),
                                      with_ci(d["bits_per_byte"], "diff", True),
                                      with_ci(task.get("first_costs_more"), digits=2)])
        elif task["kind"] == "open":
            names = ["entropy_bits", "own_script_mass", "other_script_mass", "distinct_1", "distinct_2", "type_token"]
            for lang, m in task["languages"].items():
                open_table.rows.append([name, str(task["n_items"]), lang, *[with_ci(m[k]) for k in names],
                                        str(task.get("special_tokens", {}).get(lang, "–"))])
            if task["differences"]:
                open_table.rows.append([name, str(task["n_items"]), f"Δ {diff}",
                                        *[with_ci(task["differences"][k], "diff", True) for k in names], ""])
    tables = _choice_tables(results, rule, diff) + [parallel, open_table, *_lens_tables(results)]
    return [table for table in tables if table.rows]


LENS_COLUMNS = 19  # states shown per row at most (Gemma 3 270M has 19: all of them)
LENS_ROWS = (("p(zh)", "p_zh"), ("p(en)", "p_en"), ("entropy (bits)", "entropy_bits"), ("Han mass", "han_mass"),
             ("Latin mass", "latin_mass"))


def shown_states(count: int) -> list[int]:
    """The states a lens table shows: all of them, or evenly spaced ones with the first and the last."""
    if count <= LENS_COLUMNS:
        return list(range(count))
    return sorted({round(i * (count - 1) / (LENS_COLUMNS - 1)) for i in range(LENS_COLUMNS)})


def _lens_tables(results: dict) -> list[Table]:
    counts = Table("Logit lens: items kept by the first-token rule", ["task", "items", "kept", "dropped (join)",
                   "dropped (shared first token)", "single-token in both languages"], [])
    curves: list[Table] = []
    for name, task in results["metrics"].items():
        if task["kind"] != "lens":
            continue
        counts.rows.append([name, str(task["n_items"]), str(task["kept"]), str(task["dropped"]["join"]),
                            str(task["dropped"]["shared"]), str(task["single_token_items"])])
        for item_set in ("first_token", "single_token"):
            states = next((len(c[item_set]["p_zh"]) for c in task["conditions"].values() if "p_zh" in c[item_set]), 0)
            table = Table(f"Logit lens, {name} ({item_set.replace('_', '-')} items): mean per layer "
                          "(0 = embeddings; 95% CI in results.json)", ["condition", "n", "",
                          *map(str, shown_states(states))], [])
            for condition, by_set in task["conditions"].items():
                summary = by_set[item_set]
                for label, key in LENS_ROWS if "p_zh" in summary else ():
                    table.rows.append([arrow(condition), str(summary["n"]), label,
                                       *[number(summary[key][s]["mean"], 2) for s in shown_states(states)]])
            curves.append(table)
    return [counts, *curves]


def lens_findings(results: dict) -> list[str]:
    """Per lens task and condition, the layers where p(en) − p(zh) excludes 0, under both item sets."""
    lines = []
    for name, task in results["metrics"].items():
        if task["kind"] != "lens":
            continue
        for condition, by_set in task["conditions"].items():
            found = {item_set: _layers_where(by_set[item_set]) for item_set in ("first_token", "single_token")}
            same = "the same under single-token items" if found["first_token"] == found["single_token"] else (
                f"single-token items: en ahead at {found['single_token'][0]}, zh ahead at {found['single_token'][1]}")
            lines.append(f"Lens {name} {arrow(condition)}: p(en) > p(zh) (95% CI) at layers {found['first_token'][0]};"
                         f" p(zh) > p(en) at {found['first_token'][1]} ({same}).")
    return lines


def _layers_where(summary: dict) -> tuple[str, str]:
    ahead = {True: [], False: []}
    for state, entry in enumerate(summary.get("en_minus_zh", [])):
        if entry["ci"] and (entry["ci"][0] > 0 or entry["ci"][1] < 0):
            ahead[entry["ci"][0] > 0].append(state)
    return layer_ranges(ahead[True]), layer_ranges(ahead[False])


def layer_ranges(states: list[int], empty: str = "none") -> str:
    """[3, 4, 5, 9] -> '3–5, 9'; [] -> `empty`."""
    runs: list[list[int]] = []
    for state in states:
        if runs and state == runs[-1][-1] + 1:
            runs[-1].append(state)
        else:
            runs.append([state])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs) or empty


def findings(results: dict) -> list[str]:
    """The zh−en conclusions that hold under every scoring rule, in words; the rest named as rule-dependent."""
    langs = results["settings"]["languages"]
    if len(langs) < 2:
        return []
    robust, fragile, effects = [], [], []
    for name, task in results["metrics"].items():
        if task["kind"] != "choice":
            continue
        for entry in task["comparisons"].values():
            verdict = entry["robustness"]["accuracy"]
            a, b = (arrow(c) for c in entry["conditions"])
            d = entry["rules"]["sum"]["differences"]["accuracy"]["diff"]
            if verdict["verdict"] == robustness.ROBUST:
                holm = all(r["differences"]["accuracy"].get("holm_significant") for r in entry["rules"].values())
                holm_text = "; Holm-significant under every rule" if holm else ""
                robust.append(f"{name}: {a} is {'more' if verdict['sign'] > 0 else 'less'} accurate than {b} under "
                              f"every rule (Δ {d:+.2f} under sum{holm_text}).")
            elif verdict["verdict"] == robustness.DEPENDS:
                fragile.append(f"{name}: {a} vs {b} {robustness.describe(verdict)}.")
        if "decomposition" in task:
            effects.append(f"{name} (2×2): {task['decomposition']['sentence']}")
    if not any(task["kind"] == "choice" for task in results["metrics"].values()):
        return lens_findings(results)
    robust = [f"Robust: {line}" for line in robust] or ["Robust: no zh−en accuracy difference holds under every rule."]
    return robust + effects + [f"Not a finding: {line}" for line in fragile] + lens_findings(results)
