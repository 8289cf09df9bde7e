"""Concept-level answers: which *concept* the model picks after a prompt, whatever the answer's language.

For a prompt language P, an item's candidates in every answer language (the zh and en names of each concept:
16 answers for 8 concepts) form one distribution, the softmax of their scores under a rule; summing it per
concept gives the concept distribution. Its accuracy, and RankC and JS between the two prompt languages,
ask whether the prompt's language changes the concept chosen, with the answer's script taken out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bilingual_lm.eval import metrics, robustness, rules, stats
from bilingual_lm.eval.bootstrap import Bootstrap


def concept_distribution(records: Sequence[dict], scores: Sequence[np.ndarray]) -> np.ndarray:
    """The per-concept sum of the softmax over every record's candidates (records: one item, one prompt
    language, one answer language each), in the first record's candidate order."""
    joint = rules.softmax(np.concatenate(scores))
    order = records[0]["candidates"]
    totals = dict.fromkeys(order, 0.0)
    offset = 0
    for record in records:
        for cid in record["candidates"]:
            totals[cid] += joint[offset]
            offset += 1
    return np.asarray([totals[cid] for cid in order])


def summarize(by_condition: dict[str, list[dict]], neutral: dict, available: Sequence[str], langs: Sequence[str],
              boot: Bootstrap, seed: int, task: str) -> dict | None:
    """Accuracy per prompt language, and RankC, JS and the accuracy difference between them, per rule."""
    l1, l2 = langs[0], langs[1]
    keys = {p: [f"{p}->{a}" for a in (l1, l2)] for p in (l1, l2)}
    if not all(key in by_condition for pair in keys.values() for key in pair):
        return None
    result = {"conditions": {f"{p}->*": {} for p in keys}, "comparison": {}}
    for rule in available:
        dists = {}
        for p, pair in keys.items():
            dists[p] = []
            for records in zip(*(by_condition[key] for key in pair), strict=True):
                scores = [rules.rule_scores(r, rule, neutral.get(f"{r['prompt_lang']}->{r['answer_lang']}"))
                          for r in records]
                dists[p].append(concept_distribution(records, scores))
        golds = [r["candidates"].index(r["gold"]) for r in by_condition[keys[l1][0]]]
        correct = {p: [float(int(np.argmax(d)) == g) for d, g in zip(dists[p], golds, strict=True)] for p in keys}
        for p in keys:
            result["conditions"][f"{p}->*"][rule] = {"accuracy": stats.wilson(correct[p])}
        pairs = list(zip(dists[l1], dists[l2], strict=True))
        difference = boot.difference(correct[l1], correct[l2])
        difference["p"] = stats.sign_flip_pvalue(np.subtract(correct[l1], correct[l2]), seed, task, "concept", rule)
        result["comparison"][rule] = {
            "rankc": boot.mean([metrics.rankc(p, q) for p, q in pairs]),
            "rankc_chance": stats.rankc_chance([p.size for p, _ in pairs]),
            "js_bits": boot.mean([metrics.js_divergence_bits(p, q) for p, q in pairs]),
            "js_chance": stats.js_chance(pairs, seed, task, "concept", rule),
            "accuracy_difference": difference,
        }
    result["robustness"] = robustness.verdict({rule: entry["accuracy_difference"]
                                               for rule, entry in result["comparison"].items()})
    return result
