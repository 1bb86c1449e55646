"""Per-article entity aggregation: trim each mention, canonicalize it, merge aliases, count.

Pure functions over mentions, so every rule here is tested without loading a model.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.records import Entity

# Names worth storing; numeric and temporal types (DATE, CARDINAL, MONEY, …) are not entities
# anyone looks up in the warehouse.
KEPT_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "FAC", "PRODUCT", "WORK_OF_ART", "LAW"}
)

_ACRONYM_AFTER = re.compile(r"\s?\(([A-Z][A-Za-z&.\-]{1,11})\)")
_LEADING_THE = re.compile(r"the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?<=\w)['’]s$")
_WORD_SPLIT = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class Mention:
    """One entity span as found in the record: `surface` is `record.text[offset:]`'s prefix."""

    surface: str
    label: str
    offset: int
    # The token of an "Organization (ORG)" definition right after the span; checked against the
    # long form's initials in `aggregate`, so a stray parenthesis does not create an alias.
    acronym: str | None = None


def _is_punct(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _trim_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past surrounding whitespace and punctuation.

    A final period stays when it closes a one-letter abbreviation ("U.S.", "D.C."), where it is
    part of the name; otherwise it is sentence punctuation the model swallowed ("IL-25.").
    """
    while start < end and (text[start].isspace() or _is_punct(text[start])):
        start += 1
    while start < end and (text[end - 1].isspace() or _is_punct(text[end - 1])):
        abbreviation = (
            text[end - 1] == "."
            and end - start >= 2
            and text[end - 2].isalpha()
            and (end - 3 < start or text[end - 3] in ". ")
        )
        if abbreviation:
            break
        end -= 1
    return start, end


def mention_from_span(
    paragraph: str, start: int, end: int, label: str, paragraph_offset: int
) -> Mention | None:
    """A Mention for the model's span [start, end) of `paragraph`, which starts at
    `paragraph_offset` in the record's text; None when only punctuation is left."""
    trimmed_start, trimmed_end = _trim_bounds(paragraph, start, end)
    if trimmed_start == trimmed_end:
        return None
    acronym = _ACRONYM_AFTER.match(paragraph, end)
    return Mention(
        surface=paragraph[trimmed_start:trimmed_end],
        label=label,
        offset=paragraph_offset + trimmed_start,
        acronym=acronym.group(1) if acronym else None,
    )


def canonical_form(surface: str) -> str:
    """The name without a leading article, a possessive or line breaks: "The NATO’s" → "NATO"."""
    name = " ".join(surface.split())
    name = _POSSESSIVE.sub("", _LEADING_THE.sub("", name, count=1))
    start, end = _trim_bounds(name, 0, len(name))
    return name[start:end]


def is_junk(canonical: str, label: str) -> bool:
    """Spans the small model tags that name nothing: one character, no letter at all ("2020",
    "@"), or all lower case ("the alliance"), which a name only is for NORP ("muslim")."""
    if len(canonical) < 2 or not any(char.isalpha() for char in canonical):
        return True
    return canonical.islower() and label != "NORP"


def _initials(name: str) -> str:
    # Capitalized words only, so "Bank of England" gives "BE" and "Procter & Gamble" gives "PG".
    return "".join(word[0] for word in _WORD_SPLIT.split(name) if word[:1].isupper())


def _defines_acronym(long_form: str, acronym: str) -> bool:
    letters = "".join(char for char in acronym if char.isupper())
    return len(letters) >= 2 and letters == _initials(long_form) and acronym != long_form


def _aliases(mentions: Sequence[tuple[Mention, str]]) -> dict[str, tuple[str, str | None]]:
    """casefolded alias → (canonical it stands for, label it votes for or None for its own)."""
    aliases: dict[str, tuple[str, str | None]] = {}
    for mention, canonical in mentions:
        if mention.acronym and _defines_acronym(canonical, mention.acronym):
            aliases.setdefault(mention.acronym.casefold(), (canonical, None))
    full_names: dict[str, set[str]] = {}
    for mention, canonical in mentions:
        words = canonical.split()
        if mention.label == "PERSON" and len(words) >= 2:
            full_names.setdefault(words[-1].casefold(), set()).add(canonical)
    for surname, names in full_names.items():
        # Two people sharing a surname ("Donald Trump", "Melania Trump"): a bare "Trump" could be
        # either, so it stays its own entity rather than being guessed into one of them.
        if len({name.casefold() for name in names}) == 1:
            # The bare surname votes PERSON: the small model often tags it ORG or GPE
            # ("Stoltenberg said …"), and once it is resolved to a person that label is noise.
            aliases.setdefault(surname, (next(iter(names)), "PERSON"))
    return aliases


@dataclass
class _Group:
    first_offset: int
    canonicals: Counter[str] = field(default_factory=Counter)
    surfaces: Counter[str] = field(default_factory=Counter)  # insertion order = text order
    labels: Counter[str] = field(default_factory=Counter)


def aggregate(mentions: Sequence[Mention]) -> tuple[list[Entity], dict[str, list[str]]]:
    """One Entity per canonical name, in order of first mention, and canonical → surface forms.

    `name` is the most common surface form, `label` the vote of the mentions, `canonical` the
    name with aliases resolved: an acronym defined in parentheses maps to its long form, a bare
    surname to the one PERSON full name in the article ending with it. Surface forms are listed
    in order of first appearance, so the first one is at `first_offset` in the record's text.
    """
    kept = [
        (mention, canonical)
        for mention in sorted(mentions, key=lambda m: m.offset)
        if mention.label in KEPT_LABELS
        and not is_junk(canonical := canonical_form(mention.surface), mention.label)
    ]
    aliases = _aliases(kept)
    groups: dict[str, _Group] = {}
    for mention, canonical in kept:
        target, vote = aliases.get(canonical.casefold(), (canonical, None))
        group = groups.setdefault(target.casefold(), _Group(first_offset=mention.offset))
        group.canonicals[target] += 1
        group.surfaces[mention.surface] += 1
        group.labels[vote or mention.label] += 1

    entities: list[Entity] = []
    surface_forms: dict[str, list[str]] = {}
    for group in groups.values():
        # most_common keeps insertion order among ties, so ties go to the earliest mention.
        canonical = group.canonicals.most_common(1)[0][0]
        entities.append(
            Entity(
                name=group.surfaces.most_common(1)[0][0],
                label=group.labels.most_common(1)[0][0],
                canonical=canonical,
                count=group.surfaces.total(),
                first_offset=group.first_offset,
            )
        )
        surface_forms[canonical] = list(group.surfaces)
    return entities, surface_forms
