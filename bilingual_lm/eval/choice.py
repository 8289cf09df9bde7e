"""The figures of a choice task, under every scoring rule side by side (see `rules`).

Per condition: accuracy@1 (Wilson interval), MRR, gold probability, candidate entropy, Brier, ECE (with a
bootstrap interval and its value under perfect calibration), the baselines (`baselines`), the tokens per
candidate, and a prior-collapse flag. Per comparison of two conditions (`comparisons`): RankC, JS divergence
and top-1 agreement with their chance levels, and each metric's L1 − L2 difference with a paired bootstrap
interval and p-value; each difference is marked robust or not across the rules (`robustness`). With all four
conditions, the 2×2 decomposition (`decompose`) and concept-level answers (`concepts`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bilingual_lm.eval import baselines, concepts, decompose, metrics, robustness, rules, stats
from bilingual_lm.eval.bootstrap import Bootstrap

CHOICE_METRICS = ("accuracy", "mrr", "gold_prob", "entropy_bits", "brier")
PROPORTIONS = ("accuracy",)


def condition_key(prompt_lang: str, answer_lang: str) -> str:
    return f"{prompt_lang}->{answer_lang}"


def comparisons(langs: Sequence[str], present: set[str]) -> dict[str, tuple[str, str]]:
    """The comparisons (name -> (L1 condition, L2 condition)) that the present conditions allow:
    native (L1→L1 vs L2→L2), answer_L (the answer language held fixed), else crossed (L1→L2 vs L2→L1)."""
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


def item_values(record: dict, scores: np.ndarray) -> dict:
    """The per-item figures of one record under one rule's scores."""
    probs = rules.softmax(scores)
    gold = record["candidates"].index(record["gold"])
    rank = metrics.gold_rank(probs, gold)
    top = metrics.ranking(probs)[0]
    tokens = record["n_tokens"]
    return {
        "probs": probs,
        "top1": record["candidates"][top],
        "accuracy": float(rank == 1),
        "mrr": 1.0 / rank,
        "gold_prob": float(probs[gold]),
        "entropy_bits": metrics.entropy_bits(probs),
        "brier": metrics.brier(probs, gold),
        "confidence": float(probs.max()),
        "top1_fewest_tokens": float(tokens[top] == min(tokens)),
    }


def _aligned(order: list[str], record: dict, probs: np.ndarray) -> np.ndarray:
    """`probs` of `record` reordered to the concept ids of `order`."""
    if record["candidates"] == order:
        return probs
    position = {cid: i for i, cid in enumerate(record["candidates"])}
    return np.asarray([probs[position[cid]] for cid in order])


def _difference(boot: Bootstrap, a: list[float], b: list[float], seed: int, *key: object) -> dict:
    entry = boot.difference(a, b)
    entry["p"] = stats.sign_flip_pvalue(np.asarray(a) - np.asarray(b), seed, *key)
    return entry


def _condition_summary(rows: list[dict], boot: Bootstrap, seed: int, key: tuple) -> dict:
    summary = {name: (stats.wilson if name in PROPORTIONS else boot.mean)([row[name] for row in rows])
               for name in CHOICE_METRICS}
    summary["ece"] = stats.ece_with_interval([row["confidence"] for row in rows],
                                             [row["accuracy"] == 1.0 for row in rows], boot, seed, *key)
    summary["top1_fewest_tokens"] = float(np.mean([row["top1_fewest_tokens"] for row in rows]))
    summary["per_item_entropy_bits"] = [row["entropy_bits"] for row in rows]  # for the plot
    return summary


def _baselines(records: list[dict], neutral: dict | None, counts) -> dict:
    prior = [baselines.answer_prior(r, neutral) for r in records]
    return {
        "uniform": float(np.mean([1 / len(r["candidates"]) for r in records])),
        "most_frequent_gold": float(np.mean([baselines.most_frequent_gold(r, counts) for r in records])),
        "fewest_tokens": float(np.mean([baselines.fewest_tokens(r) for r in records])),
        "answer_prior": float(np.mean(prior)) if None not in prior else None,
    }


def _tokens(records: list[dict]) -> dict:
    return {
        "per_candidate": float(np.mean([n for r in records for n in r["n_tokens"]])),
        "gold": float(np.mean([r["n_tokens"][r["candidates"].index(r["gold"])] for r in records])),
        "gold_among_fewest": float(np.mean([r["n_tokens"][r["candidates"].index(r["gold"])] == min(r["n_tokens"])
                                            for r in records])),
    }


def _comparison(rows_a, rows_b, recs_a, recs_b, boot, seed, key) -> dict:
    pairs = [(ra["probs"], _aligned(a["candidates"], b, rb["probs"]))
             for ra, rb, a, b in zip(rows_a, rows_b, recs_a, recs_b, strict=True)]
    js = [metrics.js_divergence_bits(p, q) for p, q in pairs]
    return {
        "rankc": boot.mean([metrics.rankc(p, q) for p, q in pairs]),
        "rankc_chance": stats.rankc_chance([p.size for p, _ in pairs]),
        "js_bits": boot.mean(js),
        "js_chance": stats.js_chance(pairs, seed, *key),
        "top1_agreement": stats.wilson([float(a["top1"] == b["top1"]) for a, b in zip(rows_a, rows_b, strict=True)]),
        "correct_overlap": metrics.correct_overlap([r["accuracy"] == 1.0 for r in rows_a],
                                                   [r["accuracy"] == 1.0 for r in rows_b]),
        "differences": {name: _difference(boot, [r[name] for r in rows_a], [r[name] for r in rows_b], seed, *key, name)
                        for name in CHOICE_METRICS},
        "per_item_js_bits": js,
    }


def summarize_choice(records: Sequence[dict], langs: Sequence[str], boot: Bootstrap, seed: int) -> dict:
    neutral = rules.neutral_tables(records)
    records = [r for r in records if not r.get("neutral")]
    items = list(dict.fromkeys(r["item"] for r in records))
    by_condition: dict[str, list[dict]] = {}
    for record in records:
        by_condition.setdefault(condition_key(record["prompt_lang"], record["answer_lang"]), []).append(record)
    by_condition = {key: sorted(rows, key=lambda r: items.index(r["item"])) for key, rows in by_condition.items()}
    available = [rule for rule in rules.RULES if rule != "pmi" or set(by_condition) <= set(neutral)]
    task = records[0]["task"] if records else ""
    values = {rule: {key: [item_values(r, rules.rule_scores(r, rule, neutral.get(key))) for r in rows]
                     for key, rows in by_condition.items()} for rule in available}
    counts = baselines.gold_counts(next(iter(by_condition.values()), []))
    result = {"n_items": len(items), "rules": available,
              "chance_accuracy": float(np.mean([1 / len(r["candidates"]) for r in records])) if records else None,
              "conditions": {}, "comparisons": {}}
    for key, recs in by_condition.items():
        entry = {"tokens": _tokens(recs), "baselines": _baselines(recs, neutral.get(key), counts), "rules": {}}
        answers = baselines.answer_texts(recs)
        for rule in available:
            summary = _condition_summary(values[rule][key], boot, seed, (task, key, rule))
            summary["prior_collapse"] = baselines.prior_collapse([row["top1"] for row in values[rule][key]],
                                                                 [r["gold"] for r in recs], answers)
            entry["rules"][rule] = summary
        result["conditions"][key] = entry
    for name, (key_a, key_b) in comparisons(langs, set(by_condition)).items():
        entry = {"conditions": [key_a, key_b], "rules": {}}
        for rule in available:
            entry["rules"][rule] = _comparison(values[rule][key_a], values[rule][key_b], by_condition[key_a],
                                               by_condition[key_b], boot, seed, (task, name, rule))
        entry["robustness"] = {metric: robustness.verdict({rule: entry["rules"][rule]["differences"][metric]
                                                           for rule in available}) for metric in CHOICE_METRICS}
        result["comparisons"][name] = entry
    if len(langs) >= 2:
        decomposition = _decomposition(values, langs, boot, seed, task)
        if decomposition:
            result["decomposition"] = decomposition
        concept_level = concepts.summarize(by_condition, neutral, available, langs, boot, seed, task)
        if concept_level:
            result["concept_level"] = concept_level
    return result


def _decomposition(values: dict, langs: Sequence[str], boot: Bootstrap, seed: int, task: str) -> dict | None:
    by_rule = {}
    for rule, by_key in values.items():
        per_item = decompose.effects({key: [row["accuracy"] for row in rows] for key, rows in by_key.items()},
                                     langs[0], langs[1])
        if per_item is None:
            return None
        by_rule[rule] = {}
        for effect, diffs in per_item.items():
            entry = boot.mean(diffs)
            by_rule[rule][effect] = {"diff": entry["mean"], "ci": entry["ci"],
                                     "p": stats.sign_flip_pvalue(diffs, seed, task, "2x2", rule, effect)}
    verdicts = {effect: robustness.verdict({rule: by_rule[rule][effect] for rule in by_rule})
                for effect in decompose.EFFECTS}
    means = {rule: {key: float(np.mean([row["accuracy"] for row in rows])) for key, rows in by_key.items()}
             for rule, by_key in values.items()}
    return {"metric": "accuracy", "rules": by_rule, "robustness": verdicts,
            "sentence": decompose.sentence(by_rule[rules.PRIMARY_RULE], verdicts, means, langs[0], langs[1])}
