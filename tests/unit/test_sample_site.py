"""The bundled sample news site: its story data, its pages, its feeds and its server."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import feedparser
import httpx
import pytest
import yaml
from bs4 import BeautifulSoup, Tag
from lxml import etree

from devtools.sample_site import FEEDS, JUNK_MARKERS, TEMPLATES, SampleSite, Story, stories
from devtools.sample_site.boilerplate import COMMENTS
from devtools.sample_site.stories import SECTIONS

ROOT = Path(__file__).resolve().parents[2]
STORIES = stories()
BY_TEMPLATE = {template: [s for s in STORIES if s.template == template] for template in TEMPLATES}
CONTAINERS = {
    "ledger": "article div.article-body",
    "courier": "div.story-text",
    "gazette": "section#content",
}
# What a reasonable extractor drops inside the body container: furniture by tag or class/id,
# and the unclassed inline "Read more:" lines by their text.
_DROP_TAGS = ["script", "style", "noscript", "form", "nav", "aside", "footer", "button"]
_JUNK_NAME = re.compile(r"share|related|newsletter|comment|cookie|audio|read-more|^ad$|^ad-|advert")


# One client for the module: building one per request costs an SSL context each time.
_client = httpx.Client(timeout=10)


@pytest.fixture(scope="module", autouse=True)
def _close_client():
    yield
    _client.close()


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, httpx.Headers, bytes]:
    response = _client.request(method, url, headers=headers)
    return response.status_code, response.headers, response.content


@pytest.fixture(scope="module")
def site():
    with SampleSite() as running:
        yield running


@pytest.fixture(scope="module")
def html(site: SampleSite) -> dict[str, bytes]:
    return {story.slug: fetch(site.base_url + story.path)[2] for story in STORIES}


@pytest.fixture
def pages(html: dict[str, bytes]) -> dict[str, BeautifulSoup]:
    """Freshly parsed for each test, so a test may take the soup apart."""
    return {slug: BeautifulSoup(page, "lxml") for slug, page in html.items()}


def words(story: Story) -> int:
    return sum(len(text.split()) for kind, text in story.paragraphs if kind != "caption")


def squash(text: str) -> str:
    return " ".join(text.split())


# --- story data -----------------------------------------------------------------------------


def test_there_are_enough_stories_in_each_template():
    assert len(STORIES) >= 24
    assert all(len(BY_TEMPLATE[template]) >= 8 for template in TEMPLATES)
    assert len({story.slug for story in STORIES}) == len(STORIES)
    assert {story.section for story in STORIES} == set(SECTIONS)


@pytest.mark.parametrize("story", STORIES, ids=lambda story: story.slug)
def test_story_reads_like_a_news_story(story: Story):
    assert 250 <= words(story) <= 600
    assert 4 <= sum(kind in ("body", "quote") for kind, _ in story.paragraphs) <= 9
    assert story.published_at.utcoffset() == timedelta(0)
    assert (
        datetime(2026, 10, 1, tzinfo=UTC) <= story.published_at < datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert story.updated_at is None or story.updated_at > story.published_at
    assert 1 <= len(story.authors) <= 2 and story.tags and story.description
    assert (story.image is None) == (story.caption is None)


def test_stories_vary_in_shape():
    for template, group in BY_TEMPLATE.items():
        kinds = Counter(kind for story in group for kind, _ in story.paragraphs)
        assert kinds["heading"] and kinds["caption"], template
        assert any(len(story.authors) == 2 for story in group), template
        assert any(story.updated_at for story in group), template
    assert any(kind == "quote" for story in STORIES for kind, _ in story.paragraphs)


def test_junk_markers_never_occur_in_story_content():
    for story in STORIES:
        content = " ".join([story.title, story.description, *(t for _, t in story.paragraphs)])
        leaked = [marker for marker in story.junk_markers if marker in content]
        assert not leaked, (story.slug, leaked)
        assert set(JUNK_MARKERS) <= set(story.junk_markers)


# --- pages ----------------------------------------------------------------------------------


def test_every_article_is_served_as_html(site: SampleSite):
    for url in site.article_urls():
        status, headers, body = fetch(url)
        assert status == 200, url
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert b"<h1" in body


def test_ledger_pages_carry_json_ld_and_canonical(site, pages):
    for story in BY_TEMPLATE["ledger"]:
        soup = pages[story.slug]
        (script,) = soup.find_all("script", type="application/ld+json")
        data = json.loads(script.string)
        assert data["@type"] == "NewsArticle" and data["headline"] == story.title
        assert [author["name"] for author in data["author"]] == list(story.authors)
        assert all(author["@type"] == "Person" for author in data["author"])
        assert datetime.fromisoformat(data["datePublished"]) == story.published_at
        assert datetime.fromisoformat(data["dateModified"]) == (
            story.updated_at or story.published_at
        )
        assert data["publisher"]["@type"] == "Organization" and data["keywords"] == list(story.tags)
        assert (
            data["articleSection"].lower() == story.section
            and data["description"] == story.description
        )
        assert ("image" in data) == bool(story.image)
        assert soup.find("link", rel="canonical")["href"] == site.base_url + story.path
        assert soup.select("article div.article-body > p")


def test_courier_pages_carry_opengraph_only(site, pages):
    for story in BY_TEMPLATE["courier"]:
        soup = pages[story.slug]
        meta = {}
        for tag in soup.find_all("meta", property=True):
            meta.setdefault(tag["property"], []).append(tag["content"])
        assert meta["og:title"] == [story.title] and meta["og:url"] == [site.base_url + story.path]
        assert meta["og:description"] == [story.description]
        assert meta["article:author"] == list(story.authors)
        assert meta["article:tag"] == list(story.tags)
        assert datetime.fromisoformat(meta["article:published_time"][0]) == story.published_at
        assert ("article:modified_time" in meta) == bool(story.updated_at)
        assert ("og:image" in meta) == bool(story.image)
        assert not soup.find("script", type="application/ld+json")
        assert soup.find("link", rel="canonical")["href"] == site.base_url + story.path
        assert soup.select("div.story-text > div.para") and soup.select("div.story-text > p")


def test_gazette_pages_have_no_structured_metadata(pages):
    texts_seen = times_seen = 0
    for story in BY_TEMPLATE["gazette"]:
        soup = pages[story.slug]
        assert not soup.find("script", type="application/ld+json")
        assert not soup.find("meta", property=True) and not soup.find("link", rel="canonical")
        assert not soup.find("meta", attrs={"name": True})
        assert soup.title.string == f"{story.title} | The Gazette"
        assert soup.h1.get_text() == story.title
        byline = soup.select_one("span.byline").get_text()
        assert re.split(r", | and ", byline.removeprefix("By ")) == list(story.authors)
        time = soup.select_one(".article-info time")
        if time:
            times_seen += 1
            assert datetime.fromisoformat(time["datetime"]) == story.published_at
        else:
            texts_seen += 1
            shown = re.search(r"Published (\d+ \w+ \d{4}, \d\d:\d\d) UTC", soup.get_text())
            published = datetime.strptime(shown.group(1), "%d %B %Y, %H:%M").replace(tzinfo=UTC)
            assert published == story.published_at
        assert soup.select("section#content > p")
    assert texts_seen and times_seen


@pytest.mark.parametrize("story", STORIES, ids=lambda story: story.slug)
def test_a_reasonable_extractor_recovers_the_body_and_drops_the_junk(pages, story: Story):
    """The ground truth is achievable: the body container holds every paragraph, and all the junk
    inside it (there is some on every page) is removable by tag, class or a 'Read more:' prefix."""
    container = pages[story.slug].select_one(CONTAINERS[story.template])
    raw = squash(container.get_text(" "))
    assert "Read more:" in raw and "Advertisement" in raw
    for element in container.find_all(True):
        if element.decomposed:
            continue
        names = [*element.get("class", []), element.get("id", "")]
        if (
            element.name in _DROP_TAGS
            or any(_JUNK_NAME.search(name) for name in names if name)
            or _is_read_more_line(element)
        ):
            element.decompose()
    text = squash(container.get_text(" "))
    for paragraph in story.body:
        assert squash(paragraph) in text
    assert [marker for marker in story.junk_markers if marker in text] == []


def _is_read_more_line(element: Tag) -> bool:
    return element.name in ("p", "div") and element.get_text().startswith("Read more:")


def test_every_page_is_surrounded_by_furniture(pages):
    for story in STORIES:
        text = pages[story.slug].get_text(" ")
        for marker in ("Advertisement", "Share on X", "Related stories", "Sign me up", "© 2026"):
            assert marker in text, (story.slug, marker)
        assert sum(text.count(comment) for _, comment in COMMENTS) in (2, 3)


def test_internal_links_and_images_resolve(site, pages):
    targets = set()
    for soup in pages.values():
        targets |= {a["href"] for a in soup.find_all("a", href=True) if a["href"].startswith("/")}
        targets |= {img["src"].removeprefix(site.base_url) for img in soup.find_all("img")}
    for target in sorted(targets):
        assert fetch(site.base_url + target)[0] == 200, target
    story = next(story for story in STORIES if story.image)
    status, headers, body = fetch(site.base_url + story.image)
    assert headers["Content-Type"] == "image/png" and body.startswith(b"\x89PNG\r\n\x1a\n")


# --- discovery ------------------------------------------------------------------------------


def _expected(site: SampleSite, feed: str) -> set[str]:
    return {site.base_url + story.path for story in STORIES if feed in story.feeds}


def test_rss_lists_its_third(site):
    status, headers, body = fetch(site.base_url + "/rss.xml")
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    parsed = feedparser.parse(body)
    assert not parsed.bozo and parsed.version == "rss20"
    assert {entry.link for entry in parsed.entries} == _expected(site, "rss")
    assert len(parsed.entries) == len(STORIES) // 3


def test_atom_lists_its_third(site):
    status, headers, body = fetch(site.base_url + "/atom.xml")
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(body)
    assert not parsed.bozo and parsed.version == "atom10"
    assert {entry.link for entry in parsed.entries} == _expected(site, "atom")
    assert len(parsed.entries) == len(STORIES) // 3
    by_link = {site.base_url + story.path: story for story in STORIES}
    for entry in parsed.entries:
        assert [author.name for author in entry.authors] == list(by_link[entry.link].authors)


def test_news_sitemap_lists_the_rest_and_the_last_two_days(site):
    status, headers, body = fetch(site.base_url + "/news-sitemap.xml")
    assert headers["Content-Type"] == "application/xml; charset=utf-8"
    ns = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "news": "http://www.google.com/schemas/sitemap-news/0.9",
    }
    urls = etree.fromstring(body).findall("s:url", ns)
    by_link = {site.base_url + story.path: story for story in STORIES}
    assert {url.findtext("s:loc", namespaces=ns) for url in urls} == _expected(site, "sitemap")
    for url in urls:
        story = by_link[url.findtext("s:loc", namespaces=ns)]
        published = url.findtext("news:news/news:publication_date", namespaces=ns)
        assert datetime.fromisoformat(published) == story.published_at
        assert url.findtext("news:news/news:title", namespaces=ns) == story.title
    newest = max(story.published_at for story in STORIES)
    assert all("sitemap" in s.feeds for s in STORIES if (newest - s.published_at).days < 2)


def test_feeds_together_cover_every_article_and_mix_templates(site):
    assert set.union(*(_expected(site, feed) for feed in FEEDS)) == set(site.article_urls())
    for feed in FEEDS:
        assert {story.template for story in STORIES if story.feeds[0] == feed} == set(TEMPLATES)


def test_home_page_links_every_article(site):
    status, headers, body = fetch(site.base_url + "/")
    hrefs = {a["href"] for a in BeautifulSoup(body, "lxml").find_all("a", href=True)}
    assert status == 200 and {story.path for story in STORIES} <= hrefs


def test_robots_txt_allows_everything(site):
    status, headers, body = fetch(site.base_url + "/robots.txt")
    assert status == 200 and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "User-agent: *\nAllow: /" in body.decode()
    assert f"Sitemap: {site.base_url}/news-sitemap.xml" in body.decode()


# --- server ---------------------------------------------------------------------------------


def test_unknown_paths_are_404(site):
    for path in ("/nope", "/news/no-such-story", "/2026/11/missing.html", "/gazette/"):
        status, headers, _ = fetch(site.base_url + path)
        assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"


def test_head_and_conditional_get(site):
    url = site.article_urls()[0]
    status, headers, body = fetch(url, method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0
    assert fetch(url, headers={"If-None-Match": headers["ETag"]})[0] == 304


def test_request_log_records_paths_in_order():
    with SampleSite() as site:
        paths = ["/robots.txt", "/rss.xml", "/missing?page=2", STORIES[0].path]
        for path in paths:
            fetch(site.base_url + path)
        assert site.requests == paths


def test_sites_pick_free_ports_and_render_identically(site):
    with SampleSite() as other:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", other.base_url)
        assert other.base_url != site.base_url
        for path in ["/", "/rss.xml", "/atom.xml", "/news-sitemap.xml", *(s.path for s in STORIES)]:
            assert _origin_free(site, path) == _origin_free(other, path), path
    with pytest.raises(RuntimeError, match="not running"):
        other.article_urls()


def _origin_free(site: SampleSite, path: str) -> bytes:
    body = fetch(site.base_url + path)[2]
    for form in (site.base_url, quote(site.base_url, safe="")):  # share links carry it encoded
        body = body.replace(form.encode(), b"BASE")
    return body


def test_write_sources_yaml(site, tmp_path):
    path = site.write_sources_yaml(tmp_path / "conf" / "sources.yaml", source_id="demo")
    base = site.base_url
    assert yaml.safe_load(path.read_text()) == {
        "sources": [
            {
                "id": "demo",
                "name": "The Sample Ledger",
                "feeds": [f"{base}/rss.xml", f"{base}/atom.xml"],
                "sitemaps": [f"{base}/news-sitemap.xml"],
                "urls": [],
                "min_delay_seconds": 0,
                "allow_private_network": True,
                "enabled": True,
            }
        ]
    }


def test_module_entry_point_serves_until_interrupted(tmp_path):
    command = [sys.executable, "-m", "devtools.sample_site", "--sources", str(tmp_path / "s.yaml")]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            base = re.search(r"http://[\d.:]+", process.stdout.readline()).group(0)
            assert fetch(base + "/robots.txt")[0] == 200
            assert f"{base}/rss.xml" in (tmp_path / "s.yaml").read_text()
        finally:
            process.send_signal(signal.SIGINT)  # Ctrl-C
        assert process.wait(timeout=10) == 0
