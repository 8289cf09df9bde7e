"""From the per-unit records (samples.jsonl) to the metrics of results.json.

Choice tasks are summarised by `choice` (every scoring rule side by side, baselines, comparisons of the two
languages with robustness verdicts, the 2×2 decomposition, concept-level answers). Parallel tasks give the
information cost of each side (bits per sentence, per character, per byte) and the share of pairs where
the first language costs more; open tasks the next-token entropy, script masses and sample diversity. Every
accuracy difference of the report is then Holm-adjusted across the whole family (`adjust_family`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bilingual_lm.eval import choice, layers, metrics, stats
from bilingual_lm.eval.bootstrap import Bootstrap

PARALLEL_METRICS = ("bits", "bits_per_char", "bits_per_byte")
OPEN_METRICS = ("entropy_bits", "own_script_mass", "other_script_mass", "distinct_1", "distinct_2", "type_token")
CROSS_LINGUAL = "RankC, JS divergence, top-1 agreement, correct-set overlap and the zh−en differences"


def _by_task(records: Sequence[dict]) -> dict[str, list[dict]]:
    tasks: dict[str, list[dict]] = {}
    for record in records:
        tasks.setdefault(record["task"], []).append(record)
    return tasks


def _item_order(records: Sequence[dict]) -> list[str]:
    return list(dict.fromkeys(record["item"] for record in records if not record.get("neutral")))


def _per_language(records: Sequence[dict], langs: Sequence[str], fields) -> tuple[list[str], dict]:
    items = _item_order(records)
    table = {lang: {} for lang in langs}
    for record in records:
        table[record["prompt_lang"]][record["item"]] = fields(record)
    return items, {lang: [rows[item] for item in items] for lang, rows in table.items() if rows}


def _summarize_sides(records, langs, boot, names, fields) -> dict:
    items, sides = _per_language(records, langs, fields)
    result = {"n_items": len(items), "languages": {}, "differences": {}}
    for lang, rows in sides.items():
        result["languages"][lang] = {name: boot.mean([row[name] for row in rows]) for name in names}
    if len(langs) >= 2 and langs[0] in sides and langs[1] in sides:
        a, b = sides[langs[0]], sides[langs[1]]
        result["differences"] = {name: boot.difference([r[name] for r in a], [r[name] for r in b]) for name in names}
    return result


def summarize_parallel(records: Sequence[dict], langs: Sequence[str], boot: Bootstrap) -> dict:
    """Bits per sentence, per character and per byte of each side; and the share of pairs where the first
    language's side costs more bits (a Wilson interval): per character compares across writing systems."""
    result = _summarize_sides(records, langs, boot, PARALLEL_METRICS, lambda r: {n: r[n] for n in PARALLEL_METRICS})
    _, sides = _per_language(records, langs, lambda r: r["bits"])
    if len(langs) >= 2 and langs[0] in sides and langs[1] in sides:
        result["first_costs_more"] = stats.wilson([float(a > b) for a, b in zip(sides[langs[0]], sides[langs[1]],
                                                                                  strict=True)])
    return result


def _open_fields(record: dict) -> dict:
    own = metrics.SCRIPT_OF_LANG[record["prompt_lang"]]
    other = next(s for lang, s in metrics.SCRIPT_OF_LANG.items() if lang != record["prompt_lang"])
    return {
        "entropy_bits": record["entropy_bits"],
        "own_script_mass": record["script_mass"][own],
        "other_script_mass": record["script_mass"][other],
        "distinct_1": record["distinct_1"],
        "distinct_2": record["distinct_2"],
        "type_token": record["type_token"],
    }


def summarize_open(records: Sequence[dict], langs: Sequence[str], boot: Bootstrap) -> dict:
    """The open metrics per side, and how many special tokens the samples hold (sampling masks them: 0)."""
    result = _summarize_sides(records, langs, boot, OPEN_METRICS, _open_fields)
    result["per_item_entropy_bits"] = {lang: [r["entropy_bits"] for r in records if r["prompt_lang"] == lang]
                                       for lang in result["languages"]}  # for the plot
    result["special_tokens"] = {lang: sum(r.get("special_tokens", 0) for r in records if r["prompt_lang"] == lang)
                                for lang in langs}
    return result


SUMMARIZERS = {"parallel": summarize_parallel, "open": summarize_open}


def summarize(records: Sequence[dict], langs: Sequence[str], n_bootstrap: int, seed: int) -> dict:
    """Metrics per task (keyed by task name, in the records' order), with Holm-adjusted p-values."""
    result = {}
    for task, rows in _by_task(records).items():
        kind = rows[0]["kind"]
        boot = Bootstrap(len(_item_order(rows)), n_bootstrap, seed, key=task)
        if kind == "choice":
            result[task] = {"kind": kind, **choice.summarize_choice(rows, langs, boot, seed)}
        elif kind == "lens":
            result[task] = {"kind": kind, **layers.summarize_lens(rows, n_bootstrap, seed, task)}
        else:
            result[task] = {"kind": kind, **SUMMARIZERS[kind](rows, langs, boot)}
    adjust_family(result)
    return result


def family(result: dict) -> list[dict]:
    """The report's family of zh−en comparisons: every accuracy difference (comparisons, the 2×2's effects,
    concept-level) under every rule, as the entries that carry their p-value."""
    entries = []
    for task in result.values():
        for comparison in task.get("comparisons", {}).values():
            entries += [by_rule["differences"]["accuracy"] for by_rule in comparison["rules"].values()]
        for by_effect in task.get("decomposition", {}).get("rules", {}).values():
            entries += list(by_effect.values())
        concept_level = task.get("concept_level", {}).get("comparison", {})
        entries += [entry["accuracy_difference"] for entry in concept_level.values()]
    return [entry for entry in entries if entry.get("p") is not None]


def adjust_family(result: dict) -> None:
    """Add `p_holm` (Holm-adjusted across the family) and `holm_significant` to each entry of `family`."""
    entries = family(result)
    for entry, adjusted in zip(entries, stats.holm([e["p"] for e in entries]), strict=True):
        entry["p_holm"] = adjusted
        entry["holm_significant"] = adjusted < stats.ALPHA
