"""The consumer's dead-letter outbox: what makes the dead-letter topic exactly-once.

A consumer writes the records it dead-letters here, in the transaction that moves its offsets
past them, and sends them to the dead-letter topic after that commit. A crash before the commit
leaves neither; a crash after it leaves the row unsent, and the next drain sends it (first
looking on the topic, from `dlt_from_offset`, for a copy sent just before the crash).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.warehouse.models import Base, Timestamp


class ConsumerDeadLetter(Base):
    """A record a consumer group dead-lettered, keyed by where it was read, like
    consumer_offsets; reading it again (a replay) never sends it twice."""

    __tablename__ = "consumer_dead_letters"

    group_id: Mapped[str] = mapped_column(Text, primary_key=True)
    topic: Mapped[str] = mapped_column(Text, primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # The original message: key and value bytes untouched, and the headers kept on the DLT.
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: a tombstone
    header_names: Mapped[list[str]] = mapped_column(ARRAY(Text))
    header_values: Mapped[list[bytes]] = mapped_column(ARRAY(LargeBinary))
    stage: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    # Where it goes on the dead-letter topic: the partition, the partition's end offset before
    # anyone sent it (a copy of it can only be at or after this), and its offset once sent.
    dlt_partition: Mapped[int] = mapped_column(Integer)
    dlt_from_offset: Mapped[int] = mapped_column(BigInteger)
    dlt_offset: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)

    __table_args__ = (
        # The drain's question, "what does this group still owe the DLT?", reads only these.
        Index(None, "group_id", postgresql_where=text("sent_at IS NULL")),
    )
