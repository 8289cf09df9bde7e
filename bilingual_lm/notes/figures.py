"""How the notes draw: one figure per language, Chinese labels in a CJK font that the build must find, at twice
the resolution a page shows, with tick labels a reader can read.

Debian's `fonts-noto-cjk` (`apt-get install -y fonts-noto-cjk`, as `.ci/run` does) provides Noto Sans CJK SC;
matplotlib's font manager finds it, and `use_note_style` puts it behind DejaVu Sans, so Latin text keeps its
usual face and Han characters fall back to the CJK font. Without a CJK font a Chinese figure fails to save with
one line saying what to install (never boxes for characters).
"""

from __future__ import annotations

import re
import warnings

from bilingual_lm.errors import InputError

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei")
DPI = 220  # twice the ~110 dpi at which a figure of this width fills the page's column
HAN = re.compile(r"[\u4e00-\u9fff]")
STYLE = {"font.size": 11, "axes.titlesize": 11, "axes.labelsize": 11, "xtick.labelsize": 10,
         "ytick.labelsize": 10, "legend.fontsize": 9.5, "figure.titlesize": 12, "axes.unicode_minus": False}


class MissingFontError(InputError):
    """No CJK font is installed for the Chinese figures."""


def cjk_font() -> str:
    """The first CJK font family matplotlib's font manager knows, from `CJK_FAMILIES`."""
    from matplotlib import font_manager

    known = {font.name for font in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    raise MissingFontError("no CJK font for the Chinese figures: install Debian's fonts-noto-cjk "
                           "(apt-get install -y fonts-noto-cjk), then rerun")


def use_note_style() -> None:
    """Readable sizes, and DejaVu Sans with the CJK font behind it for Han characters."""
    import matplotlib

    matplotlib.rcParams.update(STYLE)
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", cjk_font()]


def figure_texts(figure) -> list[str]:
    """Every non-empty piece of text drawn in `figure` (titles, axis labels, tick labels, legends, notes)."""
    from matplotlib.text import Text

    return [t.get_text() for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


def check_language(figure, lang: str | None) -> None:
    """A Chinese figure must carry Chinese labels; a figure drawn for English must not need a CJK font."""
    texts = figure_texts(figure)
    if lang == "zh" and not any(HAN.search(text) for text in texts):
        raise ValueError(f"a Chinese figure without one Chinese label: {texts[:8]}")


def save_png(figure, handle) -> None:
    """PNG at `DPI`, without the metadata (software version) that changes between runs; a glyph missing from
    every font is an error, not a box."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*[Gg]lyph.*missing from.*")
        figure.savefig(handle, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
