"""Note 6 (迁移学习 / Transfer learning): pre-train on HSK levels 1–5, fine-tune on level 6.

Writes notes/docs/generated/06-transfer/. Run: python notes/scripts/06-transfer.py [--fast]
For each number of level-6 sentences n, a pre-trained model fine-tuned on them is compared with a model
of the same size trained from scratch on them alone; both read the n sentences equally often.
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace

import matplotlib.pyplot as plt
import torch

from bilingual_lm.corpora.hsk import hsk_sentences
from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.tinylm.data import bilingual_texts, token_stream
from bilingual_lm.tinylm.evaluate import held_out_score
from bilingual_lm.tinylm.model import TinyConfig, build_model, count_parameters
from bilingual_lm.tinylm.reference import SEED, VOCAB_SIZE, set_deterministic
from bilingual_lm.tinylm.tokenizer import train_tokenizer
from bilingual_lm.tinylm.train import TrainConfig, train

DOMAIN_LEVEL = 6
PROFILES = {
    "full": {
        "model": {"d_model": 64, "n_layers": 2, "n_heads": 4},
        "pretrain": TrainConfig(steps=400, batch_size=32, learning_rate=3e-3, warmup_steps=30),
        "finetune": TrainConfig(batch_size=16, learning_rate=5e-4),
        "scratch": TrainConfig(batch_size=16, learning_rate=3e-3),
        "epochs": 10,
        "amounts": [1, 4, 16, 64, 256, None],  # None: the whole domain training pool
    },
    "fast": {
        "model": {"d_model": 32, "n_layers": 1, "n_heads": 4},
        "pretrain": TrainConfig(steps=100, batch_size=16, learning_rate=3e-3, warmup_steps=10),
        "finetune": TrainConfig(batch_size=8, learning_rate=5e-4),
        "scratch": TrainConfig(batch_size=8, learning_rate=3e-3),
        "epochs": 2,
        "amounts": [4, 64, None],
    },
}


def schedule(config: TrainConfig, tokens: int, epochs: int, context: int) -> TrainConfig:
    """`config` with enough steps to read the domain tokens `epochs` times (at least one step)."""
    steps = max(1, math.ceil(epochs * tokens / (config.batch_size * context)))
    return replace(config, steps=steps, warmup_steps=steps // 10)


def split_domain(sentences):
    """General text (levels 1–5), and the level-6 sentences as a shuffled training pool and a held-out fifth."""
    general = [s for s in sentences if s.level != DOMAIN_LEVEL]
    domain = [s for s in sentences if s.level == DOMAIN_LEVEL]
    held_out = [s for i, s in enumerate(domain) if i % 5 == 4]
    pool = [s for i, s in enumerate(domain) if i % 5 != 4]
    order = torch.randperm(len(pool), generator=torch.Generator().manual_seed(SEED)).tolist()
    return general, [pool[i] for i in order], held_out


PLOT_LABELS = {
    "zh": {"finetuned": "先在 1–5 级上预训练，再用 n 个六级句子微调", "scratch": "只用这 n 个六级句子从零训练",
           "zero": "只预训练（n = 0）", "x": "六级（领域）训练句子数 n，每句中英各一（共 {pool} 句）",
           "y": "六级留出句的每字比特", "title": "迁移学习的数据效率"},
    "en": {"finetuned": "pre-trained on levels 1–5, then fine-tuned on n level-6 sentences",
           "scratch": "trained from scratch on the n level-6 sentences only", "zero": "pre-trained only (n = 0)",
           "x": "level-6 (domain) training sentences n, each zh + en (pool: {pool})",
           "y": "held-out level-6 bits per character", "title": "Data efficiency of transfer learning"},
}


def plot_efficiency(rows, zero_shot, pool_size, ui: str) -> plt.Figure:
    """Held-out level-6 bits per character against n, fine-tuned and from scratch; labels in `ui`."""
    labels = PLOT_LABELS[ui]
    figure, axis = plt.subplots(figsize=(8, 4.6))
    n = [r["sentences"] for r in rows]
    axis.semilogx(n, [r["finetuned"]["bits_per_char"] for r in rows], "o-", color="tab:blue",
                  label=labels["finetuned"])
    axis.semilogx(n, [r["scratch"]["bits_per_char"] for r in rows], "s-", color="tab:orange",
                  label=labels["scratch"])
    axis.axhline(zero_shot["bits_per_char"], color="tab:blue", linestyle=":", label=labels["zero"])
    axis.set_xlabel(labels["x"].format(pool=pool_size))
    axis.set_ylabel(labels["y"])
    axis.set_title(labels["title"])
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return figure


def main(fast: bool = False) -> None:
    set_deterministic()
    profile = PROFILES["fast" if fast else "full"]
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    general, pool, held_out = split_domain(hsk_sentences())
    general_texts, held_out_texts = bilingual_texts(general), bilingual_texts(held_out)
    tokenizer = train_tokenizer(general_texts, vocab_size=VOCAB_SIZE)
    config = TinyConfig(tokenizer.get_piece_size(), **profile["model"])

    def score(model) -> dict:
        result = held_out_score(model, tokenizer, held_out_texts)
        return {"loss": result.loss, "bits_per_char": result.bits_per_char}

    pretrained = build_model(config, seed=SEED)
    pretrain_losses = train(pretrained, token_stream(tokenizer, general_texts, seed=SEED), profile["pretrain"],
                            description="pre-training on levels 1–5")
    zero_shot = score(pretrained)

    rows = []
    for amount in profile["amounts"]:
        n = len(pool) if amount is None else amount
        stream = token_stream(tokenizer, bilingual_texts(pool[:n]), seed=SEED)
        finetune = schedule(profile["finetune"], len(stream), profile["epochs"], config.context)
        scratch_config = schedule(profile["scratch"], len(stream), profile["epochs"], config.context)
        # --8<-- [start:key]
        finetuned = copy.deepcopy(pretrained)
        train(finetuned, stream, finetune, description=f"fine-tuning on {n}")
        scratch = build_model(config, seed=SEED)
        train(scratch, stream, scratch_config, description=f"from scratch on {n}")
        # --8<-- [end:key]
        rows.append({"sentences": n, "tokens": len(stream), "steps": finetune.steps,
                     "finetuned": score(finetuned), "scratch": score(scratch)})

    out.save_figures(lambda ui: plot_efficiency(rows, zero_shot, len(pool), ui), "efficiency")

    def table_rows() -> list[list]:
        body = [[0, 0, 0, f"{zero_shot['loss']:.3f}", f"{zero_shot['bits_per_char']:.3f}", "—", "—"]]
        body += [[r["sentences"], f"{r['tokens']:,}", r["steps"], f"{r['finetuned']['loss']:.3f}",
                  f"{r['finetuned']['bits_per_char']:.3f}", f"{r['scratch']['loss']:.3f}",
                  f"{r['scratch']['bits_per_char']:.3f}"] for r in rows]
        return body

    out.write_bilingual(
        "efficiency",
        markdown_table(["六级句子数 n", "词元", "训练步数", "预训练+微调：损失", "预训练+微调：每字比特",
                        "从零训练：损失", "从零训练：每字比特"], table_rows(), "rrrrrrr"),
        markdown_table(["level-6 sentences n", "tokens", "training steps", "pre-trained + fine-tuned: loss",
                        "pre-trained + fine-tuned: bits/char", "from scratch: loss", "from scratch: bits/char"],
                       table_rows(), "rrrrrrr"),
    )

    full = rows[-1]
    matched = next((r["sentences"] for r in rows
                    if r["finetuned"]["bits_per_char"] <= full["scratch"]["bits_per_char"]), None)
    parameters = count_parameters(pretrained)
    name = {"zh": "快速（`--fast`）" if fast else "完整", "en": "fast (`--fast`)" if fast else "full"}
    zh = (f"本页用的是{name['zh']}配置：模型 {parameters:,} 个参数，先在一到五级的 {len(general):,} 个句子"
          f"（中英各一句）上预训练 {profile['pretrain'].steps} 步；"
          f"微调和从零训练都把 n 个六级句子读 {profile['epochs']} 遍（步数见表）。"
          f"只预训练、不见六级句子时，六级留出句是每字 {zero_shot['bits_per_char']:.2f} 比特；"
          f"用全部 {full['sentences']} 个六级句子，从零训练是 {full['scratch']['bits_per_char']:.2f}，"
          f"预训练后微调是 {full['finetuned']['bits_per_char']:.2f}。")
    en = (f"This page uses the {name['en']} profile: a model of {parameters:,} parameters is pre-trained for "
          f"{profile['pretrain'].steps} steps on the {len(general):,} sentences (zh + en) of levels 1–5; "
          f"fine-tuning and training from scratch both read the n level-6 sentences {profile['epochs']} times "
          "(the steps are in the table). Pre-trained "
          f"only, without any level-6 sentence, it scores {zero_shot['bits_per_char']:.2f} bits per character on "
          f"the held-out level-6 sentences; with all {full['sentences']} level-6 sentences, training from "
          f"scratch reaches {full['scratch']['bits_per_char']:.2f} and fine-tuning the pre-trained model "
          f"{full['finetuned']['bits_per_char']:.2f}.")
    if zero_shot["bits_per_char"] <= full["scratch"]["bits_per_char"]:
        zh += "预训练模型一个六级句子都不用，就已经比用全部六级句子从零训练的模型更好。"
        en += (" Without a single level-6 sentence, the pre-trained model already beats the model trained from "
               "scratch on all of them.")
    elif matched is not None:
        zh += f"预训练模型只需 {matched} 个六级句子，就达到从零训练用全部句子的水平。"
        en += (f" The pre-trained model needs only {matched} level-6 sentences to match what training from "
               "scratch reaches with all of them.")
    tuned = [r["finetuned"]["bits_per_char"] for r in rows]
    zh += (f"微调本身带来的变化很小：n 从 {rows[0]['sentences']} 到 {full['sentences']}，微调后的每字比特在 "
           f"{min(tuned):.3f} 到 {max(tuned):.3f} 之间，只预训练是 {zero_shot['bits_per_char']:.3f}。"
           "两条曲线的差距几乎全部来自预训练。")
    en += (f" Fine-tuning itself changes little: for n from {rows[0]['sentences']} to {full['sentences']}, the "
           f"fine-tuned models score between {min(tuned):.3f} and {max(tuned):.3f} bits per character, against "
           f"{zero_shot['bits_per_char']:.3f} for pre-training alone. Almost all of the gap between the curves is "
           "pre-training's.")
    out.write_bilingual("summary", zh, en)
    out.write_json("results.json", {
        "profile": out.profile, "parameters": parameters, "general_sentences": len(general),
        "domain_pool": len(pool), "domain_held_out": len(held_out),
        "pretrain_final_train_loss": pretrain_losses[-1], "zero_shot": zero_shot, "rows": rows,
        "bits_per_char_note": "end of sentence included; characters of the held-out level-6 zh and en text",
        "uniform_loss": math.log(tokenizer.get_piece_size()),
    })
    out.write_provenance()


if __name__ == "__main__":
    main(fast=is_fast())
