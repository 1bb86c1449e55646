"""Offset bookkeeping for one polled batch: pure, so it is tested without a broker.

Kafka offsets name the next record to read, so a batch that ends at offset 41 on a partition
stores and commits 42 for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata


class RecordLike(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...


R = TypeVar("R", bound=RecordLike)


def in_order(polled: Mapping[TopicPartition, Iterable[R]]) -> list[R]:
    """The records of one poll as one list, by partition then offset (a reproducible order)."""
    return sorted(
        (r for records in polled.values() for r in records),
        key=lambda r: (r.topic, r.partition, r.offset),
    )


@dataclass(frozen=True)
class BatchOffsets:
    first: dict[TopicPartition, int]  # where to seek back to when the batch must be retried
    next: dict[TopicPartition, int]  # what to store and commit once the batch is done

    @classmethod
    def of(cls, records: Iterable[RecordLike]) -> BatchOffsets:
        first: dict[TopicPartition, int] = {}
        last: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            first[tp] = min(first.get(tp, record.offset), record.offset)
            last[tp] = max(last.get(tp, record.offset), record.offset)
        return cls(first, {tp: offset + 1 for tp, offset in last.items()})

    def to_store(self) -> dict[tuple[str, int], int]:
        return {(tp.topic, tp.partition): offset for tp, offset in self.next.items()}

    def to_commit(self) -> dict[TopicPartition, OffsetAndMetadata]:
        return {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in self.next.items()}

    def lag(self, highwater: Callable[[TopicPartition], int | None]) -> int | None:
        """Records behind the newest on this batch's partitions; None until the broker said."""
        marks = {tp: highwater(tp) for tp in self.next}
        if any(mark is None for mark in marks.values()):
            return None
        return sum(max(0, mark - self.next[tp]) for tp, mark in marks.items() if mark is not None)
