"""Logit-lens tasks (`kind: lens`): prompts whose answer is one word, the same concept in zh and in en.

As Wendler et al. (2024), every prompt is few-shot and ends with an opening quote, so the answer is the next
word; the lens reads p(its first token) in each language at every layer. The shots are the first items of a
seeded order, written into the templates (hashed with them) and left out of the items.

* ``lens_translation``: an HSK word and its English gloss. ``中文: "水" - English: "`` → water, and the
  three other conditions: en→zh translation, and zh→zh, en→en repetition. Word and gloss are kept when the
  gloss's first sense is one English word, no other word has that gloss, and some HSK sentence holds the word
  and (as a whole word) the gloss in its translation.
* ``lens_cloze``: that sentence with the word blanked out, in each language (``答案："`` → 水; ``Answer: "``
  → water).
* ``lens_cldr_currency``, ``lens_cldr_language``, ``lens_cldr_city``: the CLDR relations' prompts followed by
  a quote (日本的货币是" → 日元, Japanese yen).

The files hold a seeded sample (`ITEMS` items each) sized so that ``blm eval --tasks lens`` stays under a
minute on a 2-core CPU; raise `ITEMS` for tighter bands.

    python -m eval.generate.lens [--seed N] [--out DIR]
"""

from __future__ import annotations

import re
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from bilingual_lm.corpora.hsk import LICENSE as HSK_LICENSE
from bilingual_lm.corpora.hsk import hsk_sentences
from eval.generate import cldr
from eval.generate.sampling import SEED, interleaved, shuffled
from eval.generate.taskfile import run_generators, write_task

GENERATOR = "eval.generate.lens"
LANGUAGES = ("zh", "en")
LABEL = {"zh": "中文", "en": "English"}
ITEMS = {"lens_translation": 24, "lens_cloze": 16, "cldr": 10}  # items per file (after the shots)
SHOTS = {"lens_translation": 3, "lens_cloze": 2, "cldr": 2}
CLDR_RELATIONS = ("cldr_currency", "cldr_language", "cldr_city")
ALL_CONDITIONS = [[p, a] for p in LANGUAGES for a in LANGUAGES]
SAME_LANGUAGE = [[lang, lang] for lang in LANGUAGES]
_GLOSS_WORD = re.compile(r"[a-z]{3,}")
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]{1,2}")


def first_sense(gloss: str) -> str:
    """The first sense of a CC-CEDICT-style gloss, without notes in brackets or a leading to/a/the."""
    sense = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", gloss).split(";")[0].split(",")[0].strip()
    return re.sub(r"^(to|a|an|the) ", "", sense)


def _whole_word(word: str) -> re.Pattern:
    return re.compile(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", re.IGNORECASE)


def word_pairs() -> list[dict]:
    """HSK words with a one-word English gloss, each with a sentence that holds both, in the package's order."""
    from hsk_sentences_audio import load_sentences

    glosses: dict[str, Counter] = {}
    for record in load_sentences():
        for token in record["tokens"]:
            glosses.setdefault(token["word"], Counter())[first_sense(token.get("gloss_en") or "")] += 1
    gloss_of = {w: c.most_common(1)[0][0] for w, c in glosses.items() if _HAN_WORD.fullmatch(w)}
    gloss_of = {w: g for w, g in gloss_of.items() if _GLOSS_WORD.fullmatch(g) and g.lower() not in w.lower()}
    uses = Counter(gloss_of.values())
    pairs, seen = [], set()
    for sentence in hsk_sentences():
        for word in sentence.gold_words:
            gloss = gloss_of.get(word)
            if word in seen or gloss is None or uses[gloss] > 1:
                continue
            pattern = _whole_word(gloss)
            if sentence.zh.count(word) == 1 and len(pattern.findall(sentence.en)) == 1:
                seen.add(word)
                pairs.append({"zh": word, "en": gloss, "level": sentence.level, "id": sentence.id,
                              "cloze": {"zh": sentence.zh.replace(word, "_"), "en": pattern.sub("_", sentence.en)}})
    return pairs


def _header(name: str, description: str, source: str, license: str, conditions, prompts: dict) -> dict:
    return {
        "format": 1,
        "name": name,
        "kind": "lens",
        "group": "lens",
        "description": description,
        "source": source,
        "license": license,
        "languages": list(LANGUAGES),
        "conditions": conditions,
        "templates": {"prompt": {f"{p}->{a}": prompts[p, a] for p, a in conditions}},
    }


def translation(seed: int = SEED, items: int = ITEMS["lens_translation"]) -> dict:
    name = "lens_translation"
    pairs = interleaved(word_pairs(), lambda pair: pair["level"], seed, name)
    shots, chosen = pairs[: SHOTS[name]], pairs[SHOTS[name] : SHOTS[name] + items]

    def prompt(p: str, a: str) -> str:
        lines = [f'{LABEL[p]}: "{shot[p]}" - {LABEL[a]}: "{shot[a]}"\n' for shot in shots]
        return "".join(lines) + f'{LABEL[p]}: "{{word}}" - {LABEL[a]}: "'

    task = _header(name, "An HSK word and its English gloss: translated (zh→en, en→zh) and repeated (zh→zh, en→en).",
                   _hsk_words_source(), HSK_LICENSE, ALL_CONDITIONS, {(p, a): prompt(p, a) for p, a in ALL_CONDITIONS})
    task["items"] = [_word_item(pair, {"word": {lang: pair[lang] for lang in LANGUAGES}}) for pair in chosen]
    return task


def cloze(seed: int = SEED, items: int = ITEMS["lens_cloze"]) -> dict:
    name = "lens_cloze"
    pairs = interleaved(word_pairs(), lambda pair: pair["level"], seed, name)
    shots, chosen = pairs[: SHOTS[name]], pairs[SHOTS[name] : SHOTS[name] + items]
    lead = {"zh": ("句子：", "答案："), "en": ("Sentence: ", " Answer: ")}

    def prompt(lang: str) -> str:
        before, after = lead[lang]
        lines = [f'{before}{shot["cloze"][lang]}{after}"{shot[lang]}"\n' for shot in shots]
        return "".join(lines) + f'{before}{{sentence}}{after}"'

    task = _header(name, "An HSK sentence with one word blanked out (_), in each language: which word fills it.",
                   _hsk_words_source(), HSK_LICENSE, SAME_LANGUAGE, {(lang, lang): prompt(lang) for lang in LANGUAGES})
    task["items"] = [_word_item(pair, {"sentence": pair["cloze"]}) for pair in chosen]
    return task


def _word_item(pair: dict, slots: dict) -> dict:
    return {"id": pair["zh"], "slots": slots, "answer": {lang: pair[lang] for lang in LANGUAGES},
            "meta": {"level": pair["level"], "sentence": pair["id"]}}


def _hsk_words_source() -> str:
    return f"hsk-sentences-audio {version('hsk-sentences-audio')}: words and their CC-CEDICT glosses from the token " \
        "annotations of all its sentences"


def cldr_relation(relation: cldr.Relation, seed: int = SEED, items: int = ITEMS["cldr"]) -> dict:
    """A CLDR relation's own prompts, each followed by a quote, with its first facts as shots."""
    name = f"lens_{relation.name}"
    facts, concepts = cldr.unambiguous(*relation.facts())
    if relation.cities:
        facts = cldr.few_per_answer(cldr.not_named_alike(facts, concepts), 1, seed, relation.name)
    ordered = shuffled(sorted(facts, key=lambda f: f.id), seed, name)
    shots, chosen = ordered[: SHOTS["cldr"]], ordered[SHOTS["cldr"] : SHOTS["cldr"] + items]
    close = {"zh": "”。\n", "en": '".\n'}
    opening = {"zh": "“", "en": ' "'}

    def answer(names: dict[str, str]) -> dict[str, str]:  # "the Bahamas" → "Bahamas": the name, not "the"
        return {**names, "en": re.sub(r"^the ", "", names["en"])}

    def prompt(lang: str) -> str:
        stem = relation.prompt[lang]
        lines = [stem.format(subject=f.subject[lang]) + opening[lang] + answer(concepts[f.gold])[lang] + close[lang]
                 for f in shots]
        return "".join(lines) + stem + opening[lang]

    task = _header(name, f"{relation.description} Followed by a quote: the answer is the next word.",
                   cldr.sources(relation.apis), cldr.LICENSE, SAME_LANGUAGE,
                   {(lang, lang): prompt(lang) for lang in LANGUAGES})
    task["items"] = [{"id": f.id, "slots": {"subject": f.subject}, "answer": answer(concepts[f.gold])} for f in chosen]
    return task


def generate(seed: int = SEED, out_dir: str | Path | None = None) -> list[Path]:
    tasks = [translation(seed), cloze(seed)]
    tasks += [cldr_relation(r, seed) for r in cldr.RELATIONS if r.name in CLDR_RELATIONS]
    return [write_task(task, GENERATOR, out_dir) for task in tasks]


def main(argv: list[str] | None = None) -> None:
    run_generators(f"python -m {GENERATOR}", __doc__.split("\n\n")[0], [generate], argv)


if __name__ == "__main__":
    main()
