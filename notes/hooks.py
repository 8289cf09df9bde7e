"""mkdocs hooks of the notes site (`hooks:` in mkdocs.yml): one search index per language
(see bilingual_lm/notes/search.py)."""

from mkdocs.plugins import event_priority

from bilingual_lm.notes.search import point_search_at_language, split_index


def on_post_page(output, page, config):
    return point_search_at_language(output, page.url)


@event_priority(-200)  # after mkdocs-static-i18n (-100) has written the stacked index of every language
def on_post_build(config):
    split_index(config.site_dir)
