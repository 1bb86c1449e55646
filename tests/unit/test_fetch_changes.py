"""Change detection: new, changed, unchanged and duplicate articles, and their versions."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.fetch.changes import Known, assign_versions, latest
from pipeline.records import CleanedArticle, Extractor, Paragraph, article_id_for, content_hash


def article(url: str, text: str = "The bridge reopened on Tuesday.") -> CleanedArticle:
    return CleanedArticle(
        article_id=article_id_for(url), url=url, canonical_url=url, source_id="s", title="T",
        fetched_at=datetime(2026, 5, 5, tzinfo=UTC), text=text, paragraphs=[Paragraph(text=text)],
        word_count=len(text.split()), content_hash=content_hash(text),
        extractor=Extractor(name="t", version="1"))


def test_new_changed_unchanged_and_duplicate_get_their_versions():
    new, same, edited = (article(f"https://n.example/{n}") for n in ("new", "same", "edited"))
    edited_now = article("https://n.example/edited", "The bridge reopened on Wednesday.")
    known = {same.article_id: Known(same.content_hash, 3),
             edited.article_id: Known(edited.content_hash, 2)}

    to_publish, verdicts = assign_versions([new, same, edited_now, new], known)

    assert verdicts == ["new", "unchanged", "changed", "duplicate"]
    assert [(r.article_id, r.version) for r in to_publish] == [
        (new.article_id, 1), (edited.article_id, 3)]


def test_latest_takes_the_highest_version_of_any_source():
    warehouse = {"a": Known("h1", 1), "b": Known("h5", 5)}
    published_since = {"a": Known("h2", 2), "b": Known("h4", 4), "c": Known("h1", 1)}

    assert latest(warehouse, published_since) == {
        "a": Known("h2", 2), "b": Known("h5", 5), "c": Known("h1", 1)}
