"""Note 1 (链式法则 / The chain rule): p(S) as a product of factors, under an n-gram and a Transformer.

Writes notes/docs/generated/01-chain-rule/. Run: python notes/scripts/01-chain-rule.py [--fast]
The fast profile scores with the n-gram only and leaves the Transformer's files from the last full run.
"""

from __future__ import annotations

import json
import math

import matplotlib.pyplot as plt

from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.provenance import provenance
from bilingual_lm.score import load_scorer

SEED = 0  # scoring is deterministic; recorded for the provenance
SENTENCES = {"zh": "我爱吃披萨", "en": "I love to eat pizza"}
TRANSFORMER = "gemma3-270m"


# --8<-- [start:key]
def factor_rows(score, bos: str | None) -> list[dict]:
    """One row per chain-rule factor: the token, what it was conditioned on, log p, p and bits.

    For the n-gram (`bos` None) the context is the last (order − 1) words, `<s>` first; for the Transformer
    it is its BOS token and all the text before the token.
    """
    rows = []
    for i, token in enumerate(score.tokens):
        if bos is None:
            words = ["<s>"] + [t.text or "</s>" for t in score.tokens[:i]]
            context = " ".join(words[len(words) - (token.order - 1):]) if token.order > 1 else ""
        else:
            context = bos + score.text[: token.start]
        rows.append({
            "i": i + 1,
            "token": token.text or "</s>",
            "context": context,
            "order": token.order,
            "oov": token.oov,
            "logprob": token.logprob,
            "prob": math.exp(token.logprob),
            "bits": -token.logprob / math.log(2),
        })
    return rows
# --8<-- [end:key]


def factor_table(rows: list[dict], lang_labels: dict, with_order: bool) -> str:
    """The factors as a Markdown table whose last row is their sum / product."""
    def condition(row):
        if with_order:  # n-gram words, shown with spaces between them
            return f"`{row['token']}` | `{row['context'] or '—'}`"
        visible = {key: row[key].replace(" ", "␣") for key in ("token", "context")}  # the text's spaces as ␣
        return f"`{visible['token']}` | `{visible['context'] or '—'}`"

    body = []
    for row in rows:
        cells = [row["i"], condition(row)]
        if with_order:
            cells.append(f"{row['order']}{' (`<unk>`)' if row['oov'] else ''}")
        cells += [f"{row['logprob']:.4f}", f"{row['prob']:.3g}", f"{row['bits']:.2f}"]
        body.append(cells)
    total = math.fsum(r["logprob"] for r in rows)
    last = ["", f"**{lang_labels['total']}**", *([""] if with_order else []),
            f"**{total:.4f}**", f"**{math.exp(total):.3g}**", f"**{-total / math.log(2):.2f}**"]
    headers = ["i", lang_labels["factor"], *([lang_labels["order"]] if with_order else []),
               "log p (nats)", "p", lang_labels["bits"]]
    return markdown_table(headers, [*body, last], "rl" + ("l" if with_order else "") + "rrr")


LABELS = {
    "zh": {"factor": "因子 p(词元 | 前文)", "order": "匹配的阶", "bits": "比特", "total": "合计：log p(S) 与 p(S)"},
    "en": {"factor": "factor p(token | context)", "order": "order matched", "bits": "bits",
           "total": "total: log p(S) and p(S)"},
}


# --8<-- [start:score]
def score_all(spec: str) -> dict:
    """Score both sentences with the model `spec`: factors, totals and the model's description."""
    result = {}
    for lang, text in SENTENCES.items():
        scorer = load_scorer(spec, lang=lang)
        score = scorer.score([text])[0]
        description = scorer.describe().to_dict()
        rows = factor_rows(score, bos=None if spec.startswith("ngram") else description["details"]["bos"] or "")
        result[lang] = {
            "text": text,
            "model": description,
            "factors": rows,
            "logprob": score.logprob,
            "sum_of_factors": math.fsum(r["logprob"] for r in rows),  # Σ log p(w_i | w_<i) = log p(S)
            "product_of_factors": math.prod(r["prob"] for r in rows),
            "totals": score.totals(),
        }
    return result
# --8<-- [end:score]


PLOT_LABELS = {
    "zh": {"zh": "中文", "en": "英文", "y": "比特 = −log₂ p", "total": "共 {bits:.1f} 比特"},
    "en": {"zh": "Chinese", "en": "English", "y": "bits = −log₂ p", "total": "total {bits:.1f} bits"},
}


def plot_bits(ngram: dict, transformer: dict | None, ui: str):
    """Bits per factor, each bar under its token: which tokens carry the information, under each model."""
    labels = PLOT_LABELS[ui]
    panels = [("n-gram", ngram)] + ([("Transformer", transformer)] if transformer else [])
    figure, axes = plt.subplots(len(panels), 2, figsize=(10, 3.2 * len(panels)), squeeze=False, sharey=True)
    for row, (name, result) in enumerate(panels):
        for col, lang in enumerate(("zh", "en")):
            factors = result[lang]["factors"]
            bits = [f["bits"] for f in factors]
            tokens = [f["token"].replace(" ", "␣") for f in factors]  # a subword's leading space as ␣
            axis = axes[row][col]
            axis.bar(range(len(bits)), bits, color="tab:red" if lang == "zh" else "tab:blue")
            axis.set_xticks(range(len(bits)), tokens, rotation=0 if lang == "zh" else 30)
            axis.set_ylabel(labels["y"])
            axis.set_title(f"{name}, {labels[lang]}: {labels['total'].format(bits=sum(bits))}")
    figure.tight_layout()
    return figure


def main(fast: bool = False) -> None:
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    ngram = score_all("ngram:default")
    for lang in ("zh", "en"):
        table = {ui: factor_table(ngram[lang]["factors"], LABELS[ui], with_order=True) for ui in ("zh", "en")}
        out.write_bilingual(f"ngram-{lang}", table["zh"], table["en"])

    transformer_json = out.committed_dir / "transformer.json"  # the fast profile reuses the last full run
    if not fast:
        transformer = score_all(TRANSFORMER)
        transformer["provenance"] = provenance(seed=SEED, command="python notes/scripts/01-chain-rule.py",
                                               profile="full")
        out.write_json("transformer.json", transformer)
    elif transformer_json.exists():
        transformer = json.loads(transformer_json.read_text(encoding="utf-8"))
    else:
        transformer = None
    if transformer:
        made = transformer["provenance"]
        for lang in ("zh", "en"):
            table = {ui: factor_table(transformer[lang]["factors"], LABELS[ui], with_order=False)
                     for ui in ("zh", "en")}
            out.write_bilingual(f"transformer-{lang}", table["zh"], table["en"])
        out.write_bilingual(
            "transformer-made",
            f"Transformer 的结果来自完整配置（`{made['command']}`，提交 `{made['git_commit']}`，{made['created']}）。",
            f"The Transformer's results come from the full profile (`{made['command']}`, commit "
            f"`{made['git_commit']}`, {made['created']}).",
        )
    else:
        for lang in ("zh", "en"):
            out.write_bilingual(f"transformer-{lang}", "（尚未运行完整配置。）",
                                "(The full profile has not been run yet.)")
        out.write_bilingual("transformer-made", "", "")

    out.save_figures(lambda ui: plot_bits(ngram, transformer, ui), "bits")

    # The sentences with numbers: the identity Σ log p = log p(S), and the two models side by side.
    def sentence(ui: str) -> str:
        parts = []
        for lang in ("zh", "en"):
            n = ngram[lang]
            if ui == "zh":
                parts.append(f"n 元模型给 `{n['text']}` 的 {len(n['factors'])} 个因子的对数概率之和是 "
                             f"{n['sum_of_factors']:.4f} 奈特，即 p(S) = {n['product_of_factors']:.3g}，"
                             f"每字 {n['totals']['bits_per_char']:.2f} 比特")
            else:
                parts.append(f"the n-gram's {len(n['factors'])} factors for `{n['text']}` sum to "
                             f"{n['sum_of_factors']:.4f} nats, so p(S) = {n['product_of_factors']:.3g}, "
                             f"{n['totals']['bits_per_char']:.2f} bits per character")
            if transformer:
                t = transformer[lang]
                if ui == "zh":
                    parts[-1] += (f"；Transformer 用 {len(t['factors'])} 个子词因子，"
                                  f"和是 {t['sum_of_factors']:.4f} 奈特，p(S) = {t['product_of_factors']:.3g}，"
                                  f"每字 {t['totals']['bits_per_char']:.2f} 比特")
                else:
                    parts[-1] += (f"; the Transformer's {len(t['factors'])} subword factors sum to "
                                  f"{t['sum_of_factors']:.4f} nats, p(S) = {t['product_of_factors']:.3g}, "
                                  f"{t['totals']['bits_per_char']:.2f} bits per character")
        if ui == "zh":
            return "。".join(parts) + "。"
        return ". ".join(p[0].upper() + p[1:] for p in parts) + "."

    out.write_bilingual("summary", sentence("zh"), sentence("en"))
    out.write_json("results.json", {"ngram": ngram, "transformer": transformer})
    out.write_provenance()


if __name__ == "__main__":
    main(fast=is_fast())
