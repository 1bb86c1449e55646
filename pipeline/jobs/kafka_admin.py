"""The commands that look at or act on the topics: `newsflow topics`, `tail`, `dlt list`,
`dlt replay`. Each opens its own short-lived Kafka clients from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pipeline.config import Settings
from pipeline.progress import Meter

if TYPE_CHECKING:
    from pipeline.publish.topics import TopicInfo


def ensure_topics(settings: Settings) -> list[str]:
    """Create the pipeline's missing topics; the names created."""
    from pipeline.publish.topics import ensure_topics as ensure

    return ensure(settings)


def describe_topics(settings: Settings) -> list[TopicInfo]:
    from pipeline.publish.topics import describe_topics as describe

    return describe(settings)


def topic_offsets(
    settings: Settings, topics: list[str] | None = None
) -> dict[str, list[tuple[int, int, int]]]:
    """Per topic, (partition, beginning offset, end offset) for every partition."""
    from pipeline.publish.topics import topic_offsets as offsets

    return offsets(settings, topics)


def tail_topic(settings: Settings, topic: str, count: int) -> Iterator[str]:
    from pipeline.publish.tail import tail_topic as tail

    return tail(settings, topic, count)


def list_dead_letters(settings: Settings, limit: int = 50) -> list[dict[str, Any]]:
    from pipeline.consume.dlt import list_dead_letters as listed

    return listed(settings, limit)


def replay_dead_letters(settings: Settings, meter: Meter | None = None) -> int:
    """Send the dead letters back to the cleaned topic; how many. `meter` hears each batch."""
    from pipeline.consume.dlt import replay

    return replay(settings, meter)
