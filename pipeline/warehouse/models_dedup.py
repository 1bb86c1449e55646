"""The near-duplicate index: one MinHash signature per article and its LSH band keys.

Written by the enricher (pipeline.warehouse.dedup) before the article itself is stored, so
there is no foreign key to `articles`; a trigger of migration 0004 drops an article's row when
the article is deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Identity, Index, LargeBinary, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.warehouse.models import Base, Timestamp


class DedupSignature(Base):
    __tablename__ = "dedup_signatures"

    article_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Order in which the index first saw the article: a match must have been seen before.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary)  # NUM_PERM little-endian uint32
    band_keys: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    published: Mapped[datetime] = mapped_column(Timestamp)  # published_at, else fetched_at
    # The enricher's last answer, kept for analysts (v_near_duplicates): the article this one
    # nearly duplicates and their estimated Jaccard similarity.
    duplicate_of: Mapped[str | None] = mapped_column(String(64))
    similarity: Mapped[float | None] = mapped_column(Float)
    indexed_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    __table_args__ = (Index(None, "band_keys", postgresql_using="gin"),)
