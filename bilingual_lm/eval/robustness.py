"""Whether a zh−en difference survives the choice of scoring rule.

A difference is **robust** only when every rule that could be computed gives the same sign and a 95%
interval that excludes 0. Otherwise it "depends on the scoring rule", and the rules that disagree are named:
those whose interval includes 0 or whose sign differs from the majority's. When no rule's interval excludes 0,
there is no difference to speak of under any rule.
"""

from __future__ import annotations

ROBUST = "robust"
DEPENDS = "depends on the scoring rule"
NONE = "no clear difference under any rule"


def _sign(entry: dict) -> int:
    """+1 or -1 when the interval excludes 0 on that side, else 0."""
    ci = entry.get("ci")
    if not ci or ci[0] is None or ci[1] is None:
        return 0
    return 1 if ci[0] > 0 else -1 if ci[1] < 0 else 0


def verdict(by_rule: dict[str, dict]) -> dict:
    """{"verdict", "sign" (+1/-1/0), "disagreeing": [rules]} for one difference given as {rule: {diff, ci}}."""
    signs = {rule: _sign(entry) for rule, entry in by_rule.items() if entry is not None}
    clear = [s for s in signs.values() if s]
    if not clear:
        return {"verdict": NONE, "sign": 0, "disagreeing": []}
    majority = 1 if clear.count(1) >= clear.count(-1) else -1
    disagreeing = [rule for rule, s in signs.items() if s != majority]
    if not disagreeing:
        return {"verdict": ROBUST, "sign": majority, "disagreeing": []}
    return {"verdict": DEPENDS, "sign": majority, "disagreeing": disagreeing}


def describe(result: dict) -> str:
    """The verdict in words, e.g. 'depends on the scoring rule (char, pmi disagree)'."""
    if result["verdict"] == DEPENDS:
        return f"{DEPENDS} ({', '.join(result['disagreeing'])} disagree)"
    return result["verdict"]
