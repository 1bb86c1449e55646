"""The version ledger: an article's version never goes backwards and never names two texts.

The consumer records (article_id, version, content_hash) of every record it stores, in the
batch's transaction, and settles each record's version against what is recorded:

- a version recorded with the same text: a replay or a republish, stored as it came;
- a version recorded with another text (a producer that lost its state, another tool): the
  record takes the latest recorded version when it carries that version's text, and the next
  free version otherwise, never the number it came with;
- a version not recorded yet: recorded as it came.

The ledger has no foreign key to `articles`, so it outlives a `DELETE FROM articles`; the
ingest job reads its latest version per article, so a page that changed after the warehouse
lost its rows gets the version after the last one ever stored, not version 1 again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.types import Text

from pipeline.records import EnrichedArticle
from pipeline.warehouse.models import VersionLedger

log = logging.getLogger(__name__)

CHUNK = 2000  # article ids per IN (...) query, well below PostgreSQL's bind parameter limit
# First key of the two-key advisory locks taken per article: a space of the ledger's own.
_LOCK_SPACE = 0x7665  # "ve"

_LOCK = text(
    "SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(id)) FROM unnest(:ids) AS id"
).bindparams(bindparam("ids", type_=ARRAY(Text)))


@dataclass(frozen=True)
class Head:
    """An article's latest recorded version."""

    version: int
    content_hash: str
    recorded_at: datetime


def ledger_heads(engine: Engine, article_ids: Sequence[str]) -> dict[str, Head]:
    """article_id → its latest recorded version, for the recorded ones among `article_ids`."""
    found: dict[str, Head] = {}
    unique = sorted(set(article_ids))
    with engine.connect() as conn:
        for start in range(0, len(unique), CHUNK):
            query = (
                select(
                    VersionLedger.article_id,
                    VersionLedger.version,
                    VersionLedger.content_hash,
                    VersionLedger.recorded_at,
                )
                .where(VersionLedger.article_id.in_(unique[start : start + CHUNK]))
                .order_by(VersionLedger.article_id, VersionLedger.version.desc())
                .ext(distinct_on(VersionLedger.article_id))
            )
            found.update(
                (row.article_id, Head(row.version, row.content_hash, row.recorded_at))
                for row in conn.execute(query)
            )
    return found


def settle_versions(
    conn: Connection, items: Sequence[EnrichedArticle]
) -> tuple[list[EnrichedArticle], dict[str, int]]:
    """The records with their settled versions (in order), and each article's latest version
    recorded, these records included; records the new versions.

    Runs in the caller's transaction, holding a lock per article until it ends, so two
    consumers (a rebalance overlap) never settle one article at once.
    """
    ids = sorted({article.article_id for article in items})
    if not ids:
        return list(items), {}
    conn.execute(_LOCK, {"space": _LOCK_SPACE, "ids": ids})  # sorted: no deadlock
    recorded: dict[str, dict[int, str]] = {article_id: {} for article_id in ids}
    # One array parameter: a short statement, not one placeholder per article to parse.
    query = select(
        VersionLedger.article_id, VersionLedger.version, VersionLedger.content_hash
    ).where(VersionLedger.article_id == any_(bindparam("ledger_ids", ids, type_=ARRAY(Text))))
    for article_id, version, content_hash in conn.execute(query):
        recorded[article_id][version] = content_hash

    settled: list[EnrichedArticle] = []
    new_rows: list[dict[str, object]] = []
    for article in items:
        texts = recorded[article.article_id]
        version, content_hash = article.version, article.content_hash
        if texts.get(version, content_hash) != content_hash:
            top = max(texts)
            version = top if texts[top] == content_hash else top + 1
            log.warning(
                "article %s: version %d already names another text; stored as version %d",
                article.article_id,
                article.version,
                version,
            )
            article = article.model_copy(update={"version": version})
        if version not in texts:
            texts[version] = content_hash
            new_rows.append(
                {"article_id": article.article_id, "version": version, "content_hash": content_hash}
            )
        settled.append(article)
    if new_rows:
        conn.execute(pg_insert(VersionLedger).on_conflict_do_nothing(), new_rows)
    return settled, {article_id: max(texts) for article_id, texts in recorded.items() if texts}
