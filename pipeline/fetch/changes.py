"""Change detection: which cleaned articles are new, changed or unchanged, and their versions.

Pure: the caller gathers what is known about each article (the warehouse's latest version, the
version ledger's, which outlives lost article rows, and what this fetcher last published, which
may not have reached the warehouse yet).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

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


def missing_from_warehouse(
    version: int,
    stored: int,
    recorded: int,
    recorded_at: datetime | None,
    sent_at: datetime | None,
    resend_before: datetime,
) -> bool:
    """Whether the warehouse lacks `version` of an article for good, so it must be sent again.

    `stored`: the version in the warehouse's articles row (0: none); `recorded`/`recorded_at`:
    the ledger's latest version and when the consumer first stored it (0/None: never);
    `sent_at`: when this fetcher last published the article. A record sent after
    `resend_before` is still on its way unless the consumer stored it after that send and it
    is gone again (its rows were deleted); one sent earlier was lost on the way
    (dead-lettered, past the topic's retention) or deleted since.
    """
    if stored >= version:
        return False
    stored_since_sent = recorded >= version and (
        sent_at is None or (recorded_at is not None and recorded_at > sent_at)
    )
    on_its_way = sent_at is not None and sent_at > resend_before and not stored_since_sent
    return not on_its_way


def assign_versions(
    records: Sequence[CleanedArticle], known: Mapping[str, Known], resend: Collection[str] = ()
) -> tuple[list[CleanedArticle], list[str]]:
    """Records to publish, and a verdict per input record: new, changed, unchanged,
    republished, duplicate.

    A new article is version 1; changed content is the next version after the known one;
    unchanged content is not published again, unless its article id is in `resend` (the
    warehouse lost it, or a forced run): then it is republished under the version it had, so
    one version never names two texts. A second URL with the canonical URL of an article
    already seen in this batch is a duplicate and is not published twice.
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
            if record.article_id in resend:
                verdicts.append("republished")
                out[record.article_id] = record.model_copy(update={"version": previous.version})
            else:
                verdicts.append("unchanged")
        else:
            verdicts.append("changed")
            out[record.article_id] = record.model_copy(update={"version": previous.version + 1})
    return list(out.values()), verdicts
