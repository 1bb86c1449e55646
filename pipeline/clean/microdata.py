"""schema.org microdata (`itemscope`, `itemprop`) read into JSON-LD-shaped objects.

`{"@type": "NewsArticle", "headline": ..., "author": {"@type": "Person", "name": ...}}`, so
the one reader in jsonld.py serves both. Property values follow the HTML microdata spec: a
`<meta>`'s content, a link's href, an image's src, a `<time>`'s datetime, else the text.
"""

from __future__ import annotations

from typing import Any

from bs4 import Tag

# A page's items have tens of properties; these bound a hostile page's cost.
MAX_PROPERTIES = 1000
MAX_SCOPE_DEPTH = 100
_URL_ATTRIBUTE = {
    "a": "href",
    "area": "href",
    "link": "href",
    "audio": "src",
    "embed": "src",
    "iframe": "src",
    "img": "src",
    "source": "src",
    "track": "src",
    "video": "src",
    "object": "data",
}
# The story itself is read by the body extractor; its text here would only cost time.
_SKIPPED = frozenset({"articleBody", "text", "reviewBody"})


def _value(element: Tag, items: dict[int, dict[str, Any]]) -> Any:
    if id(element) in items:
        return items[id(element)]
    name = element.name
    if name == "meta":
        return element.get("content")
    if attribute := _URL_ATTRIBUTE.get(name):
        return element.get(attribute)
    if name in ("data", "meter"):
        return element.get("value")
    if name == "time" and element.get("datetime"):
        return element.get("datetime")
    return element.get_text(" ", strip=True)


def _scope_of(element: Tag, items: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    """The item a property belongs to: the nearest `itemscope` above it."""
    for depth, parent in enumerate(element.parents):
        if depth >= MAX_SCOPE_DEPTH:
            return None
        if (item := items.get(id(parent))) is not None:
            return item
    return None


def microdata_items(marked: list[Tag]) -> list[dict[str, Any]]:
    """Every item of the page (nested ones too) from its `itemscope`/`itemprop` elements."""
    items: dict[int, dict[str, Any]] = {}
    for element in marked:
        if element.has_attr("itemscope"):
            kind = element.get("itemtype")
            items[id(element)] = {"@type": kind.split()} if isinstance(kind, str) else {}
    for element in marked[:MAX_PROPERTIES]:
        props = element.get("itemprop")
        if not isinstance(props, str) or (item := _scope_of(element, items)) is None:
            continue
        names = [name for name in props.split() if name not in _SKIPPED]
        if not names:
            continue
        value = _value(element, items)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        for name in names:
            item.setdefault(name, []).append(value)
    for item in items.values():
        for key, values in item.items():
            if key != "@type" and len(values) == 1:
                item[key] = values[0]
    return list(items.values())
