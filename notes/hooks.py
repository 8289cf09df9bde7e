"""mkdocs hooks of the notes site (`hooks:` in mkdocs.yml):

* every note's script and its notebook become downloads, `code/<slug>.py` and `code/<slug>.ipynb`
  (bilingual_lm/notes/notebook.py);
* one search index per language, and Chinese on English pages marked `lang="zh-Hans"`
  (bilingual_lm/notes/search.py).
"""

from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from bilingual_lm.notes.notebook import script_notebook
from bilingual_lm.notes.search import language_of, mark_chinese, point_search_at_language, split_index

SCRIPTS = Path(__file__).resolve().parent / "scripts"


def on_files(files, config):
    notebooks = Path(config.config_file_path).parent / "build" / "notebooks"  # ignored by git
    notebooks.mkdir(parents=True, exist_ok=True)
    for script in sorted(SCRIPTS.glob("[0-9][0-9]-*.py")):
        notebook = notebooks / f"{script.stem}.ipynb"
        notebook.write_text(script_notebook(script), encoding="utf-8")
        for path in (script, notebook):
            files.append(File.generated(config, f"code/{path.name}", abs_src_path=str(path)))
    return files


def on_post_page(output, page, config):
    if language_of(page.url) == "en":
        output = mark_chinese(output)
    return point_search_at_language(output, page.url)


@event_priority(-200)  # after mkdocs-static-i18n (-100) has written the stacked index of every language
def on_post_build(config):
    split_index(config.site_dir)
