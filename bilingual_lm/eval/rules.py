"""The scoring rules: how a candidate's log-likelihood becomes its score before the softmax over candidates.

Every figure of a choice task is computed under each rule, side by side (as lm-evaluation-harness reports
`acc` beside `acc_norm`), so that a reader sees which conclusions the rule decides:

* ``sum``:   log p(a | prompt), the answer's summed log-probability. Assumes answers of any length compete
  fairly; it penalises answers (and languages) that need more tokens.
* ``token``: log p(a | prompt) / tokens(a), the mean log-probability per token (Qi et al.'s ranking for
  causal LMs). Assumes each token is one unit of evidence; favours answers split into many easy tokens.
* ``char``:  log p(a | prompt) / characters(a) (lm-eval's acc_norm uses bytes). Assumes characters
  compare across scripts, which one Han character and one Latin letter do not.
* ``pmi``:   log p(a | prompt) − log p(a | neutral prompt), the neutral prompt being the task's prompt
  without its subject, in the prompt's language (Holtzman et al.'s PMI_DC). Removes the answer's own prior
  (surface-form competition); assumes the neutral prompt captures that prior and nothing of the question.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RULES = ("sum", "token", "char", "pmi")
PRIMARY_RULE = "sum"
RULE_DESCRIPTIONS = {
    "sum": "log p(a | prompt): summed log-probability of the answer's tokens",
    "token": "log p(a | prompt) / tokens(a): mean log-probability per token (Qi et al. 2023's ranking)",
    "char": "log p(a | prompt) / characters(a)",
    "pmi": "log p(a | prompt) - log p(a | neutral prompt in the prompt's language) (Holtzman et al. 2021)",
}


def rule_scores(record: dict, rule: str, neutral: dict[str, float] | None = None) -> np.ndarray | None:
    """One item's candidate scores under `rule`; `neutral` maps concept id -> log p(answer | neutral prompt)
    for the record's condition. None when the rule cannot be computed (PMI without a neutral prompt)."""
    logprobs = np.asarray(record["logprobs"], dtype=np.float64)
    if rule == "sum":
        return logprobs
    if rule == "token":
        return logprobs / np.maximum(np.asarray(record["n_tokens"], dtype=np.float64), 1.0)
    if rule == "char":
        return logprobs / np.maximum(np.asarray(record["n_chars"], dtype=np.float64), 1.0)
    if rule == "pmi":
        if not neutral:
            return None
        return logprobs - np.asarray([neutral[cid] for cid in record["candidates"]], dtype=np.float64)
    raise ValueError(f"unknown scoring rule {rule!r}")


def softmax(scores: Sequence[float]) -> np.ndarray:
    """The candidate distribution of an item: softmax of its scores."""
    values = np.asarray(scores, dtype=np.float64)
    weights = np.exp(values - values.max())
    return weights / weights.sum()


def neutral_tables(records: Sequence[dict]) -> dict[str, dict[str, float]]:
    """condition key ('zh->en') -> concept id -> log p(answer | neutral prompt), from the neutral records."""
    tables: dict[str, dict[str, float]] = {}
    for record in records:
        if record.get("neutral"):
            key = f"{record['prompt_lang']}->{record['answer_lang']}"
            tables[key] = dict(zip(record["candidates"], record["logprobs"], strict=True))
    return tables
