"""Note 11's k-shot prompts: k solved examples, joined as the eval joins an answer, go before every asked prompt and
before the neutral prompt (PMI's reference), and the items asked are the same at every k."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bilingual_lm.eval.loader import load_tasks, template_hash

ROOT = Path(__file__).resolve().parents[1]


def note_11():
    spec = importlib.util.spec_from_file_location("note_11", ROOT / "notes" / "scripts" / "11-in-context.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_zero_examples_leave_the_eval_task_as_it_is_apart_from_which_items_are_asked():
    note = note_11()
    (task,) = load_tasks(["cldr_city"])
    derived = note.with_examples(task, 0, 5)
    assert [item.prompts for item in derived.items] == [item.prompts for item in task.items[8:13]]
    assert derived.templates == task.templates and derived.template_hash == task.template_hash
    assert derived.conditions == (("zh", "zh"), ("en", "en"))


def test_k_examples_are_the_first_items_solved_in_the_prompt_language_before_each_prompt_and_the_neutral_one():
    note = note_11()
    (task,) = load_tasks(["cldr_city"])
    derived = note.with_examples(task, 2, 3)
    first, second, asked = task.items[0], task.items[1], task.items[8]
    one, two = ({c.id: c.surface for c in item.candidates}[item.gold] for item in (first, second))
    # Written out by hand: a Chinese prompt and its answer meet with nothing between them (the task's zh->zh
    # joiner ''), an English one with a space; one example per line.
    zh = first.prompts["zh"] + one["zh"] + "\n" + second.prompts["zh"] + two["zh"] + "\n"
    en = first.prompts["en"] + " " + one["en"] + "\n" + second.prompts["en"] + " " + two["en"] + "\n"
    assert derived.items[0].prompts == {"zh": zh + asked.prompts["zh"], "en": en + asked.prompts["en"]}
    assert derived.neutral_prompt("zh") == zh + task.neutral_prompt("zh")
    assert derived.neutral_prompt("en") == en + task.neutral_prompt("en")
    assert derived.template_hash == template_hash(derived.templates) != task.template_hash
    assert [item.id for item in derived.items] == [item.id for item in task.items[8:11]]


def test_translation_examples_pair_each_sentence_with_its_translation_in_the_other_language():
    note = note_11()
    (task,) = load_tasks(["hsk_translation"])
    derived = note.with_examples(task, 1, 1)
    first = task.items[0]
    gold = {c.id: c.surface for c in first.candidates}[first.gold]
    # zh prompt (中文：…\nEnglish:) is answered in English after a space; en prompt (…中文：) in Chinese, directly.
    asked = task.items[8].prompts
    assert derived.items[0].prompts["zh"] == first.prompts["zh"] + " " + gold["en"] + "\n\n" + asked["zh"]
    assert derived.items[0].prompts["en"] == first.prompts["en"] + gold["zh"] + "\n\n" + asked["en"]


def test_a_condition_is_marked_at_the_ceiling_or_at_chance_only_when_it_is():
    note = note_11()
    shots = (0, 8)

    def results(k0: dict, k8: dict) -> dict:
        return {"t": {"chance": 0.125, 0: {"zh->zh": {"sum": k0}}, 8: {"zh->zh": {"sum": k8}}}}

    # 7 of 8 right without examples: one miss at most is the ceiling; 6 of 8 is not.
    assert note.room(results({"mean": 7 / 8, "ci": [0.53, 0.98]}, {"mean": 0.5, "ci": [0.2, 0.8]}), "t", "zh->zh",
                     shots, 8) == "ceiling"
    assert note.room(results({"mean": 6 / 8, "ci": [0.41, 0.93]}, {"mean": 0.5, "ci": [0.2, 0.8]}), "t", "zh->zh",
                     shots, 8) is None
    # chance (0.125) inside both intervals; then outside the one at k = 8
    assert note.room(results({"mean": 0.125, "ci": [0.02, 0.47]}, {"mean": 0.25, "ci": [0.07, 0.59]}), "t",
                     "zh->zh", shots, 8) == "chance"
    assert note.room(results({"mean": 0.125, "ci": [0.02, 0.47]}, {"mean": 0.62, "ci": [0.31, 0.86]}), "t",
                     "zh->zh", shots, 8) is None
