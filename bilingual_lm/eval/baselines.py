"""What an accuracy must beat: answer strategies that know nothing of the question, and the model's own prior.

Per task and condition (each an expected accuracy over the items):

* ``uniform``: 1 / candidates, the mean over items;
* ``most_frequent_gold``: pick the candidate that is gold most often in the task (ties: file order);
* ``fewest_tokens``: pick a candidate with the fewest tokens after the prompt (ties split evenly);
* ``answer_prior``: the model's top-1 under the task's neutral prompt (sum rule), i.e. its answer prior.

`prior_collapse` flags one candidate that is top-1 on at least half the items while gold on at most half
as many of them: the accuracy then measures the gold share of that answer, not knowledge.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

COLLAPSE_SHARE = 0.5  # top-1 on at least this share of the items...
COLLAPSE_RATIO = 0.5  # ...while gold on at most this fraction of those


def gold_counts(records: Sequence[dict]) -> Counter:
    return Counter(record["gold"] for record in records)


def most_frequent_gold(record: dict, counts: Counter) -> float:
    """1 if the candidate most often gold in the task (first in file order on ties) is this item's gold."""
    pick = max(record["candidates"], key=lambda cid: (counts[cid], -record["candidates"].index(cid)))
    return float(pick == record["gold"])


def fewest_tokens(record: dict) -> float:
    """The expected accuracy of picking uniformly among the candidates with the fewest tokens."""
    tokens = np.asarray(record["n_tokens"])
    fewest = [cid for cid, n in zip(record["candidates"], tokens, strict=True) if n == tokens.min()]
    return float(record["gold"] in fewest) / len(fewest)


def answer_prior(record: dict, neutral: dict[str, float] | None) -> float | None:
    """1 if the candidate most probable after the neutral prompt is gold (None without a neutral prompt)."""
    if not neutral:
        return None
    scores = [neutral[cid] for cid in record["candidates"]]
    return float(record["candidates"][int(np.argmax(scores))] == record["gold"])


def prior_collapse(top1: Sequence[str], golds: Sequence[str], answers: dict[str, str]) -> dict | None:
    """The candidate top-1 on ≥ COLLAPSE_SHARE of the items while gold on ≤ COLLAPSE_RATIO of that, with its
    answer text (`answers`: candidate id -> the answer as scored), or None."""
    if not top1:
        return None
    candidate, count = Counter(top1).most_common(1)[0]
    share, gold_share = count / len(top1), sum(g == candidate for g in golds) / len(golds)
    if share >= COLLAPSE_SHARE and gold_share <= COLLAPSE_RATIO * share:
        return {"candidate": candidate, "answer": answers.get(candidate, candidate), "top1_share": share,
                "gold_share": gold_share}
    return None


def answer_texts(records: Sequence[dict]) -> dict[str, str]:
    """Candidate id -> its answer text as scored (joiner stripped), over the records of one condition."""
    return {cid: answer.strip() for record in records
            for cid, answer in zip(record["candidates"], record["answers"], strict=True)}
