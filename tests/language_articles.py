"""The report of one NATO summit in French, German, Spanish, Italian and Portuguese
(tests/fixtures/enrich/languages/), and of one EU summit in German, Spanish, Italian and
Portuguese (eu-report/; written for these tests like agency copy), as cleaned records: the
non-English articles of the enricher's unit and integration tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pipeline.records import CleanedArticle, Extractor, Paragraph, article_id_for, content_hash

LANGUAGES = Path(__file__).resolve().parent / "fixtures" / "enrich" / "languages"
WITHOUT_MODEL = ["de", "es", "it", "pt"]


def language_record(
    language: str, *, declared: str | None = "same", report: str = ""
) -> CleanedArticle:
    """The summit report in `language`; with `report="eu-report"`, the report of an EU
    summit in Brussels (tests/fixtures/enrich/languages/eu-report/, de/es/it/pt)."""
    data = json.loads((LANGUAGES / report / f"{language}.json").read_text(encoding="utf-8"))
    paragraphs = [Paragraph(text=p) for p in data["paragraphs"]]
    text = "\n\n".join(p.text for p in paragraphs)
    return CleanedArticle(
        article_id=article_id_for(data["url"]),
        url=data["url"],
        canonical_url=data["url"],
        source_id=f"press-{language}",
        title=data["title"],
        fetched_at=datetime(2026, 6, 24, 18, 0, tzinfo=UTC),
        language=data["language"] if declared == "same" else declared,
        text=text,
        paragraphs=paragraphs,
        word_count=len(text.split()),
        content_hash=content_hash(text),
        extractor=Extractor(name="test", version="0"),
    )
