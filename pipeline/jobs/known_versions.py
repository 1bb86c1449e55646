"""What the ingest job knows of articles' versions, from the three places that remember them.

- `articles`: the version the warehouse holds now (gone after a `DELETE FROM articles`);
- `version_ledger`: every version the consumer ever stored, which outlives lost rows;
- `fetch_state`: what this fetcher published, which may not have reached the warehouse yet.

The latest of the three is what a page's content is compared with and numbered after, so a
version never goes backwards; where the warehouse lacks it for good, the article is sent again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from pipeline.fetch.changes import Known, latest, missing_from_warehouse
from pipeline.fetcher_state import PageState
from pipeline.warehouse.db import known_articles
from pipeline.warehouse.version_ledger import Head, ledger_heads


@dataclass(frozen=True)
class KnownVersions:
    stored: Mapping[str, Known]  # article_id → the articles row's hash and version
    recorded: Mapping[str, Head]  # article_id → the ledger's latest version
    state: Mapping[str, PageState]  # page URL → what this fetcher last published from it
    resend_before: datetime  # a record sent earlier that is not stored was lost on the way

    @classmethod
    def load(
        cls,
        engine: Engine,
        state: Mapping[str, PageState],
        article_ids: Iterable[str],
        resend_before: datetime,
    ) -> KnownVersions:
        """What is known of `article_ids` and of the articles of the pages in `state`."""
        ids = sorted(set(article_ids) | {s.article_id for s in state.values() if s.article_id})
        stored = {aid: Known(h, v) for aid, (h, v) in known_articles(engine, ids).items()}
        return cls(stored, ledger_heads(engine, ids), state, resend_before)

    @property
    def latest(self) -> dict[str, Known]:
        """article_id → the highest version any of the three knows, with its content hash."""
        recorded = {aid: Known(h.content_hash, h.version) for aid, h in self.recorded.items()}
        published = {
            s.article_id: Known(s.content_hash, s.version)
            for s in self.state.values()
            if s.article_id and s.content_hash and s.version
        }
        return latest(self.stored, recorded, published)

    def to_resend(self) -> set[str]:
        """The article ids whose latest version the warehouse lacks for good (rows deleted,
        or a record lost on the way), not merely not yet (a record still on its way)."""
        sent: dict[str, datetime] = {}  # article_id → when this fetcher last published it
        for s in self.state.values():
            if s.article_id and s.changed_at:
                sent[s.article_id] = max(s.changed_at, sent.get(s.article_id, s.changed_at))
        lost = set()
        for article_id, known in self.latest.items():
            stored = self.stored.get(article_id)
            head = self.recorded.get(article_id)
            if missing_from_warehouse(
                known.version,
                stored.version if stored else 0,
                head.version if head else 0,
                head.recorded_at if head else None,
                sent.get(article_id),
                self.resend_before,
            ):
                lost.add(article_id)
        return lost
