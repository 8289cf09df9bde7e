"""The notes site in a real browser: both languages render, formulas are typeset, figures load, the language
switcher keeps the page, and search finds Chinese and English words. Screenshots go to $BLM_SCREENSHOTS (or a
temporary folder) for a person to look at."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

NOTES = sorted(p.stem for p in (ROOT / "notes" / "docs").glob("[0-9][0-9]-*.md") if not p.stem.endswith(".en"))
LANGS = {"zh": "", "en": "en/"}  # language -> URL prefix (Chinese is the default language, at the root)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("BLM_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_site_builds_strict(built_site):
    site, done = built_site
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for slug in NOTES:
        assert (site / slug / "index.html").is_file() and (site / "en" / slug / "index.html").is_file()


def test_every_note_exists_in_both_languages():
    assert len(NOTES) >= 10, NOTES
    for slug in NOTES:
        assert (ROOT / "notes" / "docs" / f"{slug}.en.md").is_file(), slug


@pytest.mark.parametrize("lang", list(LANGS))
@pytest.mark.parametrize("slug", NOTES)
def test_note_renders_with_typeset_formulas_and_loaded_figures(page, site_url, shots, slug, lang):
    page.goto(f"{site_url}/{LANGS[lang]}{slug}/", wait_until="networkidle")
    assert page.get_attribute("html", "lang") == lang
    title = page.locator("article h1").first.inner_text().strip()
    assert title, "the note has no title"
    text = page.locator("article").inner_text()
    assert "--8<--" not in text, "a snippet was not included"
    # Every formula was typeset by KaTeX, and no raw TeX delimiters are left in the text.
    formulas = page.locator("article .arithmatex")
    for i in range(formulas.count()):
        assert formulas.nth(i).locator(".katex").count() == 1, formulas.nth(i).inner_text()
    assert not re.search(r"\$\$|\\\(|\\\[", text), "raw TeX in the page"
    # Every figure downloaded and decoded.
    images = page.locator("article img")
    for i in range(images.count()):
        image = images.nth(i)  # may sit in a hidden tab: images there load all the same
        image.evaluate("img => img.decode()")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), image.get_attribute("src")
    assert page.errors == []
    page.screenshot(path=str(shots / f"{slug}.{lang}.png"), full_page=True)


def test_chain_rule_note_has_formulas_and_figures(page, site_url):
    # A guard for the loop above: it must have something to check on the first note.
    page.goto(f"{site_url}/01-chain-rule/", wait_until="networkidle")
    assert page.locator("article .katex").count() >= 2
    assert page.locator("article img").count() >= 1


@pytest.mark.parametrize(("lang", "other"), [("zh", "en"), ("en", "zh")])
def test_language_switcher_opens_the_same_note(page, site_url, lang, other):
    slug = "03-ngrams-smoothing"
    page.goto(f"{site_url}/{LANGS[lang]}{slug}/", wait_until="networkidle")
    switch = page.locator(f"a.md-select__link[hreflang='{other}']")
    assert switch.count() == 1
    page.locator(".md-header__option .md-select").hover()
    switch.click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{site_url}/{LANGS[other]}{slug}/"
    assert page.get_attribute("html", "lang") == other
    assert page.errors == []


SEARCHES = [  # (language, query, the note it must find): one index per language, English stemmed, jieba words
    ("zh", "链式法则", "01-chain-rule"),
    ("zh", "语言的边界", "09-language-boundary"),
    ("en", "perplexity", "03-ngrams-smoothing"),
    ("en", "probability", "02-counting"),
    ("en", "chain rule", "01-chain-rule"),
]


@pytest.mark.parametrize(("lang", "query", "slug"), SEARCHES)
def test_search_finds_the_note_in_the_page_language(page, site_url, shots, lang, query, slug):
    page.goto(f"{site_url}/{LANGS[lang]}", wait_until="networkidle")
    page.locator(".md-search__input").first.click()
    # Type as a person does: material searches on key events, and Chinese text arrives without key events,
    # so a final End key press sends one.
    page.keyboard.type(query, delay=30)
    page.keyboard.press("End")
    results = page.locator(".md-search-result__item > a")
    results.first.wait_for(timeout=30_000)
    links = [link.split("?")[0].split("#")[0] for link in results.evaluate_all("links => links.map(a => a.href)")]
    pages = list(dict.fromkeys(link.removeprefix(site_url) for link in links))
    # Every result is a page of the language searched in (its own index), and the note is among the first three.
    home = f"/{LANGS[lang]}"
    assert all(p.startswith(home) and (lang != "zh" or not p.startswith("/en/")) for p in pages), pages
    target = f"{home}{slug}/"
    assert target in pages[:3], pages
    page.screenshot(path=str(shots / f"search.{lang}.{slug}.png"))
    results.nth(next(i for i, link in enumerate(links) if link.endswith(target))).click()
    page.wait_for_load_state("networkidle")
    assert page.url.split("?")[0].split("#")[0] == f"{site_url}{target}"
    assert page.get_attribute("html", "lang") == lang
    assert page.errors == []


HAN = re.compile(r"[\u4e00-\u9fff]")
DOCS = ROOT / "notes" / "docs"


def figure_texts(src: str, lang: str) -> list[str]:
    """What the figure at `src` (a site URL ending in generated/<slug>/<name>.png) draws in `lang`, from the
    figures.json its note's script wrote (the site serves each language's `<name>.<lang>.png` as `<name>.png`)."""
    slug, name = src.split("/generated/")[1].split("/")
    said = json.loads((DOCS / "generated" / slug / "figures.json").read_text(encoding="utf-8"))
    return said[name.replace(".png", f".{lang}.png")]["texts"]


@pytest.mark.parametrize("lang", list(LANGS))
@pytest.mark.parametrize("slug", NOTES)
def test_note_reads_like_a_book_chapter(page, site_url, slug, lang):
    # Every figure has commentary (and Chinese labels on the Chinese page), the script's key lines are on the
    # page with a link to the whole script and its notebook, and the note ends with exercises.
    page.goto(f"{site_url}/{LANGS[lang]}{slug}/", wait_until="networkidle")
    article = page.locator("article")
    images = article.locator("img")
    assert images.count() >= 1
    for i in range(images.count()):
        image = images.nth(i)
        caption = image.evaluate("img => img.closest('figure')?.querySelector('figcaption')?.innerText || ''")
        assert len(caption.strip()) >= (30 if lang == "zh" else 60), (image.get_attribute("src"), caption)
        texts = figure_texts(image.evaluate("img => img.src"), lang)
        if lang == "zh":
            assert any(HAN.search(text) for text in texts), texts
    excerpts = article.locator(".highlight .filename", has_text=f"notes/scripts/{slug}.py")
    assert excerpts.count() >= 1
    code = excerpts.first.locator("xpath=..").locator("code").inner_text()
    script = (ROOT / "notes" / "scripts" / f"{slug}.py").read_text(encoding="utf-8")
    lines = [line for line in code.splitlines() if line.strip()]
    assert len(lines) >= 2 and all(line in script for line in lines)  # the script's own lines, not a copy
    for suffix in (".py", ".ipynb"):
        link = article.locator(f"a[href$='code/{slug}{suffix}']")
        assert link.count() == 1, suffix
        response = page.request.get(link.evaluate("a => a.href"))
        assert response.ok
        if suffix == ".ipynb":
            assert json.loads(response.text())["cells"][1]["cell_type"] == "code"
    heading = {"zh": "练习", "en": "Exercises"}[lang]
    exercises = article.locator(f"h2:has-text('{heading}') + ol > li")
    assert 2 <= exercises.count() <= 3
    if lang == "en":  # Chinese on an English page is marked as Chinese (Simplified glyph forms)
        unmarked = article.evaluate("""root => {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            const bad = [];
            while (walker.nextNode()) {
                const node = walker.currentNode;
                const lang = node.parentElement.closest('[lang]')?.lang;
                if (/[\\u4e00-\\u9fff]/.test(node.textContent) && lang !== 'zh-Hans'
                    && !node.parentElement.closest('.katex')) bad.push(node.textContent.trim().slice(0, 20));
            }
            return bad;
        }""")
        assert unmarked == []
    assert page.errors == []
