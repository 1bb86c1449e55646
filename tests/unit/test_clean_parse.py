"""The lean tree builder (pipeline/clean/parse.py) against BeautifulSoup's own, link by link."""

from __future__ import annotations

import gc
import gzip
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, PageElement, Tag

import pipeline.clean
from devtools.golden import golden_pages
from pipeline.clean import clean
from pipeline.clean.decode import decode_html
from pipeline.clean.markup import prepare
from pipeline.clean.parse import discard, parse_html
from pipeline.errors import ExtractionError

_DATA = Path(__file__).resolve().parents[1] / "data" / "extraction"
_LINKS = ("parent", "previous_element", "next_element", "previous_sibling", "next_sibling")
# The parser's own state, set on the soup only.
_PARSER_STATE = {
    "builder", "current_data", "tagStack", "open_tag_counter", "preserve_whitespace_tag_stack",
    "string_container_stack", "_most_recent_element", "currentTag", "markup",
}  # fmt: skip


def _shape(soup: BeautifulSoup) -> list[Any]:
    """Every node's class, fields and links (as positions in document order)."""
    nodes: list[PageElement] = [soup, *soup.descendants]
    position = {id(node): i for i, node in enumerate(nodes)}

    def where(node: PageElement | None) -> int | str | None:
        return None if node is None else position.get(id(node), "outside the tree")

    shape = []
    for node in nodes:
        fields = {
            key: repr(value)
            for key, value in vars(node).items()
            if key not in _LINKS and key != "contents" and key not in _PARSER_STATE
        }
        links = [where(getattr(node, link)) for link in _LINKS]
        contents = [where(child) for child in node.contents] if isinstance(node, Tag) else None
        shape.append((type(node).__name__, str(node), sorted(fields.items()), links, contents))
    return shape


_EDGES = [
    "<p>a <b>b</b> c</p><p>  </p><div>\n\n</div>",
    "<pre>  keep\n  <b> this </b>\n</pre><textarea>  x  </textarea><p> y </p>",
    '<head><meta charset="utf-8"><meta http-equiv="Content-Type" content="text/html; '
    'charset=latin-1"><title>T</title></head><body><p>x</p></body>',
    '<script type="application/ld+json">{"a": 1}</script><style>p{}</style><p>x</p>',
    "<template><p>t</p></template><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>",
    "<!DOCTYPE html><!-- c --><p>x<!-- d -->y</p><?php echo 1 ?>",
    '<svg xmlns="http://www.w3.org/2000/svg"><a xlink:href="#x">l</a></svg><p>after</p>',
    "<p>unclosed <b>bold <i>both</p> tail</b><table><td>cell<tr><td>x</table>",
    "<p class='a b' id=x data-x=1 hidden>x</p><br><br/><img src=i alt=''>text",
    "plain text, no tags at all",
    "",
]


@pytest.mark.parametrize("html", _EDGES)
def test_the_lean_builder_builds_the_stock_tree_on_edge_markup(html):
    assert _shape(parse_html(html)) == _shape(parse_html(html, lean=False))


def _pages() -> list[tuple[str, str]]:
    pages = [(page.id, decode_html(page.html_path.read_bytes())) for page in golden_pages()]
    for dataset in sorted(_DATA.iterdir()):
        for path in sorted((dataset / "html").glob("*.html.gz"))[:8]:
            pages.append(
                (f"{dataset.name}/{path.name}", decode_html(gzip.decompress(path.read_bytes())))
            )
    return pages


@pytest.mark.parametrize(("page_id", "html"), _pages(), ids=lambda value: value[:40])
def test_the_lean_builder_builds_the_stock_tree_on_real_pages(page_id, html):
    for markup in (prepare(html).html, html):  # as the cleaner parses it, and the raw page
        assert _shape(parse_html(markup)) == _shape(parse_html(markup, lean=False)), page_id


def test_a_discarded_tree_is_freed_without_the_garbage_collector():
    soup = parse_html("<html><body>" + "<div><p>a <b>b</b></p></div>" * 50 + "</body></html>")
    inner = weakref.ref(soup.find_all("b")[-1])
    gc.disable()
    try:
        discard(soup)
        del soup
        assert inner() is None
    finally:
        gc.enable()


def test_without_discard_the_tree_waits_for_the_garbage_collector():
    # The test above can fail: an intact tree is a cycle that reference counting cannot free.
    soup = parse_html("<html><body><div><p>a <b>b</b></p></div></body></html>")
    inner = weakref.ref(soup.find("b"))
    gc.disable()
    try:
        del soup
        assert inner() is not None
    finally:
        gc.enable()
    gc.collect()
    assert inner() is None


def test_clean_leaves_the_garbage_collector_as_it_found_it():
    page = b"<html><body><article><p>" + b"A sentence of the story. " * 20 + b"</p></article>"
    fetched_at = datetime(2025, 6, 1, tzinfo=UTC)
    assert gc.isenabled()
    clean(page, "https://site.example/a", source_id="s", fetched_at=fetched_at)
    assert gc.isenabled()
    with pytest.raises(ExtractionError):
        clean(b"<html></html>", "https://site.example/b", source_id="s", fetched_at=fetched_at)
    assert gc.isenabled()
    gc.disable()
    try:
        clean(page, "https://site.example/a", source_id="s", fetched_at=fetched_at)
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()


def test_the_collector_is_off_while_a_page_is_cleaned(monkeypatch):
    seen = []
    real_page_blocks = pipeline.clean.page_blocks

    def spy(root):
        seen.append(gc.isenabled())
        return real_page_blocks(root)

    monkeypatch.setattr(pipeline.clean, "page_blocks", spy)
    page = b"<html><body><article><p>" + b"A sentence of the story. " * 20 + b"</p></article>"
    clean(
        page, "https://site.example/a", source_id="s", fetched_at=datetime(2025, 6, 1, tzinfo=UTC)
    )
    assert seen == [False] and gc.isenabled()
