"""The fetcher's memory between runs: validators and published state per page, robots.txt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.warehouse.models import Base, Timestamp


class FetchState(Base):
    """One row per article page URL fetched: how to ask for it conditionally next time, and
    which content this fetcher last published from it.

    Written after a run, for the pages whose record was published (or found unchanged), so a
    dry run or a failed publish never makes the next run skip a page it still has to send.
    """

    __tablename__ = "fetch_state"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    source_id: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime] = mapped_column(Timestamp)  # last 200 or 304
    changed_at: Mapped[datetime | None] = mapped_column(Timestamp)  # last new version published

    __table_args__ = (Index(None, "source_id"),)


class RobotsTxt(Base):
    """The last 2xx or 4xx answer of an origin's robots.txt; used for 24 hours."""

    __tablename__ = "robots_txt"

    origin: Mapped[str] = mapped_column(Text, primary_key=True)  # scheme://host:port
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(Timestamp)
