"""The clean stage: one fetched page in, one `CleanedArticle` out. Pure: no I/O, no globals.

    article = clean(page_bytes, url, source_id="meridian", fetched_at=fetched_at,
                    content_type=response.headers.get("content-type"))

A page that can never yield an article (not HTML, no story text on it) raises
`ExtractionError`, a `PoisonRecord` with stage "clean"; anything else becomes a record,
with missing metadata left empty and what was left out of the story listed in `removed`.

Steps: decode.py (bytes to text), markup.py (cut code and layout space before parsing),
parse.py (BeautifulSoup over lxml), blocks.py (the one walk over the tree, with furniture.py
naming the page's furniture), metadata.py and body.py (what the walk found, with lines.py
naming the lines that are never story text), pipeline/language.py (the declared language checked
against the text). The garbage collector is paused for the length of one call and the tree is
taken apart at its end (parse.py: a tree freed by reference counting leaves the collector nothing
to find). The golden pages (devtools/golden.py) and the scoring on a labelled
dataset (devtools/scoring.py) are development tools, outside this package.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import unquote, urlsplit

from bs4.exceptions import ParserRejectedMarkup

from pipeline.clean.blocks import page_blocks
from pipeline.clean.body import extract_body
from pipeline.clean.dates import date_from_urls
from pipeline.clean.decode import decode_html, file_signature, looks_binary
from pipeline.clean.furniture import PROSE_CHARS
from pipeline.clean.markup import prepare
from pipeline.clean.metadata import Metadata, extract_metadata
from pipeline.clean.parse import collector_paused, discard, parse_html
from pipeline.errors import ExtractionError
from pipeline.language import choose_language
from pipeline.records import (
    CleanedArticle,
    Extractor,
    Paragraph,
    Removal,
    article_id_for,
    content_hash,
    count_words,
)

__all__ = ["EXTRACTOR", "clean", "extract_body", "extract_metadata"]

# Bump when a change to extraction changes the text of already-seen pages.
EXTRACTOR = Extractor(name="newsflow-bs4", version="1.11.0")

_SLUG_WORD = re.compile(r"[^\W_]+")
_NOSCRIPT = re.compile(r"<noscript\b", re.I)
_NOSCRIPT_PARAGRAPHS = 2
_FILE_SUFFIX = re.compile(r"\.(?:s?html?|php|aspx?|jsp)$", re.I)


def clean(
    html: bytes | str,
    url: str,
    *,
    source_id: str,
    fetched_at: datetime,
    content_type: str | None = None,
    canonical_url: str | None = None,
) -> CleanedArticle:
    """Extract the article on one page. `canonical_url`, when given, overrides the page's own."""
    with collector_paused():
        return _clean(html, url, source_id, fetched_at, content_type, canonical_url)


def _clean(
    html: bytes | str,
    url: str,
    source_id: str,
    fetched_at: datetime,
    content_type: str | None,
    canonical_url: str | None,
) -> CleanedArticle:
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    if kind := file_signature(html):
        raise ExtractionError(f"not an HTML page ({kind}): {url}")
    page = decode_html(html, content_type)
    if not page.strip():
        raise ExtractionError(f"empty page: {url}")
    if looks_binary(page):
        raise ExtractionError(f"not an HTML page (binary data): {url}")
    markup = prepare(page)
    try:
        soup = parse_html(markup.html)
    except ParserRejectedMarkup as exc:
        raise ExtractionError(f"unparseable HTML in {url}: {exc}") from exc
    try:
        walked = page_blocks(soup)
        meta = extract_metadata(walked, url, fetched_at)
        body = extract_body(walked, meta.title)
    finally:
        discard(soup)  # what the record keeps of the tree are plain strings
    text = _story_text(body.paragraphs)
    if not text and _NOSCRIPT.search(page):
        # A page that writes its story with a script (Blogger) may keep a copy in <noscript>
        # for readers without one: read the page again with it. Only then, and only a copy
        # of several paragraphs: most <noscript>s hold a pixel or "enable JavaScript".
        markup = prepare(page, noscript=True)
        soup = parse_html(markup.html)
        try:
            copy = extract_body(page_blocks(soup, noscript=True), meta.title)
        finally:
            discard(soup)
        prose = [p for p in copy.paragraphs if p.kind != "caption" and len(p.text) >= PROSE_CHARS]
        if len(prose) >= _NOSCRIPT_PARAGRAPHS:
            body, text = copy, _story_text(copy.paragraphs)
    paragraphs = body.paragraphs
    if not text:
        raise ExtractionError(f"no article body found in {url}")
    removed = body.removed
    if markup.truncated_chars:
        cut = Removal(reason="truncated", blocks=1, chars=markup.truncated_chars)
        removed = sorted([*removed, cut], key=lambda removal: -removal.chars)
    canonical = canonical_url or meta.canonical_url or url
    published_at = meta.published_at or date_from_urls(
        [canonical, *meta.declared_urls, url], fetched_at
    )
    return CleanedArticle(
        article_id=article_id_for(canonical),
        url=url,
        canonical_url=canonical,
        source_id=source_id,
        title=_title(meta, paragraphs, url),
        description=meta.description,
        authors=meta.authors,
        published_at=published_at,
        updated_at=meta.updated_at,
        fetched_at=fetched_at,
        language=choose_language(meta.language, text),
        section=meta.section,
        tags=meta.tags,
        text=text,
        paragraphs=paragraphs,
        word_count=count_words(text),
        content_hash=content_hash(text),
        top_image=meta.top_image,
        extractor=EXTRACTOR,
        removed=removed,
    )


def _story_text(paragraphs: list[Paragraph]) -> str:
    """Captions stay in `paragraphs` for consumers that want them, but are not the story's
    text, unless they are all there is (a photo gallery)."""
    text = "\n\n".join(p.text for p in paragraphs if p.kind != "caption")
    return text or "\n\n".join(p.text for p in paragraphs)


def _title(meta: Metadata, paragraphs: list[Paragraph], url: str) -> str:
    """The declared title, else the first heading, else words from the URL's slug."""
    if meta.title:
        return meta.title
    if heading := next((p.text for p in paragraphs if p.kind == "heading"), None):
        return heading
    try:
        parts = urlsplit(url)
    except ValueError:  # not an address a browser would follow; still the page's name
        return url
    segments = [s for s in unquote(parts.path).split("/") if s]
    words = _SLUG_WORD.findall(_FILE_SUFFIX.sub("", segments[-1])) if segments else []
    # Trailing numbers in a slug are story ids, not words of the headline.
    while words and words[-1].isdigit():
        words.pop()
    if not words:
        return parts.hostname or url
    slug = " ".join(words)
    return slug[0].upper() + slug[1:]
