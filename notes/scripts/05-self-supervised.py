"""Note 5 (自监督学习 / Self-supervised learning): a tiny Transformer trained from scratch on the HSK text.

Writes notes/docs/generated/05-self-supervised/. Run: python notes/scripts/05-self-supervised.py [--fast]
The reference model it trains is cached, and notes 7 and 8 reuse it.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from bilingual_lm.corpora.hsk import train_test_split
from bilingual_lm.ngram import train_ngram
from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.segment import get_segmenter
from bilingual_lm.tinylm.data import encode, next_token_pairs
from bilingual_lm.tinylm.evaluate import held_out_score
from bilingual_lm.tinylm.model import count_parameters
from bilingual_lm.tinylm.reference import SEED, reference_model, set_deterministic

EXAMPLES = ("我爱吃披萨。", "I love to eat pizza.")
NGRAM_ORDER = 3


# --8<-- [start:key]
def pairs_table(tokenizer, text: str, ui: str) -> str:
    """What the model reads at each position and the label it is asked for: the next piece of the text."""
    ids = torch.tensor(encode(tokenizer, text))
    inputs, labels = next_token_pairs(ids)
    piece = {1: "<s>", 2: "</s>"}

    def show(i: int) -> str:
        return f"`{piece.get(i) or tokenizer.id_to_piece(i)}`"

    rows = [[t, " ".join(show(int(i)) for i in inputs[: t + 1]), show(int(labels[t]))] for t in range(len(labels))]
    headers = {"zh": ["位置 t", "输入：模型读到的前文", "标签：下一个词元"],
               "en": ["position t", "input: the context read so far", "label: the next token"]}[ui]
    return markdown_table(headers, rows, "rll")
# --8<-- [end:key]


def ngram_bits(train_sentences, test_sentences) -> dict[str, dict]:
    """Bits per character of a word n-gram (Kneser–Ney) on the same held-out sentences, per language.

    Words unseen in training are scored as `<unk>`, which stands for every unknown word at once: the
    n-gram pays less for them than for spelling them out, so its figure flatters it by that much.
    """
    results = {}
    for lang in ("zh", "en"):
        segmenter = get_segmenter(lang)
        train_words = [[t.text for t in segmenter.segment(getattr(s, lang))] for s in train_sentences]
        texts = [getattr(s, lang) for s in test_sentences]
        test_words = [[t.text for t in segmenter.segment(text)] for text in texts]
        model = train_ngram(train_words, order=NGRAM_ORDER, smoothing="kn")
        scores = model.score_sentences(test_words)
        chars = sum(map(len, texts))
        results[lang] = {
            "bits_per_char": -float(scores.totals().sum()) / math.log(2) / chars,
            "characters": chars,
            "words": int(sum(map(len, test_words))),
            "oov_rate": float(scores.oov.mean()),
        }
    return results


PLOT_LABELS = {
    "zh": {"train": "训练批次（{window} 步平均）", "held": "留出句子", "uniform": "均匀猜测：ln {v}",
           "step": "训练步数",
           "ce": "交叉熵（奈特/词元）", "loss": "下一个词元的损失", "bpc": "每字比特",
           "bpc_title": "留出句子的每字比特（中文 + 英文）"},
    "en": {"train": "training batches (mean of {window})", "held": "held-out sentences",
           "uniform": "uniform guess: ln {v}", "step": "training step", "ce": "cross-entropy (nats per token)",
           "loss": "Next-token loss", "bpc": "bits per character",
           "bpc_title": "Held-out bits per character (zh + en)"},
}


def plot_losses(trained, ui: str) -> plt.Figure:
    """Training and held-out loss against step, and held-out bits per character; labels in `ui`."""
    labels = PLOT_LABELS[ui]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    losses = np.array(trained.train_losses)
    steps = np.arange(1, len(losses) + 1)
    window = max(1, len(losses) // 25)
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    left.plot(steps, losses, color="tab:blue", alpha=0.25, linewidth=0.8)
    left.plot(steps[window - 1:], smooth, color="tab:blue", label=labels["train"].format(window=window))
    held = trained.held_out
    left.plot([h["step"] for h in held], [h["loss"] for h in held], "o-", color="tab:orange", label=labels["held"])
    left.axhline(math.log(trained.recipe.vocab_size), color="grey", linestyle=":", linewidth=1,
                 label=labels["uniform"].format(v=trained.recipe.vocab_size))
    left.set_xlabel(labels["step"])
    left.set_ylabel(labels["ce"])
    left.set_title(labels["loss"])
    left.legend()
    right.plot([h["step"] for h in held], [h["bits_per_char"] for h in held], "o-", color="tab:orange")
    right.set_xlabel(labels["step"])
    right.set_ylabel(labels["bpc"])
    right.set_title(labels["bpc_title"])
    figure.tight_layout()
    return figure


def main(fast: bool = False) -> None:
    set_deterministic()
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    trained = reference_model("fast" if fast else "full")
    recipe, tokenizer, model = trained.recipe, trained.tokenizer, trained.model
    train_sentences, test_sentences = train_test_split()

    for text, name in zip(EXAMPLES, ("pairs-zh", "pairs-en"), strict=True):
        out.write_bilingual(name, pairs_table(tokenizer, text, "zh"), pairs_table(tokenizer, text, "en"))

    scores = {lang: held_out_score(model, tokenizer, [getattr(s, lang) for s in test_sentences])
              for lang in ("zh", "en")}
    ngram = ngram_bits(train_sentences, test_sentences)
    parameters = count_parameters(model)
    tokens_seen = recipe.train.steps * recipe.train.batch_size * recipe.context
    setup = {
        "parameters": parameters,
        "non_embedding_parameters": count_parameters(model, embeddings=False),
        "d_model": recipe.d_model, "n_layers": recipe.n_layers, "n_heads": recipe.n_heads,
        "context": recipe.context, "vocab_size": tokenizer.get_piece_size(),
        "steps": recipe.train.steps, "batch_size": recipe.train.batch_size,
        "learning_rate": recipe.train.learning_rate, "tokens_seen": tokens_seen,
        "train_sentences": len(train_sentences), "held_out_sentences": len(test_sentences),
    }
    out.write_bilingual(
        "setup",
        markdown_table(["设置", "值"], [
            ["参数量（含词嵌入）", f"{parameters:,}"],
            ["参数量（不含词嵌入）", f"{setup['non_embedding_parameters']:,}"],
            ["层数 × 宽度 × 注意力头", f"{recipe.n_layers} × {recipe.d_model} × {recipe.n_heads}"],
            ["上下文长度（词元）", recipe.context], ["词表大小（sentencepiece）", setup["vocab_size"]],
            ["训练步数 × 批大小", f"{recipe.train.steps} × {recipe.train.batch_size}"],
            ["训练中读过的词元", f"{tokens_seen:,}"],
            ["训练句 / 留出句（各含中英两句）", f"{len(train_sentences):,} / {len(test_sentences):,}"],
        ], "ll"),
        markdown_table(["setting", "value"], [
            ["parameters (with embeddings)", f"{parameters:,}"],
            ["parameters (without embeddings)", f"{setup['non_embedding_parameters']:,}"],
            ["layers × width × attention heads", f"{recipe.n_layers} × {recipe.d_model} × {recipe.n_heads}"],
            ["context length (tokens)", recipe.context], ["vocabulary (sentencepiece)", setup["vocab_size"]],
            ["training steps × batch size", f"{recipe.train.steps} × {recipe.train.batch_size}"],
            ["tokens read in training", f"{tokens_seen:,}"],
            ["training / held-out sentences (each zh + en)", f"{len(train_sentences):,} / {len(test_sentences):,}"],
        ], "ll"),
    )

    def score_rows(ui: str) -> list[list]:
        names = {"zh": {"zh": "中文", "en": "英文"}, "en": {"zh": "Chinese", "en": "English"}}[ui]
        rows = []
        for lang in ("zh", "en"):
            score = scores[lang]
            rows.append([names[lang], f"{score.characters:,}", f"{score.tokens:,}", f"{score.loss:.3f}",
                         f"{score.bits_per_char:.3f}", f"{ngram[lang]['bits_per_char']:.3f}",
                         f"{ngram[lang]['oov_rate']:.1%}"])
        return rows

    ngram_name = {"zh": f"{NGRAM_ORDER} 元模型（Kneser–Ney，词）每字比特",
                  "en": f"{NGRAM_ORDER}-gram (Kneser–Ney, words) bits/char"}
    out.write_bilingual(
        "scores",
        markdown_table(["留出文本", "字符", "词元", "Transformer 损失（奈特/词元）", "Transformer 每字比特",
                        ngram_name["zh"], "n 元模型未登录词比例"], score_rows("zh"), "lrrrrrr"),
        markdown_table(["held-out text", "characters", "tokens", "Transformer loss (nats/token)",
                        "Transformer bits/char", ngram_name["en"], "n-gram OOV rate"], score_rows("en"), "lrrrrrr"),
    )
    out.save_figures(lambda ui: plot_losses(trained, ui), "loss")

    first, last = trained.held_out[0], trained.held_out[-1]
    profile = {"zh": "快速（`--fast`）" if fast else "完整", "en": "fast (`--fast`)" if fast else "full"}
    zh = (f"本页用的是{profile['zh']}配置：模型有 {parameters:,} 个参数，训练 {recipe.train.steps} 步。"
          f"留出句上的损失从第 {first['step']} 步的 {first['loss']:.2f} 奈特/词元"
          f"降到第 {last['step']} 步的 {last['loss']:.2f}（均匀猜测是 {math.log(recipe.vocab_size):.2f}）。"
          f"每字比特：中文 {scores['zh'].bits_per_char:.2f}，英文 {scores['en'].bits_per_char:.2f}")
    en = (f"This page uses the {profile['en']} profile: the model has {parameters:,} parameters and trains for "
          f"{recipe.train.steps} steps. Its held-out loss falls from {first['loss']:.2f} "
          f"nats per token at step {first['step']} to {last['loss']:.2f} at step {last['step']} (a uniform guess "
          f"scores {math.log(recipe.vocab_size):.2f}). Bits per character: Chinese "
          f"{scores['zh'].bits_per_char:.2f}, English {scores['en'].bits_per_char:.2f}")
    zh += (f"；同一批留出句上，{NGRAM_ORDER} 元模型是中文 {ngram['zh']['bits_per_char']:.2f}、"
           f"英文 {ngram['en']['bits_per_char']:.2f}，但它把 {ngram['zh']['oov_rate']:.1%}（中文）和 "
           f"{ngram['en']['oov_rate']:.1%}（英文）的未登录词都当作 `<unk>` 打分。")
    en += (f"; the {NGRAM_ORDER}-gram scores {ngram['zh']['bits_per_char']:.2f} (Chinese) and "
           f"{ngram['en']['bits_per_char']:.2f} (English) on the same held-out sentences, but it scores the "
           f"{ngram['zh']['oov_rate']:.1%} (Chinese) and {ngram['en']['oov_rate']:.1%} (English) of words it "
           "never saw as `<unk>`.")
    out.write_bilingual("summary", zh, en)

    def better(lang: str, ui: str) -> str:
        ours, theirs = scores[lang].bits_per_char, ngram[lang]["bits_per_char"]
        winner = {"zh": ("Transformer", f"{NGRAM_ORDER} 元模型"), "en": ("the Transformer", f"the {NGRAM_ORDER}-gram")}
        name = winner[ui][0] if ours < theirs else winner[ui][1]
        return f"{name}" + ("低" if ui == "zh" else " is lower") + (
            f" {abs(ours - theirs):.2f} 比特/字" if ui == "zh" else f" by {abs(ours - theirs):.2f} bits per character")

    out.write_bilingual(
        "comparison",
        f"中文留出句上，{better('zh', 'zh')}；英文留出句上，{better('en', 'zh')}。",
        f"On the Chinese held-out sentences, {better('zh', 'en')}; on the English ones, {better('en', 'en')}.",
    )

    out.write_json("results.json", {
        "profile": out.profile, "setup": setup,
        "held_out": {lang: {"nats": s.nats, "tokens": s.tokens, "characters": s.characters, "loss": s.loss,
                            "bits_per_char": s.bits_per_char} for lang, s in scores.items()},
        "ngram": ngram, "curve": trained.held_out, "train_losses": trained.train_losses,
    })
    out.write_provenance()


if __name__ == "__main__":
    main(fast=is_fast())
