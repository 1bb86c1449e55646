"""Page furniture shared by the three templates: banners, share bars, ads, teasers, comments.

Each template passes its own class names, because the point of the sample site is that publishers
mark up the same furniture differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape
from urllib.parse import quote

from devtools.sample_site import boilerplate as bp
from devtools.sample_site.stories import SECTIONS, Story


def neighbours(story: Story, everyone: Sequence[Story], offsets: range) -> list[Story]:
    """Other stories at fixed offsets from `story`, wrapping round: deterministic picks."""
    index = everyone.index(story)
    return [everyone[(index + offset) % len(everyone)] for offset in offsets]


def nav_items() -> str:
    links = [("Home", "/")] + [(name.capitalize(), f"/#{name}") for name in SECTIONS]
    return "".join(f'<li><a href="{href}">{label}</a></li>' for label, href in links)


def cookie_banner(brand: bp.Brand, attrs: str) -> str:
    accept, manage = bp.COOKIE_BUTTONS
    return (
        f'<div {attrs} role="dialog" aria-label="Cookie consent">'
        f'<p>{escape(brand.cookie_text)} <a href="#cookie-policy">Cookie policy</a></p>'
        f'<button type="button" class="accept">{accept}</button>'
        f'<button type="button" class="manage">{manage}</button></div>'
    )


def share_links(url: str, title: str) -> str:
    target, text = quote(url, safe=""), quote(title, safe="")
    x, facebook, linkedin, copy = bp.SHARE_LABELS
    return (
        f'<a href="https://x.com/intent/post?url={target}&amp;text={text}">{x}</a>'
        f'<a href="https://www.facebook.com/sharer/sharer.php?u={target}">{facebook}</a>'
        f'<a href="https://www.linkedin.com/sharing/share-offsite/?url={target}">{linkedin}</a>'
        f'<a href="mailto:?subject={text}&amp;body={target}">Email</a>'
        f'<button type="button" data-copy="{escape(url)}">{copy}</button>'
    )


def ad_slot(attrs: str, unit: str) -> str:
    return (
        f'<div {attrs} data-ad-unit="{unit}"><span class="label">{bp.ADVERTISEMENT}</span>'
        f'<div id="slot-{unit}" style="min-height:250px"></div></div>'
    )


def read_more(story: Story, everyone: Sequence[Story]) -> tuple[str, str]:
    """Link and headline of the story promoted by the inline 'Read more' line of `story`."""
    (other,) = neighbours(story, everyone, range(-1, 0))
    return other.path, other.title


def teasers(story: Story, everyone: Sequence[Story], heading_tag: str) -> str:
    """The related-stories box: headline and standfirst of the next three stories."""
    items = []
    for other in neighbours(story, everyone, range(1, 4)):
        items.append(
            f'<li><a href="{other.path}"><{heading_tag}>{escape(other.title)}</{heading_tag}></a>'
            f"<p>{escape(other.description)}</p></li>"
        )
    return f"<h2>{bp.RELATED_HEADING}</h2><ul>" + "".join(items) + "</ul>"


def most_read(story: Story, everyone: Sequence[Story]) -> str:
    items = [
        f'<li><a href="{other.path}">{escape(other.title)}</a></li>'
        for other in neighbours(story, everyone, range(4, 9))
    ]
    return f"<h2>{bp.MOST_READ_HEADING}</h2><ol>" + "".join(items) + "</ol>"


def newsletter_form(brand: bp.Brand, attrs: str) -> str:
    return (
        f'<form {attrs} action="#newsletter" method="post">'
        f"<h2>{escape(brand.newsletter)}</h2><p>{escape(brand.newsletter_pitch)}</p>"
        '<label>Email address <input type="email" name="email" required></label>'
        f'<button type="submit">{bp.SUBSCRIBE_BUTTON}</button></form>'
    )


def comments(story: Story, everyone: Sequence[Story], attrs: str) -> str:
    """Two or three reader comments, posted in the hours after the story."""
    index = everyone.index(story)
    count = 2 + index % 2
    items = []
    for n in range(count):
        user, text = bp.COMMENTS[(index * 2 + n) % len(bp.COMMENTS)]
        posted = story.published_at + timedelta(minutes=47 * (n + 1))
        items.append(
            f'<li class="comment"><span class="comment-author">{escape(user)}</span> '
            f'<time datetime="{iso(posted)}">{human(posted)}</time>'
            f'<p class="comment-body">{escape(text)}</p>'
            '<button type="button">Reply</button> <button type="button">Report</button></li>'
        )
    return (
        f"<div {attrs}><h2>Comments ({count})</h2><p>{bp.COMMENTS_PROMPT}</p>"
        f"<noscript>{bp.NOSCRIPT}</noscript><ol>" + "".join(items) + "</ol></div>"
    )


def footer_links() -> str:
    links = [
        ("Home", "/"),
        ("RSS", "/rss.xml"),
        ("Atom", "/atom.xml"),
        ("Sitemap", "/news-sitemap.xml"),
        ("Cookie settings", "#cookie-policy"),
        ("Contact us", "mailto:newsdesk@sample-media.example"),
    ]
    items = "".join(f'<li><a href="{href}">{label}</a></li>' for label, href in links)
    return f"<ul>{items}</ul><p>{escape(bp.COPYRIGHT)}</p>"


def tracking_script(story: Story) -> str:
    return (
        "<script>window.dataLayer = window.dataLayer || [];"
        f'dataLayer.push({{"pageType": "article", "section": "{story.section}", '
        f'"articleId": "{story.slug}"}});</script>'
    )


def section_link(story: Story) -> str:
    return f'<a href="/#{story.section}">{story.section.capitalize()}</a>'


def time_element(moment: datetime) -> str:
    return f'<time datetime="{iso(moment)}">{human(moment)}</time>'


def byline(authors: Sequence[str]) -> str:
    """'By A', 'By A and B', 'By A, B and C'."""
    if len(authors) == 1:
        return f"By {authors[0]}"
    return "By " + ", ".join(authors[:-1]) + " and " + authors[-1]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def human(moment: datetime) -> str:
    """'12 November 2026, 14:05 UTC', the way the ledger and gazette print dates."""
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"
