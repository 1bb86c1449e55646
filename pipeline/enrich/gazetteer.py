"""The curated gazetteer (gazetteer.yaml): names that mean one entity in every article.

Loaded once per process. `lookup` answers for a name the model found, `contextual` for names
that count only when the article names the entity otherwise, and `pattern_mentions` finds the
few mentions the model is known to miss.

Names in other languages (`names: {fr: [OTAN], de: [Deutschland]}`) count only in articles of
that language, before the entry's own (English) names: "EU" is the European Union in English
but the United States in Spanish. A language's acronyms of three letters or more are also found
in its text where the model tagged nothing: the small French model misses "OTAN" after an
elided article now and then.

`rule_names` and `surnames` give a language without a model the names its rule-based pipeline
looks for (pipeline/enrich/gazetteer_ner.py): that language's names, then the names that read
the same in every language (people's names, acronyms of three capitals or more such as NATO).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from pipeline.enrich.literals import required_literals
from pipeline.errors import ConfigError

# Aliases this short ("US", "UN", "WHO", "IS") are matched case-sensitively: "Us" and "who"
# are words. Longer ones are matched case-insensitively ("NORTH ATLANTIC TREATY ORGANIZATION").
_EXACT_MAX_LENGTH = 4
# The labels a demonym may have: "French" tagged LANGUAGE is the language, not the people.
_DEMONYM_LABELS = frozenset({"NORP", "GPE", "ORG", "LOC"})
# Languages whose place names take a genitive -s the gazetteer need not list ("Deutschlands",
# "Frankreichs", "Moskaus"): added for one-word GPE names not ending in a sibilant.
_GENITIVE_S = frozenset({"de"})
_PERSON_LABELS = frozenset({"PERSON"})
# English names that read the same in every language: acronyms from this many letters (NATO,
# CIA). Shorter ones ("US", "UK", "UN", "EU") are words or other acronyms elsewhere ("UN" is a
# Spanish and Italian article): a language lists those it uses under its own names.
_SHARED_ACRONYM_MIN = 3


@dataclass(frozen=True)
class GazetteerEntry:
    name: str
    label: str
    wikidata_id: str | None
    labels: frozenset[str] | None  # model labels a span must have to match; None: any but PERSON

    def accepts(self, label: str) -> bool:
        return label in self.labels if self.labels is not None else label != "PERSON"


_ACRONYM_PATTERN_MIN = 3
ENGLISH = "en"


class Gazetteer:
    def __init__(self, data: dict[str, Any]) -> None:
        self._exact: dict[str, GazetteerEntry] = {}
        self._folded: dict[str, GazetteerEntry] = {}
        self._contextual: dict[str, GazetteerEntry] = {}
        self._spelling: dict[str, str] = {}  # case-folded name → a spelling as written
        # language → (exact, folded) names of that language only
        self._by_language: dict[str, tuple[dict[str, GazetteerEntry], dict[str, GazetteerEntry]]]
        self._by_language = {}
        patterns: list[tuple[str, GazetteerEntry]] = []
        self._language_patterns: dict[str, list[tuple[re.Pattern[str], GazetteerEntry]]] = {}
        for item in data.get("countries") or []:
            country = self._entry(item, "GPE")
            self._add(country, [item["name"], *(item.get("aliases") or [])])
            self._add_languages(country, item)
            demonyms = item.get("demonyms") or []
            if demonyms:
                people = GazetteerEntry(demonyms[0], "NORP", country.wikidata_id, _DEMONYM_LABELS)
                self._add(people, demonyms)
        for item in data.get("organizations") or []:
            org = self._entry(item, "ORG")
            self._add(org, [item["name"], *(item.get("aliases") or [])])
            self._add_languages(org, item)
            for alias in item.get("contextual") or []:
                self._contextual[alias.casefold()] = org
            patterns.extend((pattern, org) for pattern in item.get("patterns") or [])
        self._patterns = [(re.compile(pattern), entry) for pattern, entry in patterns]
        # Names that mean the same in every language: people's names and long acronyms.
        self._shared: list[tuple[str, GazetteerEntry]] = []
        self._surnames: list[tuple[str, GazetteerEntry]] = []
        for item in data.get("people") or []:
            person = self._entry({"labels": ["PERSON"], **item}, "PERSON")
            names = [item["name"], *(item.get("aliases") or [])]
            self._add(person, names)
            self._add_languages(person, item)
            self._shared.extend((name, person) for name in names)
            for name in [*names, *(n for ns in (item.get("names") or {}).values() for n in ns)]:
                surname = name.split()[-1]
                if surname != name and len(surname) >= _SHARED_ACRONYM_MIN:
                    self._surnames.append((surname, person))
        written = [*self._exact.items(), *((self._spelling[k], e) for k, e in self._folded.items())]
        self._shared.extend(
            (name, entry)
            for name, entry in written
            if entry.labels != _PERSON_LABELS
            and len(name.replace(".", "")) >= _SHARED_ACRONYM_MIN
            and name.replace(".", "").isalpha()
            and name.isupper()
        )
        # language → (required_literals(patterns), any_of(patterns))
        self._screens: dict[str, tuple[tuple[str, ...] | None, re.Pattern[str] | None]] = {}

    @staticmethod
    def _entry(item: dict[str, Any], label: str) -> GazetteerEntry:
        labels = item.get("labels")
        return GazetteerEntry(
            name=item["name"],
            label=item.get("label", label),
            wikidata_id=item.get("id"),
            labels=frozenset(labels) if labels else None,
        )

    def _add(
        self,
        entry: GazetteerEntry,
        names: list[str],
        exact: dict[str, GazetteerEntry] | None = None,
        folded: dict[str, GazetteerEntry] | None = None,
    ) -> None:
        exact = self._exact if exact is None else exact
        folded = self._folded if folded is None else folded
        for name in names:
            if len(name) <= _EXACT_MAX_LENGTH:
                exact.setdefault(name, entry)
            else:
                folded.setdefault(name.casefold(), entry)
                self._spelling.setdefault(name.casefold(), name)

    def _add_languages(self, entry: GazetteerEntry, item: dict[str, Any]) -> None:
        for language, names in (item.get("names") or {}).items():
            exact, folded = self._by_language.setdefault(language, ({}, {}))
            self._add(entry, names, exact, folded)
            if language in _GENITIVE_S and entry.label == "GPE":
                genitives = [
                    f"{name}s"
                    for name in names
                    if " " not in name and name[-1] not in "sßxz" and name[-1].islower()
                ]
                self._add(entry, genitives, exact, folded)
            self._language_patterns.setdefault(language, []).extend(
                (re.compile(rf"(?<!\w){re.escape(name)}(?!\w)"), entry)
                for name in names
                if len(name) >= _ACRONYM_PATTERN_MIN and name.isalpha() and name.isupper()
            )

    @property
    def languages(self) -> frozenset[str]:
        """The languages with names of their own (besides English)."""
        return frozenset(self._by_language)

    def lookup(self, name: str, label: str, language: str = ENGLISH) -> GazetteerEntry | None:
        """The entry `name` (a canonical form: no leading "the", no possessive) stands for in
        an article in `language` (a primary subtag), when the model's `label` fits it."""
        entry = None
        if language in self._by_language:
            exact, folded = self._by_language[language]
            entry = exact.get(name) if len(name) <= _EXACT_MAX_LENGTH else None
            entry = entry or folded.get(name.casefold())
        if entry is None:
            entry = self._exact.get(name) if len(name) <= _EXACT_MAX_LENGTH else None
            entry = entry or self._folded.get(name.casefold())
        return entry if entry is not None and entry.accepts(label) else None

    def rule_names(self, language: str) -> list[tuple[str, GazetteerEntry]]:
        """(name, entry) a rule-based pipeline looks for in `language`'s text: the language's
        own names, then the names that read the same everywhere (people, acronyms such as
        NATO) where the language does not use that name for something else. A name of up to
        four characters is matched exactly, a longer one in any case, as `lookup` does."""
        exact, folded = self._by_language.get(language, ({}, {}))
        # The folded tables are keyed by the case-folded name ("grossbritannien"): the
        # matcher gets the name as written, whose lower case is what it compares.
        names = [*exact.items(), *((self._spelling[key], e) for key, e in folded.items())]
        taken = {self._key(name) for name, _ in names}
        for name, entry in self._shared:
            if self._key(name) not in taken:
                taken.add(self._key(name))
                names.append((name, entry))
        return names

    @staticmethod
    def _key(name: str) -> str:
        # How `lookup` tells names apart: short ones as written ("Nato" is not "NATO").
        return name if len(name) <= _EXACT_MAX_LENGTH else name.casefold()

    def surnames(self) -> list[tuple[str, GazetteerEntry]]:
        """(surname, person) for the people the gazetteer knows: "Merz" alone in a text is a
        PERSON mention, joined to the full name when the article names that person fully
        (`resolution`), a name of its own otherwise."""
        return list(self._surnames)

    def contextual(self, name: str) -> GazetteerEntry | None:
        """The entry `name` means when the article names that entry otherwise ("Alliance")."""
        return self._contextual.get(name.casefold())

    def pattern_mentions(
        self, text: str, language: str = ENGLISH
    ) -> Iterator[tuple[int, int, GazetteerEntry]]:
        """(start, end, entry) of the mentions the gazetteer's patterns find in `text`, an
        article's text in `language`: the English patterns, or that language's acronyms."""
        patterns = (
            self._patterns if language == ENGLISH else self._language_patterns.get(language, [])
        )
        if language not in self._screens:
            compiled = [pattern for pattern, _ in patterns]
            self._screens[language] = (required_literals(compiled), any_of(compiled))
        literals, screen = self._screens[language]
        if literals is not None and not any(literal in text for literal in literals):
            return  # a text without a literal every match has ("IS"): no search at all
        if screen is not None and screen.search(text) is None:
            return  # one pass over the text instead of one per pattern, and most find nothing
        for pattern, entry in patterns:
            for match in pattern.finditer(text):
                yield match.start(), match.end(), entry


def any_of(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern that finds something in a text exactly when one of `patterns` does, or None
    when they cannot be joined so (a numbered group could be referred to by number, a flag
    could apply to all)."""
    if len(patterns) < 2 or any(p.groups or p.flags != re.UNICODE for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))
    except re.error:
        return None


@cache
def default_gazetteer() -> Gazetteer:
    """The gazetteer shipped with the package, parsed once per process."""
    text = resources.files(__package__).joinpath("gazetteer.yaml").read_text(encoding="utf-8")
    try:
        # libyaml's loader when PyYAML has it: the same documents, ten times faster to parse.
        return Gazetteer(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))  # noqa: S506

    except (yaml.YAMLError, KeyError, TypeError, re.error) as exc:
        raise ConfigError(f"pipeline/enrich/gazetteer.yaml is invalid: {exc}") from exc
