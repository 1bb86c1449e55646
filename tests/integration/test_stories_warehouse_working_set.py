"""The warehouse story index's working set for one batch (`_candidates`), on a store seeded with
the benchmark's synthetic stories: every story comes back as it was written (profile, span,
index keys, before and after an article joins it), a common key brings its `per_key` latest
stories within the window, and `bench cluster --store warehouse` runs on the stack's server."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from test_warehouse_db import (  # noqa: F401 - fixtures
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
)

from devtools.bench.cluster import _Synthetic, seed, store_throughput
from pipeline.config import Settings
from pipeline.enrich.stories import DEFAULT_PARAMS, MemoryStoryIndex, Story, absorb
from pipeline.progress import LogMeter
from pipeline.warehouse.stories import _candidates, _write

END = datetime(2030, 1, 1, tzinfo=UTC)
PARAMS = DEFAULT_PARAMS


def seeded(engine: Engine, articles: int) -> MemoryStoryIndex:
    memory = MemoryStoryIndex(PARAMS)
    seed(memory, _Synthetic().stories(articles, END))
    with engine.begin() as conn:
        _write(conn, memory)
    return memory


def test_stored_stories_come_back_as_written(engine: Engine) -> None:
    memory = seeded(engine, 600)
    keys = sorted(memory.df)
    with engine.connect() as conn:
        # Every key rare: every story listed under one of them, all of them here.
        got = _candidates(
            conn, keys, {}, END - timedelta(days=60), END, PARAMS.per_key, PARAMS.index_keys
        )
    assert sorted(s.story_id for s in got) == sorted(memory.stories)
    for stored in got:
        written = memory.stories[stored.story_id]
        assert stored.keys(PARAMS.index_keys) == written.keys(PARAMS.index_keys)
        assert stored.keys(4) == written.keys(4)
        assert (stored.entities, stored.terms, stored.languages) == (
            written.entities,
            written.terms,
            written.languages,
        )
        assert (stored.earliest, stored.latest, stored.article_count) == (
            written.earliest,
            written.latest,
            written.article_count,
        )
    # An article joins a stored story: its keys follow the new profile, as a plain story's do.
    stored = max(got, key=lambda s: s.article_count)
    plain = copy.deepcopy(memory.stories[stored.story_id])
    probe = _Synthetic(seed=7).stream(1, END, [(list(plain.entities)[-6:], [])])[0]
    heavy = {key: 1000.0 for key in probe.entities}
    for story in (stored, plain):
        absorb(story, probe, heavy, {}, PARAMS)
    assert isinstance(plain, Story)
    assert stored.keys(PARAMS.index_keys) == plain.keys(PARAMS.index_keys)
    assert set(probe.entities) <= set(stored.keys(PARAMS.index_keys))


def test_a_common_key_brings_its_per_key_latest_stories_in_the_window(engine: Engine) -> None:
    memory = seeded(engine, 1500)
    by_key: dict[str, list[Story]] = {}
    for story in memory.stories.values():
        for key in story.keys(PARAMS.index_keys):
            by_key.setdefault(key, []).append(story)
    key = max(by_key, key=lambda k: len(by_key[k]))
    earliest, latest = END - timedelta(days=12), END
    near = [s for s in by_key[key] if s.latest >= earliest and s.earliest <= latest]
    assert len(near) > 5
    expected = sorted(near, key=lambda s: (s.latest, s.story_id), reverse=True)[:5]
    with engine.connect() as conn:
        common = _candidates(conn, [key], {key: 6}, earliest, latest, 5, PARAMS.index_keys)
        rare = _candidates(conn, [key], {key: 5}, earliest, latest, 5, PARAMS.index_keys)
    assert sorted(s.story_id for s in common) == sorted(s.story_id for s in expected)
    assert sorted(s.story_id for s in rare) == sorted(s.story_id for s in near)


def test_bench_cluster_times_the_warehouse_store(stack: Settings) -> None:
    rate = store_throughput("warehouse", PARAMS, 2000, 100, stack, LogMeter())
    assert rate > 0
