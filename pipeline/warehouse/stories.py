"""The story index in the warehouse: shared by every consumer, kept across restarts.

The consumer calls `assign_articles` inside its batch transaction (`db.store_batch`), before
the articles are written, so the records it stores and publishes carry their `story_id`, and a
batch that fails leaves no assignment behind. Per batch:

1. a transaction-scoped advisory lock: two enrichers assign one after the other, and the
   second sees the stories the first made (two reports of one event handled at the same
   moment by two consumers still land in one story). It is held until the batch commits,
   which includes writing the articles and publishing the enriched records;
2. the articles already assigned keep their story (a replay changes nothing);
3. the working set is read: the document frequencies of the batch's keys, and the stories
   found under its lookup keys (each probe's rarest entity and term keys, see
   `pipeline.enrich.stories.lookup_keys`) within the batch's time window, at most `per_key`
   per key, the latest first: one statement over the stories within the window (btree on
   `latest_published_at`), never a scan of all stories; their profiles are decoded only when
   the batch reads them (`_StoredStory`);
4. the pure `MemoryStoryIndex`, seeded with that working set, assigns the batch in order;
5. the new and changed stories, the assignments and the frequencies are written back.

Stories do not merge: an article that bridges two stories joins the better one (merging
would rewrite the story_id of records already published).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Text, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pipeline.enrich.stories import (
    DEFAULT_PARAMS,
    MemoryStoryIndex,
    Story,
    StoryParams,
    StoryProbe,
    lookup_keys,
    probe_for,
    probe_keys,
    with_story,
)
from pipeline.records import EnrichedArticle
from pipeline.warehouse.models_stories import ArticleStory, StoryKeyDf, StoryRow

# The batch's working set in one statement. The stories whose span comes within the window
# are the last days' only, however large the store: the btree on latest_published_at finds
# them (a GIN scan of a common key walks every story listed under it, and a lookup of a
# thousand keys costs a GIN probe each). Their keys are joined to the looked-up ones (a hash
# join); under each key the `per_key` latest stories are taken (ties: the greater story_id),
# under a rare key every one. Only then are the picked stories' columns read, each once.
_CANDIDATES = text("""
    WITH near AS MATERIALIZED (
        SELECT story_id, latest_published_at, keys FROM stories
        WHERE latest_published_at >= :earliest AND earliest_published_at <= :latest
    ), listed AS (
        SELECT n.story_id, w.key, w.rare,
               row_number() OVER (
                   PARTITION BY w.key
                   ORDER BY n.latest_published_at DESC, n.story_id DESC
               ) AS rank
        FROM near n
        CROSS JOIN LATERAL unnest(n.keys) AS k(key)
        JOIN unnest(CAST(:keys AS text[]), CAST(:rare AS boolean[])) AS w(key, rare)
          ON w.key = k.key
    )
    SELECT s.story_id, s.first_article_id, s.first_source, s.first_published_at,
           s.earliest_published_at, s.latest_published_at, s.article_count,
           CAST(s.profile AS text) AS profile, s.keys
    FROM stories s
    WHERE s.story_id IN (SELECT story_id FROM listed WHERE rare OR rank <= :per_key)
""")
_LOCK = 0x73746F72  # "stor": any constant shared by every newsflow process
TOTAL_KEY = ""  # the story_key_df row that counts all assigned articles


class WarehouseStoryIndex:
    def __init__(self, engine: Engine, params: StoryParams = DEFAULT_PARAMS) -> None:
        self.engine = engine
        self.params = params

    def assign(self, probes: Sequence[StoryProbe]) -> list[str]:
        """`StoryIndex.assign` in a transaction of its own (benchmarks, tests)."""
        with self.engine.begin() as conn:
            return self.assign_in(conn, probes)

    def assign_articles(
        self, conn: Connection, articles: Sequence[EnrichedArticle]
    ) -> list[EnrichedArticle]:
        """The articles with their story_id, assigned in the transaction of `conn`."""
        if not articles:
            return list(articles)
        ids = self.assign_in(conn, [probe_for(a) for a in articles])
        return [with_story(a, sid) for a, sid in zip(articles, ids, strict=True)]

    def assign_in(self, conn: Connection, probes: Sequence[StoryProbe]) -> list[str]:
        if not probes:
            return []
        conn.execute(select(func.pg_advisory_xact_lock(_LOCK)))
        index = MemoryStoryIndex(self.params)
        index.assigned.update(_assigned(conn, sorted({p.article_id for p in probes})))
        new = [p for p in probes if p.article_id not in index.assigned]
        if new:
            keys = sorted({k for p in new for k in probe_keys(p)} | {TOTAL_KEY})
            df = _frequencies(conn, keys)
            index.total = df.pop(TOTAL_KEY, 0)
            index.df.update(df)
            # Twice the keys the probes look up: the frequencies change as the batch is
            # assigned, and with them which keys are a probe's rarest.
            wanted = sorted(
                {k for p in new for k in lookup_keys(p, df, 2 * self.params.lookup_keys)}
            )
            earliest = min(p.published for p in new) - self.params.window
            latest = max(p.published for p in new) + self.params.window
            found = _candidates(
                conn, wanted, df, earliest, latest, self.params.per_key, self.params.index_keys
            )
            # The latest last: the index keeps the latest `per_key` stories under a key.
            for story in sorted(found, key=lambda s: (s.latest, s.story_id)):
                index.add_story(story)
        ids = index.assign(probes)
        _write(conn, index)
        return ids


def _assigned(conn: Connection, article_ids: list[str]) -> dict[str, str]:
    query = select(ArticleStory.article_id, ArticleStory.story_id).where(
        ArticleStory.article_id == any_(bindparam("ids", article_ids, type_=ARRAY(Text)))
    )
    return {aid: sid for aid, sid in conn.execute(query)}


def _frequencies(conn: Connection, keys: list[str]) -> dict[str, int]:
    query = select(StoryKeyDf.key, StoryKeyDf.articles).where(
        StoryKeyDf.key == any_(bindparam("keys", keys, type_=ARRAY(Text)))
    )
    return {key: articles for key, articles in conn.execute(query)}


def _candidates(
    conn: Connection,
    keys: list[str],
    df: Mapping[str, int],
    earliest: datetime,
    latest: datetime,
    per_key: int,
    index_keys: int,
) -> list[Story]:
    """Stories listed under any of `keys` whose span comes within [earliest, latest]: under a
    key fewer than `per_key` articles have, every one (it lists fewer than `per_key` stories);
    under each of the others, its `per_key` latest (a common key would otherwise bring a day's
    every story)."""
    if not keys:
        return []
    rows = conn.execute(
        _CANDIDATES,
        {
            "keys": keys,
            "rare": [df.get(k, 0) <= per_key for k in keys],
            "per_key": per_key,
            "earliest": earliest,
            "latest": latest,
        },
    )
    return [_StoredStory(row, index_keys) for row in rows.mappings()]


class _StoredStory(Story):
    """A story read from the warehouse for one batch. Most are only listed in the working set's
    postings and never scored, so its profile is decoded from the stored JSON when first read,
    and until an article joins it its index keys are the stored ones (`_write` stored
    `keys(index_keys)` of this very profile) instead of being sorted out of the profile again."""

    def __init__(self, row: Any, index_keys: int) -> None:
        # Story's own __init__ would set the profile: every field is set here instead.
        self.story_id = row["story_id"]
        self.first_article_id = row["first_article_id"]
        self.first_source = row["first_source"]
        self.first_published = row["first_published_at"]
        self.earliest = row["earliest_published_at"]
        self.latest = row["latest_published_at"]
        self.article_count = row["article_count"]
        self._norms = None
        self._json: str | None = row["profile"]
        self._index_keys = index_keys
        self._keys: list[str] = list(row["keys"])
        self._keys_at = self.article_count

    def _decoded(self) -> dict[str, Any]:
        if self._json is not None:
            profile = json.loads(self._json)
            self.__dict__.update(
                _entities=profile["entities"],
                _terms=profile["terms"],
                _languages=profile["languages"],
            )
            self._json = None
        return self.__dict__

    @property
    def entities(self) -> dict[str, float]:
        return self._decoded()["_entities"]

    @entities.setter
    def entities(self, value: dict[str, float]) -> None:
        self._decoded()["_entities"] = value

    @property
    def terms(self) -> dict[str, float]:
        return self._decoded()["_terms"]

    @terms.setter
    def terms(self, value: dict[str, float]) -> None:
        self._decoded()["_terms"] = value

    @property
    def languages(self) -> dict[str, int]:
        return self._decoded()["_languages"]

    @languages.setter
    def languages(self, value: dict[str, int]) -> None:
        self._decoded()["_languages"] = value

    def keys(self, count: int = 16) -> list[str]:
        # `absorb` counts every article it adds: an unchanged count is an unchanged profile.
        if count == self._index_keys and self.article_count == self._keys_at:
            return list(self._keys)
        return super().keys(count)


def _write(conn: Connection, index: MemoryStoryIndex) -> None:
    changes = index.take_changes()
    if not changes.assigned:
        return
    added = Counter(sid for _, sid in changes.assigned)
    rows = [
        {
            "story_id": story.story_id,
            "first_article_id": story.first_article_id,
            "first_source": story.first_source,
            "first_published_at": story.first_published,
            "earliest_published_at": story.earliest,
            "latest_published_at": story.latest,
            # The articles this batch adds: the stored count is incremented, so a deleted
            # article counted out by the trigger meanwhile is not counted back in.
            "article_count": added[story.story_id],
            "profile": {
                "entities": story.entities,
                "terms": story.terms,
                "languages": story.languages,
            },
            "keys": story.keys(index.params.index_keys),
        }
        for story in sorted(changes.stories.values(), key=lambda s: s.story_id)
    ]
    insert = pg_insert(StoryRow)
    new = insert.excluded
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=[StoryRow.story_id],
            set_={
                "earliest_published_at": new.earliest_published_at,
                "latest_published_at": new.latest_published_at,
                "article_count": StoryRow.article_count + new.article_count,
                "profile": new.profile,
                "keys": new["keys"],
                "updated_at": func.now(),
            },
        ),
        rows,
    )
    conn.execute(
        pg_insert(ArticleStory).on_conflict_do_nothing(index_elements=[ArticleStory.article_id]),
        [
            {"article_id": aid, "story_id": sid, "score": changes.scores.get(aid)}
            for aid, sid in changes.assigned
        ],
    )
    counts = {**changes.df, TOTAL_KEY: changes.articles}
    insert_df = pg_insert(StoryKeyDf)
    conn.execute(
        insert_df.on_conflict_do_update(
            index_elements=[StoryKeyDf.key],
            set_={"articles": StoryKeyDf.articles + insert_df.excluded.articles},
        ),
        [{"key": key, "articles": counts[key]} for key in sorted(counts)],
    )
