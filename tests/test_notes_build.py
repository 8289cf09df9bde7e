"""The notes' build driver (`blm notes build`), the generated-files writer, and the rules the pages follow."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bilingual_lm.errors import InputError
from bilingual_lm.notes.build import find_scripts
from bilingual_lm.notes.output import NoteOutput, is_fast, markdown_table

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "notes" / "docs"
PAGES = sorted(p for p in DOCS.glob("*.md") if not p.stem.endswith(".en"))
SNIPPET = re.compile(r'^\s*--8<-- "([^"]+)"', re.M)
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")


def blm(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    code = "from bilingual_lm.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def fake_checkout(tmp_path: Path, scripts: dict[str, str]) -> Path:
    (tmp_path / "notes" / "scripts").mkdir(parents=True)
    (tmp_path / "mkdocs.yml").write_text("site_name: test\n")
    for name, body in scripts.items():
        (tmp_path / "notes" / "scripts" / name).write_text(textwrap.dedent(body))
    return tmp_path


def test_markdown_table_escapes_pipes_and_aligns():
    table = markdown_table(["p(w | h)", "n"], [["`a` | `b`", "1"]], "lr")
    assert table == "| p(w \\| h) | n |\n| :-- | --: |\n| `a` \\| `b` | 1 |\n"


def test_note_output_writes_into_generated_slug_only(tmp_path):
    import matplotlib.pyplot as plt

    out = NoteOutput("07-demo", tmp_path / "generated", fast=True, seed=3)
    out.write_bilingual("summary", "中文 1.5", "English 1.5")
    out.write_json("results.json", {"x": 1.5})
    figure, axis = plt.subplots()
    axis.plot([1, 2], [3, 4])
    out.save_figure(figure, "plot.png")
    record = out.write_provenance()
    made = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    expected = ["figures.json", "plot.png", "provenance.en.md", "provenance.json", "provenance.zh.md",
                "results.json", "summary.en.md", "summary.zh.md"]
    assert made == [f"generated/07-demo/{name}" for name in expected]
    assert record["command"] == "python notes/scripts/07-demo.py --fast"
    assert (record["profile"], record["seed"]) == ("fast", 3)
    assert json.loads((tmp_path / "generated/07-demo/provenance.json").read_text())["profile"] == "fast"
    assert "`fast`" in (tmp_path / "generated/07-demo/provenance.en.md").read_text()
    assert (tmp_path / "generated/07-demo/plot.png").read_bytes().startswith(b"\x89PNG")


def test_saved_figures_are_byte_identical_across_runs(tmp_path):
    import matplotlib.pyplot as plt

    def draw(name):
        figure, axis = plt.subplots()
        axis.bar(["a", "b"], [1, 2])
        return NoteOutput("01-x", tmp_path, fast=False, seed=0).save_figure(figure, name).read_bytes()

    assert draw("a.png") == draw("b.png")


def test_is_fast_reads_the_flag_and_rejects_anything_else():
    assert is_fast(["--fast"]) and not is_fast([])
    with pytest.raises(SystemExit):
        is_fast(["--fsat"])


def test_find_scripts_by_slug_or_number(tmp_path):
    root = fake_checkout(tmp_path, {"01-a.py": "", "02-b.py": "", "10-c.py": ""})
    assert [p.stem for p in find_scripts(root)] == ["01-a", "02-b", "10-c"]
    assert [p.stem for p in find_scripts(root, ["02", "10-c"])] == ["02-b", "10-c"]
    with pytest.raises(InputError, match="no note named '1'"):
        find_scripts(root, ["1"])


def test_blm_notes_build_unknown_note_exits_2_with_one_line(tmp_path):
    root = fake_checkout(tmp_path, {"01-a.py": ""})
    done = blm("notes", "build", "--only", "99", "--no-site", cwd=root)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["blm: error: no note named '99'; the notes are: 01-a"]


def test_blm_notes_build_outside_a_checkout_exits_2(tmp_path):
    done = blm("notes", "build", "--no-site", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("blm: error: no mkdocs.yml")


def test_blm_notes_build_runs_each_script_with_the_profile_and_reports_failures(tmp_path):
    root = fake_checkout(tmp_path, {
        "01-ok.py": """
            import sys
            from pathlib import Path
            Path("ran-01.txt").write_text(" ".join(sys.argv[1:]) or "full")
        """,
        "02-broken.py": "raise RuntimeError('boom')\n",
    })
    done = blm("notes", "build", "--fast", "--no-site", cwd=root)
    assert (root / "ran-01.txt").read_text() == "--fast"
    assert done.returncode == 1
    assert "RuntimeError: boom" in done.stderr
    assert "1 note script(s) failed: 02-broken" in done.stderr
    done = blm("notes", "build", "--only", "01", "--no-site", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "ran-01.txt").read_text() == "full"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_has_an_english_version_with_the_same_generated_results(page):
    english = page.with_name(f"{page.stem}.en.md")
    assert english.is_file()
    zh, en = page.read_text(encoding="utf-8"), english.read_text(encoding="utf-8")
    # The same snippets (up to the language suffix) and the same figures, in the same order.
    assert [s.replace(".zh.md", ".md") for s in SNIPPET.findall(zh)] == [
        s.replace(".en.md", ".md") for s in SNIPPET.findall(en)]
    assert [i.replace(".zh.png", ".png") for i in IMAGE.findall(zh)] == [
        i.replace(".en.png", ".png") for i in IMAGE.findall(en)]
    for included in SNIPPET.findall(zh) + SNIPPET.findall(en) + IMAGE.findall(zh) + IMAGE.findall(en):
        path = included.split(":")[0]  # a script excerpt names its section after a colon
        assert (DOCS / path).is_file() or (ROOT / path).is_file(), included


@pytest.mark.parametrize("page", sorted(DOCS.glob("[0-9][0-9]-*.md")), ids=lambda p: p.name)
def test_note_prose_has_no_hand_typed_measurements(page):
    # Numbers in the notes come from generated snippets: the prose may name orders, steps and counts written as
    # words or small integers, but no decimal figure is typed by hand. Code, formulas and snippet lines are
    # left out of the check.
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]*`", "", text, flags=re.S)
    text = SNIPPET.sub("", text)
    assert not re.findall(r"\d+\.\d+", text)


def test_glossary_pairs_every_term_in_both_languages():
    def rows(name):
        lines = (DOCS / name).read_text(encoding="utf-8").splitlines()
        return [[c.strip() for c in line.strip("|").split("|")] for line in lines if line.startswith("| ")][2:]

    zh, en = rows("glossary.md"), rows("glossary.en.md")
    assert len(zh) == len(en) >= 40
    assert [(r[0], r[1]) for r in zh] == [(r[1], r[0]) for r in en]


def test_search_dictionary_holds_every_chinese_glossary_term():
    # mkdocs.yml gives jieba notes/search-words.txt so that each term made of Han characters only is indexed,
    # and found, as one word (jieba never joins Han characters with Latin letters or spaces anyway).
    words = set((ROOT / "notes" / "search-words.txt").read_text(encoding="utf-8").splitlines())
    lines = (DOCS / "glossary.md").read_text(encoding="utf-8").splitlines()
    terms = [line.strip("|").split("|")[0].strip() for line in lines if line.startswith("| ")][2:]
    titles = [page.read_text(encoding="utf-8").splitlines()[0].lstrip("# ") for page in PAGES
              if re.match(r"\d\d-", page.name)]
    for term in terms + titles:  # a note's Chinese title is found as one word too
        for part in re.split(r"\s*/\s*", re.sub(r"（.*?）", "", term)):
            if re.fullmatch(r"[\u4e00-\u9fff]+", part.strip()):
                assert part.strip() in words, part
