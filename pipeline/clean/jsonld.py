"""The article object of a page's JSON-LD (schema.org), wherever the page put it.

Pages nest it in `@graph`, wrap it in arrays, split it across several scripts, point to authors
by `@id`, and sometimes write JSON that only a lenient parser accepts. A page without a JSON-LD
article may describe it in microdata instead, read into the same shape by microdata.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bs4 import Tag

_ARTICLE_TYPE = re.compile(r"Article$|BlogPosting$")
_PAGE_TYPES = frozenset({"WebPage", "ItemPage", "AboutPage"})
_WRAPPER = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$|;\s*$")
MAX_NODES = 2000  # a page's graph is tens of nodes; this bounds a hostile one


def _types(node: dict[str, Any]) -> list[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    # "http://schema.org/NewsArticle" and "schema:NewsArticle" name the same type.
    return [v.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in values if isinstance(v, str)]


def _load(text: str) -> Any:
    text = _WRAPPER.sub("", text.strip())
    try:
        # strict=False: raw newlines and tabs inside strings are common in hand-built JSON-LD.
        return json.loads(text, strict=False)
    except (json.JSONDecodeError, RecursionError):
        return None


def _nodes(scripts: list[Tag]) -> list[dict[str, Any]]:
    """Every JSON object of the page's JSON-LD, top-level and nested, in document order."""
    found: list[dict[str, Any]] = []
    for script in scripts:
        kind = script.get("type")
        if not isinstance(kind, str) or not kind.strip().lower().startswith("application/ld+json"):
            continue
        found.extend(_flatten(_load(script.get_text()), MAX_NODES - len(found)))
    return found


def _flatten(data: Any, limit: int) -> list[dict[str, Any]]:
    """The objects in `data`, top-level and nested, in document order."""
    found: list[dict[str, Any]] = []
    stack = [data]
    while stack and len(found) < limit:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            found.append(item)
            stack.extend(reversed([v for v in item.values() if isinstance(v, dict | list)]))
    return found


def _articles(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    articles = [n for n in nodes if any(_ARTICLE_TYPE.search(t) for t in _types(n))]
    # A full article node beats a stub that only references one ({"@id": ...}).
    articles.sort(key=lambda n: -len(n))
    return articles


class LinkedData:
    """The page's article node (or, failing that, its web page node) and an @id index.

    JSON-LD wins over microdata: sites keep the JSON-LD they feed to search engines current.
    """

    def __init__(self, scripts: list[Tag], microdata: list[dict[str, Any]] | None = None) -> None:
        nodes = _nodes(scripts)
        articles = _articles(nodes)
        if not articles and microdata:
            nodes += _flatten(list(microdata), MAX_NODES)
            articles = _articles(nodes)
        self.by_id: dict[str, dict[str, Any]] = {}
        for node in nodes:
            key = node.get("@id")
            # References ({"@id": ...}) share the id of the node they point to; keep the node.
            if isinstance(key, str) and len(node) > len(self.by_id.get(key, ())):
                self.by_id[key] = node
        pages = [n for n in nodes if _PAGE_TYPES.intersection(_types(n))]
        self.article: dict[str, Any] = articles[0] if articles else (pages[0] if pages else {})
        self.is_article = bool(articles)

    def resolve(self, value: Any) -> Any:
        """A node given by reference ({"@id": ...}) replaced by the node itself."""
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and "@id" in value:
            return self.by_id.get(value["@id"], value)
        return value

    def get(self, key: str) -> Any:
        return self.resolve(self.article.get(key))

    def text(self, key: str) -> str | None:
        value = self.get(key)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str)), None)
        if isinstance(value, dict):
            value = value.get("name")
        return value.strip() or None if isinstance(value, str) else None

    def strings(self, key: str) -> list[str]:
        """A value that may be one string, a list of them, or named objects."""
        value = self.get(key)
        values = value if isinstance(value, list) else [value]
        result = []
        for item in map(self.resolve, values):
            if isinstance(item, dict):
                item = item.get("name")
            if isinstance(item, str) and item.strip():
                result.append(item.strip())
        return result

    def url(self, key: str) -> str | None:
        """An image or page address from a string, an ImageObject or a list of either."""
        value = self.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        value = self.resolve(value)
        if isinstance(value, dict):
            value = value.get("url") or value.get("contentUrl") or value.get("@id")
        return value.strip() or None if isinstance(value, str) else None

    def publisher_name(self) -> str | None:
        value = self.get("publisher")
        if isinstance(value, list):
            value = value[0] if value else None
        value = self.resolve(value)
        name = value.get("name") if isinstance(value, dict) else value
        return name.strip() or None if isinstance(name, str) else None
