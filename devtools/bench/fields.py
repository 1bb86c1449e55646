"""Agreement on titles and authors, on the pages of a dataset that label them.

Labels come as the dataset gives them (Mozilla Readability's `title` and `byline`), so they
are normalized before comparing: a title without case, spacing or quote style; a byline read
into names the way the cleaner reads a byline ("By Jane Doe and John Roe" is two names), and
compared as a set without case, spaces or dots. A byline label that names no person ("BBC
News", none at all) expects no authors: a page that gets some has invented them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from devtools.scoring import Page
from pipeline.clean.authors import split_byline
from pipeline.records import CleanedArticle

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _title_key(title: str | None) -> str:
    text = unicodedata.normalize("NFKC", title or "").translate(_QUOTES)
    return " ".join(text.split()).casefold()


def _names_key(names: Sequence[str]) -> frozenset[str]:
    return frozenset(re.sub(r"[\s.]+", "", name).casefold() for name in names)


def field_agreement(
    pages: Sequence[Page], records: dict[str, CleanedArticle | None]
) -> dict[str, Any] | None:
    """Title and author agreement on the labelled pages; None when no page has labels."""
    titled = [p for p in pages if p.title]
    bylined = [p for p in pages if p.byline is not None or p.title]
    if not titled:
        return None
    title_hits, title_misses = 0, []
    for page in titled:
        record = records.get(page.id)
        if record and _title_key(record.title) == _title_key(page.title):
            title_hits += 1
        else:
            title_misses.append(
                {"id": page.id, "label": page.title, "ours": record and record.title}
            )
    stated = named = invented = 0
    author_misses = []
    for page in bylined:
        record = records.get(page.id)
        ours = list(record.authors) if record else []
        # Readability's bylines keep the page's line breaks: "By Kelli Miller\n WebMD News".
        expected = [n for line in (page.byline or "").splitlines() for n in split_byline(line)]
        if expected:
            stated += 1
            if _names_key(ours) == _names_key(expected):
                named += 1
            else:
                author_misses.append({"id": page.id, "label": page.byline, "ours": ours})
        elif ours:
            invented += 1
            author_misses.append({"id": page.id, "label": page.byline, "ours": ours})
    return {
        "titled_pages": len(titled),
        "title_agreement": title_hits / len(titled),
        "pages_stating_authors": stated,
        "author_agreement": named / stated if stated else None,
        "pages_without_authors": len(bylined) - stated,
        "pages_with_invented_authors": invented,
        "title_misses": title_misses,
        "author_misses": author_misses,
    }
