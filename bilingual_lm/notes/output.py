"""Everything a note's script makes goes to `notes/docs/generated/<slug>/`, written atomically.

That folder holds the committed full-profile results. The fast profile writes to its own build copy,
`build/notes-fast/notes/docs/generated/<slug>/`, so it never overwrites a committed page; the drift check
(`blm notes check`) sends a full run to a temporary folder through `$BLM_NOTES_GENERATED`.

A page includes these files with pymdownx.snippets, so no number on the site is typed by hand:

* tables and sentences with numbers: `<name>.zh.md` / `<name>.en.md` (or one `<name>.md` when the text
  has no words to translate);
* figures: `<name>.zh.png` / `<name>.en.png` with each language's labels (matplotlib, Agg backend,
  reproducible metadata; see `figures.py`), and `figures.json`, the text each figure draws;
* `results.json`: the numbers themselves;
* `provenance.json` and `provenance.zh.md` / `.en.md`: the command, profile, seed, versions and commit.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from bilingual_lm.atomic import atomic_write
from bilingual_lm.markdown import escape_cell
from bilingual_lm.notes.figures import check_language, figure_texts, save_png, use_note_style
from bilingual_lm.provenance import provenance

LANGS = ("zh", "en")
GENERATED_ENV = "BLM_NOTES_GENERATED"  # a folder that receives <slug>/ instead of the default below
FAST_BUILD = Path("build") / "notes-fast"  # the fast profile's copy of notes/ and mkdocs.yml, in the checkout


def committed_generated(root: str | Path) -> Path:
    """The committed (full-profile) results of every note in the checkout `root`."""
    return Path(root) / "notes" / "docs" / "generated"


def generated_root(root: str | Path, *, fast: bool) -> Path:
    """Where a note script run from the checkout `root` writes: `$BLM_NOTES_GENERATED` if set, else the
    committed folder for the full profile and the fast build's copy for the fast profile."""
    if os.environ.get(GENERATED_ENV):
        return Path(os.environ[GENERATED_ENV])
    return committed_generated(Path(root) / FAST_BUILD if fast else root)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence], align: str | None = None) -> str:
    """A GitHub-style Markdown table; `align` is one letter per column (l, r, c), right for numbers by default."""
    if align is None:
        first = rows[0] if rows else headers
        align = "".join("r" if isinstance(v, int | float) else "l" for v in first)
    rule = {"l": ":--", "r": "--:", "c": ":-:"}

    def line(cells) -> str:  # a cell's text is shown as written: "|" cannot end it, "<" opens no HTML
        return "| " + " | ".join(map(escape_cell, cells)) + " |"

    return "\n".join([line(headers), "| " + " | ".join(rule[a] for a in align) + " |", *map(line, rows)]) + "\n"


class NoteOutput:
    """The generated-files folder of one note (`slug` is the script's file name, e.g. `01-chain-rule`)."""

    def __init__(self, slug: str, generated: str | Path, *, fast: bool, seed: int,
                 committed: str | Path | None = None) -> None:
        self.slug = slug
        self.dir = Path(generated) / slug
        self.committed_dir = Path(committed or generated) / slug  # the full profile's results, read-only
        self.fast = fast
        self.seed = seed
        self.figures: dict[str, dict] = {}
        shutil.rmtree(self.dir, ignore_errors=True)  # a run starts empty: a file no longer made cannot linger
        self.dir.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_script(cls, script: str | Path, *, fast: bool, seed: int) -> NoteOutput:
        """The output of `<checkout>/notes/scripts/<slug>.py` (see `generated_root`)."""
        script = Path(script).resolve()
        root = script.parents[2]
        return cls(script.stem, generated_root(root, fast=fast), fast=fast, seed=seed,
                   committed=committed_generated(root))

    @property
    def profile(self) -> str:
        return "fast" if self.fast else "full"

    def write_text(self, name: str, text: str) -> Path:
        path = self.dir / name
        with atomic_write(path) as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
        return readable(path)

    def write_bilingual(self, name: str, zh: str, en: str) -> None:
        """`name.zh.md` and `name.en.md`: the same content (and numbers) in each language."""
        self.write_text(f"{name}.zh.md", zh)
        self.write_text(f"{name}.en.md", en)

    def write_json(self, name: str, data) -> Path:
        path = self.dir / name
        with atomic_write(path) as handle:
            json.dump(data, handle, ensure_ascii=False, indent=2, sort_keys=False)
            handle.write("\n")
        return readable(path)

    def save_figure(self, figure, name: str, lang: str | None = None) -> Path:
        """Save a matplotlib figure as PNG (see `figures.save_png`); `lang` "zh" requires Chinese labels."""
        figure.canvas.draw()  # lays out the ticks, so that their labels exist to be checked and recorded
        check_language(figure, lang)
        self.figures[name] = {"lang": lang, "texts": figure_texts(figure)}
        self.write_json("figures.json", self.figures)  # what each figure says, for the page checks
        path = self.dir / name
        with atomic_write(path, "wb") as handle:
            save_png(figure, handle)
        import matplotlib.pyplot as plt

        plt.close(figure)
        return readable(path)

    def save_figures(self, draw, name: str) -> list[Path]:
        """`name.zh.png` and `name.en.png`: `draw(lang)` returns the figure with that language's labels."""
        use_note_style()
        return [self.save_figure(draw(lang), f"{name}.{lang}.png", lang) for lang in LANGS]

    def write_provenance(self, command: str | None = None, **extra) -> dict:
        """`provenance.json` plus the zh/en snippets that every page shows at its foot."""
        script = f"notes/scripts/{self.slug}.py"
        command = command or " ".join(["python", script, *(["--fast"] if self.fast else [])])
        record = provenance(seed=self.seed, command=command, profile=self.profile, **extra)
        self.write_json("provenance.json", record)
        self.write_bilingual("provenance", *provenance_snippets(record))
        return record


def readable(path: Path) -> Path:
    """Make a generated file world-readable (the atomic writer's temporary file is private, mode 0600)."""
    path.chmod(0o644)
    return path


def provenance_snippets(record: dict) -> tuple[str, str]:
    """The provenance record as a collapsed admonition, in Chinese and in English."""
    packages = ", ".join(f"{name} {version}" for name, version in record["packages"].items() if version)
    rows = [
        ("命令", "Command", f"`{record['command']}`"),
        ("配置", "Profile", f"`{record['profile']}`"),
        ("随机种子", "Seed", f"`{record['seed']}`"),
        ("Git 提交", "Git commit", f"`{record['git_commit']}`"),
        ("Python", "Python", f"`{record['python']}` ({record['platform']})"),
        ("软件包", "Packages", packages),
        ("生成时间", "Created", record["created"]),
    ]
    extras = {k: v for k, v in record.items() if k not in {
        "command", "profile", "seed", "git_commit", "python", "platform", "packages", "created"}}
    rows += [(key, key, f"`{value}`") for key, value in extras.items()]

    def render(title: str, column: int) -> str:
        body = "\n".join(f"    - **{row[column]}**: {row[2]}" for row in rows)
        return f'??? info "{title}"\n\n{body}\n'

    return render("本页结果的来源（由脚本生成）", 0), render("Where this page's results come from (generated)", 1)


def is_fast(argv: Sequence[str] | None = None) -> bool:
    """The profile a note script was asked for on its command line (`--fast` or nothing)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    unknown = [a for a in argv if a != "--fast"]
    if unknown:
        raise SystemExit(f"usage: python {Path(sys.argv[0]).name} [--fast]  (unknown: {' '.join(unknown)})")
    return "--fast" in argv
