"""Change detection: new, changed, unchanged and duplicate articles, and their versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.fetch.changes import Known, assign_versions, latest, missing_from_warehouse
from pipeline.records import CleanedArticle, Extractor, Paragraph, article_id_for, content_hash


def article(url: str, text: str = "The bridge reopened on Tuesday.") -> CleanedArticle:
    return CleanedArticle(
        article_id=article_id_for(url),
        url=url,
        canonical_url=url,
        source_id="s",
        title="T",
        fetched_at=datetime(2026, 5, 5, tzinfo=UTC),
        text=text,
        paragraphs=[Paragraph(text=text)],
        word_count=len(text.split()),
        content_hash=content_hash(text),
        extractor=Extractor(name="t", version="1"),
    )


def test_new_changed_unchanged_and_duplicate_get_their_versions():
    new, same, edited = (article(f"https://n.example/{n}") for n in ("new", "same", "edited"))
    edited_now = article("https://n.example/edited", "The bridge reopened on Wednesday.")
    known = {
        same.article_id: Known(same.content_hash, 3),
        edited.article_id: Known(edited.content_hash, 2),
    }

    to_publish, verdicts = assign_versions([new, same, edited_now, new], known)

    assert verdicts == ["new", "unchanged", "changed", "duplicate"]
    assert [(r.article_id, r.version) for r in to_publish] == [
        (new.article_id, 1),
        (edited.article_id, 3),
    ]


def test_latest_takes_the_highest_version_of_any_source():
    warehouse = {"a": Known("h1", 1), "b": Known("h5", 5)}
    published_since = {"a": Known("h2", 2), "b": Known("h4", 4), "c": Known("h1", 1)}

    assert latest(warehouse, published_since) == {
        "a": Known("h2", 2),
        "b": Known("h5", 5),
        "c": Known("h1", 1),
    }


def test_unchanged_content_the_warehouse_lost_is_republished_under_its_known_version():
    lost, kept = article("https://n.example/lost"), article("https://n.example/kept")
    known = {
        lost.article_id: Known(lost.content_hash, 4),
        kept.article_id: Known(kept.content_hash, 2),
    }

    to_publish, verdicts = assign_versions([lost, kept], known, resend={lost.article_id})

    assert verdicts == ["republished", "unchanged"]
    assert [(r.article_id, r.version) for r in to_publish] == [(lost.article_id, 4)]


NOW = datetime(2026, 5, 5, 12, tzinfo=UTC)
BEFORE = NOW - timedelta(minutes=15)  # records sent earlier than this are overdue


def test_missing_from_warehouse_tells_lost_rows_from_records_on_their_way():
    sent, stored_at = NOW - timedelta(minutes=2), NOW - timedelta(minutes=1)

    def missing(
        stored: int, recorded: int, recorded_at: datetime | None, sent_at: datetime | None
    ) -> bool:
        return missing_from_warehouse(3, stored, recorded, recorded_at, sent_at, BEFORE)

    assert not missing(3, 3, stored_at, sent)  # in the warehouse
    assert not missing(4, 4, stored_at, sent)  # a later version is
    assert not missing(0, 2, stored_at, sent)  # sent two minutes ago, not stored yet
    assert missing(0, 3, stored_at, sent)  # stored after it was sent, then deleted
    assert missing(2, 3, stored_at, None)  # stored once, never sent by this fetcher
    assert not missing(0, 3, sent - timedelta(days=1), sent)  # deleted, sent again just now
    assert missing(0, 2, None, NOW - timedelta(hours=1))  # never stored, sent an hour ago
    assert missing(0, 0, None, None)
