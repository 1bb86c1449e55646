"""Hostile and broken input: every page gives a record or one ExtractionError, and soon.

No timing assertions: a hang is caught by the per-test timeout, a crash by the exception type.
"""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime

import pytest

from pipeline.clean import clean
from pipeline.clean.markup import MAX_TAGS
from pipeline.errors import ExtractionError
from pipeline.records import CleanedArticle

FETCHED_AT = datetime(2025, 6, 1, tzinfo=UTC)
URL = "https://hostile.example/story"
MB = 1 << 20
STORY = "".join(
    f"<p>Paragraph {n} of the story says what the harbour master did on the day of the storm, "
    "and why the boats stayed in port until the wall was safe again.</p>"
    for n in range(8)
)
RNG = random.Random(20250601)
STORY_TEXT_START = "Paragraph 0 of the story says what the harbour master did"


def run(data: bytes | str) -> CleanedArticle:
    return clean(data, URL, source_id="hostile", fetched_at=FETCHED_AT)


def record_or_extraction_error(data: bytes | str) -> CleanedArticle | ExtractionError:
    try:
        return run(data)
    except ExtractionError as exc:
        return exc


def page(body: str) -> str:
    return f"<!doctype html><html><head><title>Storm</title></head><body>{body}</body></html>"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n\t  ",
        b"<html></html>",
        b"<html><body><div><span></span></div></body></html>",
        b"\x89PNG\r\n\x1a\n" + bytes(RNG.randrange(256) for _ in range(4000)),
        b"GIF89a" + b"D" * 4000,
        bytes(RNG.randrange(256) for _ in range(8000)),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\n" + bytes(range(256)) * 20,
        gzip.compress(page(STORY).encode()),
        json.dumps({"error": {"code": 404, "message": "not found"}}).encode(),
        b"id,title\n1,Harbour\n2,Storm\n",
        b"<" * (2 * MB),
        b"&amp;" * MB,
        b"<!--" * 100_000 + STORY.encode(),
        b"<script>" * 100_000 + STORY.encode(),
        b"https://news.example.org/story/123",
        b"/var/www/html/index.html",
    ],
    ids=[
        "empty",
        "whitespace",
        "empty-document",
        "no-text",
        "png",
        "gif-of-letters",
        "random-bytes",
        "pdf",
        "gzip-not-decompressed",
        "json",
        "csv",
        "angle-brackets",
        "entities",
        "unclosed-comments",
        "unclosed-scripts",
        "a-url",
        "a-file-name",
    ],
)
@pytest.mark.timeout(60)
@pytest.mark.filterwarnings("error")  # nor a warning for the logs to repeat page after page
def test_pages_with_no_article_raise_one_extraction_error(data):
    with pytest.raises(ExtractionError) as raised:
        run(data)
    assert raised.value.stage == "clean"
    assert URL in str(raised.value)


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.8, 0.95])
@pytest.mark.timeout(60)
def test_a_truncated_page_keeps_the_story_up_to_the_cut(cut):
    html = page(f"<article>{STORY}</article><footer>© Harbour News</footer>").encode()
    article = run(html[: int(len(html) * cut)])
    assert article.text.startswith(STORY_TEXT_START)


@pytest.mark.parametrize(
    "markup",
    [
        "<div>" * 10_000 + STORY + "</div>" * 10_000,
        "<div>" * 10_000 + STORY,  # never closed
        "<section><div>" * 5_000 + STORY,
        "<table><tr><td>" * 3_000 + STORY + "</td></tr></table>" * 3_000,
        "<p>" + "<span>" * 10_000 + STORY + "</span>" * 10_000 + "</p>",
    ],
    ids=["divs", "unclosed-divs", "mixed", "tables", "inline-spans"],
)
@pytest.mark.timeout(60)
def test_markup_nested_ten_thousand_deep_still_yields_the_story(markup):
    assert STORY_TEXT_START in run(page(markup)).text


@pytest.mark.timeout(120)
def test_a_twenty_megabyte_page_of_links_is_cut_to_size_and_keeps_the_story():
    links = "<div><a href='/more'>More stories</a></div>" * (20 * MB // 42)
    article = run(page(f"<article>{STORY}</article>{links}").encode())
    assert article.text.startswith(STORY_TEXT_START)
    truncated = [r for r in article.removed if r.reason == "truncated"]
    assert truncated and truncated[0].chars > 10 * MB
    assert len(article.paragraphs) == 8


@pytest.mark.timeout(120)
def test_twenty_megabytes_of_scripts_styles_and_inline_images_cost_nothing_to_parse():
    script = "<script>var tracking = {'id': 12345};</script>" * (8 * MB // 44)
    style = "<style>.a{color:red}</style>" * (4 * MB // 28)
    image = "<img src='data:image/png;base64," + "QUJD" * (2 * MB) + "'>"
    article = run(page(script + style + image + f"<article>{STORY}</article>").encode())
    assert len(article.paragraphs) == 8 and not article.removed


@pytest.mark.timeout(120)
def test_a_twenty_megabyte_story_is_a_record():
    paragraphs = STORY * (20 * MB // len(STORY))
    outcome = record_or_extraction_error(page(f"<article>{paragraphs}</article>").encode())
    assert isinstance(outcome, CleanedArticle)
    assert outcome.text.startswith(STORY_TEXT_START)
    # Past MAX_TAGS tags the rest of the page is cut, and the record says so.
    assert len(outcome.paragraphs) <= MAX_TAGS // 2
    assert [r.reason for r in outcome.removed] == ["truncated"]


@pytest.mark.parametrize(
    "data",
    [
        "Harbour reopens. " * 40,  # a plain-text page
        "<rss><channel><item><title>Harbour</title><description>" + "The harbour reopened. " * 20,
        "\ufeff\ufeff" + page(STORY),
        page(STORY).replace("<p>", "<p>\x00\x01\x02"),
        page(STORY).encode("utf-16"),
        page(STORY).encode("utf-8")[:-3] + b"\xff\xfe\xfd",
    ],
    ids=["plain-text", "rss", "double-bom", "control-characters", "utf-16", "bad-bytes"],
)
@pytest.mark.timeout(60)
def test_odd_but_readable_input_gives_a_record_or_one_extraction_error(data):
    outcome = record_or_extraction_error(data)
    if isinstance(outcome, CleanedArticle):
        assert outcome.text and "\x00" not in outcome.text and "\x01" not in outcome.text
    else:
        assert URL in str(outcome)
