"""Warehouse reads and writes: bound parameters, INSERT ... ON CONFLICT, one transaction a call.

`store_batch` is what makes the consumer effectively-once: the rows of a batch, the offsets
past it and its dead letters commit together, and storing the same batch again changes no row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Text,
    any_,
    bindparam,
    create_engine,
    delete,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DataError
from sqlalchemy.sql.expression import TableClause

from pipeline.config import Settings
from pipeline.records import EnrichedArticle
from pipeline.warehouse.bulk import ENTITY_IDS, copy_text, stage
from pipeline.warehouse.models import (
    Article,
    ArticleVersion,
    ConsumerOffset,
    Entity,
    FetchLog,
    Mention,
    Source,
)
from pipeline.warehouse.outbox import OutboxLetter, add_dead_letters
from pipeline.warehouse.rows import (
    ARTICLE_FIELDS,
    article_row,
    latest_per_article,
    mention_drafts,
    version_row,
)
from pipeline.warehouse.version_ledger import settle_versions

log = logging.getLogger(__name__)

# Well below PostgreSQL's 65535 bind parameters per statement, whatever the row width.
CHUNK = 2000
FETCH_COLUMNS = (
    "source_id",
    "url",
    "status",
    "bytes",
    "duration_ms",
    "outcome",
    "error",
    "fetched_at",
)

T = TypeVar("T")
AssignStories = Callable[[Connection, Sequence[EnrichedArticle]], list[EnrichedArticle]]


def make_engine(settings: Settings, application_name: str = "newsflow") -> Engine:
    """`application_name` shows in pg_stat_activity: which process holds that lock?"""
    return create_engine(
        settings.database_url(),
        pool_pre_ping=True,  # a restarted server must not surface as a failed batch
        connect_args={"connect_timeout": 10, "application_name": application_name},
    )


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class StoreResult:
    articles: int  # article rows inserted or changed
    stale: int  # items older than the stored version: kept in article_versions only
    versions: int  # new article_versions rows
    entities: int  # new entities
    mentions: int  # mention rows written
    renumbered: int = 0  # items whose version already named another text (version_ledger)


def store_batch(
    engine: Engine,
    group: str,
    items: Sequence[EnrichedArticle],
    offsets: Mapping[tuple[str, int], int],
    *,
    dead_letters: Sequence[OutboxLetter] = (),
    before_commit: Callable[[list[EnrichedArticle]], None] | None = None,
    bulk: bool = True,
    assign_stories: AssignStories | None = None,
) -> StoreResult:
    """Store enriched articles, the consumer offsets past them and the batch's dead letters
    (the outbox, see `outbox.py`), in one transaction.

    `offsets` maps (topic, partition) to the next offset to read. Versions are settled first
    (`version_ledger.py`: a version never names two texts). Articles are upserted only when
    the version is at least the latest one stored or recorded; mentions of those articles are
    replaced; every version is kept in article_versions while its article has a row.
    `before_commit` runs last inside the transaction with the articles as stored, settled
    versions included (the consumer publishes the enriched records there); if it raises,
    nothing is stored.

    The rows go in with COPY (`bulk.py`); `bulk=False` sends them as multi-row INSERTs
    instead, the path before COPY, kept for `newsflow bench delivery` to compare.

    `assign_stories` runs first inside the transaction and returns the items with their
    story_id (`stories.WarehouseStoryIndex.assign_articles`), so what is stored and published
    carries it, and a batch that fails leaves no assignment.
    """
    with engine.begin() as conn:
        if assign_stories is not None:
            items = assign_stories(conn, items)
        result, stored = _write(conn, items, bulk=bulk)
        _save_offsets(conn, group, offsets)
        add_dead_letters(conn, group, dead_letters)
        if before_commit is not None:
            before_commit(stored)
        return result


def find_unstorable(engine: Engine, items: Sequence[EnrichedArticle]) -> dict[int, str]:
    """Items PostgreSQL refuses as data (NUL characters, out-of-range numbers): index → error.

    Each item is tried alone in a savepoint and everything is rolled back, so the caller can
    dead-letter the culprits and store the rest instead of failing the batch forever.
    """
    refused: dict[int, str] = {}
    with engine.connect() as conn:
        for index, item in enumerate(items):
            try:
                with conn.begin_nested():
                    _write(conn, [item])
            except DataError as exc:
                refused[index] = str(exc.orig).strip()
        conn.rollback()
    return refused


def _write(
    conn: Connection, items: Sequence[EnrichedArticle], *, bulk: bool = True
) -> tuple[StoreResult, list[EnrichedArticle]]:
    settled, recorded = settle_versions(conn, items)
    renumbered = sum(a.version != b.version for a, b in zip(items, settled, strict=True))
    latest = latest_per_article(settled)
    stored = _stored_versions(conn, [article.article_id for article in latest])
    # The ledger outlives deleted article rows: an old record replayed after a loss must not
    # become the article's row while a later version is known.
    current = [
        a
        for a in latest
        if a.version >= max(stored.get(a.article_id, 0), recorded.get(a.article_id, 0))
    ]
    changed = _upsert_articles(conn, current, bulk=bulk)
    with_row = set(stored) | {article.article_id for article in current}
    versions = _insert_versions(conn, [a for a in settled if a.article_id in with_row], bulk=bulk)
    entities, mentions = _replace_mentions(conn, current, bulk=bulk)
    result = StoreResult(
        changed, len(latest) - len(current), versions, entities, mentions, renumbered
    )
    return result, settled


def _stored_versions(conn: Connection, article_ids: list[str]) -> dict[str, int]:
    # FOR UPDATE in article_id order: two writers of one article (a rebalance overlap) queue
    # up instead of deciding on the same stale version, and never deadlock.
    if not article_ids:
        return {}
    query = (
        select(Article.article_id, Article.version)
        # One array parameter: a short statement, not one placeholder per article to parse.
        .where(Article.article_id == any_(bindparam("ids", article_ids, type_=ARRAY(Text))))
        .order_by(Article.article_id)
        .with_for_update()
    )
    return {article_id: version for article_id, version in conn.execute(query)}


def _upsert_articles(conn: Connection, articles: list[EnrichedArticle], *, bulk: bool) -> int:
    if not articles:
        return 0
    rows = [article_row(a) for a in articles]  # sorted by article_id: rows lock in one order
    staged: TableClause | None = None
    insert_stmt = pg_insert(Article)
    if bulk:
        staged = stage(conn, "articles", ARTICLE_FIELDS, rows)
        insert_stmt = insert_stmt.from_select(
            list(ARTICLE_FIELDS),
            select(*(staged.c[n] for n in ARTICLE_FIELDS)).order_by(staged.c.article_id),
        )
    new = insert_stmt.excluded
    table = Article.__table__.c
    stmt = insert_stmt.on_conflict_do_update(
        index_elements=[Article.article_id],
        set_={
            **{name: new[name] for name in ARTICLE_FIELDS if name != "article_id"},
            "enriched_at": func.now(),
        },
        # Same version and same content is a replay: leave the row (and enriched_at) alone.
        where=or_(
            Article.version < new.version,
            (Article.version == new.version)
            & tuple_(*(table[n] for n in ARTICLE_FIELDS)).is_distinct_from(
                tuple_(*(new[n] for n in ARTICLE_FIELDS))
            ),
        ),
    ).returning(Article.article_id)
    if staged is not None:
        return len(conn.execute(stmt).all())
    return len(conn.execute(stmt, rows).all())


def _insert_versions(conn: Connection, articles: Sequence[EnrichedArticle], *, bulk: bool) -> int:
    # COPY takes the record as JSON text: pydantic's serializer, not json.dumps of a dict.
    rows = {(a.article_id, a.version): version_row(a, record_json=bulk) for a in articles}
    if not rows:
        return 0
    ordered = [rows[key] for key in sorted(rows)]
    insert_stmt = pg_insert(ArticleVersion)
    if bulk:
        columns = list(ordered[0])
        staged = stage(conn, "article_versions", columns, ordered)
        insert_stmt = insert_stmt.from_select(
            columns,
            select(*(staged.c[n] for n in columns)).order_by(staged.c.article_id, staged.c.version),
        )
    stmt = insert_stmt.on_conflict_do_nothing(index_elements=["article_id", "version"]).returning(
        ArticleVersion.version
    )
    if bulk:
        return len(conn.execute(stmt).all())
    return len(conn.execute(stmt, ordered).all())


def _replace_mentions(
    conn: Connection, current: list[EnrichedArticle], *, bulk: bool
) -> tuple[int, int]:
    if not current:
        return 0, 0
    drafts = {article.article_id: mention_drafts(article) for article in current}
    keys = sorted({(d.canonical, d.label) for found in drafts.values() for d in found})
    wikidata = {(e.canonical, e.label): e.wikidata_id for a in current for e in a.entities}
    if bulk:
        ids = ENTITY_IDS.known(conn, keys)
        created, new_ids = _entity_ids(conn, [k for k in keys if k not in ids], wikidata)
        ENTITY_IDS.remember(conn, new_ids)
        ids.update(new_ids)
    else:
        created, ids = _entity_ids(conn, keys, wikidata)
    conn.execute(delete(Mention).where(Mention.article_id.in_(list(drafts))))
    rows = [
        {
            "article_id": article_id,
            "entity_id": ids[(d.canonical, d.label)],
            "count": d.count,
            "surface_forms": d.surface_forms,
            "first_offset": d.first_offset,
        }
        for article_id, found in drafts.items()
        for d in found
    ]
    if rows and bulk:
        columns = list(rows[0])
        copy_text(conn, "mentions", columns, ([row[c] for c in columns] for row in rows))
    elif rows:
        conn.execute(pg_insert(Mention), rows)
    return created, len(rows)


def _entity_ids(
    conn: Connection,
    keys: list[tuple[str, str]],
    wikidata: Mapping[tuple[str, str], str | None] | None = None,
) -> tuple[int, dict[tuple[str, str], int]]:
    """Create missing entities (sorted, so concurrent writers lock in one order); all ids."""
    created = 0
    ids: dict[tuple[str, str], int] = {}
    insert = (
        pg_insert(Entity)
        .on_conflict_do_nothing(index_elements=["canonical", "label"])
        .returning(Entity.entity_id)
    )
    for chunk in _chunks(keys):
        rows = [
            {
                "canonical": canonical,
                "label": label,
                "wikidata_id": (wikidata or {}).get((canonical, label)),
            }
            for canonical, label in chunk
        ]
        created += len(conn.execute(insert, rows).all())
        query = select(Entity.canonical, Entity.label, Entity.entity_id).where(
            tuple_(Entity.canonical, Entity.label).in_(list(chunk))
        )
        ids.update(
            ((canonical, label), entity_id) for canonical, label, entity_id in conn.execute(query)
        )
    return created, ids


def _save_offsets(conn: Connection, group: str, offsets: Mapping[tuple[str, int], int]) -> None:
    if not offsets:
        return
    stmt = pg_insert(ConsumerOffset)
    stmt = stmt.on_conflict_do_update(
        index_elements=["group_id", "topic", "partition"],
        set_={"next_offset": stmt.excluded.next_offset, "updated_at": func.now()},
        # Offsets only move forward: a consumer that lost its partition in a rebalance may
        # finish its batch after the new owner moved on, and must not drag the offset back.
        where=ConsumerOffset.next_offset < stmt.excluded.next_offset,
    )
    conn.execute(
        stmt,
        [
            {"group_id": group, "topic": topic, "partition": partition, "next_offset": offset}
            for (topic, partition), offset in sorted(offsets.items())
        ],
    )


def load_offsets(engine: Engine, group: str, topic: str) -> dict[int, int]:
    """partition → next offset to read, for the partitions this group has stored anything."""
    query = select(ConsumerOffset.partition, ConsumerOffset.next_offset).where(
        ConsumerOffset.group_id == group, ConsumerOffset.topic == topic
    )
    with engine.connect() as conn:
        return {partition: offset for partition, offset in conn.execute(query)}


def known_articles(engine: Engine, article_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
    """article_id → (content_hash, version) of the stored articles among `article_ids`."""
    found: dict[str, tuple[str, int]] = {}
    unique = sorted(set(article_ids))
    with engine.connect() as conn:
        for chunk in _chunks(unique):
            query = select(Article.article_id, Article.content_hash, Article.version).where(
                Article.article_id.in_(list(chunk))
            )
            found.update((aid, (chash, version)) for aid, chash, version in conn.execute(query))
    return found


def record_fetches(engine: Engine, rows: Sequence[Mapping[str, Any]]) -> int:
    """Append fetch_log rows (keys: FETCH_COLUMNS); returns how many were new."""
    if not rows:
        return 0
    unknown = set().union(*rows) - set(FETCH_COLUMNS)
    if unknown:
        raise ValueError(f"fetch_log has no column(s) {', '.join(sorted(unknown))}")
    stmt = (
        pg_insert(FetchLog)
        .on_conflict_do_nothing(index_elements=["source_id", "url", "fetched_at"])
        .returning(FetchLog.id)
    )
    with engine.begin() as conn:
        return len(
            conn.execute(stmt, [{c: row.get(c) for c in FETCH_COLUMNS} for row in rows]).all()
        )


class SourceLike(Protocol):
    """What `sync_sources` needs of a sources.yaml entry (pipeline.sources.Source)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


def sync_sources(
    engine: Engine, sources: Sequence[SourceLike], *, sources_file: str | None = None
) -> int:
    """Upsert the given sources (others are left alone); returns how many rows changed.

    With `sources_file`, the absolute path of the whole file `sources` were read from: a source
    synced from that file before and no longer in it is marked removed (`enabled` false,
    `removed_at` set), so it stops counting as enabled and leaves source health. Listing it
    again brings it back.
    """
    insert_stmt = pg_insert(Source)
    new = insert_stmt.excluded
    stmt = insert_stmt.on_conflict_do_update(
        index_elements=[Source.source_id],
        set_={
            "name": new.name,
            "config": new.config,
            "enabled": new.enabled,
            "sources_file": func.coalesce(new.sources_file, Source.sources_file),
            "removed_at": None,
            "updated_at": func.now(),
        },
        # updated_at says when the configuration last changed, not when it was last read.
        where=or_(
            tuple_(Source.name, Source.config, Source.enabled).is_distinct_from(
                tuple_(new.name, new.config, new.enabled)
            ),
            Source.removed_at.is_not(None),
            new.sources_file.is_not(None) & Source.sources_file.is_distinct_from(new.sources_file),
        ),
    ).returning(Source.source_id)
    rows = [
        {
            "source_id": s.id,
            "name": s.name,
            "config": s.model_dump(mode="json"),
            "enabled": s.enabled,
            "sources_file": sources_file,
        }
        for s in sorted(sources, key=lambda s: s.id)
    ]
    changed = 0
    with engine.begin() as conn:
        if rows:
            changed += len(conn.execute(stmt, rows).all())
        if sources_file is not None:
            removed = (
                update(Source)
                .where(
                    Source.sources_file == sources_file,
                    Source.removed_at.is_(None),
                    Source.source_id.not_in([s.id for s in sources]),
                )
                .values(enabled=False, removed_at=func.now(), updated_at=func.now())
                .returning(Source.source_id)
            )
            changed += len(conn.execute(removed).all())
    return changed


def counts(engine: Engine) -> dict[str, int]:
    """Row counts of the main tables, for progress reports and tests."""
    models = {
        "articles": Article,
        "article_versions": ArticleVersion,
        "entities": Entity,
        "mentions": Mention,
        "fetch_log": FetchLog,
    }
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for name, model in models.items()
        }
