"""Factual probes from Unicode CLDR: territory → currency, official language, continent and UN subregion;
city → country.

The names and facts come from the CLDR data that `babel` ships; the territory containment (which region
holds which territory) from CLDR's ``supplementalData.xml`` as shipped in `language-data`. An item is left
out when a name is missing in a language, is the same in both languages, is shared by two subjects or two
answers (ambiguous), and, for cities, when the city and its country are named alike (新加坡 → 新加坡);
a country keeps at most three of its cities.
Each item's candidates are the gold answer and a seeded sample of the relation's other answers.

    python -m eval.generate.cldr [--seed N] [--out DIR]
"""

from __future__ import annotations

import importlib.resources
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from babel import Locale
from babel.core import get_global
from babel.languages import get_official_languages
from babel.numbers import get_currency_name, get_territory_currencies

from eval.generate.sampling import SEED, candidate_ids, shuffled
from eval.generate.taskfile import JOINERS, run_generators, write_task

GENERATOR = "eval.generate.cldr"
LANGUAGES = ("zh", "en")
AS_OF = date(2026, 1, 1)  # the day whose currencies count
CANDIDATES = 8
DEFAULT_LIMIT = 100  # the default suite's items per relation: enough for accuracy CIs about ±0.1 wide
CITIES_PER_COUNTRY = 3  # a seeded sample, so that the US, Russia and Canada (20+ zones each) do not dominate
LICENSE = "Unicode-3.0 (Unicode CLDR data)"
# The six continents as CLDR regions: Africa, North America, South America, Oceania, Asia, Europe.
CONTINENTS = ("002", "003", "005", "009", "142", "150")
OUTLYING_OCEANIA = "QO"  # Antarctica, Clipperton, Diego Garcia...: on no continent, so left out

# Transcontinental countries (territory on two continents): no one continent is the answer, so they are left
# out of the continent relation (Wikipedia, "List of transcontinental countries": contiguous ones and
# Indonesia, Panama, Spain with its African cities).
TRANSCONTINENTAL = frozenset({"AM", "AZ", "CY", "EG", "ES", "GE", "ID", "KZ", "PA", "RU", "TR", "YE"})
# Time zones of the ocean areas are named after islands and archipelagos (Azores, Efate, Chagos...): only
# these, which CLDR names after a city, are kept as cities.
OCEAN_AREAS = ("Atlantic/", "Indian/", "Pacific/", "Antarctica/", "Arctic/")
OCEAN_CITIES = frozenset({"Atlantic/Reykjavik", "Atlantic/Stanley", "Indian/Antananarivo", "Pacific/Apia",
                          "Pacific/Auckland", "Pacific/Honolulu", "Pacific/Noumea", "Pacific/Pago_Pago",
                          "Pacific/Port_Moresby"})
ISLAND_WORDS = ("岛", "Island", "Isle", "Atoll", "Archipelago")
# English names that take "the" in a sentence ("the Bahamas", "the Palestinian Territories").
THE_ENDINGS = ("Islands", "Territories", "States", "Emirates", "Republic", "Kingdom", "Netherlands", "Bahamas",
               "Philippines", "Maldives", "Comoros", "Seychelles", "Gambia", "Caribbean", "Vatican City")
THE_STARTS = ("United ", "Isle of ", "Central African")

Names = dict[str, str]  # language -> name


def english_in_sentence(name: str) -> str:
    """A territory's English name as it reads mid-sentence: "the Bahamas", "Japan"."""
    return f"the {name}" if name.endswith(THE_ENDINGS) or name.startswith(THE_STARTS) else name


def reads_alike(names: Names) -> bool:
    """Whether the zh and en names name the same thing plainly: no English list of places ("St. Helena,
    Ascension & Tristan da Cunha" is 圣赫勒拿 in zh), no qualifier in brackets or after a dash ("Congo -
    Kinshasa", "Myanmar (Burma)", 刚果（金）)."""
    return not any(mark in names["en"] for mark in (",", "(", " - ")) and "（" not in names["zh"]


def is_city(zone: str, names: Names) -> bool:
    """Whether a time zone's exemplar is a city, not an island or archipelago."""
    if zone.startswith(OCEAN_AREAS) and zone not in OCEAN_CITIES:
        return False
    return not any(word in name for name in names.values() for word in ISLAND_WORDS)


@dataclass(frozen=True)
class Fact:
    """One item to be: its subject (a territory or a time zone) and the gold answer's concept id."""

    id: str
    subject: Names
    gold: str


@dataclass(frozen=True)
class Containment:
    """CLDR territory containment: geographic parents (territory → UN subregion → continent) and all parents."""

    geographic: dict[str, str]  # territory or region -> the one region that contains it
    any_parent: dict[str, set[str]]  # ... -> every region or grouping (North America, EU...) that contains it

    def ancestors(self, code: str) -> set[str]:
        found, todo = set(), [code]
        while todo:
            for parent in self.any_parent.get(todo.pop(), ()):
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        return found

    def territories(self) -> list[str]:
        """The two-letter territories that sit in a region, less those in Outlying Oceania."""
        return sorted(
            code
            for code, parent in self.geographic.items()
            if len(code) == 2 and code.isalpha() and parent != OUTLYING_OCEANIA
        )


@lru_cache(maxsize=1)
def containment() -> Containment:
    """Parse ``<territoryContainment>`` (deprecated entries left out)."""
    xml = importlib.resources.files("language_data").joinpath("data", "supplementalData.xml").read_bytes()
    geographic: dict[str, str] = {}
    any_parent: dict[str, set[str]] = {}
    for group in ElementTree.fromstring(xml).iter("group"):
        if group.get("status") == "deprecated":
            continue
        grouping = group.get("status") == "grouping" or group.get("grouping") == "true"
        for child in group.get("contains", "").split():
            any_parent.setdefault(child, set()).add(group.get("type"))
            if not grouping:
                geographic[child] = group.get("type")
    return Containment(geographic, any_parent)


@lru_cache(maxsize=1)
def locales() -> dict[str, Locale]:
    return {lang: Locale(lang) for lang in LANGUAGES}


def territory_names(code: str) -> Names | None:
    """A territory's names, the English one as it reads mid-sentence; None if missing or not alike."""
    names = {lang: locale.territories.get(code) for lang, locale in locales().items()}
    if not all(names.values()) or not reads_alike(names):
        return None
    return {**names, "en": english_in_sentence(names["en"])}


def exemplar_city(zone: str, locale: Locale) -> str | None:
    """CLDR's exemplar city of a time zone; None when the locale has none (babel falls back to the id)."""
    city = locale.time_zones.get(zone, {}).get("city")
    if city is None:
        city = locale.meta_zones.get(get_global("meta_zones").get(zone), {}).get("city")
    if city is None and locale.language == "en":
        city = zone.rpartition("/")[2].replace("_", " ")  # English: CLDR's rule is the tz id's last part
    return city


# Each relation: the facts (subject → gold) and the answer concepts with their names.


def currency_facts() -> tuple[list[Fact], dict[str, Names]]:
    facts, concepts = [], {}
    for code in containment().territories():
        currencies = get_territory_currencies(code, AS_OF)
        if len(currencies) == 1 and (subject := territory_names(code)):
            facts.append(Fact(code, subject, currencies[0]))
            concepts[currencies[0]] = {
                lang: get_currency_name(currencies[0], count=1, locale=locale) for lang, locale in locales().items()
            }
    return facts, concepts


def language_facts() -> tuple[list[Fact], dict[str, Names]]:
    facts, concepts = [], {}
    for code in containment().territories():
        official = get_official_languages(code, de_facto=True)
        if len(official) == 1 and "_" not in official[0] and (subject := territory_names(code)):
            names = {lang: locale.languages.get(official[0]) for lang, locale in locales().items()}
            if all(names.values()):
                facts.append(Fact(code, subject, official[0]))
                concepts[official[0]] = names
    return facts, concepts


def region_facts(region_of: Callable[[str], str | None]) -> tuple[list[Fact], dict[str, Names]]:
    facts, concepts = [], {}
    for code in containment().territories():
        region = region_of(code)
        if region and (subject := territory_names(code)) and (names := territory_names(region)):
            facts.append(Fact(code, subject, region))
            concepts[region] = names
    return facts, concepts


def continent_of(code: str) -> str | None:
    if code in TRANSCONTINENTAL:
        return None
    found = containment().ancestors(code) & set(CONTINENTS)
    return found.pop() if len(found) == 1 else None


def subregion_of(code: str) -> str | None:
    region = containment().geographic.get(code)
    return region if region and region[0].isdigit() else None


def city_facts() -> tuple[list[Fact], dict[str, Names]]:
    territories = set(containment().territories())
    facts, concepts = [], {}
    for zone, code in sorted(get_global("zone_territories").items()):
        if code not in territories or zone.startswith("Etc/"):
            continue
        city = {lang: exemplar_city(zone, locale) for lang, locale in locales().items()}
        country = territory_names(code)
        if all(city.values()) and country and is_city(zone, city):
            facts.append(Fact(zone, city, code))
            concepts[code] = country
    return facts, concepts


def unambiguous(facts: list[Fact], concepts: dict[str, Names]) -> tuple[list[Fact], dict[str, Names]]:
    """Drop names that are the same in both languages, or shared by two subjects or by two answers."""
    concepts = {cid: names for cid, names in concepts.items() if len(set(names.values())) == len(names)}
    for lang in LANGUAGES:
        counts = Counter(names[lang] for names in concepts.values())
        concepts = {cid: names for cid, names in concepts.items() if counts[names[lang]] == 1}
    facts = [f for f in facts if f.gold in concepts and len(set(f.subject.values())) == len(f.subject)]
    for lang in LANGUAGES:
        counts = Counter(f.subject[lang] for f in facts)
        facts = [f for f in facts if counts[f.subject[lang]] == 1]
    return facts, concepts


def few_per_answer(facts: list[Fact], limit: int, seed: int, *key: str) -> list[Fact]:
    """At most `limit` facts per gold answer, a seeded sample of each answer's facts."""
    by_gold: dict[str, list[Fact]] = {}
    for fact in sorted(facts, key=lambda f: f.id):
        by_gold.setdefault(fact.gold, []).append(fact)
    return [f for gold in sorted(by_gold) for f in shuffled(by_gold[gold], seed, *key, gold)[:limit]]


def not_named_alike(facts: list[Fact], concepts: dict[str, Names]) -> list[Fact]:
    """Drop facts whose subject and answer names contain one another (Singapore → Singapore)."""
    return [
        f
        for f in facts
        if not any(
            f.subject[lang] in concepts[f.gold][lang] or concepts[f.gold][lang] in f.subject[lang] for lang in LANGUAGES
        )
    ]


@dataclass(frozen=True)
class Relation:
    name: str
    description: str
    prompt: Names
    neutral: Names  # the prompt without its subject: PMI's reference context
    facts: Callable[[], tuple[list[Fact], dict[str, Names]]]
    apis: tuple[str, ...]  # the babel calls the facts and names come from
    default_limit: int | None = DEFAULT_LIMIT
    cities: bool = False  # drop cities named like their country; keep a few per country


def sources(apis: tuple[str, ...]) -> str:
    """Where a relation's data comes from, with the versions that decide its content."""
    return (
        f"Unicode CLDR {get_global('cldr')['version']} via babel {version('babel')} ({', '.join(apis)}); "
        f"territory containment from CLDR supplementalData.xml in language-data {version('language-data')}"
    )


RELATIONS = (
    Relation(
        "cldr_currency",
        f"Territory → its one currency in use on {AS_OF.isoformat()} (territories with two are left out).",
        {"zh": "{subject}的货币是", "en": "The currency of {subject} is the"},
        {"zh": "货币是", "en": "The currency is the"},
        currency_facts,
        ("get_territory_currencies", "get_currency_name"),
    ),
    Relation(
        "cldr_language",
        "Territory → its official language, where CLDR lists exactly one (de facto included).",
        {"zh": "{subject}的官方语言是", "en": "The official language of {subject} is"},
        {"zh": "官方语言是", "en": "The official language is"},
        language_facts,
        ("get_official_languages", "Locale.languages"),
    ),
    Relation(
        "cldr_continent",
        "Territory → its continent (Africa, North America, South America, Oceania, Asia, Europe).",
        {"zh": "{subject}位于", "en": "Geographically, {subject} is located in"},
        {"zh": "它位于", "en": "Geographically, it is located in"},
        lambda: region_facts(continent_of),
        ("Locale.territories",),
    ),
    Relation(
        "cldr_subregion",
        "Territory → its UN M49 subregion (Eastern Asia, Western Europe...).",
        {"zh": "在联合国的地理分区中，{subject}属于", "en": "In the UN geoscheme, {subject} belongs to"},
        {"zh": "在联合国的地理分区中，它属于", "en": "In the UN geoscheme, it belongs to"},
        lambda: region_facts(subregion_of),
        ("Locale.territories",),
        default_limit=None,
    ),
    Relation(
        "cldr_city",
        "City → the country or territory it is in, from the exemplar cities of the time zones.",
        {"zh": "{subject}这座城市位于", "en": "The city of {subject} is located in"},
        {"zh": "这座城市位于", "en": "The city is located in"},
        city_facts,
        ("Locale.time_zones", "zone_territories", "Locale.territories"),
        cities=True,
    ),
)


def build(relation: Relation, seed: int = SEED) -> dict:
    """The task file's content for one relation."""
    facts, concepts = unambiguous(*relation.facts())
    if relation.cities:
        facts = few_per_answer(not_named_alike(facts, concepts), CITIES_PER_COUNTRY, seed, relation.name)
    pool = sorted({fact.gold for fact in facts})  # the relation's object set
    used = set()
    items = []
    for fact in shuffled(sorted(facts, key=lambda f: f.id), seed, relation.name, "order"):
        candidates = candidate_ids(fact.gold, pool, CANDIDATES, seed, relation.name, fact.id)
        used.update(candidates)
        items.append({"id": fact.id, "slots": {"subject": fact.subject}, "candidates": candidates, "gold": fact.gold})
    task = {
        "format": 1,
        "name": relation.name,
        "kind": "choice",
        "group": "cldr",
        "description": relation.description,
        "source": sources(relation.apis),
        "license": LICENSE,
        "languages": list(LANGUAGES),
    }
    if relation.default_limit is not None:
        task["default_limit"] = relation.default_limit
    task["templates"] = {"prompt": relation.prompt, "neutral": relation.neutral, "joiner": JOINERS}
    task["concepts"] = {cid: concepts[cid] for cid in sorted(used)}
    task["items"] = items
    return task


def generate(seed: int = SEED, out_dir: str | Path | None = None) -> list[Path]:
    return [write_task(build(relation, seed), GENERATOR, out_dir) for relation in RELATIONS]


def main(argv: list[str] | None = None) -> None:
    run_generators(f"python -m {GENERATOR}", __doc__.split("\n\n")[0], [generate], argv)


if __name__ == "__main__":
    main()
