"""Note 2 (词频与概率 / Counting words): count and divide, the right denominator, zero counts, Zipf's law.

Writes notes/docs/generated/02-counting/. Run: python notes/scripts/02-counting.py [--fast]
(both profiles do the same work: counting the HSK sentences takes seconds).
"""

from __future__ import annotations

import math
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np

from bilingual_lm.corpora.hsk import hsk_sentences, train_test_split
from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.segment import get_segmenter

SEED = 0  # nothing here is random; recorded for the provenance
# The post's own example: its recipe divides each word's count by the sentence's length in characters.
EXAMPLE = {"zh": "我爱吃披萨", "en": "I love to eat pizza"}
ZIPF_RANKS = (1, 1000)  # the rank range of the least-squares fit of log f = a − s·log r


def words_of(text: str, segmenter) -> list[str]:
    """The word tokens of `text`: segmenter tokens with a letter or digit in them (punctuation dropped)."""
    return [t.text for t in segmenter.segment(text) if any(ch.isalnum() for ch in t.text)]


def corpus_words(sentences, lang: str, segmenter) -> list[list[str]]:
    """Each sentence's words: the HSK gold segmentation for zh, the en segmenter (lower-cased) for en."""
    if lang == "zh":
        return [list(s.gold_words) for s in sentences]
    return [[w.lower() for w in words_of(s.en, segmenter)] for s in sentences]


# --8<-- [start:key]
def naive_example(lang: str, segmenter) -> dict:
    """Count-and-divide on one short text, with the character count and the token count as denominators."""
    text = EXAMPLE[lang]
    words = words_of(text, segmenter)
    counts = Counter(words)
    n_chars = len(text)
    return {
        "text": text,
        "words": words,
        "n_tokens": len(words),
        "n_chars": n_chars,
        "counts": dict(counts),
        "sum_by_chars": math.fsum(c / n_chars for c in counts.values()),
        "sum_by_tokens": math.fsum(c / len(words) for c in counts.values()),
    }
# --8<-- [end:key]


def zipf_fit(counts: Counter) -> dict:
    """Least-squares slope s of log f against log r over `ZIPF_RANKS` (Zipf's law says s is near 1)."""
    freqs = np.array(sorted(counts.values(), reverse=True), dtype=float)
    lo, hi = ZIPF_RANKS[0], min(ZIPF_RANKS[1], len(freqs))
    ranks = np.arange(lo, hi + 1)
    slope, intercept = np.polyfit(np.log(ranks), np.log(freqs[lo - 1 : hi]), 1)
    return {"exponent": float(-slope), "intercept": float(intercept), "ranks": [int(lo), int(hi)]}


ZIPF_LABELS = {
    "zh": {"zh": "中文（HSK 金标准分词）", "en": "英文（英文分词器，小写）", "fit": "拟合", "x": "排名 r",
           "y": "频数 f（训练集）", "title": "HSK 句子上的齐普夫定律：f ∝ r^(−s)"},
    "en": {"zh": "Chinese (HSK gold words)", "en": "English (en segmenter, lower-cased)", "fit": "fit",
           "x": "rank r", "y": "frequency f (training split)", "title": "Zipf's law on the HSK sentences: f ∝ r^(−s)"},
}


def plot_zipf(frequencies: dict, fits: dict, ui: str):
    """Frequency against rank on log-log axes for both languages, with the fitted power law; labels in `ui`."""
    labels = ZIPF_LABELS[ui]
    figure, axis = plt.subplots(figsize=(7.2, 4.4))
    for lang, colour in (("zh", "tab:red"), ("en", "tab:blue")):
        freqs, fit = frequencies[lang], fits[lang]
        ranks = np.arange(1, len(freqs) + 1)
        axis.loglog(ranks, freqs, ".", ms=3, color=colour, alpha=0.6, label=labels[lang])
        fitted = np.exp(fit["intercept"]) * ranks ** (-fit["exponent"])
        axis.loglog(ranks, fitted, "-", lw=1.2, color=colour, label=f"{labels['fit']}: s = {fit['exponent']:.2f}")
    axis.set_xlabel(labels["x"])
    axis.set_ylabel(labels["y"])
    axis.set_title(labels["title"])
    axis.legend()
    axis.grid(True, which="major", alpha=0.3)
    return figure


def main(fast: bool = False) -> None:
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    segmenters = {"zh": get_segmenter("zh"), "en": get_segmenter("en")}
    train, test = train_test_split(hsk_sentences())
    results: dict = {"example": {}, "corpus": {}, "zipf": {}}

    # 1. The naive recipe on one text: which denominator makes the word probabilities sum to one?
    for lang in ("zh", "en"):
        results["example"][lang] = naive_example(lang, segmenters[lang])
    rows = []
    for lang in ("zh", "en"):
        ex = results["example"][lang]
        rows.append([f"`{ex['text']}`", " / ".join(ex["words"]), ex["n_tokens"], ex["n_chars"],
                     f"1/{ex['n_chars']} = {1 / ex['n_chars']:.4f}", f"{ex['sum_by_chars']:.4f}",
                     f"1/{ex['n_tokens']} = {1 / ex['n_tokens']:.4f}", f"{ex['sum_by_tokens']:.4f}"])
    out.write_bilingual(
        "example",
        markdown_table(["文本", "词", "词次数 N", r"字符数 \|S\|", r"每词 1/\|S\|（原文）", r"Σ c(w)/\|S\|",
                        "每词 1/N（MLE）", "Σ c(w)/N"], rows, "llrrrrrr"),
        markdown_table(["text", "words", "tokens N", r"characters \|S\|", r"each word 1/\|S\| (the post)",
                        r"Σ c(w)/\|S\|", "each word 1/N (MLE)", "Σ c(w)/N"], rows, "llrrrrrr"),
    )

    # 2. Unigram MLE on the training split, and the held-out tokens it gives probability zero.
    top_rows = []
    for lang in ("zh", "en"):
        train_words = corpus_words(train, lang, segmenters[lang])
        test_words = corpus_words(test, lang, segmenters[lang])
        counts = Counter(w for s in train_words for w in s)
        n_tokens = sum(counts.values())
        n_chars = sum(len(getattr(s, lang)) for s in train)
        test_tokens = [w for s in test_words for w in s]
        unseen = [w for w in test_tokens if w not in counts]
        zero_sentences = sum(any(w not in counts for w in s) for s in test_words)
        top = counts.most_common(10)
        results["corpus"][lang] = {
            "train_sentences": len(train),
            "n_tokens": n_tokens,
            "n_types": len(counts),
            "n_chars": n_chars,
            "sum_by_chars": n_tokens / n_chars,
            "test_tokens": len(test_tokens),
            "test_unseen_tokens": len(unseen),
            "test_sentences": len(test_words),
            "test_zero_probability_sentences": zero_sentences,
            "top": [[w, c, c / n_tokens] for w, c in top],
        }
        results["zipf"][lang] = zipf_fit(counts)
        for rank, (word, count) in enumerate(top, 1):
            top_rows.append((lang, rank, word, count, count / n_tokens, count / n_chars))
    for lang in ("zh", "en"):
        rows = [[r, f"`{w}`", c, f"{p:.4f}", f"{q:.4f}"] for lg, r, w, c, p, q in top_rows if lg == lang]
        out.write_bilingual(
            f"top-{lang}",
            markdown_table(["排名", "词", "频数 c(w)", "c(w)/N（正确）", "c(w)/字符数（错误）"], rows, "rlrrr"),
            markdown_table(["rank", "word", "count c(w)", "c(w)/N (right)", "c(w)/chars (wrong)"], rows, "rlrrr"),
        )
    c = results["corpus"]
    rows_zh = [[name, f"{c['zh'][key]:,}" if isinstance(c["zh"][key], int) else f"{c['zh'][key]:.4f}",
                f"{c['en'][key]:,}" if isinstance(c["en"][key], int) else f"{c['en'][key]:.4f}"]
               for name, key in (("训练集词次数 N", "n_tokens"), ("训练集词型数", "n_types"),
                                 ("训练集字符数", "n_chars"), ("Σ c(w)/字符数 = N/字符数", "sum_by_chars"),
                                 ("留出集词次数", "test_tokens"), ("其中训练集没见过的", "test_unseen_tokens"),
                                 ("留出集句数", "test_sentences"),
                                 ("一元 MLE 下概率为 0 的句数", "test_zero_probability_sentences"))]
    names_en = ["training tokens N", "training types", "training characters", "Σ c(w)/chars = N/chars",
                "held-out tokens", "of which unseen in training", "held-out sentences",
                "sentences with probability 0 under unigram MLE"]
    rows_en = [[name, *row[1:]] for name, row in zip(names_en, rows_zh, strict=True)]
    out.write_bilingual("corpus", markdown_table(["", "中文", "英文"], rows_zh, "lrr"),
                        markdown_table(["", "Chinese", "English"], rows_en, "lrr"))

    # 3. Zipf's law: frequency against rank on log-log axes, with the fitted exponent.
    frequencies = {lang: np.array(sorted(Counter(w for s in corpus_words(train, lang, segmenters[lang])
                                                  for w in s).values(), reverse=True)) for lang in ("zh", "en")}
    out.save_figures(lambda ui: plot_zipf(frequencies, results["zipf"], ui), "zipf")

    # 4. The sentences with numbers, in both languages.
    ex, z = results["example"], results["zipf"]
    zh = (
        f"英文例句 `{ex['en']['text']}` 有 {ex['en']['n_tokens']} 个词、{ex['en']['n_chars']} 个字符（含空格）："
        f"按原文的做法，每个词的“概率”是 1/{ex['en']['n_chars']}，"
        f"{ex['en']['n_tokens']} 个词加起来只有 {ex['en']['sum_by_chars']:.4f}；"
        f"最大似然估计给每个词 1/{ex['en']['n_tokens']}，和为 1。中文例句 `{ex['zh']['text']}` 有 "
        f"{ex['zh']['n_tokens']} 个词、{ex['zh']['n_chars']} 个字，除以字数的和是 {ex['zh']['sum_by_chars']:.4f}。"
        f"在整个训练集上，错误的分母让概率之和变成 N/字符数：中文 {c['zh']['sum_by_chars']:.4f}，"
        f"英文 {c['en']['sum_by_chars']:.4f}。"
    )
    en = (
        f"The English example `{ex['en']['text']}` has {ex['en']['n_tokens']} words and {ex['en']['n_chars']} "
        f"characters (spaces included): by the post's recipe each word gets 1/{ex['en']['n_chars']}, "
        f"and the {ex['en']['n_tokens']} "
        f"\"probabilities\" sum to only {ex['en']['sum_by_chars']:.4f}; maximum likelihood gives each word "
        f"1/{ex['en']['n_tokens']}, summing to 1. The Chinese example `{ex['zh']['text']}` has "
        f"{ex['zh']['n_tokens']} words and {ex['zh']['n_chars']} characters; dividing by characters the sum is "
        f"{ex['zh']['sum_by_chars']:.4f}. Over the whole training split the wrong "
        f"denominator makes the sum N/characters: {c['zh']['sum_by_chars']:.4f} in Chinese and "
        f"{c['en']['sum_by_chars']:.4f} in English."
    )
    out.write_bilingual("summary-denominator", zh, en)
    zh = (
        f"留出集的 {c['zh']['test_tokens']:,} 个中文词次里有 {c['zh']['test_unseen_tokens']:,} 个在训练集里没出现过，"
        f"英文是 {c['en']['test_tokens']:,} 个里的 {c['en']['test_unseen_tokens']:,} 个。"
        f"一元最大似然估计给它们的概率是 0，于是 {c['zh']['test_sentences']:,} 个留出句子里有 "
        f"{c['zh']['test_zero_probability_sentences']:,} 个中文句子、"
        f"{c['en']['test_zero_probability_sentences']:,} 个英文句子的概率是 0，困惑度是无穷大。"
    )
    en = (
        f"Of the {c['zh']['test_tokens']:,} Chinese word tokens in the held-out split, "
        f"{c['zh']['test_unseen_tokens']:,} never occur in training; in English, "
        f"{c['en']['test_unseen_tokens']:,} of {c['en']['test_tokens']:,}. Unigram MLE gives them probability 0, "
        f"so of the {c['zh']['test_sentences']:,} held-out sentences, {c['zh']['test_zero_probability_sentences']:,} "
        f"in Chinese and {c['en']['test_zero_probability_sentences']:,} in English get probability 0 and infinite "
        f"perplexity."
    )
    out.write_bilingual("summary-zeros", zh, en)
    zh = (
        f"在排名 {z['zh']['ranks'][0]}–{z['zh']['ranks'][1]} 上用最小二乘拟合 log f = a − s·log r，"
        f"中文得 s = {z['zh']['exponent']:.2f}，英文得 s = {z['en']['exponent']:.2f}。"
    )
    en = (
        f"A least-squares fit of log f = a − s·log r over ranks {z['zh']['ranks'][0]}–{z['zh']['ranks'][1]} "
        f"gives s = {z['zh']['exponent']:.2f} for Chinese and s = {z['en']['exponent']:.2f} for English."
    )
    out.write_bilingual("summary-zipf", zh, en)
    out.write_json("results.json", results)
    out.write_provenance()


if __name__ == "__main__":
    main(fast=is_fast())
