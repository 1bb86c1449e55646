"""Discovery documents of the sample site: RSS, Atom, a Google news sitemap, robots.txt, home page.

Each takes the site's origin, because links must be absolute and the port is only known once the
server has bound its socket.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import format_datetime
from html import escape

from devtools.sample_site import boilerplate as bp
from devtools.sample_site.chrome import byline, human, iso
from devtools.sample_site.stories import SECTIONS, Feed, Story

# Atom ids must not change when the port does, so they are tag URIs rather than page URLs.
_TAG = "tag:sample-media.example,2026"


def listed(everyone: Sequence[Story], feed: Feed) -> list[Story]:
    """The stories `feed` lists, newest first as feeds order them."""
    return sorted(
        (story for story in everyone if feed in story.feeds),
        key=lambda story: story.published_at,
        reverse=True,
    )


def rss(everyone: Sequence[Story], base: str) -> str:
    items = listed(everyone, "rss")
    entries = []
    for story in items:
        url = base + story.path
        categories = "".join(f"<category>{escape(tag)}</category>" for tag in story.tags)
        creators = "".join(f"<dc:creator>{escape(name)}</dc:creator>" for name in story.authors)
        entries.append(f"""<item>
<title>{escape(story.title)}</title>
<link>{url}</link>
<guid isPermaLink="true">{url}</guid>
<description>{escape(story.description)}</description>
<pubDate>{format_datetime(story.published_at, usegmt=True)}</pubDate>
{creators}{categories}
</item>""")
    newest = format_datetime(items[0].published_at, usegmt=True)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{bp.PUBLISHER}: latest news</title>
<link>{base}/</link>
<atom:link href="{base}/rss.xml" rel="self" type="application/rss+xml"/>
<description>The latest stories from {bp.PUBLISHER}.</description>
<language>en-gb</language>
<lastBuildDate>{newest}</lastBuildDate>
{chr(10).join(entries)}
</channel>
</rss>
"""


def atom(everyone: Sequence[Story], base: str) -> str:
    items = listed(everyone, "atom")
    entries = []
    for story in items:
        authors = "".join(f"<author><name>{escape(name)}</name></author>" for name in story.authors)
        categories = "".join(f'<category term="{escape(tag)}"/>' for tag in story.tags)
        entries.append(f"""<entry>
<id>{_TAG}:{story.slug}</id>
<title>{escape(story.title)}</title>
<link rel="alternate" type="text/html" href="{base}{story.path}"/>
<published>{iso(story.published_at)}</published>
<updated>{iso(story.updated_at or story.published_at)}</updated>
{authors}
<summary>{escape(story.description)}</summary>
{categories}
</entry>""")
    updated = max(story.updated_at or story.published_at for story in items)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<id>{_TAG}:feed</id>
<title>{bp.PUBLISHER}</title>
<subtitle>News, analysis and reviews.</subtitle>
<link rel="self" type="application/atom+xml" href="{base}/atom.xml"/>
<link rel="alternate" type="text/html" href="{base}/"/>
<updated>{iso(updated)}</updated>
{chr(10).join(entries)}
</feed>
"""


def news_sitemap(everyone: Sequence[Story], base: str) -> str:
    urls = []
    for story in listed(everyone, "sitemap"):
        urls.append(f"""<url>
<loc>{base}{story.path}</loc>
<lastmod>{iso(story.updated_at or story.published_at)}</lastmod>
<news:news>
<news:publication><news:name>{bp.BRANDS[story.template].name}</news:name><news:language>en</news:language></news:publication>
<news:publication_date>{iso(story.published_at)}</news:publication_date>
<news:title>{escape(story.title)}</news:title>
</news:news>
</url>""")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{chr(10).join(urls)}
</urlset>
"""


def robots(base: str) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {base}/news-sitemap.xml\n"


def home(everyone: Sequence[Story], base: str) -> str:
    sections = []
    for section in SECTIONS:
        stories = sorted(
            (story for story in everyone if story.section == section),
            key=lambda story: story.published_at,
            reverse=True,
        )
        items = "".join(
            f'<li><a href="{story.path}">{escape(story.title)}</a> '
            f"<span>{escape(byline(story.authors))}, {human(story.published_at)}</span></li>"
            for story in stories
        )
        sections.append(
            f'<section id="{section}"><h2>{section.capitalize()}</h2><ul>{items}</ul></section>'
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{bp.PUBLISHER}</title>
<link rel="alternate" type="application/rss+xml" href="{base}/rss.xml">
<link rel="alternate" type="application/atom+xml" href="{base}/atom.xml">
</head>
<body>
<h1>{bp.PUBLISHER}</h1>
<p>The Sample Ledger, The Courier and The Gazette: fictional newspapers, for testing.</p>
{chr(10).join(sections)}
<footer><p>{escape(bp.COPYRIGHT)}</p></footer>
</body>
</html>
"""
