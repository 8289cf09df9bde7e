"""The notes site's per-language search indexes (bilingual_lm/notes/search.py), on a small stacked index of
the shape mkdocs-static-i18n writes."""

from __future__ import annotations

import json

from bilingual_lm.notes.search import LANGUAGES, point_search_at_language, split_index

STACKED = {
    "config": {"lang": ["en", "zh"], "separator": "[\\s]+", "pipeline": ["stemmer"], "fields": {}},
    "docs": [
        {"location": "", "title": "笔记", "text": "语言\u200b模型"},
        {"location": "01-chain-rule/#n", "title": "链式法则", "text": "链式法则"},
        {"location": "en/", "title": "Notes", "text": "language models"},
        {"location": "en/01-chain-rule/#n", "title": "The chain rule", "text": "the chain rule"},
    ],
}


def test_stacked_index_is_split_into_one_index_per_language_with_its_own_settings(tmp_path):
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "search_index.json").write_text(json.dumps(STACKED), encoding="utf-8")
    assert split_index(tmp_path) == {"zh": 2, "en": 2}
    zh = json.loads((tmp_path / "search" / "search_index.json").read_text(encoding="utf-8"))
    en = json.loads((tmp_path / "en" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert [d["location"] for d in zh["docs"]] == ["", "01-chain-rule/#n"]
    assert [d["location"] for d in en["docs"]] == ["", "01-chain-rule/#n"]  # relative to the en/ root
    assert en["docs"][1]["title"] == "The chain rule"
    assert en["config"]["pipeline"] == ["stemmer", "stopWordFilter"] and zh["config"]["pipeline"] == ["stemmer"]
    assert "\\u200b" in en["config"]["separator"]  # jieba's word breaks in Chinese words on English pages
    assert split_index(tmp_path) == {}  # already one language at the root: nothing to do


def test_english_pages_point_material_at_the_english_root_and_chinese_pages_are_untouched():
    html = '<p>x</p><script id="__config" type="application/json">{"base": "../..", "search": "s.js"}</script>'
    english = point_search_at_language(html, "en/01-chain-rule/")
    config = json.loads(english.split('json">')[1].split("</script>")[0])
    assert config == {"base": "../../en/", "search": "s.js"}
    assert point_search_at_language(html, "01-chain-rule/") == html
    assert LANGUAGES["en"][0] == "en/"


def test_chinese_runs_on_english_pages_are_marked_zh_hans_outside_tags_and_scripts():
    from bilingual_lm.notes.search import mark_chinese

    html = ('<html><head><title>链式法则</title></head><body class="en"><p>The 链式法则，here <code>我爱吃披萨'
            '</code> and <a title="中文">x</a></p><script>var s = "中文";</script><style>p::after{content:"字"}'
            '</style></body></html>')
    marked = mark_chinese(html)
    assert marked == html.replace("The 链式法则，here", 'The <span lang="zh-Hans">链式法则，</span>here').replace(
        "<code>我爱吃披萨", '<code><span lang="zh-Hans">我爱吃披萨</span>')
    assert mark_chinese("<p>no body tag 中文</p>") == "<p>no body tag 中文</p>"
