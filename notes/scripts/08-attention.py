"""Note 8 (注意力 / The Transformer and attention): attention maps, and attention's one parallel pass
against a recurrent network's step-by-step loop, timed.

Writes notes/docs/generated/08-attention/. Run: python notes/scripts/08-attention.py [--fast]
The maps come from note 5's reference model (from the cache when note 5 has run). Timings are measured
on the machine that runs the script, so they differ from run to run; their trend is the point.
"""

from __future__ import annotations

import time
from functools import partial

import matplotlib.pyplot as plt
import torch
from torch import nn

from bilingual_lm.corpora.hsk import train_test_split
from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table
from bilingual_lm.tinylm.attention import sentence_attention
from bilingual_lm.tinylm.reference import SEED, reference_model, set_deterministic

TIMING = {
    "full": {"lengths": [8, 16, 32, 64, 128, 256, 512], "repeats": 7, "width": 128, "batch": 8, "threads": 1},
    "fast": {"lengths": [16, 64, 256], "repeats": 5, "width": 64, "batch": 4, "threads": 1},
}


NOISE = 1.25  # timing ratios within this factor of 1 count as a tie (one thread, shared machine)


def example_sentence():
    """The first held-out HSK sentence of 8 to 12 Chinese characters (the model never trained on it)."""
    return next(s for s in train_test_split()[1] if 8 <= len(s.zh) <= 12)


PLOT_LABELS = {
    "zh": {"zh": "中文例句", "en": "英文例句", "head": "第 {layer} 层，第 {head} 头", "weight": "注意力权重",
           "suptitle": "{title}：行 = 查询位置的词元，列 = 被关注的词元"},
    "en": {"zh": "Chinese sentence", "en": "English sentence", "head": "layer {layer}, head {head}",
           "weight": "attention weight", "suptitle": "{title}: row = the querying token, column = the attended token"},
}


def plot_maps(maps: torch.Tensor, pieces: list[str], lang: str, ui: str) -> plt.Figure:
    """One heat map per layer (rows) and head (columns), the sentence's tokens on both axes and one colour
    bar for all; row t: how position t spreads its attention over positions 0..t."""
    labels = PLOT_LABELS[ui]
    layers, heads, length, _ = maps.shape
    ticks = [piece.replace("▁", "␣") for piece in pieces]  # sentencepiece's word-start mark as a visible space
    figure, axes = plt.subplots(layers, heads, figsize=(2.9 * heads + 1.2, 2.9 * layers), squeeze=False)
    for layer in range(layers):
        for head in range(heads):
            axis = axes[layer][head]
            image = axis.imshow(maps[layer, head].numpy(), cmap="viridis", vmin=0, vmax=1)
            axis.set_title(labels["head"].format(layer=layer + 1, head=head + 1), fontsize=10)
            axis.set_xticks(range(length), ticks, fontsize=7, rotation=90)
            axis.set_yticks(range(length), ticks, fontsize=7)
    figure.suptitle(labels["suptitle"].format(title=labels[lang]))
    figure.tight_layout(rect=(0, 0, 0.93, 1))
    bar = figure.colorbar(image, ax=axes, fraction=0.02, pad=0.02)
    bar.set_label(labels["weight"])
    return figure


def pieces_table(pieces: list[str], maps: torch.Tensor, ui: str) -> str:
    """Each position's piece, and where the last layer (mean over heads) sends most of its attention,
    with and without the first position `<s>`, where attention that has nowhere better to go collects."""
    mean = maps[-1].mean(0)
    rows = []
    for t, piece in enumerate(pieces):
        top = int(mean[t].argmax())
        row = [t, f"`{piece}`", f"{top} `{pieces[top]}` ({float(mean[t, top]):.2f})"]
        if t > 0:
            other = 1 + int(mean[t, 1 : t + 1].argmax())
            row.append(f"{other} `{pieces[other]}` ({float(mean[t, other]):.2f})")
        else:
            row.append("—")
        rows.append(row)
    headers = {"zh": ["位置", "词元", "末层最关注的位置（权重）", "除 `<s>` 外最关注的位置（权重）"],
               "en": ["position", "token", "most attended position (weight)",
                      "most attended apart from `<s>` (weight)"]}[ui]
    return markdown_table(headers, rows, "rlll")


def fastest_seconds(run, repeats: int) -> float:
    """The fastest of `repeats` timed runs (after a warm-up): the one least disturbed by other work."""
    run()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


# --8<-- [start:key]
@torch.no_grad()
def time_forward(setting: dict) -> list[dict]:
    """Forward time of one causal self-attention layer (all positions at once) and of a GRU (a step at a time).

    Both run on the same number of CPU threads (one, so that other work on the machine disturbs less).
    """
    torch.manual_seed(SEED)
    torch.set_num_threads(setting["threads"])
    width, batch = setting["width"], setting["batch"]
    attention = nn.MultiheadAttention(width, num_heads=4, batch_first=True).eval()
    cell = nn.GRUCell(width, width).eval()
    gru = nn.GRU(width, width, batch_first=True).eval()
    rows = []
    for length in setting["lengths"]:
        x = torch.randn(batch, length, width)
        causal = nn.Transformer.generate_square_subsequent_mask(length)
        rows.append({
            "length": length,
            "attention_s": fastest_seconds(partial(attention, x, x, x, attn_mask=causal, need_weights=False),
                                          setting["repeats"]),
            "gru_python_loop_s": fastest_seconds(partial(step_by_step, cell, x), setting["repeats"]),
            "gru_library_s": fastest_seconds(partial(gru, x), setting["repeats"]),
        })
    return rows


def step_by_step(cell: nn.GRUCell, x: torch.Tensor) -> torch.Tensor:
    """Run a recurrent cell along the sequence: step t needs the state from step t − 1."""
    h = torch.zeros(x.size(0), cell.hidden_size)
    for t in range(x.size(1)):
        h = cell(x[:, t], h)
    return h
# --8<-- [end:key]


def timing_summary(rows: list[dict], context: int, name: dict) -> tuple[str, str]:
    """The timings in a sentence per language: at the model's context length, at the longest, and where
    (if anywhere) attention's quadratic cost overtakes the GRU's steps."""
    at = {r["length"]: r for r in rows}
    short = at.get(context, rows[len(rows) // 2])
    longest = rows[-1]

    def ms(seconds: float) -> str:
        return f"{seconds * 1e3:.2f}"

    zh = [f"本页用的是{name['zh']}配置。"]
    en = [f"This page uses the {name['en']} profile."]
    for row in dict.fromkeys([short["length"], longest["length"]]):
        r = at[row]
        zh.append(f"长度 {row} 时，自注意力一次前向用 {ms(r['attention_s'])} 毫秒，逐步运行的 GRU 用 "
                  f"{ms(r['gru_python_loop_s'])} 毫秒，nn.GRU 用 {ms(r['gru_library_s'])} 毫秒。")
        en.append(f"At length {row}, one self-attention forward pass takes {ms(r['attention_s'])} ms, the GRU "
                  f"stepped from Python {ms(r['gru_python_loop_s'])} ms and nn.GRU {ms(r['gru_library_s'])} ms.")
    # One thread on a shared machine: a ratio within NOISE of 1 is a tie, not a finding.
    ratios = {r["length"]: r["attention_s"] / min(r["gru_library_s"], r["gru_python_loop_s"]) for r in rows}
    faster = [n for n, q in ratios.items() if q < 1 / NOISE]
    slower = [n for n, q in ratios.items() if q > NOISE]
    ties = [n for n in ratios if n not in faster and n not in slower]
    lengths = {"zh": lambda ns: "、".join(map(str, ns)), "en": lambda ns: ", ".join(map(str, ns))}
    if faster:
        zh.append(f"自注意力比两种 GRU 中较快的一种快出 {NOISE:.2f} 倍以上的长度：{lengths['zh'](faster)}。")
        en.append(f"Self-attention beats the faster GRU by more than {NOISE:.2f}× at lengths {lengths['en'](faster)}.")
    if slower:
        zh.append(f"慢出 {NOISE:.2f} 倍以上的长度：{lengths['zh'](slower)}，这时随长度平方增长的计算量占了上风。")
        en.append(f"It is slower by more than {NOISE:.2f}× at lengths {lengths['en'](slower)}, where its cost, "
                  "growing with the square of the length, takes over.")
    if ties:
        zh.append(f"在长度 {lengths['zh'](ties)} 上，两者相差不到 {NOISE:.2f} 倍：在单线程、有其他负载的机器上，"
                  "这算不上谁更快。")
        en.append(f"At lengths {lengths['en'](ties)} the two are within {NOISE:.2f}× of each other: on one thread of "
                  "a shared machine, that is no evidence either way.")
    return "".join(zh), " ".join(en)


TIMING_LABELS = {
    "zh": {"attention": "自注意力：一次并行计算", "gru": "GRU（nn.GRU）：循环在 torch 内部",
           "loop": "GRU（nn.GRUCell）：每个位置一步", "x": "序列长度（位置数）",
           "y": "前向时间（毫秒，多次运行取最快）",
           "title": "前向计算，宽度 {width}，批大小 {batch}，{threads} 个 CPU 线程"},
    "en": {"attention": "self-attention: one parallel pass", "gru": "GRU (nn.GRU): steps inside torch",
           "loop": "GRU (nn.GRUCell): one step per position", "x": "sequence length (positions)",
           "y": "forward time (ms, fastest of several runs)",
           "title": "Forward pass, width {width}, batch {batch}, {threads} CPU thread(s)"},
}


def plot_timing(rows, setting, ui: str) -> plt.Figure:
    """Forward time against length for attention and the two GRUs; labels in `ui`."""
    labels = TIMING_LABELS[ui]
    figure, axis = plt.subplots(figsize=(8, 4.6))
    lengths = [r["length"] for r in rows]
    axis.loglog(lengths, [r["attention_s"] * 1e3 for r in rows], "o-", label=labels["attention"])
    axis.loglog(lengths, [r["gru_library_s"] * 1e3 for r in rows], "^-", label=labels["gru"])
    axis.loglog(lengths, [r["gru_python_loop_s"] * 1e3 for r in rows], "s-", label=labels["loop"])
    axis.set_xlabel(labels["x"])
    axis.set_ylabel(labels["y"])
    axis.set_title(labels["title"].format(**setting))
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return figure


def main(fast: bool = False) -> None:
    set_deterministic()
    profile = "fast" if fast else "full"
    out = NoteOutput.for_script(__file__, fast=fast, seed=SEED)
    trained = reference_model(profile)
    sentence = example_sentence()
    maps_json = {}
    for lang in ("zh", "en"):
        text = getattr(sentence, lang)
        pieces, maps = sentence_attention(trained.model, trained.tokenizer, text)
        out.save_figures(lambda ui, pieces=pieces, maps=maps, lang=lang: plot_maps(maps, pieces, lang, ui),
                         f"attention-{lang}")
        out.write_bilingual(f"pieces-{lang}", pieces_table(pieces, maps, "zh"), pieces_table(pieces, maps, "en"))
        maps_json[lang] = {"text": text, "pieces": pieces, "last_layer_mean": maps[-1].mean(0).tolist()}

    setting = TIMING[profile]
    rows = time_forward(setting)
    out.save_figures(lambda ui: plot_timing(rows, setting, ui), "timing")

    def timing_rows() -> list[list]:
        return [[r["length"], f"{r['attention_s'] * 1e3:.2f}", f"{r['gru_library_s'] * 1e3:.2f}",
                 f"{r['gru_python_loop_s'] * 1e3:.2f}", r["length"]] for r in rows]

    out.write_bilingual(
        "timing",
        markdown_table(["序列长度", "自注意力（毫秒）", "GRU：nn.GRU（毫秒）", "GRU：逐步循环（毫秒）",
                        "RNN 的串行步数"], timing_rows(), "rrrrr"),
        markdown_table(["length", "self-attention (ms)", "GRU: nn.GRU (ms)", "GRU: step loop (ms)",
                        "sequential steps of the RNN"], timing_rows(), "rrrrr"),
    )
    name = {"zh": "快速（`--fast`）" if fast else "完整", "en": "fast (`--fast`)" if fast else "full"}
    out.write_bilingual(
        "sentence",
        f"例句（HSK {sentence.level} 级，`{sentence.id}`，不在训练集中）：{sentence.zh} / {sentence.en}",
        f"The example (HSK level {sentence.level}, `{sentence.id}`, held out from training): "
        f"{sentence.zh} / {sentence.en}",
    )
    out.write_bilingual("summary", *timing_summary(rows, trained.recipe.context, name))
    out.write_json("results.json", {"profile": out.profile, "sentence": sentence.id, "attention": maps_json,
                                    "timing": {"setting": setting, "rows": rows}})
    out.write_provenance()


if __name__ == "__main__":
    main(fast=is_fast())
