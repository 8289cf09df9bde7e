"""The first-token rule: which token's probability stands for an answer word after a prompt.

As Wendler et al. (2024), the lens reads one token per answer: the first token of the answer as the tokenizer
splits ``prompt + answer`` (the answer follows the prompt directly; a template that wants a space before it
ends with one). An answer is *single-token* when that split gives it exactly one token. A pair of answers
(the same concept in zh and in en) is dropped for a prompt when:

* ``join``: the prompt's last token and the answer's first one merge (``prompt + answer`` does not start
  with the prompt's own tokens), so no position of the prompt predicts the answer's first token;
* ``shared``: both languages' answers start with the same token, so the lens cannot tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass

DROP_REASONS = ("join", "shared")


@dataclass(frozen=True)
class AnswerTokens:
    """Per language: the answer's first token id and text, and whether the answer is that one token."""

    ids: dict[str, int]
    texts: dict[str, str]
    single: dict[str, bool]


def answer_tokens(tokenizer, prompt: str, answers: dict[str, str]) -> AnswerTokens | str:
    """The `AnswerTokens` of `answers` (language -> word) after `prompt`, or the reason they are dropped."""
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    ids, texts, single = {}, {}, {}
    for lang, answer in answers.items():
        full = tokenizer(prompt + answer, add_special_tokens=False)["input_ids"]
        rest = full[len(prompt_ids) :]
        if full[: len(prompt_ids)] != prompt_ids or not rest:
            return "join"
        ids[lang], single[lang] = rest[0], len(rest) == 1
        texts[lang] = tokenizer.decode([rest[0]])
    if len(set(ids.values())) < len(ids):
        return "shared"
    return AnswerTokens(ids=ids, texts=texts, single=single)
