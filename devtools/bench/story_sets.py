"""Labelled news streams for `newsflow bench cluster`: articles with a gold story each.

Three layouts are read, plain or gzipped:

- **Priberam** (`dataset.dev.json`, `dataset.test.json` of Priberam/news-clustering, Miranda et
  al., EMNLP 2018): one JSON array of documents with `id`, `date` ("YYYY-MM-DD HH:MM:SS"),
  `lang` (eng, deu, spa), `title`, `text` and the gold `cluster`;
- **JSON lines** (`*.jsonl`): one article a line with `id`, `published` (ISO 8601), `language`
  (ISO 639-1), `title`, `text`, `story`, and optionally `source`;
- **UCI News Aggregator** (`*.csv`, Gasparetti 2016, as in tests/data/stories/): headlines with
  `ID`, `TITLE`, `STORY` (the Google News story id, the gold story), `TIMESTAMP` (ms since the
  epoch) and `HOSTNAME` or `PUBLISHER`. The title is the text too (there is no body), the
  source is the host name (else the publisher), the language English.

Articles come back in time order (ties by id), the order a stream would bring them in.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.records import (
    CleanedArticle,
    Extractor,
    Paragraph,
    article_id_for,
    content_hash,
    count_words,
)

# Priberam's three-letter language codes.
_ISO_639_1 = {"eng": "en", "deu": "de", "spa": "es", "fra": "fr", "ita": "it", "por": "pt"}


@dataclass(frozen=True)
class StoryDoc:
    id: str
    published: datetime
    language: str  # ISO 639-1
    title: str
    text: str
    story: str
    source: str = "bench"


def _open(path: Path) -> Any:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _priberam(rows: Iterable[dict[str, Any]]) -> list[StoryDoc]:
    return [
        StoryDoc(
            id=str(row["id"]),
            published=_utc(row["date"]),
            language=_ISO_639_1.get(row["lang"], row["lang"]),
            title=row.get("title") or "",
            text=row.get("text") or "",
            story=str(row["cluster"]),
            source=str(row.get("source") or "bench"),
        )
        for row in rows
    ]


def _lines(rows: Iterable[dict[str, Any]]) -> list[StoryDoc]:
    return [
        StoryDoc(
            id=str(row["id"]),
            published=_utc(row["published"]),
            language=row["language"],
            title=row.get("title") or "",
            text=row.get("text") or "",
            story=str(row["story"]),
            source=str(row.get("source") or "bench"),
        )
        for row in rows
    ]


def _uci(rows: Iterable[dict[str, str]]) -> list[StoryDoc]:
    return [
        StoryDoc(
            id=row["ID"],
            published=datetime.fromtimestamp(int(row["TIMESTAMP"]) / 1000, tz=UTC),
            language="en",
            title=row["TITLE"],
            text=row["TITLE"],
            story=row["STORY"],
            source=row.get("HOSTNAME") or row.get("PUBLISHER") or "bench",
        )
        for row in rows
    ]


def load_stream(path: Path, languages: Sequence[str] = ()) -> list[StoryDoc]:
    """The articles of `path` (of `languages` only, ISO 639-1, when given), in time order."""
    name = path.name.removesuffix(".gz")
    try:
        with _open(path) as handle:
            if name.endswith(".csv"):
                docs = _uci(csv.DictReader(handle))
            elif name.endswith(".jsonl"):
                docs = _lines(json.loads(line) for line in handle if line.strip())
            else:
                docs = _priberam(json.load(handle))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a labelled story stream ({exc!r})") from exc
    if languages:
        docs = [d for d in docs if d.language in languages]
    return sorted(docs, key=lambda d: (d.published, d.id))


def cleaned_record(doc: StoryDoc, fetched_at: datetime | None = None) -> CleanedArticle:
    """The record the pipeline would have published for this article: its paragraphs are the
    text's lines (blank lines dropped), published at the dataset's date."""
    url = f"https://stories.bench.invalid/{doc.source}/{doc.id}"
    paragraphs = [line.strip() for line in doc.text.splitlines() if line.strip()]
    text = "\n\n".join(paragraphs)
    return CleanedArticle(
        article_id=article_id_for(url),
        url=url,
        canonical_url=url,
        source_id=doc.source,
        title=doc.title,
        published_at=doc.published,
        fetched_at=fetched_at or doc.published,
        language=doc.language,
        text=text,
        paragraphs=[Paragraph(text=p) for p in paragraphs],
        word_count=count_words(text),
        content_hash=content_hash(text),
        extractor=Extractor(name="bench-cluster", version="1"),
    )
