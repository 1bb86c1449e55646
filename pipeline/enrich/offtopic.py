"""Paragraphs that do not belong to the story: text spliced in from another article.

Each paragraph is compared with the rest of its article on two kinds of terms: content words
(stop words and generic news words left out, crudely stemmed) and the article's resolved
entities (so "Iraqi" meets "Iraq", and "Stoltenberg" meets "Jens Stoltenberg"). Three
features, then a logistic score:

- `core`: overlap with the article's core, each shared term weighted by how many paragraphs of
  the core have it (log), plus one for a term of the title; the core is the article without
  the third of its paragraphs that overlap least with the rest, so that two or three spliced
  paragraphs do not vouch for each other;
- `all`: the same against every other paragraph;
- `title`: title terms in the paragraph (up to three).

Similarity to the closest paragraph, to the neighbouring ones, the share of known entities
and the paragraph's length were tried too: on held-out cases they added nothing or cost
precision, so they are not used.

The weights were fit (`tests/fixtures/enrich/fit_offtopic.py`) on splice cases built from the
sample site's stories and half of the fixture articles' stories; on 300 cases from the other
half, a flag at FLAG_AT = 0.65 has precision 0.94 and recall 0.72 (0.98 and 0.62 at 0.75, but
then the seed article's second virus paragraph, which shares only "ministers" with the story,
scores 0.69 and is missed). Precision comes first: a wrong flag removes a paragraph's entities
from the article, a missed one only leaves them in.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

FLAG_AT = 0.65
# Articles this short have no "rest" to compare with: nothing is flagged.
MIN_PARAGRAPHS = 4
# Paragraphs with fewer terms ("He declined to comment.") are not scored: too little to tell.
MIN_TERMS = 6

# Intercept, then one weight per feature in the order of `features`.
WEIGHTS = (1.79, -20.75, 6.06, -4.66)

# Words every news story uses, whatever it is about: sharing them says nothing.
_GENERIC = frozenset(
    """
said says say saying told tell according also would could should might year years time times
people new one two three four five first second last next week weeks day days month months
today yesterday tomorrow monday tuesday wednesday thursday friday saturday sunday january
february march april may june july august september october november december including
just like made make makes way well many much even still going get got come came back since
around percent million billion per cent however another part good great former added asked
called set use used work report reported reports statement news mr ms mrs dr thing things
know known want wanted need needs take took year's lot number told think believe look
""".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]+")


@dataclass(frozen=True)
class ParagraphTerms:
    words: frozenset[str]  # stemmed content words
    entities: frozenset[str]  # keys of the resolved entities mentioned in it

    @property
    def terms(self) -> frozenset[str]:
        return self.words | self.entities


def content_words(text: str) -> frozenset[str]:
    """Stems of the content words of `text`: lower case, possessive dropped, cut to six letters
    (a crude stemmer that joins "ministers" and "minister", "announced" and "announces")."""
    # Each token's stem looked up as it comes: a lookup costs what adding the token to a set
    # of distinct tokens would.
    stems = set(map(_stems.__getitem__, _WORD.findall(text)))
    stems.discard("")
    return frozenset(stems)


class _Stems(dict[str, str]):
    """token → `_stem(token)`, remembered (news words repeat); emptied at _STEMS_MAX tokens."""

    def __missing__(self, token: str) -> str:
        if len(self) >= _STEMS_MAX:
            self.clear()
        stem = self[token] = _stem(token)
        return stem


_STEMS_MAX = 1 << 16
_stems = _Stems()


def _stem(token: str) -> str:
    """The stem `content_words` keeps of a token, "" for none."""
    word = token.lower().replace("’", "'").removesuffix("'s")
    if len(word) >= 3 and word not in STOP_WORDS and word not in _GENERIC:
        return word[:6]
    return ""


def _salience(
    own: frozenset[str],
    counts: Counter[str],
    minus: int,
    title: frozenset[str],
    log1p: Sequence[float] | None = None,
) -> float:
    # `counts` includes the paragraph itself when `minus` is 1: its own terms do not count.
    # fsum: a set's order follows the string hash seed, and a plain float sum in that order
    # could reorder near-tied paragraphs from one process to the next. `log1p[n]` is
    # math.log1p(n), looked up (`features` makes the table once for all its paragraphs).
    if log1p is None:
        log1p = [math.log1p(n) for n in range(max(counts.values(), default=0) + 1)]
    return math.fsum([log1p[counts[t] - minus] + (t in title) for t in own]) / len(own)


def _counts(sets: Iterable[frozenset[str]]) -> Counter[str]:
    """In how many of `sets` each term is."""
    counts: Counter[str] = Counter()
    for terms in sets:
        counts.update(terms)
    return counts


def features(title: str, paragraphs: Sequence[ParagraphTerms]) -> list[list[float] | None]:
    """The features of each paragraph (None for one with fewer than MIN_TERMS terms)."""
    title_terms = content_words(title)
    sets = [p.terms for p in paragraphs]
    log1p = [math.log1p(n) for n in range(len(sets) + 1)]
    everywhere = _counts(sets)
    first = [
        _salience(terms, everywhere, 1, title_terms, log1p) if terms else 0.0 for terms in sets
    ]
    weakest = sorted(range(len(sets)), key=first.__getitem__)[: max(1, len(sets) // 3)]
    peeled = {i for i in weakest if first[i] < 0.35 and len(sets[i]) >= MIN_TERMS}
    core = _counts(terms for i, terms in enumerate(sets) if i not in peeled)

    result: list[list[float] | None] = []
    for i, terms in enumerate(sets):
        if len(terms) < MIN_TERMS:
            result.append(None)
            continue
        result.append(
            [
                _salience(terms, core, 0 if i in peeled else 1, title_terms, log1p),
                first[i],
                min(len(terms & title_terms), 3) / 3,
            ]
        )
    return result


def scores(title: str, paragraphs: Sequence[ParagraphTerms]) -> list[float]:
    """Per paragraph, the probability (0 to 1) that it does not belong to the story; 0 for
    paragraphs too short to score and for articles too short to judge."""
    if len(paragraphs) < MIN_PARAGRAPHS:
        return [0.0] * len(paragraphs)
    out = []
    for row in features(title, paragraphs):
        if row is None:
            out.append(0.0)
            continue
        z = WEIGHTS[0] + sum(w * x for w, x in zip(WEIGHTS[1:], row, strict=True))
        out.append(1.0 / (1.0 + math.exp(-z)))
    return out
