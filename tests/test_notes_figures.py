"""The notes' figures: one per language, Chinese labels drawn in a CJK font that must be installed, at twice the
page's resolution, and a record of what each figure says."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from bilingual_lm.notes import figures  # noqa: E402
from bilingual_lm.notes.output import NoteOutput  # noqa: E402


def bars(lang: str):
    figure, axis = plt.subplots(figsize=(4, 3))
    axis.bar(["我", "爱"] if lang == "zh" else ["I", "love"], [1, 2])
    axis.set_xlabel({"zh": "词元", "en": "token"}[lang])
    return figure


def test_each_language_gets_its_own_figure_and_the_chinese_one_its_labels(tmp_path):
    out = NoteOutput("03-demo", tmp_path, fast=True, seed=0)
    zh, en = out.save_figures(bars, "tokens")
    assert (zh.name, en.name) == ("tokens.zh.png", "tokens.en.png")
    said = json.loads((out.dir / "figures.json").read_text(encoding="utf-8"))
    assert said["tokens.zh.png"]["lang"] == "zh"
    assert {"词元", "我", "爱", "0.0", "2.0"} <= set(said["tokens.zh.png"]["texts"])
    assert {"token", "I", "love"} <= set(said["tokens.en.png"]["texts"])
    # 4 x 3 inches at twice the ~110 dpi of the page: about 880 pixels wide before the tight crop.
    width = int.from_bytes(zh.read_bytes()[16:20], "big")  # the PNG header's width
    assert 700 < width <= 4 * figures.DPI


def test_a_chinese_figure_without_chinese_labels_is_refused(tmp_path):
    out = NoteOutput("03-demo", tmp_path, fast=True, seed=0)
    with pytest.raises(ValueError, match="without one Chinese label"):
        out.save_figure(bars("en"), "tokens.zh.png", "zh")


def test_a_missing_cjk_font_fails_with_one_line_naming_the_package(monkeypatch):
    monkeypatch.setattr(figures, "CJK_FAMILIES", ("No Such Font SC",))
    with pytest.raises(figures.MissingFontError, match=r"install Debian's fonts-noto-cjk"):
        figures.use_note_style()


def test_the_cjk_font_draws_han_glyphs_that_dejavu_lacks():
    # DejaVu Sans has no Han glyphs: without the CJK font behind it, saving warns "Glyph ... missing", which
    # save_png turns into an error; with it, the figure saves.
    figures.use_note_style()
    assert figures.cjk_font() in matplotlib.rcParams["font.family"]
    with open("/dev/null", "wb") as sink:
        figures.save_png(bars("zh"), sink)
    matplotlib.rcParams["font.family"] = ["DejaVu Sans"]
    with pytest.raises(UserWarning, match="missing from font"), open("/dev/null", "wb") as sink:
        figures.save_png(bars("zh"), sink)
