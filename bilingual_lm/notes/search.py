"""Per-language behaviour of the built notes site: one search index per language, and Chinese marked as
Chinese on the English pages.

mkdocs-static-i18n builds the English pages under `en/` but stacks every language's entries into one
`search/search_index.json`, searched with one lunr configuration. Two mkdocs hooks (`notes/hooks.py`) undo
that: after the build the index is split into `search/search_index.json` (Chinese) and
`en/search/search_index.json` (English), each with its own lunr settings, and every English page points
material's search at its own language root (material loads `<base>/search/search_index.json`).

Chinese text in both indexes is already cut into words by jieba at build time (material's search plugin, with
the glossary's terms in jieba's user dictionary), separated by zero-width spaces.

On an English page, every run of Chinese text is wrapped in `<span lang="zh-Hans">`, so that a browser draws
it with Simplified Chinese glyph forms rather than falling back to Japanese ones.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bilingual_lm.atomic import atomic_write

# language -> (URL prefix, lunr settings for material's search worker). English words are stemmed in both
# (the Chinese pages name English terms too); only English drops stop words. lunr's "trimmer" is left out: it
# strips everything outside [A-Za-z0-9_], which would erase every Chinese word.
LANGUAGES = {
    "zh": ("", {"lang": ["en"], "separator": "[\\s\\u200b\\u3000\\-、。，．？！；：（）]+", "pipeline": ["stemmer"]}),
    "en": ("en/", {"lang": ["en"], "separator": "[\\s\\u200b\\-]+", "pipeline": ["stemmer", "stopWordFilter"]}),
}
CONFIG = re.compile(r'(<script id="__config" type="application/json">)(.*?)(</script>)', re.S)


def language_of(location: str) -> str:
    """The language of a page from its site-relative URL (the default language has no prefix)."""
    return next((lang for lang, (prefix, _) in LANGUAGES.items() if prefix and location.startswith(prefix)), "zh")


def split_index(site_dir: str | Path) -> dict[str, int]:
    """Split the stacked index in `site_dir` into one index per language; returns entries per language.
    Does nothing (and returns {}) when the root index is missing or already holds one language."""
    root = Path(site_dir)
    stacked = root / "search" / "search_index.json"
    if not stacked.is_file():
        return {}
    index = json.loads(stacked.read_text(encoding="utf-8"))
    if {language_of(doc["location"]) for doc in index["docs"]} <= {"zh"}:
        return {}
    counts = {}
    for lang, (prefix, settings) in LANGUAGES.items():
        docs = [{**doc, "location": doc["location"][len(prefix):]} for doc in index["docs"]
                if language_of(doc["location"]) == lang]
        path = root / prefix / "search" / "search_index.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as handle:
            json.dump({"config": {**index["config"], **settings}, "docs": docs}, handle, ensure_ascii=False,
                      separators=(",", ":"))
        path.chmod(0o644)
        counts[lang] = len(docs)
    return counts


def point_search_at_language(html: str, page_url: str) -> str:
    """Give a page of a prefixed language its own language root as material's `base`, so that its search
    loads that language's index (and the language's sitemap)."""
    prefix = LANGUAGES[language_of(page_url)][0]
    match = CONFIG.search(html)
    if not prefix or not match:
        return html
    config = json.loads(match.group(2))
    config["base"] = f"{config['base'].rstrip('/')}/{prefix}"  # a trailing slash: a folder, for URL()
    return html[: match.start(2)] + json.dumps(config) + html[match.end(2):]


HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff][\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]*")
TAG = re.compile(r"(<[^>]*>)")
RAW = ("script", "style", "textarea", "title")  # elements whose text is not page text


def mark_chinese(html: str) -> str:
    """Wrap every run of Han characters in the body's text (not in tags, scripts or styles) in
    `<span lang="zh-Hans">`."""
    head, body_tag, body = html.partition("<body")
    if not body_tag:
        return html
    parts, raw = TAG.split(body), None
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            if name and name.group(1).lower() in RAW:
                raw = None if part.startswith("</") else name.group(1).lower()
        elif raw is None and i > 0:  # text (the first part is the rest of the <body ...> tag)
            parts[i] = HAN_RUN.sub(lambda m: f'<span lang="zh-Hans">{m.group(0)}</span>', part)
    return head + body_tag + "".join(parts)
