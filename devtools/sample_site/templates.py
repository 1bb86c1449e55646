"""The three article templates, modelled on how real publishers differ.

ledger:  JSON-LD NewsArticle and a canonical link; body in `article div.article-body`.
courier: OpenGraph and article:* meta only; body in `div.story-text`, some paragraphs as divs.
gazette: no metadata at all, only what a reader sees; body in `section#content`.

All three surround the story with furniture, and put some of it inside the body container (a
"Read more" line, an ad slot, a share bar), because real sites do and a cleaner must cope.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from urllib.parse import quote_plus

from devtools.sample_site import boilerplate as bp
from devtools.sample_site import chrome
from devtools.sample_site.stories import Story

_CSS = (
    "body{margin:0;font:17px/1.6 Georgia,serif;color:#1a1a1a}"
    ".cookie,.cookie-notice,.cookie-bar{position:fixed;bottom:0;background:#222;color:#fff}"
    "[data-ad-unit]{background:#f4f4f4;text-align:center;font:11px sans-serif}"
)


# Audio players quote listening time at a speaking pace, not a reading one.
_SPEAKING_WPM = 150


def render(story: Story, everyone: Sequence[Story], base: str) -> str:
    """The article page of `story`; `base` is the site's origin, for absolute URLs."""
    return _RENDERERS[story.template](story, everyone, base)


def _blocks(
    story: Story, render_one: Callable[[int, str, str], str], inserts: dict[int, str]
) -> str:
    """Render the paragraphs, putting inserts[n] after the n-th rendered paragraph."""
    parts = []
    for n, (kind, text) in enumerate(story.paragraphs, start=1):
        parts.append(render_one(n, kind, escape(text)))
        parts.append(inserts.get(n, ""))
    return "\n".join(part for part in parts if part)


def ledger(story: Story, everyone: Sequence[Story], base: str) -> str:
    brand = bp.BRANDS["ledger"]
    url = base + story.path
    image = base + story.image if story.image else None
    modified = story.updated_at or story.published_at
    metadata = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": story.title,
        "description": story.description,
        "author": [{"@type": "Person", "name": name} for name in story.authors],
        "datePublished": chrome.iso(story.published_at),
        "dateModified": chrome.iso(modified),
        "publisher": {"@type": "Organization", "name": brand.name, "url": base + "/"},
        "articleSection": story.section.capitalize(),
        "keywords": list(story.tags),
        "inLanguage": "en-GB",
        **({"image": [image]} if image else {}),
    }
    # "</" inside a script element would end it early; JSON allows the escaped form.
    json_ld = json.dumps(metadata, ensure_ascii=False, indent=1).replace("</", "<\\/")

    def one(n: int, kind: str, text: str) -> str:
        return {
            "body": f"<p>{text}</p>",
            "heading": f"<h2>{text}</h2>",
            "quote": f"<blockquote><p>{text}</p></blockquote>",
            "caption": f'<figure><img src="{image}" alt="{text}"><figcaption>{text}</figcaption>'
            "</figure>",
        }[kind]

    more_path, more_title = chrome.read_more(story, everyone)
    body = _blocks(
        story,
        one,
        {
            2: f'<p class="read-more"><strong>{bp.READ_MORE}</strong> '
            f'<a href="{more_path}">{escape(more_title)}</a></p>',
            4: chrome.ad_slot('class="ad ad-inline"', f"ledger-inline-{story.slug}"),
        },
    )
    dateline = chrome.time_element(story.published_at)
    if story.updated_at:
        dateline += f' <span class="updated">Updated {chrome.time_element(story.updated_at)}</span>'
    tags = " ".join(f'<a href="/?tag={quote_plus(tag)}">{escape(tag)}</a>' for tag in story.tags)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(story.title)} – {brand.name}</title>
<meta name="description" content="{escape(story.description)}">
<link rel="canonical" href="{url}">
<link rel="alternate" type="application/rss+xml" title="{brand.name}" href="{base}/rss.xml">
<style>{_CSS}.article-body{{max-width:40em}}</style>
<script type="application/ld+json">{json_ld}</script>
{chrome.tracking_script(story)}
</head>
<body class="ledger">
<a class="skip-link" href="#main">{bp.SKIP_LINK}</a>
{chrome.cookie_banner(brand, 'class="cookie" id="cookie-banner"')}
<header class="site-header"><a class="logo" href="/">{brand.name}</a>
<nav class="primary-nav" aria-label="Sections"><ul>{chrome.nav_items()}</ul></nav></header>
{chrome.ad_slot('class="ad ad-leaderboard"', "ledger-top")}
<main id="main">
<article class="story">
<header class="story-header">
<p class="kicker">{chrome.section_link(story)}</p>
<h1>{escape(story.title)}</h1>
<p class="standfirst">{escape(story.description)}</p>
<p class="byline">{escape(chrome.byline(story.authors))}</p>
<p class="dateline">{dateline}</p>
</header>
<div class="share-bar">{chrome.share_links(url, story.title)}</div>
<div class="article-body">
{body}
</div>
<footer class="story-tags">{bp.TOPICS_LABEL} {tags}</footer>
</article>
<aside class="related-stories">{chrome.teasers(story, everyone, "h3")}</aside>
<aside class="most-read">{chrome.most_read(story, everyone)}</aside>
{chrome.newsletter_form(brand, 'class="newsletter-signup"')}
{chrome.comments(story, everyone, 'class="comments" id="comments"')}
</main>
<footer class="site-footer">{chrome.footer_links()}</footer>
<script>document.querySelector("#cookie-banner .accept").onclick = function () {{
  document.getElementById("cookie-banner").remove(); }};</script>
</body>
</html>
"""


def courier(story: Story, everyone: Sequence[Story], base: str) -> str:
    brand = bp.BRANDS["courier"]
    url = base + story.path
    meta = [
        ("og:type", "article"),
        ("og:site_name", brand.name),
        ("og:title", story.title),
        ("og:description", story.description),
        ("og:url", url),
        *([("og:image", base + story.image)] if story.image else []),
        ("article:published_time", chrome.iso(story.published_at)),
        *([("article:modified_time", chrome.iso(story.updated_at))] if story.updated_at else []),
        *(("article:author", name) for name in story.authors),
        ("article:section", story.section.capitalize()),
        *(("article:tag", tag) for tag in story.tags),
    ]
    meta_tags = "\n".join(
        f'<meta property="{prop}" content="{escape(value)}">' for prop, value in meta
    )

    def one(n: int, kind: str, text: str) -> str:
        # The courier's CMS stores alternate paragraphs as divs, a leftover of an old editor.
        paragraph = f'<div class="para">{text}</div>' if n % 2 == 0 else f"<p>{text}</p>"
        return {
            "body": paragraph,
            "heading": f'<h3 class="subhead">{text}</h3>',
            "quote": f'<blockquote class="pullquote">{text}</blockquote>',
            "caption": f'<figure class="media"><img src="{story.image}" alt="">'
            f"<figcaption>{text}</figcaption></figure>",
        }[kind]

    more_path, more_title = chrome.read_more(story, everyone)
    words = sum(len(text.split()) for _, text in story.paragraphs)
    listen = f"{max(1, round(words / _SPEAKING_WPM))} min"
    body = _blocks(
        story,
        one,
        {
            2: f'<div class="para"><b>{bp.READ_MORE}</b> <a href="{more_path}">'
            f"{escape(more_title)}</a></div>",
            3: f"<script>window.courierEmbeds = window.courierEmbeds || {{}};"
            f' courierEmbeds["{story.slug}"] = {{"lazy": true}};</script>',
            5: chrome.ad_slot('class="ad-slot ad-slot--mpu"', f"courier-mpu-{story.slug}"),
        },
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(story.title)} | {brand.name}</title>
<meta name="description" content="{escape(story.description)}">
{meta_tags}
<meta name="twitter:card" content="summary_large_image">
<link rel="canonical" href="{url}">
<style>{_CSS}.story-text .para{{margin:0 0 1em}}</style>
{chrome.tracking_script(story)}
</head>
<body>
{chrome.cookie_banner(brand, 'class="cookie-notice" id="cookie-consent"')}
<div class="topbar"><a class="masthead" href="/">{brand.name}</a>
<ul class="main-menu">{chrome.nav_items()}</ul></div>
<div class="page">
{chrome.ad_slot('class="ad-slot ad-slot--billboard"', "courier-billboard")}
<div class="story">
<span class="section-label">{story.section.capitalize()}</span>
<h1 class="headline">{escape(story.title)}</h1>
<h2 class="sub-headline">{escape(story.description)}</h2>
<div class="meta"><span class="author">{escape(chrome.byline(story.authors))}</span>
<span class="date">{_courier_date(story.published_at)}</span></div>
<div class="story-text">
<div class="audio-player"><button type="button">{bp.LISTEN}</button> <span>{listen}</span></div>
{body}
<div class="share-tools">{chrome.share_links(url, story.title)}</div>
</div>
<ul class="tags">{"".join(f"<li>{escape(tag)}</li>" for tag in story.tags)}</ul>
<div class="more-like-this related">{chrome.teasers(story, everyone, "h4")}</div>
</div>
{chrome.newsletter_form(brand, 'class="newsletter-box"')}
{chrome.comments(story, everyone, 'class="comments-area" id="comments"')}
</div>
<footer class="site-footer">{chrome.footer_links()}</footer>
</body>
</html>
"""


def gazette(story: Story, everyone: Sequence[Story], base: str) -> str:
    brand = bp.BRANDS["gazette"]

    def one(n: int, kind: str, text: str) -> str:
        return {
            "body": f"<p>{text}</p>",
            "heading": f"<h3>{text}</h3>",
            "quote": f"<blockquote>{text}</blockquote>",
            "caption": f'<div class="pic"><img src="{story.image}"><p class="caption">{text}</p>'
            "</div>",
        }[kind]

    more_path, more_title = chrome.read_more(story, everyone)
    body = _blocks(
        story,
        one,
        {
            2: f'<p><em>{bp.READ_MORE} <a href="{more_path}">{escape(more_title)}</a></em></p>',
            4: chrome.ad_slot('class="advert"', f"gazette-{story.slug}"),
        },
    )
    byline, dates = escape(chrome.byline(story.authors)), _gazette_dates(story, everyone)
    return f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{escape(story.title)} | {brand.name}</title>
<style>{_CSS}#wrapper{{display:flex}}#main-col{{flex:3}}#sidebar{{flex:1}}</style>
{chrome.tracking_script(story)}
</head>
<body>
{chrome.cookie_banner(brand, 'class="cookie-bar" id="cookie-bar"')}
<div id="header"><div class="masthead"><a href="/">{brand.name}</a></div>
<ul class="menu" id="nav">{chrome.nav_items()}</ul></div>
<div id="wrapper">
<div id="main-col">
<div class="breadcrumb"><a href="/">Home</a> &rsaquo; {chrome.section_link(story)}</div>
<h1>{escape(story.title)}</h1>
<p class="intro">{escape(story.description)}</p>
<div class="article-info"><span class="byline">{byline}</span> | {dates}</div>
<section id="content">
{body}
<div class="sharethis">Share: {chrome.share_links(base + story.path, story.title)}</div>
</section>
<div class="related" id="related">{chrome.teasers(story, everyone, "b")}</div>
{chrome.newsletter_form(brand, 'class="newsletter" id="signup"')}
{chrome.comments(story, everyone, 'class="comments" id="comments"')}
</div>
<div id="sidebar">
{chrome.ad_slot('class="advert"', "gazette-sidebar")}
<div class="popular">{chrome.most_read(story, everyone)}</div>
</div>
</div>
<div id="footer">{chrome.footer_links()}</div>
</body>
</html>
"""


def _courier_date(moment: datetime) -> str:
    """'Mon 5 Oct 2026 06.45 UTC'."""
    return f"{moment:%a} {moment.day} {moment:%b %Y %H.%M} UTC"


def _gazette_dates(story: Story, everyone: Sequence[Story]) -> str:
    # The gazette's two CMS generations: newer pages wrap the date in <time>, older ones print
    # it as text. Alternating keeps both kinds in the sample.
    gazettes = [other for other in everyone if other.template == "gazette"]
    published = chrome.human(story.published_at)
    if gazettes.index(story) % 2 == 0:
        shown = chrome.time_element(story.published_at)
    else:
        shown = f"Published {published}"
    if story.updated_at:
        shown += f" | Last updated {chrome.human(story.updated_at)}"
    return shown


_RENDERERS = {"ledger": ledger, "courier": courier, "gazette": gazette}
