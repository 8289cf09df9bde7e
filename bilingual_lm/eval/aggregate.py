"""From the per-unit records (samples.jsonl) to the metrics of results.json.

Per task and condition: accuracy@1 (beside chance), MRR, mean gold probability, candidate entropy, ECE
and Brier, for each length normalisation. Across the two languages, per *comparison* of two conditions
whose prompt languages differ (for languages L1, L2 in `--lang` order):

* ``native``:   L1→L1 against L2→L2 (each language asked and answered in itself, as in RankC's paper);
* ``answer_L``: L1→L against L2→L (the answer language held fixed: the prompt language's own effect);
* ``crossed``:  L1→L2 against L2→L1, only where none of the above exists (translation choice).

Each comparison gives RankC, JS divergence, top-1 agreement, the overlap of the correctly answered items,
and the L1 − L2 difference of every per-item metric with its paired bootstrap CI.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bilingual_lm.eval import metrics
from bilingual_lm.eval.bootstrap import Bootstrap

CHOICE_METRICS = ("accuracy", "mrr", "gold_prob", "entropy_bits", "brier")
PARALLEL_METRICS = ("bits_per_char", "bits_per_byte")
OPEN_METRICS = ("entropy_bits", "own_script_mass", "other_script_mass", "distinct_1", "distinct_2", "type_token")
CROSS_LINGUAL = "RankC, JS divergence, top-1 agreement, correct-set overlap and the zh−en differences"


def condition_key(prompt_lang: str, answer_lang: str) -> str:
    return f"{prompt_lang}->{answer_lang}"


def comparisons(langs: Sequence[str], present: set[str]) -> dict[str, tuple[str, str]]:
    """The comparisons (name -> (L1 condition, L2 condition)) that the present conditions allow."""
    if len(langs) < 2:
        return {}
    l1, l2 = langs[0], langs[1]
    candidates = {
        "native": (condition_key(l1, l1), condition_key(l2, l2)),
        f"answer_{l1}": (condition_key(l1, l1), condition_key(l2, l1)),
        f"answer_{l2}": (condition_key(l1, l2), condition_key(l2, l2)),
    }
    found = {name: pair for name, pair in candidates.items() if set(pair) <= present}
    crossed = (condition_key(l1, l2), condition_key(l2, l1))
    if not found and set(crossed) <= present:
        found["crossed"] = crossed
    return found


def _by_task(records: Sequence[dict]) -> dict[str, list[dict]]:
    tasks: dict[str, list[dict]] = {}
    for record in records:
        tasks.setdefault(record["task"], []).append(record)
    return tasks


def _item_order(records: Sequence[dict]) -> list[str]:
    return list(dict.fromkeys(record["item"] for record in records))


def _choice_item_values(record: dict, norm: str) -> dict:
    probs = metrics.candidate_distribution(record["logprobs"], record["n_chars"], norm)
    gold = record["candidates"].index(record["gold"])
    rank = metrics.gold_rank(probs, gold)
    return {
        "probs": probs,
        "top1": record["candidates"][metrics.ranking(probs)[0]],
        "accuracy": float(rank == 1),
        "mrr": 1.0 / rank,
        "gold_prob": float(probs[gold]),
        "entropy_bits": metrics.entropy_bits(probs),
        "brier": metrics.brier(probs, gold),
        "confidence": float(probs.max()),
    }


def _aligned(record_a: dict, probs_b: np.ndarray, record_b: dict) -> np.ndarray:
    """`probs_b` reordered to record_a's candidate order (concept ids)."""
    if record_a["candidates"] == record_b["candidates"]:
        return probs_b
    position = {cid: i for i, cid in enumerate(record_b["candidates"])}
    return np.asarray([probs_b[position[cid]] for cid in record_a["candidates"]])


def summarize_choice(records: Sequence[dict], langs: Sequence[str], boot: Bootstrap) -> dict:
    items = _item_order(records)
    by_condition: dict[str, dict[str, dict]] = {}
    for record in records:
        key = condition_key(record["prompt_lang"], record["answer_lang"])
        by_condition.setdefault(key, {})[record["item"]] = record
    chance = float(np.mean([1 / len(r["candidates"]) for r in records]))
    result = {"n_items": len(items), "chance_accuracy": chance, "conditions": {}, "comparisons": {}}
    values: dict[str, dict[str, list[dict]]] = {}
    for norm in metrics.LENGTH_NORMALISATIONS:
        values[norm] = {
            key: [_choice_item_values(rows[item], norm) for item in items] for key, rows in by_condition.items()
        }
    for key in by_condition:
        result["conditions"][key] = {}
        for norm in metrics.LENGTH_NORMALISATIONS:
            rows = values[norm][key]
            summary = {name: boot.mean([row[name] for row in rows]) for name in CHOICE_METRICS}
            summary["ece"] = metrics.expected_calibration_error(
                [row["confidence"] for row in rows], [row["accuracy"] == 1.0 for row in rows])
            result["conditions"][key][norm] = summary
    for name, (key_a, key_b) in comparisons(langs, set(by_condition)).items():
        entry = {"conditions": [key_a, key_b]}
        for norm in metrics.LENGTH_NORMALISATIONS:
            rows_a, rows_b = values[norm][key_a], values[norm][key_b]
            rankc, js, agree = [], [], []
            for item, row_a, row_b in zip(items, rows_a, rows_b, strict=True):
                probs_b = _aligned(by_condition[key_a][item], row_b["probs"], by_condition[key_b][item])
                rankc.append(metrics.rankc(row_a["probs"], probs_b))
                js.append(metrics.js_divergence_bits(row_a["probs"], probs_b))
                agree.append(float(row_a["top1"] == row_b["top1"]))
            entry[norm] = {
                "rankc": boot.mean(rankc),
                "js_bits": boot.mean(js),
                "top1_agreement": boot.mean(agree),
                "correct_overlap": metrics.correct_overlap(
                    [row["accuracy"] == 1.0 for row in rows_a], [row["accuracy"] == 1.0 for row in rows_b]),
                "differences": {
                    name: boot.difference([row[name] for row in rows_a], [row[name] for row in rows_b])
                    for name in CHOICE_METRICS
                },
                "per_item_js_bits": js,
            }
        result["comparisons"][name] = entry
    return result


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
    return _summarize_sides(records, langs, boot, PARALLEL_METRICS, lambda r: {n: r[n] for n in PARALLEL_METRICS})


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
    return _summarize_sides(records, langs, boot, OPEN_METRICS, _open_fields)


SUMMARIZERS = {"choice": summarize_choice, "parallel": summarize_parallel, "open": summarize_open}


def summarize(records: Sequence[dict], langs: Sequence[str], n_bootstrap: int, seed: int) -> dict:
    """Metrics per task (keyed by task name, in the records' order)."""
    result = {}
    for task, rows in _by_task(records).items():
        kind = rows[0]["kind"]
        boot = Bootstrap(len(_item_order(rows)), n_bootstrap, seed, key=task)
        result[task] = {"kind": kind, **SUMMARIZERS[kind](rows, langs, boot)}
    return result
