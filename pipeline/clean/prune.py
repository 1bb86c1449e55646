"""Remove the parts of a page that are never article text: code, chrome, hidden elements.

Elements whose class or id names a widget (share bar, comments, related links) are only
recognised here; body.py decides whether to drop them, because a wrapper's class ("has-sidebar")
sometimes lies about what it holds.

Everything here walks the tree with an explicit stack: pages nested thousands of levels deep
must not hit Python's recursion limit.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

DROP_TAGS = frozenset(
    "script style noscript template svg math canvas iframe frame frameset object embed video "
    "audio map button select input textarea option nav footer aside dialog menu".split()
)
# Landmark roles of page chrome, which some sites put on plain divs instead of semantic tags.
DROP_ROLES = frozenset(
    "navigation banner contentinfo complementary dialog alertdialog search menu menubar".split()
)
# A form that holds a real story is an ASP.NET-style page wrapper, not a widget.
_FORM_KEEP_PARAGRAPHS = 3

# Compound class names ("sharethis", "relatedPosts") need substring matches; short words that
# occur inside unrelated names ("ad" in "head", "tags" in "hashtags") must be whole tokens.
_BOILERPLATE_SUBSTRING = re.compile(
    r"cookie|consent|gdpr|share|sharing|social|newsletter|subscribe|subscription|signup|"
    r"related|recommend|promo|comment(?!ary)|disqus|footer|breadcrumb|sidebar|popup|modal|"
    r"outbrain|taboola|advert|sponsor|author-?bio|authorinfo|about-?the-?author|"
    r"most-?(?:read|popular|viewed)|trending|paywall-?(?:prompt|offer)|skip-?link|"
    r"sr-only|visually-?hidden|screen-?reader|byline",
    re.I,
)
# A post embedded in the story ("social-media-embed", "twitter-tweet") is quoted content.
_EMBEDDED_POST = re.compile(r"embed|tweet|instagram-media", re.I)
_BOILERPLATE_TOKEN = frozenset(
    "ad ads adsbygoogle adslot adunit dfp banner tags tagcloud taglist bio "
    "toolbar pagination pager".split()
)
# Page and story wrappers: their class names describe the page ("has-sidebar", "f_caption_on").
WRAPPER_TAGS = frozenset({"html", "body", "main", "article"})
_CAPTION_TOKENS = frozenset({"caption", "credit", "credits", "figcaption", "photo"})
_TOKEN_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def class_and_id(tag: Tag) -> str:
    classes = tag.get("class") or []
    if isinstance(classes, str):
        classes = [classes]
    ident = tag.get("id") or ""
    return " ".join([*classes, ident if isinstance(ident, str) else ""])


def is_boilerplate_name(name: str) -> bool:
    """Whether a class/id string names page furniture rather than content."""
    if not name or _EMBEDDED_POST.search(name):
        return False
    if _BOILERPLATE_SUBSTRING.search(name):
        return True
    tokens = _TOKEN_SPLIT.split(name)
    return any(token.lower() in _BOILERPLATE_TOKEN for token in tokens)


def is_caption_name(name: str) -> bool:
    """Whether a class/id string names a caption or photo credit box."""
    return any(token.lower() in _CAPTION_TOKENS for token in _TOKEN_SPLIT.split(name))


def _is_hidden(tag: Tag) -> bool:
    style = tag.get("style")
    # Not aria-hidden: sites put it on decorative wrappers whose text is still on screen.
    return tag.has_attr("hidden") or (isinstance(style, str) and bool(_HIDDEN_STYLE.search(style)))


def _should_drop(tag: Tag, in_article: bool) -> bool:
    name = tag.name
    if name in DROP_TAGS:
        return True
    if name == "form":
        return len(tag.find_all("p", limit=_FORM_KEEP_PARAGRAPHS)) < _FORM_KEEP_PARAGRAPHS
    if name == "header" and not in_article:
        return True
    return tag.get("role") in DROP_ROLES or _is_hidden(tag)


def prune(soup: BeautifulSoup) -> None:
    """Drop code, chrome, hidden elements and HTML comments from the page, in place."""
    root = soup.body or soup
    doomed: list[Tag | NavigableString] = []
    stack: list[tuple[Tag, bool]] = [(root, False)]
    while stack:
        node, in_article = stack.pop()
        in_article = in_article or node.name == "article"
        for child in node.children:
            if isinstance(child, Tag):
                if _should_drop(child, in_article):
                    doomed.append(child)
                else:
                    stack.append((child, in_article))
            elif isinstance(child, Comment):
                doomed.append(child)
    for node in doomed:
        node.extract() if isinstance(node, NavigableString) else node.decompose()
