"""Note 4 (分词 / Segmentation): jieba's modes against the HSK gold, and words vs characters vs subwords.

Writes notes/docs/generated/04-segmentation/. Run: python notes/scripts/04-segmentation.py [--fast]
The fast profile scores the jieba modes on every 4th sentence; the unit comparison is the same in both.
"""

from __future__ import annotations

import io
import math

import matplotlib.pyplot as plt
import sentencepiece as spm

from bilingual_lm.corpora.hsk import hsk_sentences, train_test_split
from bilingual_lm.ngram import train_ngram
from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.segment import get_segmenter
from bilingual_lm.segment.accuracy import SegmentationScore, score_segmentation

SEED = 0  # sentencepiece is trained single-threaded with this seed
EXAMPLE = "我爱吃披萨"
ORDER = 3
SUBWORD_VOCAB = 3000  # above the ~1,800 distinct characters of the HSK Chinese, so every character is a piece
# (label, segmenter options): the jieba configurations scored against the gold segmentation.
MODES = (
    ("accurate", {"mode": "accurate"}),
    ("accurate, no HMM", {"mode": "accurate", "hmm": False}),
    ("search", {"mode": "search"}),
    ("full", {"mode": "full"}),
    ("rjieba accurate", {"mode": "accurate", "backend": "rjieba"}),
)
UNITS = {"zh": {"word": "词（结巴）", "char": "字", "subword": "子词（sentencepiece）"},
         "en": {"word": "word (jieba)", "char": "character", "subword": "subword (sentencepiece)"}}


def train_subwords(texts: list[str]) -> spm.SentencePieceProcessor:
    """A sentencepiece unigram model trained on `texts`, deterministically (one thread, fixed seed)."""
    model = io.BytesIO()
    spm.set_random_generator_seed(SEED)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=model, model_type="unigram", vocab_size=SUBWORD_VOCAB,
        character_coverage=1.0, num_threads=1, hard_vocab_limit=False, shuffle_input_sentence=False,
        add_dummy_prefix=False, minloglevel=2,
    )
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


def splitters(train_texts: list[str]) -> dict:
    """Each unit as a function from text to token strings."""
    words, chars, pieces = get_segmenter("zh"), get_segmenter("char"), train_subwords(train_texts)
    return {
        "word": lambda text: [t.text for t in words.segment(text)],
        "char": lambda text: [t.text for t in chars.segment(text)],
        "subword": lambda text: pieces.encode(text, out_type=str),
    }


PLOT_LABELS = {
    "zh": {"ppl": "留出集每词元困惑度", "ppl_title": "每词元：不同单位之间不可比", "bpc": "留出集每字比特",
           "bpc_title": "每字：同一把尺子（<unk> 除外）",
           "suptitle": "HSK 中文留出集，各单位上的 {order} 阶 Kneser-Ney",
           "unk": "{share:.0%} 为 <unk>"},
    "en": {"ppl": "held-out perplexity per token", "ppl_title": "per token: not comparable across units",
           "bpc": "held-out bits per character", "bpc_title": "per character: one ruler (but for <unk>)",
           "suptitle": "Chinese HSK held-out split, order-{order} Kneser-Ney on each unit",
           "unk": "{share:.0%} <unk>"},
}


def plot_units(units: dict, ui: str):
    """Per-token perplexity and bits per character of the three units, each bar marked with its <unk> share."""
    labels = PLOT_LABELS[ui]
    names = list(units)
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ticks = [UNITS[ui][name] for name in names]
    axes[0].bar(ticks, [units[u]["perplexity"] for u in names], color="tab:orange")
    axes[0].set_ylabel(labels["ppl"])
    axes[0].set_title(labels["ppl_title"])
    bars = axes[1].bar(ticks, [units[u]["bits_per_char"] for u in names], color="tab:green")
    axes[1].bar_label(bars, [labels["unk"].format(share=units[u]["unknown_share"]) for u in names], fontsize=9)
    axes[1].set_ylabel(labels["bpc"])
    axes[1].set_title(labels["bpc_title"])
    axes[1].margins(y=0.15)
    figure.suptitle(labels["suptitle"].format(order=ORDER))
    figure.tight_layout()
    return figure


def main(fast: bool = False) -> None:
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    sentences = hsk_sentences()
    results: dict = {"modes": {}, "units": {}}

    # 1. jieba's modes against the HSK gold words (word-boundary precision, recall and F1).
    scored = sentences[::4] if fast else sentences
    for label, options in MODES:
        segmenter = get_segmenter("zh", **options)
        total = SegmentationScore()
        for s in scored:
            spans = [(t.start, t.end) for t in segmenter.segment(s.zh)]
            total = total + score_segmentation(s.zh, s.gold_words, spans)
        b, w = total.boundaries, total.words
        results["modes"][label] = {"options": options, "precision": b.precision, "recall": b.recall, "f1": b.f1,
                                   "word_precision": w.precision, "word_recall": w.recall, "word_f1": w.f1}
    results["modes_sentences"] = len(scored)
    rows = [[label, f"`{options}`", *(f"{m[key]:.3f}" for key in ("precision", "recall", "f1", "word_f1"))]
            for label, options in MODES for m in [results["modes"][label]]]
    out.write_bilingual(
        "modes",
        markdown_table(["模式", "选项", "边界准确率", "边界召回率", "边界 F1", "词 F1"], rows, "llrrrr"),
        markdown_table(["mode", "options", "boundary precision", "boundary recall", "boundary F1", "word F1"],
                       rows, "llrrrr"),
    )

    # 2. The same Chinese text as words, characters and subwords, each with an order-3 Kneser-Ney model.
    train, test = train_test_split(sentences)
    for unit, cut in splitters([s.zh for s in train]).items():
        # --8<-- [start:key]
        model = train_ngram([cut(s.zh) for s in train], ORDER, "kn")
        logprob, n_tokens, n_unknown = 0.0, 0, 0
        for s in test:
            factors = model.score_sentence(cut(s.zh))  # (log p, order matched, is <unk>) per token and </s>
            logprob += math.fsum(f[0] for f in factors)
            n_tokens += len(factors)
            n_unknown += sum(f[2] for f in factors)
        # --8<-- [end:key]
        n_chars = sum(len(s.zh) for s in test)
        example = model.score_sentence(cut(EXAMPLE))
        example_logprob = math.fsum(f[0] for f in example)
        results["units"][unit] = {
            "vocabulary": len(model.vocab),
            "test_tokens": n_tokens,
            "test_logprob": logprob,
            "test_unknown": n_unknown,
            "unknown_share": n_unknown / n_tokens,
            "perplexity": math.exp(-logprob / n_tokens),
            "bits_per_char": -logprob / math.log(2) / n_chars,
            "example_tokens": cut(EXAMPLE),
            "example_factors": [[f[0], f[1], f[2]] for f in example],
            "example_logprob": example_logprob,
            "example_bits_per_char": -example_logprob / math.log(2) / len(EXAMPLE),
        }
    for ui in ("zh", "en"):
        headers = {"zh": ["单位", "词表大小", "留出集词元数", "其中 `<unk>`", "困惑度（每词元）", "每字比特",
                          f"`{EXAMPLE}` 的词元", "log p（奈特）", "每字比特"],
                   "en": ["unit", "vocabulary", "held-out tokens", "of them `<unk>`", "perplexity (per token)",
                          "bits per character", f"tokens of `{EXAMPLE}`", "log p (nats)", "bits per character"]}[ui]
        rows = [[UNITS[ui][unit], f"{u['vocabulary']:,}", f"{u['test_tokens']:,}", f"{u['unknown_share']:.1%}",
                 f"{u['perplexity']:.1f}", f"{u['bits_per_char']:.2f}", " / ".join(u["example_tokens"]),
                 f"{u['example_logprob']:.3f}", f"{u['example_bits_per_char']:.2f}"]
                for unit, u in results["units"].items()]
        out.write_text(f"units.{ui}.md", markdown_table(headers, rows, "lrrrrrlrr"))

    out.save_figures(lambda ui: plot_units(results["units"], ui), "units")

    # Sentences with numbers.
    m, u = results["modes"], results["units"]
    best = max(m, key=lambda label: m[label]["f1"])
    zh = (f"在 {results['modes_sentences']:,} 个 HSK 句子上，F1 最高的是 {best}（{m[best]['f1']:.3f}）；"
          f"精确模式的边界准确率是 {m['accurate']['precision']:.3f}，召回率是 {m['accurate']['recall']:.3f}；"
          f"全模式的召回率升到 {m['full']['recall']:.3f}，准确率降到 {m['full']['precision']:.3f}。")
    en = (f"On {results['modes_sentences']:,} HSK sentences the highest F1 is {best}'s ({m[best]['f1']:.3f}); "
          f"accurate mode's boundary precision is {m['accurate']['precision']:.3f} and its recall "
          f"{m['accurate']['recall']:.3f}; full mode raises recall to {m['full']['recall']:.3f} and lowers "
          f"precision to {m['full']['precision']:.3f}.")
    out.write_bilingual("summary-modes", zh, en)
    zh = (f"每词元困惑度：词 {u['word']['perplexity']:.1f}，字 {u['char']['perplexity']:.1f}，"
          f"子词 {u['subword']['perplexity']:.1f}；同一段留出文本的每字比特：词 {u['word']['bits_per_char']:.2f}，"
          f"字 {u['char']['bits_per_char']:.2f}，子词 {u['subword']['bits_per_char']:.2f}。")
    en = (f"Perplexity per token: words {u['word']['perplexity']:.1f}, characters {u['char']['perplexity']:.1f}, "
          f"subwords {u['subword']['perplexity']:.1f}; bits per character of the same held-out text: words "
          f"{u['word']['bits_per_char']:.2f}, characters {u['char']['bits_per_char']:.2f}, subwords "
          f"{u['subword']['bits_per_char']:.2f}.")
    # Bits per character is the common ruler only over the same events: an <unk> factor pays for "some unseen
    # token", not for which one, so the unit with the most <unk> tokens gets a flattering figure.
    lowest = min(u, key=lambda unit: u[unit]["bits_per_char"])
    zh += (f"按每字比特，{UNITS['zh'][lowest]}的模型数字最低，但它的留出集词元里有 {u[lowest]['unknown_share']:.1%} "
           f"是 `<unk>`（字：{u['char']['unknown_share']:.1%}，子词：{u['subword']['unknown_share']:.1%}）："
           f"每个 `<unk>` 只付了“某个生词”的代价，没有说出是哪个词，所以这个最低值偏乐观，不能据此说它最好。")
    en += (f" By bits per character the {UNITS['en'][lowest]} model has the lowest figure, but "
           f"{u[lowest]['unknown_share']:.1%} of its held-out tokens are `<unk>` (characters: "
           f"{u['char']['unknown_share']:.1%}, subwords: {u['subword']['unknown_share']:.1%}): each `<unk>` pays only "
           f"for \"some unseen word\", not for which word, so that lowest figure flatters it and does not make it "
           f"the best model.")
    out.write_bilingual("summary-units", zh, en)
    unseen = {unit: [t for t, f in zip(u[unit]["example_tokens"], u[unit]["example_factors"], strict=False) if f[2]]
              for unit in u}
    listed = {unit: (", ".join(f"`{t}`" for t in tokens) or "—") for unit, tokens in unseen.items()}
    out.write_bilingual(
        "summary-example",
        "；".join(f"按{UNITS['zh'][unit]}切分，`{EXAMPLE}` 里没见过的词元：{listed[unit]}" for unit in unseen) + "。",
        "Unseen tokens of `" + EXAMPLE + "`: " + "; ".join(f"{UNITS['en'][unit]}, {listed[unit]}" for unit in unseen)
        + ".",
    )
    out.write_json("results.json", results)
    out.write_provenance()


if __name__ == "__main__":
    main(fast=is_fast())
