"""eval/README.md's table of the built-in tasks is the one the task files give (regenerate it with
`python -m eval.generate.readme_table`)."""

import yaml

from bilingual_lm.eval.loader import BUILTIN_TASKS_DIR
from eval.generate import readme_table


def test_the_readme_holds_the_table_the_task_files_give():
    assert readme_table.render() in readme_table.README.read_text(encoding="utf-8"), (
        "eval/README.md's task table is stale: run python -m eval.generate.readme_table"
    )


def test_each_row_gives_the_kind_item_count_and_default_limit_of_its_file():
    rows = {line.split(" | ")[0].strip("|` "): line for line in readme_table.render().splitlines()}
    for path in BUILTIN_TASKS_DIR.glob("*.yaml"):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))  # the file itself, not the loader
        expected = f"| `{raw['name']}` | {raw['kind']} | {len(raw['items'])} | {raw.get('default_limit', '—')} |"
        assert rows[raw["name"]].startswith(expected)


def test_rewrite_replaces_a_stale_table_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{readme_table.BEGIN}\n| stale |\n{readme_table.END}\nafter\n", encoding="utf-8")
    readme_table.rewrite(readme)
    assert readme.read_text(encoding="utf-8") == f"before\n{readme_table.render()}\nafter\n"
