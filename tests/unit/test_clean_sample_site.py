"""The cleaner on every page of the bundled sample site, served over loopback HTTP."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from devtools.sample_site import SampleSite, Story, stories
from pipeline.clean import clean
from pipeline.records import CleanedArticle

FETCHED_AT = datetime(2030, 1, 1, tzinfo=UTC)  # after every sample story


@pytest.fixture(scope="module")
def site() -> Iterator[SampleSite]:
    with SampleSite() as running:
        yield running


def cleaned(site: SampleSite, story: Story) -> CleanedArticle:
    url = site.base_url + story.path
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        html, content_type = response.read(), response.headers.get("content-type")
    return clean(html, url, source_id="sample", fetched_at=FETCHED_AT, content_type=content_type)


@pytest.mark.parametrize("story", stories(), ids=lambda s: f"{s.template}-{s.slug}")
def test_sample_page_yields_the_story(site, story):
    article = cleaned(site, story)
    assert article.title == story.title
    assert article.authors == list(story.authors)
    assert article.published_at == story.published_at
    assert article.updated_at == story.updated_at
    # Every paragraph, heading, quote and caption, in page order and with its kind.
    extracted = [(p.kind, p.text) for p in article.paragraphs]
    expected = list(story.paragraphs)
    assert [item for item in extracted if item in expected] == expected
    assert all(text in article.text for kind, text in expected if kind != "caption")
    leaked = [marker for marker in story.junk_markers if marker in article.text]
    assert not leaked
