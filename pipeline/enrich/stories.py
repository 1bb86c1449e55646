"""Stories: each enriched article joins the story it best matches, or starts a new one, online.

A story is what several articles report on: the same event, its follow-ups, its reactions.
Articles are compared with a story's profile (a centroid), not with each other:

- **entities dominate**: the article's canonical entities (the Wikidata id when known, else the
  canonical name), weighted by mention count and by rarity (an IDF over the articles seen so
  far), compared by cosine with the story's entity centroid. A Wikidata id is the same key in
  every language, so a French and an English report of one event match on entities alone;
- **content terms** of the title (counted twice) and lead: lower-cased words of three letters or
  more, stop words of the six languages newsflow reads removed, cut to their first
  `STEM_CHARS` characters (a crude stemmer that works the same in every language), weighted by
  IDF, compared by cosine with the story's term centroid. Terms only count between articles of
  a language the story already has: across languages they share nothing but names;
- **time**: a story accepts articles published within `window` of its span (first to last
  article), and the score halves every `half_life` away from that span.

score = (E·entity cosine + T·term cosine) / (E + T) × time decay, where E is
`entity_weight` when both sides have entities (else 0), scaled by n / `entity_support` when the
article has n < `entity_support` distinct entities, and T is `term_weight` when they share a
language and both have terms (else 0). The scaling is for short texts: a headline's one or two
entities (often a person's or a company's name, or a title-cased word the NER took for one) are
thin evidence, and at full weight one entity missing from the story's profile outweighs every
shared word. For such an article (0 < n < `entity_support`) the score also blends in, with
weight 1 - n / `entity_support`, the **joint cosine**: entities and terms of each side taken as
one vector (the terms left out of both sides where the language rule leaves them out), so a
headline's name and its words are weighed against each other by IDF alone, as one TF-IDF
vector would weigh them, rather than each against its own part of the story's profile:

    similar = s · separate + (1 - s) · joint,   s = n / entity_support

It uses the dot products and norms the separate cosines already compute, and nothing more is
stored. An article without entities is scored on terms alone, and an article with
`entity_support` entities or more, as a report with a lead has, is scored as before, so a
French and an English report still join on their entities alone, and an article whose several
entities disagree with a story's still does not join it on words.

The article joins the best-scoring candidate at `threshold` or above (ties: the earlier
story), else starts a story of its own. A candidate's score is weighed by its size first,
× (1 + `size_prior` · ln(article count)): an article is compared with the centroid of a story's
articles, and the more articles a story has, the more of their words and names the centroid
spreads its weight over, so a short text's cosine with it falls as the story grows even when the
text reports the same event. A story of one article is scored as it is.

Candidates come from an inverted index: a story is listed under its `index_keys` heaviest
entity keys and terms, each list keeping its `per_key` latest stories. A probe looks up its
rarest `lookup_keys` entity keys and rarest `lookup_keys` terms among those some article has
(the common ones, "United States", would list every story), and the `max_candidates` stories
within the window sharing the most of them (by IDF) are scored, so an assignment costs the same
with 100 or 100,000 stories. A story's centroid keeps its `profile_keys` heaviest entities and
terms; the IDF weight of a key is fixed when an article adds it, so a profile is
self-contained (scored without looking the idf of its keys up again).

A story's id is the article id of the article that started it, so replaying the same records
in the same order gives the same ids; an article already assigned keeps its story (`assign` is
idempotent). Stories never merge: an article that bridges two stories joins the better one, and
the other stays as it is.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from pipeline.records import CJK_CHARS, EnrichedArticle

STEM_CHARS = 7
LEAD_WORDS = 80  # of the description and first story paragraphs, after the title
TITLE_WEIGHT = 2.0

_WORD = re.compile(rf"[{CJK_CHARS}]{{2}}|[^\W\d_{CJK_CHARS}]{{3,}}")

# The commonest function words of English, French, German, Spanish, Italian and Portuguese
# (three letters or more: shorter words are never terms), and news filler verbs.
STOP_WORDS = frozenset(
    """
    the and for are but not you all any can had her was one our out has have him his how its
    may new now old see two way who did get got let put say she too use that with this from
    they will would there their what about which when make like than them then into some
    could other more these also after first well only over such where most said says told
    been being were just very because while before between during under again against both
    each few own same should those through until above below further here once why yes
    year years day days week today yesterday monday tuesday wednesday thursday friday saturday
    sunday people according report reported reports news
    les des une est dans pour que qui pas sur par plus avec son ses aux ont été cette mais
    comme tout elle sont leur leurs lui nous vous ils elles ces été fait être avoir entre
    selon après avant aussi dont alors très sans sous chez même déjà encore ainsi
    der die das und den dem des ein eine einer eines einem einen ist nicht mit sich auf für
    von sie auch als nach wie bei aus noch wird werden wurde wurden sind hat haben oder aber
    vor zur zum über unter durch gegen seit bis dass diese dieser dieses mehr nur schon
    los las del una por con para uno unos unas más como pero sus fue han sido está están
    este esta estos estas ese esa entre sobre también hasta desde donde cuando porque según
    ser muy sin
    della delle degli dei gli che non per una con sono alla alle dal dalla nel nella sul
    sulla anche come più suo sua loro questo questa essere stato stati tra fra dopo
    dos das não uma com mais pelo pela pelos pelas seu sua seus suas ele ela eles elas
    este esta isso foi são está entre sobre também até quando depois
    """.split()
)


@dataclass(frozen=True)
class StoryParams:
    """The knobs of the assignment; the defaults are what the enricher uses."""

    threshold: float = 0.4
    entity_weight: float = 0.65
    term_weight: float = 0.35
    window: timedelta = timedelta(days=4)
    half_life: timedelta = timedelta(days=4)
    lookup_keys: int = 5  # rarest keys of each kind used to look candidates up
    max_candidates: int = 30
    index_keys: int = 16  # heaviest entities and terms, each, a story is listed under
    per_key: int = 100  # latest stories looked at under one key
    profile_keys: int = 64  # entities and terms a story's profile keeps, each
    # Entities a probe needs for their full weight; with fewer, E shrinks in proportion and
    # the joint cosine of entities and terms is blended in (see the module's docstring).
    entity_support: int = 4
    # A candidate of n articles has its score × (1 + size_prior · ln n) (module docstring).
    size_prior: float = 0.1


DEFAULT_PARAMS = StoryParams()


@dataclass(frozen=True)
class StoryProbe:
    """An article as story clustering sees it."""

    article_id: str
    source: str
    published: datetime  # published_at, or fetched_at for a page without a date
    language: str | None
    title: str
    # Canonical entity key ("Q7184", or "n:" + the casefolded canonical name) → weight.
    entities: Mapping[str, float] = field(default_factory=dict)
    # Content term (see `content_terms`) → weight.
    terms: Mapping[str, float] = field(default_factory=dict)


def entity_key(canonical: str, wikidata_id: str | None) -> str:
    """The key that makes two entities one: the Wikidata id, else the canonical name."""
    return wikidata_id or "n:" + canonical.casefold()


def content_terms(title: str, lead: str = "") -> dict[str, float]:
    """Term → weight of a title (each occurrence counts TITLE_WEIGHT) and its lead (1 each)."""
    terms: dict[str, float] = {}
    for text, weight in ((title, TITLE_WEIGHT), (lead, 1.0)):
        for word in _WORD.findall(text.casefold()):
            if word not in STOP_WORDS:
                stem = word[:STEM_CHARS]
                terms[stem] = terms.get(stem, 0.0) + weight
    return {term: 1.0 + math.log(count) for term, count in terms.items()}


def lead_of(article: EnrichedArticle, words: int = LEAD_WORDS) -> str:
    """The description and the first paragraphs of the story (not off-topic, not captions),
    up to `words` words."""
    parts = [article.description or ""] + [
        p.text for p in article.paragraphs if not p.offtopic and p.kind != "caption"
    ]
    taken: list[str] = []
    for part in parts:
        taken.extend(part.split()[: words - len(taken)])
        if len(taken) >= words:
            break
    return " ".join(taken)


def probe_for(article: EnrichedArticle) -> StoryProbe:
    entities: dict[str, float] = {}
    for entity in article.entities:
        key = entity_key(entity.canonical, entity.wikidata_id)
        entities[key] = entities.get(key, 0.0) + 1.0 + math.log(entity.count)
    return StoryProbe(
        article_id=article.article_id,
        source=article.source_id,
        published=article.published_at or article.fetched_at,
        language=article.language,
        title=article.title,
        entities=entities,
        terms=content_terms(article.title, lead_of(article)),
    )


@dataclass
class Story:
    """A story's profile: what an article is compared with. Vectors are IDF-weighted sums."""

    story_id: str
    first_article_id: str
    first_source: str
    first_published: datetime  # of the article that started it
    earliest: datetime  # the span of its articles' publication times
    latest: datetime
    article_count: int = 0
    entities: dict[str, float] = field(default_factory=dict)
    terms: dict[str, float] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    # The vectors' norms, computed when first needed after a change (`absorb` clears them).
    _norms: tuple[float, float] | None = field(default=None, repr=False, compare=False)

    def norms(self) -> tuple[float, float]:
        if self._norms is None:
            self._norms = (norm(self.entities), norm(self.terms))
        return self._norms

    def keys(self, count: int = 16) -> list[str]:
        """What the inverted index lists it under: its `count` heaviest entity keys and
        `count` heaviest terms ("t:" + term), the ones that say what the story is about."""
        return sorted(_heaviest(self.entities, count)) + sorted(
            "t:" + term for term in _heaviest(self.terms, count)
        )


def _heaviest(vector: Mapping[str, float], count: int) -> list[str]:
    if len(vector) <= count:
        return list(vector)
    return [k for k, _ in sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:count]]


def idf(df: int, total: int) -> float:
    """Smoothed inverse document frequency of a key `df` of `total` articles have."""
    return math.log((total + 1) / (df + 1)) + 1.0


def weighted(vector: Mapping[str, float], df: Mapping[str, int], total: int) -> dict[str, float]:
    return {key: w * idf(df.get(key, 0), total) for key, w in vector.items()}


def norm(vector: Mapping[str, float]) -> float:
    return math.sqrt(sum(w * w for w in vector.values()))


def cosine(
    a: Mapping[str, float],
    b: Mapping[str, float],
    norm_a: float | None = None,
    norm_b: float | None = None,
) -> float:
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(w * large[k] for k, w in small.items() if k in large)
    if dot == 0.0:
        return 0.0
    return dot / ((norm_a or norm(a)) * (norm_b or norm(b)))


def gap(published: datetime, story: Story) -> timedelta:
    """How far `published` is outside the story's span (zero inside it)."""
    return max(story.earliest - published, published - story.latest, timedelta(0))


def score(
    entities: Mapping[str, float],
    terms: Mapping[str, float],
    published: datetime,
    language: str | None,
    story: Story,
    params: StoryParams = DEFAULT_PARAMS,
) -> float:
    """Similarity of an article (IDF-weighted vectors) to a story, 0 outside its window."""
    return _score(entities, terms, norm(entities), norm(terms), published, language, story, params)


def _score(
    entities: Mapping[str, float],
    terms: Mapping[str, float],
    entity_norm: float,
    term_norm: float,
    published: datetime,
    language: str | None,
    story: Story,
    params: StoryParams,
) -> float:
    distance = gap(published, story)
    if distance > params.window:
        return 0.0
    support = min(1.0, len(entities) / params.entity_support)
    e = params.entity_weight * support if entities and story.entities else 0.0
    same_language = language is None or not story.languages or language in story.languages
    t = params.term_weight if terms and story.terms and same_language else 0.0
    if e + t == 0.0:
        return 0.0
    story_entity_norm, story_term_norm = story.norms()
    entity_cosine = cosine(entities, story.entities, entity_norm, story_entity_norm)
    term_cosine = cosine(terms, story.terms, term_norm, story_term_norm) if same_language else 0.0
    similar = (e * entity_cosine + t * term_cosine) / (e + t)
    if 0.0 < support < 1.0:
        # Few entities: blend in the cosine of entities and terms as one vector (`joint`).
        joint = _joint(
            entity_cosine * entity_norm * story_entity_norm,
            term_cosine * term_norm * story_term_norm,
            entity_norm,
            term_norm if same_language else 0.0,
            story_entity_norm,
            story_term_norm if same_language else 0.0,
        )
        similar = support * similar + (1.0 - support) * joint
    decay: float = 0.5 ** (distance / params.half_life)
    return similar * decay


def _joint(
    entity_dot: float,
    term_dot: float,
    entity_norm: float,
    term_norm: float,
    story_entity_norm: float,
    story_term_norm: float,
) -> float:
    """The cosine of an article and a story whose entities and terms are one vector (their keys
    never collide), from the parts' dot products and norms. The terms' norms are 0 where the
    language rule leaves terms out: entities alone are compared then."""
    article = math.hypot(entity_norm, term_norm)
    story = math.hypot(story_entity_norm, story_term_norm)
    if article == 0.0 or story == 0.0:
        return 0.0
    return (entity_dot + term_dot) / (article * story)


def best_story(
    entities: Mapping[str, float],
    terms: Mapping[str, float],
    published: datetime,
    language: str | None,
    candidates: Iterable[Story],
    params: StoryParams = DEFAULT_PARAMS,
) -> tuple[Story, float] | None:
    """The best candidate at `threshold` or above (ties: the earlier story), or None, each
    candidate's score weighed by its size (`size_prior`)."""
    best: tuple[Story, float] | None = None
    entity_norm, term_norm = norm(entities), norm(terms)
    for story in candidates:
        similar = _score(
            entities, terms, entity_norm, term_norm, published, language, story, params
        )
        if story.article_count > 1:
            similar *= 1.0 + params.size_prior * math.log(story.article_count)
        if similar < params.threshold:
            continue
        if (
            best is None
            or similar > best[1]
            or (
                similar == best[1]
                and (story.first_published, story.story_id)
                < (best[0].first_published, best[0].story_id)
            )
        ):
            best = (story, similar)
    return best


def _prune(vector: dict[str, float], keep: int) -> dict[str, float]:
    if len(vector) <= keep:
        return vector
    return dict(sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:keep])


def absorb(
    story: Story,
    probe: StoryProbe,
    entities: Mapping[str, float],
    terms: Mapping[str, float],
    params: StoryParams = DEFAULT_PARAMS,
) -> None:
    """Add an article (its IDF-weighted vectors) to a story's profile."""
    for vector, added in ((story.entities, entities), (story.terms, terms)):
        for key, w in added.items():
            vector[key] = vector.get(key, 0.0) + w
    story.entities = _prune(story.entities, params.profile_keys)
    story.terms = _prune(story.terms, params.profile_keys)
    story._norms = None
    if probe.language:
        story.languages[probe.language] = story.languages.get(probe.language, 0) + 1
    story.article_count += 1
    story.earliest = min(story.earliest, probe.published)
    story.latest = max(story.latest, probe.published)


def new_story(probe: StoryProbe) -> Story:
    return Story(
        story_id=probe.article_id,
        first_article_id=probe.article_id,
        first_source=probe.source,
        first_published=probe.published,
        earliest=probe.published,
        latest=probe.published,
    )


def lookup_keys(
    probe: StoryProbe, df: Mapping[str, int], count: int = DEFAULT_PARAMS.lookup_keys
) -> list[str]:
    """The probe's rarest `count` entity keys and rarest `count` term keys ("t:" + term),
    among those some article already has (no story is listed under the others)."""

    def rarest(vector: Mapping[str, float], prefix: str) -> list[str]:
        keys = [prefix + key for key in vector if df.get(prefix + key, 0) > 0]
        return sorted(keys, key=lambda k: (df.get(k, 0), -vector[k[len(prefix) :]], k))[:count]

    return rarest(probe.entities, "") + rarest(probe.terms, "t:")


def probe_keys(probe: StoryProbe) -> list[str]:
    """Every key of a probe, as the document frequencies count them."""
    return sorted(probe.entities) + sorted("t:" + term for term in probe.terms)


class StoryIndex(Protocol):
    def assign(self, probes: Sequence[StoryProbe]) -> list[str]:
        """The story id of each probe, in batch order, adding them all; an article assigned
        before keeps its story."""
        ...


@dataclass
class Changes:
    """What one `assign` call changed, for a store to write back."""

    assigned: list[tuple[str, str]] = field(default_factory=list)  # (article_id, story_id)
    scores: dict[str, float] = field(default_factory=dict)  # article_id → score it joined at
    stories: dict[str, Story] = field(default_factory=dict)  # new or changed, by id
    created: set[str] = field(default_factory=set)
    df: Counter[str] = field(default_factory=Counter)
    articles: int = 0


class MemoryStoryIndex:
    """Stories in this process's memory: for `newsflow enrich`, tests and benchmarks, and the
    working set of one batch of the warehouse's index (pipeline.warehouse.stories), which
    seeds it with the stories and frequencies the batch can touch."""

    def __init__(self, params: StoryParams = DEFAULT_PARAMS) -> None:
        self.params = params
        self.stories: dict[str, Story] = {}
        self.assigned: dict[str, str] = {}
        self.df: Counter[str] = Counter()
        self.total = 0  # articles assigned (the IDF's document count)
        self._postings: dict[str, dict[str, None]] = {}  # key → story ids, in insertion order
        self.changes = Changes()

    def add_story(self, story: Story) -> None:
        """Make a stored story a candidate (the warehouse's working set)."""
        self.stories[story.story_id] = story
        self._post(story)

    def _post(self, story: Story) -> None:
        """List the story last (latest) under its keys, each list kept to `per_key`."""
        for key in story.keys(self.params.index_keys):
            posting = self._postings.setdefault(key, {})
            posting.pop(story.story_id, None)
            posting[story.story_id] = None
            if len(posting) > self.params.per_key:
                del posting[next(iter(posting))]

    def candidates(self, probe: StoryProbe) -> list[Story]:
        """Stories sharing the probe's lookup keys within the window: the `max_candidates`
        sharing the most (each key counted by its IDF), then the latest."""
        shared: dict[str, float] = {}
        for key in lookup_keys(probe, self.df, self.params.lookup_keys):
            posting = self._postings.get(key)
            if posting is None:
                continue
            weight = idf(self.df.get(key, 0), self.total)
            for sid in posting:
                shared[sid] = shared.get(sid, 0.0) + weight
        # Within the window: gap(published, story) <= window, as two comparisons.
        lowest, highest = probe.published - self.params.window, probe.published + self.params.window
        stories = self.stories
        near = [
            (weight, story)
            for sid, weight in shared.items()
            if (story := stories[sid]).latest >= lowest and story.earliest <= highest
        ]
        # The first max_candidates of the order sorted(reverse=True) gives, without sorting all.
        best = heapq.nlargest(
            self.params.max_candidates, near, key=lambda ws: (ws[0], ws[1].latest, ws[1].story_id)
        )
        return [story for _, story in best]

    def assign(self, probes: Sequence[StoryProbe]) -> list[str]:
        result = []
        for probe in probes:
            known = self.assigned.get(probe.article_id)
            if known is not None:
                result.append(known)
                continue
            entities = weighted(probe.entities, self.df, self.total)
            terms = weighted({"t:" + t: w for t, w in probe.terms.items()}, self.df, self.total)
            terms = {key[2:]: w for key, w in terms.items()}
            match = best_story(
                entities,
                terms,
                probe.published,
                probe.language,
                self.candidates(probe),
                self.params,
            )
            if match is None:
                story = new_story(probe)
                self.stories[story.story_id] = story
                self.changes.created.add(story.story_id)
            else:
                story = match[0]
                self.changes.scores[probe.article_id] = match[1]
            absorb(story, probe, entities, terms, self.params)
            self._post(story)
            self.assigned[probe.article_id] = story.story_id
            self.changes.assigned.append((probe.article_id, story.story_id))
            self.changes.stories[story.story_id] = story
            keys = probe_keys(probe)
            self.df.update(keys)
            self.changes.df.update(keys)
            self.total += 1
            self.changes.articles += 1
            result.append(story.story_id)
        return result

    def take_changes(self) -> Changes:
        changes, self.changes = self.changes, Changes()
        return changes


def with_story(article: EnrichedArticle, story_id: str) -> EnrichedArticle:
    """The record with its story: what the consumer publishes and stores."""
    return article.model_copy(update={"story_id": story_id})


__all__ = [
    "DEFAULT_PARAMS",
    "MemoryStoryIndex",
    "Story",
    "StoryIndex",
    "StoryParams",
    "StoryProbe",
    "best_story",
    "content_terms",
    "entity_key",
    "probe_for",
    "score",
    "with_story",
]
