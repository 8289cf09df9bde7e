"""Note 7 (规模 / Scale): four sizes of the tiny model on the same text, and a small power law.

Writes notes/docs/generated/07-scale/. Run: python notes/scripts/07-scale.py [--fast]
The largest size is note 5's reference model; every size is cached, so a re-run only re-plots.
GPT-2 and GPT-3 appear as figures REPORTED in their papers, not measured here.
"""

from __future__ import annotations

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FormatStrFormatter

from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.tinylm.evaluate import held_out_score
from bilingual_lm.tinylm.model import count_parameters
from bilingual_lm.tinylm.reference import PROFILES, SEED, hsk_split, set_deterministic, trained_on_hsk
from bilingual_lm.tinylm.scaling import fit_power_law, training_flops

# (d_model, n_layers) of the smaller sizes; the largest is the profile's reference model.
SMALLER = {"full": [(32, 1), (64, 2), (96, 3)], "fast": [(16, 1), (32, 1), (48, 2)]}

# Figures reported by the papers (not measured here; other data, tokenizers and units than ours).
REPORTED = [
    {
        "model": "GPT-2 (1.5B)",
        "parameters": 1_542_000_000,  # "1542M", Radford et al. (2019), Table 2
        "tokens": None,  # not reported (WebText: 40 GB of text)
        "compute": None,  # not reported
        "score": {"zh": "text8 上 0.98 比特/字符；enwik8 上 0.93 比特/字节（零样本）",
                  "en": "0.98 bits/char on text8; 0.93 bits/byte on enwik8 (zero-shot)"},
        "source": "Radford et al. (2019), *Language Models are Unsupervised Multitask Learners*, Table 3",
    },
    {
        "model": "GPT-3 (175B)",
        "parameters": 175_000_000_000,
        "tokens": 300_000_000_000,  # Brown et al. (2020), Table 2.2 / D.1
        "compute": 3.14e23,  # "3.14E+23" FLOPs (3,640 PF-days), Table D.1
        "score": {"zh": "Penn Treebank 词级困惑度 20.5（零样本）",
                  "en": "Penn Treebank word-level perplexity 20.5 (zero-shot)"},
        "source": "Brown et al. (2020), *Language Models are Few-Shot Learners*, Tables 3.1 and D.1",
    },
]


def sci(x: float, digits: int = 3) -> str:
    """`x` as TeX scientific notation, e.g. 3.14 \\times 10^{23}."""
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


def train_sizes(profile: str) -> list[dict]:
    """Every size trained on the same data for the same steps, with its held-out loss along the way."""
    reference = PROFILES[profile]
    sizes = [*SMALLER[profile], (reference.d_model, reference.n_layers)]
    train_texts, held_out_texts = hsk_split()
    seen = train_texts[: len(held_out_texts)]  # as many training texts as held-out ones, scored the same way
    runs = []
    for d_model, n_layers in sizes:
        recipe = replace(reference, d_model=d_model, n_layers=n_layers)
        trained = trained_on_hsk(recipe)
        tokens_per_step = recipe.train.batch_size * recipe.context
        n = count_parameters(trained.model, embeddings=False)
        # --8<-- [start:key]
        # Memorisation shows as a gap: loss on sentences the model was trained on against unseen ones.
        train_loss = held_out_score(trained.model, trained.tokenizer, seen).loss
        # --8<-- [end:key]
        runs.append({
            "d_model": d_model, "n_layers": n_layers,
            "parameters": count_parameters(trained.model), "non_embedding_parameters": n,
            "tokens": recipe.train.steps * tokens_per_step,
            "compute": training_flops(n, recipe.train.steps * tokens_per_step),
            "final_loss": trained.held_out[-1]["loss"],
            "final_train_loss": train_loss,
            "generalisation_gap": trained.held_out[-1]["loss"] - train_loss,
            "final_bits_per_char": trained.held_out[-1]["bits_per_char"],
            "curve": [{**h, "compute": training_flops(n, h["step"] * tokens_per_step)} for h in trained.held_out],
        })
    return runs


def frontier(runs: list[dict]) -> list[tuple[float, float]]:
    """The (compute, loss) checkpoints that no cheaper checkpoint of any size beats."""
    points = sorted((h["compute"], h["loss"]) for run in runs for h in run["curve"])
    best, kept = np.inf, []
    for compute, loss in points:
        if loss < best:
            best = loss
            kept.append((compute, loss))
    return kept


PLOT_LABELS = {
    "zh": {"held": "训练后的留出损失", "train": "训练句子上的损失", "fit": "拟合", "n": "参数 N（不含词嵌入）",
           "loss": "损失（奈特/词元）", "by_n": "损失与模型大小", "frontier": "前沿拟合",
           "c": "训练计算量 C = 6·N·D（FLOPs）", "by_c": "损失与计算量（留出集）", "ours": "小模型（本页实测）",
           "our_d": "C = 6·N·D，本页的 D = {d:,} 个词元", "gpt3_d": "C = 6·N·D，D = {d:.3g} 个词元（GPT-3，论文报告）",
           "gpt3": "{m}：{c:.3g} FLOPs（论文报告）", "gpt2": "{m}：{p:.3g} 个参数（未报告计算量）",
           "flops": "训练计算量（FLOPs）", "params": "参数（本页：不含词嵌入）",
           "reported": "本页的模型与论文报告的模型：参数与计算量"},
    "en": {"held": "held-out loss after training", "train": "loss on training sentences", "fit": "fit",
           "n": "parameters N (without embeddings)", "loss": "loss (nats per token)", "by_n": "Loss against model size",
           "frontier": "frontier fit", "c": "training compute C = 6·N·D (FLOPs)",
           "by_c": "Held-out loss against compute", "ours": "tiny models (measured here)",
           "our_d": "C = 6·N·D with our D = {d:,} tokens",
           "gpt3_d": "C = 6·N·D with D = {d:.3g} tokens (GPT-3, reported)",
           "gpt3": "{m}: {c:.3g} FLOPs (reported)", "gpt2": "{m}: {p:.3g} parameters (compute not reported)",
           "flops": "training compute (FLOPs)", "params": "parameters (ours: without embeddings)",
           "reported": "Our models and reported ones: parameters against compute"},
}


def plot_scaling(runs, law_n, front, law_c, ui: str) -> plt.Figure:
    """Held-out and training loss against size, and held-out loss against compute; labels in `ui`."""
    labels = PLOT_LABELS[ui]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    n = np.array([r["non_embedding_parameters"] for r in runs])
    left.loglog(n, [r["final_loss"] for r in runs], "o", color="tab:blue", label=labels["held"])
    left.loglog(n, [r["final_train_loss"] for r in runs], "^", color="tab:grey", label=labels["train"])
    grid = np.geomspace(n.min() / 1.5, n.max() * 1.5, 50)
    left.loglog(grid, law_n(grid), "--", color="tab:blue",
                label=f"{labels['fit']}: L = {law_n.a:.2f} · N^(−{law_n.exponent:.3f})")
    left.set_xlabel(labels["n"])
    left.set_ylabel(labels["loss"])
    left.set_title(labels["by_n"])
    left.legend(fontsize=9)
    for run in runs:
        curve = run["curve"]
        right.loglog([h["compute"] for h in curve], [h["loss"] for h in curve], ".-", alpha=0.7,
                     label=f"N = {run['non_embedding_parameters']:,}")
    c = np.array([p[0] for p in front])
    grid = np.geomspace(c.min(), c.max(), 50)
    right.loglog(grid, law_c(grid), "k--",
                 label=f"{labels['frontier']}: L = {law_c.a:.2f} · C^(−{law_c.exponent:.3f})")
    right.set_xlabel(labels["c"])
    right.set_ylabel(labels["loss"])
    right.set_title(labels["by_c"])
    right.legend(fontsize=8.5)
    for axis in (left, right):
        axis.grid(True, which="both", alpha=0.3)
        axis.yaxis.set_major_formatter(FormatStrFormatter("%.1f"))
        axis.yaxis.set_minor_formatter(FormatStrFormatter("%.1f"))
    figure.tight_layout()
    return figure


def plot_reported(runs, ui: str) -> plt.Figure:
    """Parameters against training compute: ours (measured) and GPT-2 / GPT-3 (reported); labels in `ui`."""
    labels = PLOT_LABELS[ui]
    figure, axis = plt.subplots(figsize=(8, 4.8))
    ours_c = [r["compute"] for r in runs]
    axis.loglog(ours_c, [r["non_embedding_parameters"] for r in runs], "o", color="tab:blue", label=labels["ours"])
    tokens = runs[0]["tokens"]
    grid = np.geomspace(1e9, 1e25, 50)
    axis.loglog(grid, grid / (6 * tokens), ":", color="tab:blue", linewidth=1, label=labels["our_d"].format(d=tokens))
    gpt3 = REPORTED[1]
    axis.loglog(grid, grid / (6 * gpt3["tokens"]), ":", color="tab:red", linewidth=1,
                label=labels["gpt3_d"].format(d=gpt3["tokens"]))
    axis.loglog([gpt3["compute"]], [gpt3["parameters"]], "*", color="tab:red", markersize=14,
                label=labels["gpt3"].format(m=gpt3["model"], c=gpt3["compute"]))
    gpt2 = REPORTED[0]
    axis.axhline(gpt2["parameters"], color="tab:green", linestyle="--", linewidth=1,
                 label=labels["gpt2"].format(m=gpt2["model"], p=gpt2["parameters"]))
    axis.set_ylim(min(r["non_embedding_parameters"] for r in runs) / 10, gpt3["parameters"] * 30)
    axis.set_xlabel(labels["flops"])
    axis.set_ylabel(labels["params"])
    axis.set_title(labels["reported"])
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8.5, loc="upper left")
    figure.tight_layout()
    return figure


def main(fast: bool = False) -> None:
    set_deterministic()
    profile = "fast" if fast else "full"
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    runs = train_sizes(profile)
    law_n = fit_power_law([r["non_embedding_parameters"] for r in runs], [r["final_loss"] for r in runs])
    front = frontier(runs)
    law_c = fit_power_law([p[0] for p in front], [p[1] for p in front])
    out.save_figures(lambda ui: plot_scaling(runs, law_n, front, law_c, ui), "scaling")
    out.save_figures(lambda ui: plot_reported(runs, ui), "reported")

    def size_rows() -> list[list]:
        return [[f"{r['n_layers']} × {r['d_model']}", f"{r['parameters']:,}", f"{r['non_embedding_parameters']:,}",
                 f"{r['tokens']:,}", f"${sci(r['compute'])}$", f"{r['final_train_loss']:.3f}",
                 f"{r['final_loss']:.3f}", f"{r['generalisation_gap']:+.3f}",
                 f"{r['final_bits_per_char']:.3f}"] for r in runs]

    out.write_bilingual(
        "sizes",
        markdown_table(["层数 × 宽度", "参数（含词嵌入）", "参数 N（不含词嵌入）", "训练词元 D",
                        "计算量 C = 6ND（FLOPs）", "训练句损失", "留出损失（奈特/词元）", "差（留出 − 训练）",
                        "每字比特"], size_rows(), "lrrrrrrrr"),
        markdown_table(["layers × width", "parameters (with embeddings)", "parameters N (without embeddings)",
                        "training tokens D", "compute C = 6ND (FLOPs)", "loss on training sentences",
                        "held-out loss (nats/token)", "gap (held-out − training)", "bits/char"],
                       size_rows(), "lrrrrrrrr"),
    )

    def reported_rows(ui: str) -> list[list]:
        missing = {"zh": "未报告", "en": "not reported"}[ui]
        return [[r["model"], f"${sci(r['parameters'])}$", f"${sci(r['tokens'])}$" if r["tokens"] else missing,
                 f"${sci(r['compute'])}$" if r["compute"] else missing, r["score"][ui], r["source"]]
                for r in REPORTED]

    out.write_bilingual(
        "reported",
        markdown_table(["模型", "参数", "训练词元", "训练计算量（FLOPs）", "论文报告的成绩", "出处"],
                       reported_rows("zh"), "lrrrll"),
        markdown_table(["model", "parameters", "training tokens", "training compute (FLOPs)", "reported score",
                        "source"], reported_rows("en"), "lrrrll"),
    )

    small, large = runs[0], runs[-1]
    gpt3 = REPORTED[1]
    gpt3_6nd = f"6 \\times {sci(gpt3['parameters'])} \\times {sci(gpt3['tokens'])} = " + sci(
        training_flops(gpt3["parameters"], gpt3["tokens"]))
    profile_name = {"zh": "快速（`--fast`）" if fast else "完整", "en": "fast (`--fast`)" if fast else "full"}
    out.write_bilingual(
        "summary",
        f"本页用的是{profile_name['zh']}配置。{len(runs)} 个模型读同样的 {large['tokens']:,} 个词元，"
        f"参数（不含词嵌入）从 {small['non_embedding_parameters']:,} 增加到 {large['non_embedding_parameters']:,}"
        f"（{large['non_embedding_parameters'] / small['non_embedding_parameters']:.0f} 倍），"
        f"留出损失从 {small['final_loss']:.3f} 降到 {large['final_loss']:.3f} 奈特/词元。"
        f"拟合的幂律是 $L(N) = {law_n.a:.2f}\\,N^{{-{law_n.exponent:.3f}}}$，"
        f"计算量前沿上是 $L(C) = {law_c.a:.2f}\\,C^{{-{law_c.exponent:.3f}}}$。",
        f"This page uses the {profile_name['en']} profile. {len(runs)} models read the same "
        f"{large['tokens']:,} tokens; as the parameters (without embeddings) grow from "
        f"{small['non_embedding_parameters']:,} to {large['non_embedding_parameters']:,} "
        f"({large['non_embedding_parameters'] / small['non_embedding_parameters']:.0f}×), the held-out loss falls "
        f"from {small['final_loss']:.3f} to {large['final_loss']:.3f} nats per token. The fitted power law is "
        f"$L(N) = {law_n.a:.2f}\\,N^{{-{law_n.exponent:.3f}}}$, and on the compute frontier "
        f"$L(C) = {law_c.a:.2f}\\,C^{{-{law_c.exponent:.3f}}}$.",
    )
    best = min(runs, key=lambda r: r["final_loss"])
    gaps = [r["generalisation_gap"] for r in runs]
    growing = all(b > a for a, b in zip(gaps, gaps[1:], strict=False))
    zh = (f"训练句与留出句的损失之差从最小模型的 {small['generalisation_gap']:+.3f} 变为最大模型的 "
          f"{large['generalisation_gap']:+.3f} 奈特/词元。")
    en = (f"The gap between held-out and training-sentence loss goes from {small['generalisation_gap']:+.3f} for the "
          f"smallest model to {large['generalisation_gap']:+.3f} nats per token for the largest.")
    if growing:
        zh += "差距随模型变大而单调增大：在这么少的数据上，更大的模型更多地在记训练句子。"
        en += " It grows with every step in size: on this little data, a larger model memorises more."
    else:
        zh += "差距并不随模型变大而单调增大，所以这里的数据不足以说明更大的模型记得更多。"
        en += " It does not grow with every step in size, so these runs do not show that a larger model memorises more."
    if best is not large:
        zh += (f"最低的留出损失（{best['final_loss']:.3f}）属于 {best['n_layers']} × {best['d_model']} 的模型，"
               "不是最大的那个。")
        en += (f" The lowest held-out loss ({best['final_loss']:.3f}) belongs to the {best['n_layers']} × "
               f"{best['d_model']} model, not the largest one.")
    else:
        zh += "最大的模型留出损失也最低。"
        en += " The largest model also has the lowest held-out loss."
    out.write_bilingual("summary-best", zh, en)
    out.write_bilingual(
        "summary-reported",
        f"用 $C = 6ND$ 估算 GPT-3：${gpt3_6nd}$ FLOPs，"
        f"与论文报告的 ${sci(REPORTED[1]['compute'])}$ 相符；它比这里最大的小模型多用 "
        f"${sci(REPORTED[1]['compute'] / large['compute'], 2)}$ 倍计算量。",
        f"The $C = 6ND$ rule gives GPT-3 ${gpt3_6nd}$ "
        f"FLOPs, in line with the ${sci(REPORTED[1]['compute'])}$ its paper reports; that is "
        f"${sci(REPORTED[1]['compute'] / large['compute'], 2)}$ times the compute of our largest tiny model.",
    )
    out.write_json("results.json", {
        "profile": out.profile, "runs": runs,
        "fit_parameters": {"a": law_n.a, "exponent": law_n.exponent},
        "fit_compute_frontier": {"a": law_c.a, "exponent": law_c.exponent, "points": front},
        "reported": REPORTED,
    })
    out.write_provenance()


if __name__ == "__main__":
    main(fast=is_fast())
