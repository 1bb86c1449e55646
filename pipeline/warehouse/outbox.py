"""The dead-letter outbox's rows (`consumer_dead_letters`): written with a batch, then drained.

`add_dead_letters` runs inside `store_batch`'s transaction, so a dead letter exists exactly when
the offsets past its record were committed. `drain` hands the unsent rows of a group to a
sender while holding their row locks, and marks what the sender reports as sent in the same
transaction: two consumers of one group never send the same row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pipeline.warehouse.models_delivery import ConsumerDeadLetter

DRAIN_LIMIT = 500
LetterId = tuple[str, int, int]  # source topic, partition, offset


@dataclass(frozen=True)
class OutboxLetter:
    """A dead letter as recorded: the original message, the error, and its place on the DLT."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]  # the original's headers that the DLT keeps
    stage: str
    error: str
    dlt_partition: int
    dlt_from_offset: int

    @property
    def id(self) -> LetterId:
        return self.topic, self.partition, self.offset


def add_dead_letters(conn: Connection, group: str, letters: Sequence[OutboxLetter]) -> int:
    """Record dead letters in the caller's transaction; a record already dead-lettered by this
    group (a batch read again) keeps its first row. Returns how many rows are new."""
    if not letters:
        return 0
    stmt = (
        pg_insert(ConsumerDeadLetter)
        .on_conflict_do_nothing(index_elements=["group_id", "topic", "partition", "offset"])
        .returning(ConsumerDeadLetter.offset)
    )
    rows = [
        {
            "group_id": group,
            "topic": letter.topic,
            "partition": letter.partition,
            "offset": letter.offset,
            "key": letter.key,
            "value": letter.value,
            "header_names": [name for name, _ in letter.headers],
            "header_values": [value for _, value in letter.headers],
            # PostgreSQL text cannot hold NUL; an error quoting one must not fail the batch.
            "stage": letter.stage,
            "error": letter.error.replace("\x00", "\\x00"),
            "dlt_partition": letter.dlt_partition,
            "dlt_from_offset": letter.dlt_from_offset,
        }
        for letter in sorted(letters, key=lambda letter: letter.id)
    ]
    return len(conn.execute(stmt, rows).all())


def has_unsent(engine: Engine, group: str) -> bool:
    query = select(
        exists().where(ConsumerDeadLetter.group_id == group, ConsumerDeadLetter.sent_at.is_(None))
    )
    with engine.connect() as conn:
        return bool(conn.execute(query).scalar_one())


Sender = Callable[[list[OutboxLetter]], dict[LetterId, int]]


def drain(engine: Engine, group: str, send: Sender, limit: int = DRAIN_LIMIT) -> int:
    """Lock up to `limit` unsent rows of `group` (skipping rows another consumer holds), pass
    them to `send`, which returns each letter's offset on the DLT, and mark those sent, all in
    one transaction. Returns how many were marked; `send` raising leaves every row unsent."""
    c = ConsumerDeadLetter
    query = (
        select(c)
        .where(c.group_id == group, c.sent_at.is_(None))
        .order_by(c.topic, c.partition, c.offset)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with engine.begin() as conn:
        letters = [
            OutboxLetter(
                topic=row.topic,
                partition=row.partition,
                offset=row.offset,
                key=row.key,
                value=row.value,
                headers=list(zip(row.header_names, row.header_values, strict=True)),
                stage=row.stage,
                error=row.error,
                dlt_partition=row.dlt_partition,
                dlt_from_offset=row.dlt_from_offset,
            )
            for row in conn.execute(query)
        ]
        if not letters:
            return 0
        sent = send(letters)
        marks = [
            {"g": group, "t": topic, "p": partition, "o": offset, "dlt": dlt_offset}
            for (topic, partition, offset), dlt_offset in sorted(sent.items())
        ]
        if marks:
            conn.execute(
                update(c)
                .where(
                    c.group_id == bindparam("g"),
                    c.topic == bindparam("t"),
                    c.partition == bindparam("p"),
                    c.offset == bindparam("o"),
                )
                .values(dlt_offset=bindparam("dlt"), sent_at=func.now()),
                marks,
            )
        return len(marks)
