"""Page furniture: the elements that are never article text, and the reason each is dropped.

Two kinds. Structural furniture (`<nav>`, `<footer>`, landmark roles, hidden elements, form
controls) is dropped whatever it holds. Elements whose class or id names a widget (share bar,
comments, related links) are only recognised here; body.py decides whether to drop them,
because a wrapper's class ("has-sidebar", "article-body paywall") sometimes lies about what
it holds.

The reasons are the vocabulary of `CleanedArticle.removed`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from bs4 import Tag

# Never shown as text: code, media and their fallback content. Dropped without a word.
SILENT_TAGS = frozenset(
    "script style noscript template svg math canvas iframe frame frameset object embed video "
    "audio map".split()
)
# Inline furniture: its text is dropped without ending the paragraph around it.
CONTROL_TAGS = frozenset("button select input textarea option label legend".split())
_STRUCTURE_REASONS = {
    "nav": "navigation",
    "menu": "navigation",
    "footer": "footer",
    "aside": "sidebar",
    "dialog": "dialog",
    "header": "header",
    "form": "form",
}
# Landmark roles of page chrome, which some sites put on plain divs instead of semantic tags.
_ROLE_REASONS = {
    "navigation": "navigation",
    "menu": "navigation",
    "menubar": "navigation",
    "search": "navigation",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "sidebar",
    "dialog": "dialog",
    "alertdialog": "dialog",
    # Widgets a script makes of plain elements (a video player's buttons, sliders and menus):
    # what they say is a control's label, as on a <button>.
    **dict.fromkeys(
        "button menuitem menuitemcheckbox menuitemradio slider switch checkbox radio option "
        "spinbutton progressbar".split(),
        "controls",
    ),
}
STRUCTURAL = frozenset(_STRUCTURE_REASONS)
# A form that holds a real story is an ASP.NET-style page wrapper, not a widget: it holds
# paragraphs of prose. A comment or sign-up form holds paragraphs too, each a field's label or a
# line of fine print ("Name *", "Your email address will not be published.").
_FORM_KEEP_PARAGRAPHS = 3
# A block this long with few links reads as prose; shorter ones are labels, bylines, buttons.
PROSE_CHARS = 80
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

# Compound class names ("sharethis", "relatedPosts") need substring matches; the first match in
# the name gives the reason. Short words that occur inside unrelated names ("ad" in "head",
# "tags" in "hashtags") must be whole tokens, below.
_NAME_PATTERNS = (
    ("cookie", r"cookie|consent|gdpr"),
    ("newsletter", r"newsletter|subscribe|subscription|signup"),
    # "shared-nav" is a component used on many pages, not a share bar; "sharedaddy" is one.
    ("share", r"share(?!d(?!addy))|sharing|social"),
    ("comments", r"comment(?!ary)|disqus"),
    ("related", r"related|recommend|most-?(?:read|popular|viewed)|trending|outbrain|taboola"),
    # "paywalled", "regwalled": the text behind the wall (a state, as below), not the wall.
    (
        "paywall",
        r"paywall(?!ed)|premium-?(?:wall|prompt|barrier)|meter-?(?:wall|message|prompt)"
        r"|regwall(?!ed)",
    ),
    ("promo", r"promo|sponsor"),
    ("ad", r"advert"),
    ("author_box", r"author-?(?:bio|info|box|card|details|description)|about-?the-?author"),
    ("navigation", r"breadcrumb|skip-?link"),
    ("footer", r"footer"),
    ("sidebar", r"sidebar"),
    ("dialog", r"popup|modal"),
    # A hover card or a tooltip's text (not the "tooltip" around the word it explains): shown
    # over the page on hovering, not part of the sentence around it.
    (
        "hidden",
        r"sr-only|visually-?hidden|screen-?reader|tool-?tip-?(?:text|content|body|inner)|"
        r"popover-?(?:content|body)|hover-?card|rollover[\w-]*block",
    ),
    ("byline", r"byline"),
)
# One alternation without groups finds a match fast (most names have none); the reason is then
# the first pattern that matches the text found.
_NAME_WIDGET = re.compile("|".join(pattern for _, pattern in _NAME_PATTERNS))
_NAME_REASONS = [(reason, re.compile(pattern)) for reason, pattern in _NAME_PATTERNS]
_TOKEN_REASONS = {
    **dict.fromkeys("ad ads adsbygoogle adslot adunit dfp banner".split(), "ad"),
    **dict.fromkeys("tags tagcloud taglist".split(), "tags"),
    "bio": "author_box",
    **dict.fromkeys("responses replies discussion".split(), "comments"),
    "toolbar": "share",
    **dict.fromkeys("pagination pager".split(), "navigation"),
}
# A post embedded in the story ("social-media-embed", "twitter-tweet") is quoted content.
_EMBEDDED_POST = re.compile(r"embed|tweet|instagram-media", re.I)
# Page and story wrappers: their class names describe the page ("has-sidebar", "f_caption_on").
WRAPPER_TAGS = frozenset({"html", "body", "main", "article"})
_CAPTION_TOKENS = frozenset(
    {"caption", "credit", "credits", "figcaption", "photo", "gallery", "slideshow", "carousel"}
)
_NEGATIONS = frozenset({"no", "without"})
# A name holds a token above only if its lower case holds the word: most names hold none, and
# are not split into tokens at all (the split is the dearest part of `describe`).
_TOKEN_WORDS = re.compile("|".join(sorted({*_TOKEN_REASONS, *_CAPTION_TOKENS})))
_TOKEN_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")
# Not "authorization" (a sign-in menu) nor "authorize".
_BYLINE_NAME = re.compile(r"byline|author(?!i[sz])|(?<![a-z])(?:writer|reporter)")
_NOT_BYLINE_NAME = re.compile(r"bio|about|avatar|image|img|photo|pic|comment|form")


# An id made from a heading's words ("sharing-with-a-single-developer", Sphinx's and many
# CMSs' section anchors) names the section's subject, not a widget: four words or more, one of
# them a function word.
_SLUG_PARTS = re.compile(r"[-_]")
_SLUG_MIN_WORDS = 4
_FUNCTION_WORDS = frozenset(
    "a an the and or of to in on with for from by is are how what why".split()
)


def _is_heading_slug(ident: str) -> bool:
    if ident.count("-") + ident.count("_") < _SLUG_MIN_WORDS - 1:
        return False
    parts = _SLUG_PARTS.split(ident.lower())
    return len(parts) >= _SLUG_MIN_WORDS and not _FUNCTION_WORDS.isdisjoint(parts)


def class_and_id(tag: Tag) -> str:
    classes = tag.get("class") or ""
    if isinstance(classes, list):  # a soup parsed with multi-valued class attributes
        classes = " ".join(classes)
    ident = tag.get("id") or ""
    if not isinstance(ident, str) or not ident or _is_heading_slug(ident):
        return classes
    return f"{classes} {ident}"


class NameInfo(NamedTuple):
    reason: str | None  # the widget a class/id string names, None for content and layout
    caption: bool  # a caption or photo credit box
    byline: bool  # a byline or author line (not an author's biography or photo)


# A state class says what an element holds, not what it is: "has-paywall" is the article that
# a paywall cuts, "has-sidebar" the page with one beside the story, "with-ads" a section with a
# slot in it; so does a BEM modifier ("o-section--has-ads") or a camelCase state ("isPaywall",
# the article that a wall cuts; "hasSharing", the element that holds share buttons).
_STATE_CLASS = re.compile(
    r"(?:(?<![\w-])|--)(?i:has|with)[-_][\w-]+|(?<![\w-])(?:is|has|with)[A-Z][\w-]*"
)


@lru_cache(maxsize=16384)
def describe(name: str) -> NameInfo:
    """What a class/id string says about its element. Cached: sites repeat their class names."""
    if "has" in name or "with" in name or "is" in name:
        name = _STATE_CLASS.sub(" ", name)
    lower = name.lower()
    tokens = (
        [token.lower() for token in _TOKEN_SPLIT.split(name)] if _TOKEN_WORDS.search(lower) else []
    )
    reason = None
    if _EMBEDDED_POST.search(lower):
        pass
    elif match := _NAME_WIDGET.search(lower):
        found = match.group()
        reason = next(reason for reason, pattern in _NAME_REASONS if pattern.fullmatch(found))
    else:
        reason = next((_TOKEN_REASONS[t] for t in tokens if t in _TOKEN_REASONS), None)
    # "no_caption" (an item without one) names no caption box.
    caption = any(
        token in _CAPTION_TOKENS and (n == 0 or tokens[n - 1] not in _NEGATIONS)
        for n, token in enumerate(tokens)
    )
    byline = bool(_BYLINE_NAME.search(lower)) and not _NOT_BYLINE_NAME.search(lower)
    return NameInfo(reason, caption, byline)


def name_reason(name: str) -> str | None:
    """The kind of widget a class/id string names, or None for content and plain layout."""
    return describe(name).reason if name else None


def is_boilerplate_name(name: str) -> bool:
    """Whether a class/id string names page furniture rather than content."""
    return name_reason(name) is not None


def is_caption_name(name: str) -> bool:
    """Whether a class/id string names a caption or photo credit box."""
    return describe(name).caption if name else False


# schema.org's types for readers' comments: a site that names nothing else says this much.
_COMMENT_TYPE = re.compile(r"schema\.org/(?:Comment|UserComments)\b", re.I)


def is_comment_item(tag: Tag) -> bool:
    """Whether the element declares itself a reader's comment (`itemtype` schema.org/Comment
    or UserComments), whatever its class names say."""
    declared = tag.get("itemtype")
    return isinstance(declared, str) and bool(_COMMENT_TYPE.search(declared))


def structural_reason(tag: Tag, in_article: bool) -> str | None:
    """Why `tag` is dropped whatever it holds, or None. Its own class name refines the reason."""
    attrs = tag.attrs
    reason = _STRUCTURE_REASONS.get(tag.name)
    if reason == "header" and in_article:
        reason = None  # an article's own header holds its title and byline, not chrome
    elif reason == "form" and _holds_paragraphs(tag):
        reason = None
    if reason is None:
        role = attrs.get("role")
        reason = _ROLE_REASONS.get(role) if isinstance(role, str) else None
    if reason is None:
        style = attrs.get("style")
        # Not aria-hidden: sites put it on decorative wrappers whose text is still on screen.
        if "hidden" in attrs or (isinstance(style, str) and _HIDDEN_STYLE.search(style)):
            # A paywall's hidden copy of the story ("paywall-full-content", shown once the
            # reader subscribes) is not hidden furniture: as any element named as a paywall,
            # body.py keeps it when it holds the story (`_behind_the_wall`).
            if name_reason(class_and_id(tag)) == "paywall" and _holds_paragraphs(tag):
                return None
            return "hidden"
        return None
    return name_reason(class_and_id(tag)) or reason


def _holds_paragraphs(element: Tag) -> bool:
    """Whether the element (a form, a hidden paywall copy) holds `_FORM_KEEP_PARAGRAPHS`
    paragraphs of prose length."""
    found = 0
    for paragraph in element.find_all("p"):
        if len(" ".join(paragraph.get_text().split())) >= PROSE_CHARS:
            found += 1
            if found == _FORM_KEEP_PARAGRAPHS:
                return True
    return False
