"""Lens tasks in the eval: one request per item and condition, its record, and the per-layer summary.

A lens unit is an item under one (prompt language, answer language) condition. Its request, ``{"kind":
"lens", "prompt", "answers"}``, is answered by `bilingual_lm.lens` and cached like any other: the answer
tokens by the first-token rule (or why the item is dropped) and, per state (0 = embeddings, then after each
layer), log p of each language's answer token, the entropy (bits), the mass on Han and on Latin tokens and
the top token.

The summary of a task keeps the items kept in every condition, and reports two item sets, so that a reader
sees whether the first-token rule drives a curve: ``first_token`` (every kept item) and ``single_token``
(the kept items whose answers are one token in both languages under every condition). Per condition and
state: the mean of p(zh), p(en), the entropy and the two script masses with bootstrap 95% CIs over items,
and p(en) − p(zh) with its paired CI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bilingual_lm.errors import InputError
from bilingual_lm.eval.bootstrap import Bootstrap
from bilingual_lm.lens.answers import DROP_REASONS, answer_tokens

ITEM_SETS = ("first_token", "single_token")
CURVES = ("p_zh", "p_en", "entropy_bits", "han_mass", "latin_mass")


def condition_of(unit) -> str:
    return f"{unit.prompt_lang}->{unit.answer_lang}"


def lens_request(unit) -> dict:
    return {"kind": "lens", "prompt": unit.item.prompts[condition_of(unit)], "answers": dict(unit.item.answers)}


def lens_of(scorer):
    """A `LogitLens` over a Transformer scorer (each call builds one and checks its last layer: a run keeps
    its own, `runner`); an InputError for a model without layers."""
    from bilingual_lm.lens import LogitLens
    from bilingual_lm.score.transformer import TransformerScorer

    if not isinstance(scorer, TransformerScorer):
        raise InputError(f"lens tasks read a Transformer's layers; {scorer.name} has none (use --model "
                         "gemma3-270m, hf:... or gguf:...)")
    return LogitLens(scorer)


def answer_requests(lens, requests: Sequence[dict]) -> list[dict]:
    """The cached form of each lens request's answer (all prompts through the lens in one call)."""
    answers: list[dict | None] = [None] * len(requests)
    tokens = [answer_tokens(lens.tokenizer, r["prompt"], r["answers"]) for r in requests]
    kept = [i for i, t in enumerate(tokens) if not isinstance(t, str)]
    for i, t in enumerate(tokens):
        if isinstance(t, str):
            answers[i] = {"dropped": t}
    langs = [list(tokens[i].ids) for i in kept]
    readings = lens.read([requests[i]["prompt"] for i in kept], [[tokens[i].ids[lang] for lang in langs[k]]
                                                                 for k, i in enumerate(kept)])
    for k, (i, reading) in enumerate(zip(kept, readings, strict=True)):
        answers[i] = {
            "tokens": tokens[i].texts,
            "single": tokens[i].single,
            "logprobs": {lang: [state[j] for state in reading.target_logprobs] for j, lang in enumerate(langs[k])},
            "entropy_bits": reading.entropy_bits,
            "script_mass": reading.script_mass,
            "top_tokens": reading.top_tokens,
        }
    return answers


def lens_record(base: dict, unit, answer: dict) -> dict:
    return {**base, "answer_lang": unit.answer_lang, "prompt": unit.item.prompts[condition_of(unit)],
            "answers": dict(unit.item.answers), **answer}


def _curves(record: dict) -> dict[str, list[float]]:
    return {
        "p_zh": [math.exp(x) for x in record["logprobs"]["zh"]],
        "p_en": [math.exp(x) for x in record["logprobs"]["en"]],
        "entropy_bits": record["entropy_bits"],
        "han_mass": record["script_mass"]["han"],
        "latin_mass": record["script_mass"]["latin"],
    }


def summarize_lens(records: Sequence[dict], n_bootstrap: int, seed: int, task: str) -> dict:
    """Counts kept and dropped, and the per-state curves of each condition for each item set."""
    items = list(dict.fromkeys(r["item"] for r in records))
    dropped = {r["item"]: r["dropped"] for r in records if "dropped" in r}
    kept = [item for item in items if item not in dropped]
    by_condition: dict[str, dict[str, dict]] = {}
    for record in records:
        by_condition.setdefault(f"{record['prompt_lang']}->{record['answer_lang']}", {})[record["item"]] = record
    single = [i for i in kept if all(all(rows[i]["single"].values()) for rows in by_condition.values())]
    result = {
        "n_items": len(items),
        "kept": len(kept),
        "dropped": {reason: sum(1 for r in dropped.values() if r == reason) for reason in DROP_REASONS},
        "single_token_items": len(single),
        "conditions": {},
    }
    for condition, rows in by_condition.items():
        result["conditions"][condition] = {
            name: _curve_summary([_curves(rows[i]) for i in subset], n_bootstrap, seed, f"{task}/{condition}/{name}")
            for name, subset in (("first_token", kept), ("single_token", single))
        }
    return result


def _curve_summary(curves: list[dict[str, list[float]]], n_bootstrap: int, seed: int, key: str) -> dict:
    """Per state: mean and CI of each curve, and p(en) − p(zh) with its paired CI."""
    boot = Bootstrap(len(curves), n_bootstrap, seed, key=key)
    summary: dict = {"n": len(curves)}
    if not curves:
        return summary
    values = {name: np.asarray([c[name] for c in curves]) for name in CURVES}  # items × states
    for name in CURVES:
        summary[name] = [boot.mean(values[name][:, s]) for s in range(values[name].shape[1])]
    summary["en_minus_zh"] = [boot.difference(values["p_en"][:, s], values["p_zh"][:, s])
                              for s in range(values["p_en"].shape[1])]
    return summary
