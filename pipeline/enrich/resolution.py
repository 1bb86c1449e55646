"""One entity per real-world thing: the mentions of an article grouped, named and counted.

Mentions are grouped with a union-find over their canonical names (case-folded). Links come
from the curated gazetteer (the same entity in every article), acronyms defined in parentheses
or spelled by a long form's initials, bare surnames of the one full name in the article ending
with them, and contextual gazetteer names ("the Alliance" when the article names NATO). A group
never holds two gazetteer entries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.enrich.entities import (
    KEPT_LABELS,
    Mention,
    canonical_form,
    defines_acronym,
    initials,
    is_acronym,
    is_junk,
)
from pipeline.enrich.gazetteer import Gazetteer, GazetteerEntry, default_gazetteer
from pipeline.records import Entity

# Initials alone ("North Atlantic Treaty Organisation" and "NATO" in one article) link names
# only from three letters: two-letter coincidences are common ("Prime Minister" and "PM" are
# fine, "Bank of America" and "BA" are not).
_MIN_INITIALS = 3


@dataclass
class _Node:
    parent: str
    entry: GazetteerEntry | None = None
    preferred: str | None = None  # a long form or full name the group should be named after


class _Groups:
    def __init__(self) -> None:
        self.nodes: dict[str, _Node] = {}

    def add(self, key: str) -> None:
        if key not in self.nodes:
            self.nodes[key] = _Node(parent=key)

    def find(self, key: str) -> str:
        root = key
        while self.nodes[root].parent != root:
            root = self.nodes[root].parent
        while self.nodes[key].parent != root:  # path compression
            self.nodes[key].parent, key = root, self.nodes[key].parent
        return root

    def union(self, a: str, b: str, preferred: str | None = None) -> None:
        self.add(a)
        self.add(b)
        root_a, root_b = self.find(a), self.find(b)
        node_a, node_b = self.nodes[root_a], self.nodes[root_b]
        if root_a != root_b:
            if node_a.entry and node_b.entry and node_a.entry != node_b.entry:
                return  # "Jordan" the surname must not join Jordan the country to a person
            node_b.parent = root_a
            node_a.entry = node_a.entry or node_b.entry
            node_a.preferred = node_a.preferred or node_b.preferred
        if preferred and not node_a.preferred:
            node_a.preferred = preferred


@dataclass(frozen=True)
class Resolved:
    """The kept mentions of an article, each with the key of its entity group."""

    mentions: list[Mention]
    keys: list[str]
    entities: dict[str, tuple[str, str, str | None]]  # key → (canonical, label, wikidata_id)


def resolve(
    mentions: Sequence[Mention],
    gazetteer: Gazetteer | None = None,
    language: str = "en",
) -> Resolved:
    """Group the mentions of one article in `language` (a primary subtag) into entities (see
    the module docstring)."""
    gazetteer = gazetteer or default_gazetteer()
    kept = [
        (mention, canonical)
        for mention in sorted(mentions, key=lambda m: m.offset)
        if mention.label in KEPT_LABELS
        and (canonical := _kept_name(mention.surface, mention.label, language)) is not None
    ]
    groups = _Groups()
    surnames = _surnames(kept)
    for mention, canonical in kept:
        key = canonical.casefold()
        groups.add(key)
        if key in surnames:
            groups.union(surnames[key].casefold(), key, preferred=surnames[key])
            continue
        entry = gazetteer.lookup(canonical, mention.label, language)
        if entry is not None:
            entry_key = f"gazetteer:{entry.name}"
            groups.add(entry_key)
            groups.nodes[entry_key].entry = entry
            groups.union(entry_key, key)
    _link_acronyms(groups, kept)
    present = {node.entry.name for node in groups.nodes.values() if node.entry}
    for _, canonical in kept:
        entry = gazetteer.contextual(canonical)
        if entry is not None and entry.name in present:
            groups.union(f"gazetteer:{entry.name}", canonical.casefold())
    return _named(groups, kept)


@lru_cache(maxsize=1 << 15)
def _kept_name(surface: str, label: str, language: str) -> str | None:
    """The canonical form of a mention worth keeping, None for junk. Cached: an article names
    the same people and places again and again, and so do the day's articles."""
    canonical = canonical_form(surface, label, language)
    return None if is_junk(canonical, label) else canonical


def _surnames(kept: list[tuple[Mention, str]]) -> dict[str, str]:
    """casefolded bare surname → the one PERSON full name of the article that ends with it."""
    full_names: dict[str, dict[str, str]] = {}
    for mention, canonical in kept:
        words = canonical.split()
        if mention.label == "PERSON" and len(words) >= 2:
            full_names.setdefault(words[-1].casefold(), {}).setdefault(
                canonical.casefold(), canonical
            )
    # Two people sharing a surname ("Donald Trump", "Melania Trump"): a bare "Trump" could be
    # either, so it stays its own entity rather than being guessed into one of them.
    return {
        surname: next(iter(names.values()))
        for surname, names in full_names.items()
        if len(names) == 1
    }


def _link_acronyms(groups: _Groups, kept: list[tuple[Mention, str]]) -> None:
    acronyms = {canonical for _, canonical in kept if is_acronym(canonical)}
    for mention, canonical in kept:
        if mention.acronym and defines_acronym(canonical, mention.acronym):
            groups.union(canonical.casefold(), mention.acronym.casefold(), preferred=canonical)
        if mention.long_form and defines_acronym(mention.long_form, canonical):
            groups.union(
                mention.long_form.casefold(), canonical.casefold(), preferred=mention.long_form
            )
        if " " not in canonical:  # a one-word name is never linked by its initials
            continue
        spelled = initials(canonical)
        if len(spelled) >= _MIN_INITIALS and spelled in acronyms and spelled != canonical:
            groups.union(canonical.casefold(), spelled.casefold(), preferred=canonical)


def _named(groups: _Groups, kept: list[tuple[Mention, str]]) -> Resolved:
    keys = [groups.find(canonical.casefold()) for _, canonical in kept]
    by_group: dict[str, list[tuple[Mention, str]]] = {}
    for key, item in zip(keys, kept, strict=True):
        by_group.setdefault(key, []).append(item)
    entities: dict[str, tuple[str, str, str | None]] = {}
    for key, items in by_group.items():
        node = groups.nodes[key]
        if node.entry is not None:
            entities[key] = (node.entry.name, node.entry.label, node.entry.wikidata_id)
            continue
        if len(items) == 1:  # the rule below for one mention, without its counters
            (mention, only), preferred = items[0], node.preferred
            name = preferred if preferred and only.casefold() != preferred.casefold() else only
            entities[key] = (name, mention.label, None)
            continue
        # most_common keeps insertion order among ties, so ties go to the earliest mention.
        canonical = node.preferred or _most_common(c for _, c in items)
        # "THE HOME DEPOT" and two "Home Depot": the group is named as most mentions write it.
        folded = canonical.casefold()
        spelled = [(m, c) for m, c in items if c.casefold() == folded]
        if spelled:
            canonical = _most_common(c for _, c in spelled)
        # The label of the name the group is named after ("label from the full name"), when
        # the model gave it one; the vote of all mentions otherwise.
        votes = [m.label for m, _ in spelled] or [m.label for m, _ in items]
        entities[key] = (canonical, _most_common(votes), None)
    return Resolved([m for m, _ in kept], keys, entities)


def _most_common(values: Iterable[str]) -> str:
    """The commonest value, the first seen of those tied (Counter.most_common(1)'s)."""
    counts = Counter(values)
    return max(counts, key=counts.__getitem__)


@dataclass
class _Tally:
    first_offset: int
    surfaces: Counter[str] = field(default_factory=Counter)  # insertion order = text order


def aggregate(
    mentions: Sequence[Mention],
    gazetteer: Gazetteer | None = None,
    excluded_paragraphs: frozenset[int] = frozenset(),
    resolved: Resolved | None = None,
    language: str = "en",
) -> list[Entity]:
    """One Entity per group, in order of first mention, with its surface forms.

    `name` is the most common surface form, `count` the number of mentions outside
    `excluded_paragraphs` (off-topic ones). Surface forms are listed in order of first
    appearance, so the first one is at `first_offset` in the record's text. `resolved`, the
    resolution of all `mentions` when the caller has it, is reused if nothing is excluded.
    """
    counted = [m for m in mentions if m.paragraph not in excluded_paragraphs]
    if resolved is None or len(counted) < len(mentions):
        resolved = resolve(counted, gazetteer, language)
    tallies: dict[str, _Tally] = {}
    for mention, key in zip(resolved.mentions, resolved.keys, strict=True):
        tally = tallies.setdefault(key, _Tally(first_offset=mention.offset))
        tally.surfaces[mention.surface] += 1
    entities: list[Entity] = []
    for key, tally in tallies.items():
        canonical, label, wikidata_id = resolved.entities[key]
        surfaces = tally.surfaces
        entities.append(
            Entity(
                # The most common one, the first of those tied (as Counter.most_common(1)).
                name=max(surfaces, key=surfaces.__getitem__),
                label=label,
                canonical=canonical,
                count=tally.surfaces.total(),
                first_offset=tally.first_offset,
                wikidata_id=wikidata_id,
                surface_forms=list(tally.surfaces),
            )
        )
    return entities
