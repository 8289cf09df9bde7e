"""The notes site in a real browser: both languages render, formulas are typeset, figures load, the language
switcher keeps the page, and search finds Chinese and English words. Screenshots go to $BLM_SCREENSHOTS (or a
temporary folder) for a person to look at."""

from __future__ import annotations

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


def test_all_nine_notes_exist_in_both_languages():
    assert len(NOTES) == 9, NOTES
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
