"""Change detection: which cleaned articles are new, changed or unchanged, and their versions.

Pure: the caller gathers what is known about each article (the warehouse's latest version, and
what this fetcher last published, which may not have reached the warehouse yet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.records import CleanedArticle


@dataclass(frozen=True)
class Known:
    content_hash: str
    version: int


def latest(*sources: Mapping[str, Known]) -> dict[str, Known]:
    """article_id → the highest version any of `sources` knows."""
    merged: dict[str, Known] = {}
    for known in sources:
        for article_id, item in known.items():
            if article_id not in merged or item.version > merged[article_id].version:
                merged[article_id] = item
    return merged


def assign_versions(records: Sequence[CleanedArticle], known: Mapping[str, Known]
                    ) -> tuple[list[CleanedArticle], list[str]]:
    """Records to publish, and a verdict per input record: new, changed, unchanged, duplicate.

    A new article is version 1; changed content is the next version after the known one;
    unchanged content is not published again. A second URL with the canonical URL of an
    article already seen in this batch is a duplicate and is not published twice.
    """
    out: dict[str, CleanedArticle] = {}
    verdicts: list[str] = []
    for record in records:
        previous = known.get(record.article_id)
        if record.article_id in out:
            verdicts.append("duplicate")
        elif previous is None:
            verdicts.append("new")
            out[record.article_id] = record.model_copy(update={"version": 1})
        elif previous.content_hash == record.content_hash:
            verdicts.append("unchanged")
        else:
            verdicts.append("changed")
            out[record.article_id] = record.model_copy(update={"version": previous.version + 1})
    return list(out.values()), verdicts
