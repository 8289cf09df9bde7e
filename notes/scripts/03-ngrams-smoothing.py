"""Note 3 (n 元模型与平滑 / n-grams and smoothing): held-out perplexity by smoother and order, zh and en.

Writes notes/docs/generated/03-ngrams-smoothing/. Run: python notes/scripts/03-ngrams-smoothing.py [--fast]
The fast profile stops at order 4 instead of 5.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt

from bilingual_lm.corpora.hsk import hsk_sentences, train_test_split
from bilingual_lm.ngram import train_ngram
from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.segment import get_segmenter

SEED = 0  # estimation is deterministic; recorded for the provenance
# (label, smoothing, k): the smoothers compared; stupid backoff is left out because it is not a probability.
SMOOTHERS = (("add-1", "addk", 1.0), ("add-0.01", "addk", 0.01), ("Witten-Bell", "wb", 1.0),
             ("Kneser-Ney", "kn", 1.0))
FAIR_ORDER = 3  # the order of the per-token / per-character / per-byte comparison table
NAMES = {"zh": {"zh": "中文", "en": "英文"}, "en": {"zh": "Chinese", "en": "English"}}


# --8<-- [start:key]
def held_out(model, sentences: list[list[str]], texts: list[str]) -> dict:
    """Total log-prob of the held-out sentences (with `</s>`), and it per token, character and byte."""
    logprob, n_tokens = 0.0, 0
    for words in sentences:
        factors = model.score_sentence(words)
        logprob += math.fsum(f[0] for f in factors)
        n_tokens += len(factors)
    bits = -logprob / math.log(2)
    n_chars = sum(len(t) for t in texts)
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    return {
        "logprob": logprob,
        "n_tokens": n_tokens,
        "n_chars": n_chars,
        "n_bytes": n_bytes,
        "perplexity": math.exp(-logprob / n_tokens),
        "bits_per_token": bits / n_tokens,
        "bits_per_char": bits / n_chars,
        "bits_per_byte": bits / n_bytes,
    }
# --8<-- [end:key]


PLOT_LABELS = {
    "zh": {"x": "阶数 n", "y": "留出集每词元困惑度", "zh": "中文（结巴分词）", "en": "英文（词）"},
    "en": {"x": "order n", "y": "held-out perplexity per token", "zh": "Chinese (jieba words)",
           "en": "English (words)"},
}


def plot_perplexity(results: dict, orders: list[int], ui: str):
    """Held-out perplexity against order, one line per smoother, one panel per language; labels in `ui`."""
    labels = PLOT_LABELS[ui]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=False)
    for axis, lang in zip(axes, ("zh", "en"), strict=True):
        grid = results["by_lang"][lang]["grid"]
        for label, _, _ in SMOOTHERS:
            axis.plot(orders, [grid[label][o]["perplexity"] for o in orders], "o-", label=label)
        axis.set_yscale("log")
        axis.set_xticks(orders)
        axis.set_xlabel(labels["x"])
        axis.set_ylabel(labels["y"])
        axis.set_title(labels[lang])
        axis.grid(True, alpha=0.3)
    axes[0].legend()
    figure.tight_layout()
    return figure


def main(fast: bool = False) -> None:
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    orders = list(range(1, (4 if fast else 5) + 1))
    train, test = train_test_split(hsk_sentences())
    results: dict = {"orders": orders, "smoothers": [s[0] for s in SMOOTHERS], "by_lang": {}}

    for lang in ("zh", "en"):
        segmenter = get_segmenter(lang)
        train_words = [[t.text for t in segmenter.segment(getattr(s, lang))] for s in train]
        test_texts = [getattr(s, lang) for s in test]
        test_words = [[t.text for t in segmenter.segment(text)] for text in test_texts]
        grid = {}
        for label, smoothing, k in SMOOTHERS:
            grid[label] = {}
            for order in orders:
                # --8<-- [start:grid]
                model = train_ngram(train_words, order, smoothing, k=k)
                grid[label][order] = held_out(model, test_words, test_texts)
                # --8<-- [end:grid]
        results["by_lang"][lang] = {
            "train_tokens": sum(len(w) + 1 for w in train_words),  # + </s>
            "test_sentences": len(test_words),
            "grid": grid,
        }

    # Perplexity by order and smoother, one table per language.
    for lang in ("zh", "en"):
        grid = results["by_lang"][lang]["grid"]
        rows = [[label, *[f"{grid[label][o]['perplexity']:.1f}" for o in orders]] for label, _, _ in SMOOTHERS]
        out.write_bilingual(
            f"perplexity-{lang}",
            markdown_table(["平滑 \\ 阶", *map(str, orders)], rows, "l" + "r" * len(orders)),
            markdown_table(["smoothing \\ order", *map(str, orders)], rows, "l" + "r" * len(orders)),
        )

    out.save_figures(lambda ui: plot_perplexity(results, orders, ui), "perplexity")

    # The fair comparison: the same model in both languages, per token, per character and per byte.
    fair = {lang: results["by_lang"][lang]["grid"]["Kneser-Ney"][FAIR_ORDER] for lang in ("zh", "en")}
    results["fair"] = {"order": FAIR_ORDER, "smoothing": "Kneser-Ney", **fair}
    headers = {"zh": ["", "词元数", "困惑度（每词元）", "每词元比特", "每字比特", "每字节比特"],
               "en": ["", "tokens", "perplexity (per token)", "bits per token", "bits per character",
                      "bits per byte"]}
    tables = {
        ui: markdown_table(headers[ui], [
            [NAMES[ui][lang], f"{fair[lang]['n_tokens']:,}", f"{fair[lang]['perplexity']:.1f}",
             f"{fair[lang]['bits_per_token']:.2f}", f"{fair[lang]['bits_per_char']:.2f}",
             f"{fair[lang]['bits_per_byte']:.3f}"] for lang in ("zh", "en")], "lrrrrr")
        for ui in ("zh", "en")
    }
    out.write_bilingual("fair", tables["zh"], tables["en"])

    # Sentences with numbers.
    best = {lang: min(((label, o) for label, _, _ in SMOOTHERS for o in orders),
                      key=lambda lo, lang=lang: results["by_lang"][lang]["grid"][lo[0]][lo[1]]["perplexity"])
            for lang in ("zh", "en")}
    results["best"] = {lang: {"smoothing": b[0], "order": b[1]} for lang, b in best.items()}
    g = {lang: results["by_lang"][lang]["grid"] for lang in ("zh", "en")}
    last = orders[-1]
    zh = (
        f"留出集上困惑度最低的是：中文 {best['zh'][0]} {best['zh'][1]} 阶"
        f"（{g['zh'][best['zh'][0]][best['zh'][1]]['perplexity']:.1f}），"
        f"英文 {best['en'][0]} {best['en'][1]} 阶（{g['en'][best['en'][0]][best['en'][1]]['perplexity']:.1f}）。"
        f"加 1 平滑从 1 阶到 {last} 阶，中文困惑度从 {g['zh']['add-1'][1]['perplexity']:.1f} 变为 "
        f"{g['zh']['add-1'][last]['perplexity']:.1f}，英文从 {g['en']['add-1'][1]['perplexity']:.1f} 变为 "
        f"{g['en']['add-1'][last]['perplexity']:.1f}。"
    )
    en = (
        f"The lowest held-out perplexity: in Chinese, {best['zh'][0]} at order {best['zh'][1]} "
        f"({g['zh'][best['zh'][0]][best['zh'][1]]['perplexity']:.1f}); in English, {best['en'][0]} at order "
        f"{best['en'][1]} ({g['en'][best['en'][0]][best['en'][1]]['perplexity']:.1f}). With add-1 smoothing, from "
        f"order 1 to order {last} the Chinese perplexity goes from {g['zh']['add-1'][1]['perplexity']:.1f} to "
        f"{g['zh']['add-1'][last]['perplexity']:.1f}, the English from {g['en']['add-1'][1]['perplexity']:.1f} to "
        f"{g['en']['add-1'][last]['perplexity']:.1f}."
    )
    out.write_bilingual("summary-orders", zh, en)
    zh_ratio = fair["zh"]["perplexity"] / fair["en"]["perplexity"]
    zh = (
        f"同样是 {FAIR_ORDER} 阶 Kneser-Ney，中文的每词元困惑度是英文的 {zh_ratio:.2f} 倍；"
        f"但按字算，中文每字 {fair['zh']['bits_per_char']:.2f} 比特，英文每字 {fair['en']['bits_per_char']:.2f} 比特；"
        f"按 UTF-8 字节算，中文 {fair['zh']['bits_per_byte']:.3f}，英文 {fair['en']['bits_per_byte']:.3f}。"
    )
    en = (
        f"With the same order-{FAIR_ORDER} Kneser-Ney model, the Chinese per-token perplexity is {zh_ratio:.2f} "
        f"times the English one; but per character, Chinese takes {fair['zh']['bits_per_char']:.2f} bits and "
        f"English {fair['en']['bits_per_char']:.2f}; per UTF-8 byte, {fair['zh']['bits_per_byte']:.3f} and "
        f"{fair['en']['bits_per_byte']:.3f}."
    )
    out.write_bilingual("summary-fair", zh, en)
    out.write_json("results.json", results)
    out.write_provenance()


if __name__ == "__main__":
    main(fast=is_fast())
