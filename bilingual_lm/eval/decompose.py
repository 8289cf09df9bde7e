"""The 2×2 of prompt language × answer language, decomposed into two main effects and their interaction.

With per-item values v(P→A) for languages L1, L2 (zh, en by default):

* prompt-language effect  = ½[(v(L1→L1) − v(L2→L1)) + (v(L1→L2) − v(L2→L2))]: asking in L1 rather than L2,
  averaged over the answer languages;
* answer-language effect  = ½[(v(L1→L1) − v(L1→L2)) + (v(L2→L1) − v(L2→L2))]: answers in L1 rather than L2;
* interaction (matching)  = [v(L1→L1) + v(L2→L2)] − [v(L1→L2) + v(L2→L1)]: what answering in the prompt's
  own language adds.

Each is a per-item value, so its paired bootstrap interval comes from the task's shared resamples.
"""

from __future__ import annotations

import numpy as np

from bilingual_lm.eval import robustness

EFFECTS = ("prompt_language", "answer_language", "interaction")


def effects(values: dict[str, np.ndarray], l1: str, l2: str) -> dict[str, np.ndarray] | None:
    """Per-item effects from {condition key: per-item values}; None unless all four conditions are there."""
    keys = [f"{p}->{a}" for p in (l1, l2) for a in (l1, l2)]
    if not all(key in values for key in keys):
        return None
    aa, ab, ba, bb = (np.asarray(values[key], dtype=np.float64) for key in keys)
    return {
        "prompt_language": ((aa - ba) + (ab - bb)) / 2,
        "answer_language": ((aa - ab) + (ba - bb)) / 2,
        "interaction": (aa + bb) - (ab + ba),
    }


def sentence(decomposition: dict, verdicts: dict, means: dict[str, dict[str, float]], l1: str, l2: str) -> str:
    """The 2×2 in words, stating as findings only the effects that are robust across the scoring rules.

    `means` is {rule: {condition key: mean accuracy}}.
    """
    parts = []
    words = {
        "prompt_language": (f"asking in {l1} rather than {l2}", "helps", "hurts"),
        "answer_language": (f"answering in {l1} rather than {l2}", "helps", "hurts"),
        "interaction": ("matching the answer's language to the prompt's", "helps", "hurts"),
    }
    for effect in EFFECTS:
        subject, up, down = words[effect]
        result = verdicts[effect]
        entry = decomposition[effect]
        if result["verdict"] == robustness.ROBUST:
            parts.append(f"{subject} {up if result['sign'] > 0 else down} under every rule "
                         f"({entry['diff']:+.2f} under sum)")
        elif result["verdict"] == robustness.NONE:
            parts.append(f"{subject} makes no clear difference under any rule")
        else:
            parts.append(f"the effect of {subject} {robustness.describe(result)}")
    text = "; ".join(parts) + strongest(means)
    return text[0].upper() + text[1:] + "."


def strongest(means: dict[str, dict[str, float]]) -> str:
    """The most accurate condition, as a clause: said for every rule only where every rule picks it."""
    best = {rule: max(by_key, key=by_key.get).replace("->", "→") for rule, by_key in means.items() if by_key}
    if not best:
        return ""
    if len(set(best.values())) == 1:
        return f"; the strongest condition under every rule is {next(iter(best.values()))}"
    picks = ", ".join(f"{rule}: {key}" for rule, key in best.items())
    return f"; the strongest condition depends on the rule ({picks})"
