"""The fetcher's own warehouse state: fetch_state (per page), robots_txt (per origin), activity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pipeline.fetcher_state import PageState, RobotsFile
from pipeline.warehouse.models import FetchLog
from pipeline.warehouse.models_fetch import FetchState, RobotsTxt

CHUNK = 2000  # URLs per IN (...) query, well below PostgreSQL's bind parameter limit


_COLUMNS = (
    "url",
    "source_id",
    "etag",
    "last_modified",
    "article_id",
    "content_hash",
    "version",
    "checked_at",
    "changed_at",
)


def load_fetch_state(engine: Engine, urls: Sequence[str]) -> dict[str, PageState]:
    """url → stored state, for the URLs among `urls` that have one."""
    found: dict[str, PageState] = {}
    unique = sorted(set(urls))
    columns = [getattr(FetchState, name) for name in _COLUMNS]
    with engine.connect() as conn:
        for start in range(0, len(unique), CHUNK):
            query = select(*columns).where(FetchState.url.in_(unique[start : start + CHUNK]))
            found.update((row.url, PageState(**row._mapping)) for row in conn.execute(query))
    return found


def save_fetch_state(engine: Engine, states: Sequence[PageState]) -> int:
    """Upsert page states; returns how many rows were written.

    Validators and checked_at are replaced as given (a page that stopped sending an ETag must
    stop being asked with the old one); what was published (article, hash, version,
    changed_at) is kept when the new state leaves it empty, as a 304 does.
    """
    if not states:
        return 0
    stmt = pg_insert(FetchState)
    new = stmt.excluded
    kept = ("article_id", "content_hash", "version", "changed_at")
    stmt = stmt.on_conflict_do_update(
        index_elements=[FetchState.url],
        set_={
            "source_id": new.source_id,
            "etag": new.etag,
            "last_modified": new.last_modified,
            "checked_at": new.checked_at,
            **{name: func.coalesce(new[name], FetchState.__table__.c[name]) for name in kept},
        },
    )
    rows = [
        {name: getattr(state, name) for name in _COLUMNS}
        for state in sorted(states, key=lambda s: s.url)
    ]
    with engine.begin() as conn:
        conn.execute(stmt, rows)
    return len(rows)


class WarehouseFetchState:
    """`FetchStateStore` on the warehouse's fetch_state table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(self, urls: Sequence[str]) -> dict[str, PageState]:
        return load_fetch_state(self._engine, urls)

    def save(self, states: Sequence[PageState]) -> int:
        return save_fetch_state(self._engine, states)


class WarehouseRobotsStore:
    """`RobotsStore` on the warehouse's robots_txt table, shared by every worker and run."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(self, origin: str) -> RobotsFile | None:
        query = select(RobotsTxt.status, RobotsTxt.body, RobotsTxt.fetched_at).where(
            RobotsTxt.origin == origin
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return RobotsFile(origin, row.status, row.body, row.fetched_at) if row else None

    def save(self, robots: RobotsFile) -> None:
        stmt = pg_insert(RobotsTxt)
        stmt = stmt.on_conflict_do_update(
            index_elements=[RobotsTxt.origin],
            set_={
                "status": stmt.excluded.status,
                "body": stmt.excluded.body,
                "fetched_at": stmt.excluded.fetched_at,
            },
        )
        # PostgreSQL text cannot hold NUL; a robots.txt with one has no rule that needs it.
        row = {
            "origin": robots.origin,
            "status": robots.status,
            "body": robots.body.replace("\x00", ""),
            "fetched_at": robots.fetched_at,
        }
        with self._engine.begin() as conn:
            conn.execute(stmt, [row])


def fetch_activity(engine: Engine) -> dict[str, tuple[datetime, int]]:
    """source_id → (time of its last request, requests in the last 24 hours), from fetch_log."""
    day_ago = func.now() - text("interval '24 hours'")
    query = select(
        FetchLog.source_id,
        func.max(FetchLog.fetched_at),
        func.count().filter(FetchLog.fetched_at > day_ago),
    ).group_by(FetchLog.source_id)
    with engine.connect() as conn:
        return {source_id: (last, recent) for source_id, last, recent in conn.execute(query)}
