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


def title_key(title: str | None) -> str:
    text = unicodedata.normalize("NFKC", title or "").translate(_QUOTES)
    return " ".join(text.split()).casefold()


def names_key(names: Sequence[str]) -> frozenset[str]:
    return frozenset(re.sub(r"[\s.]+", "", name).casefold() for name in names)


_SUFFIX_SEPARATOR = re.compile(r"\s*(?:[|\-·•»_:]|\[)")


def _is_site_suffixed(label: str, ours: str) -> bool:
    """The label is ours followed by a separator and a site's name."""
    if not ours or not label.startswith(ours) or label == ours:
        return False
    return bool(_SUFFIX_SEPARATOR.match(label[len(ours) :]))


def field_agreement(
    pages: Sequence[Page], records: dict[str, CleanedArticle | None]
) -> dict[str, Any] | None:
    """Title and author agreement on the labelled pages; None when no page has labels."""
    titled = [p for p in pages if p.title]
    suffixed = 0
    bylined = [p for p in pages if p.authors is not None or p.byline is not None or p.title]
    if not titled:
        return None
    title_hits, title_misses = 0, []
    for page in titled:
        record = records.get(page.id)
        if record and title_key(record.title) == title_key(page.title):
            title_hits += 1
        elif record and _is_site_suffixed(title_key(page.title), title_key(record.title)):
            # The label keeps the site's name ("How to Build a Terrarium | eHow"), ours not.
            suffixed += 1
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
        if page.authors is not None:  # a list of names, possibly empty: no author stated
            # Read as a byline is: "Associated Press" or "Staff Reports" names no person.
            expected = [n for name in page.authors for n in split_byline(name)]
        if expected:
            stated += 1
            if names_key(ours) == names_key(expected):
                named += 1
            else:
                author_misses.append({"id": page.id, "label": page.byline, "ours": ours})
        elif ours:
            invented += 1
            author_misses.append({"id": page.id, "label": page.byline, "ours": ours})
    return {
        "titled_pages": len(titled),
        "title_agreement": title_hits / len(titled),
        "title_agreement_but_site_suffix": (title_hits + suffixed) / len(titled),
        "pages_stating_authors": stated,
        "author_agreement": named / stated if stated else None,
        "pages_without_authors": len(bylined) - stated,
        "pages_with_invented_authors": invented,
        "title_misses": title_misses,
        "author_misses": author_misses,
    }
