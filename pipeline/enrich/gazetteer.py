"""The curated gazetteer (gazetteer.yaml): names that mean one entity in every article.

Loaded once per process. `lookup` answers for a name the model found, `contextual` for names
that count only when the article names the entity otherwise, and `pattern_mentions` finds the
few mentions the model is known to miss.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from pipeline.errors import ConfigError

# Aliases this short ("US", "UN", "WHO", "IS") are matched case-sensitively: "Us" and "who"
# are words. Longer ones are matched case-insensitively ("NORTH ATLANTIC TREATY ORGANIZATION").
_EXACT_MAX_LENGTH = 4
# The labels a demonym may have: "French" tagged LANGUAGE is the language, not the people.
_DEMONYM_LABELS = frozenset({"NORP", "GPE", "ORG", "LOC"})


@dataclass(frozen=True)
class GazetteerEntry:
    name: str
    label: str
    wikidata_id: str | None
    labels: frozenset[str] | None  # model labels a span must have to match; None: any but PERSON

    def accepts(self, label: str) -> bool:
        return label in self.labels if self.labels is not None else label != "PERSON"


class Gazetteer:
    def __init__(self, data: dict[str, Any]) -> None:
        self._exact: dict[str, GazetteerEntry] = {}
        self._folded: dict[str, GazetteerEntry] = {}
        self._contextual: dict[str, GazetteerEntry] = {}
        patterns: list[tuple[str, GazetteerEntry]] = []
        for item in data.get("countries") or []:
            country = self._entry(item, "GPE")
            self._add(country, [item["name"], *(item.get("aliases") or [])])
            demonyms = item.get("demonyms") or []
            if demonyms:
                people = GazetteerEntry(demonyms[0], "NORP", country.wikidata_id, _DEMONYM_LABELS)
                self._add(people, demonyms)
        for item in data.get("organizations") or []:
            org = self._entry(item, "ORG")
            self._add(org, [item["name"], *(item.get("aliases") or [])])
            for alias in item.get("contextual") or []:
                self._contextual[alias.casefold()] = org
            patterns.extend((pattern, org) for pattern in item.get("patterns") or [])
        self._patterns = [(re.compile(pattern), entry) for pattern, entry in patterns]

    @staticmethod
    def _entry(item: dict[str, Any], label: str) -> GazetteerEntry:
        labels = item.get("labels")
        return GazetteerEntry(
            name=item["name"],
            label=item.get("label", label),
            wikidata_id=item.get("id"),
            labels=frozenset(labels) if labels else None,
        )

    def _add(self, entry: GazetteerEntry, names: list[str]) -> None:
        for name in names:
            if len(name) <= _EXACT_MAX_LENGTH:
                self._exact.setdefault(name, entry)
            else:
                self._folded.setdefault(name.casefold(), entry)

    def lookup(self, name: str, label: str) -> GazetteerEntry | None:
        """The entry `name` (a canonical form: no leading "the", no possessive) stands for,
        when the model's `label` fits it."""
        entry = self._exact.get(name) if len(name) <= _EXACT_MAX_LENGTH else None
        entry = entry or self._folded.get(name.casefold())
        return entry if entry is not None and entry.accepts(label) else None

    def contextual(self, name: str) -> GazetteerEntry | None:
        """The entry `name` means when the article names that entry otherwise ("Alliance")."""
        return self._contextual.get(name.casefold())

    def pattern_mentions(self, text: str) -> Iterator[tuple[int, int, GazetteerEntry]]:
        """(start, end, entry) of the mentions the gazetteer's patterns find in `text`."""
        for pattern, entry in self._patterns:
            for match in pattern.finditer(text):
                yield match.start(), match.end(), entry


@cache
def default_gazetteer() -> Gazetteer:
    """The gazetteer shipped with the package, parsed once per process."""
    text = resources.files(__package__).joinpath("gazetteer.yaml").read_text(encoding="utf-8")
    try:
        # libyaml's loader when PyYAML has it: the same documents, ten times faster to parse.
        return Gazetteer(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))  # noqa: S506

    except (yaml.YAMLError, KeyError, TypeError, re.error) as exc:
        raise ConfigError(f"pipeline/enrich/gazetteer.yaml is invalid: {exc}") from exc
