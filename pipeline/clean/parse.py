"""BeautifulSoup over lxml's HTML parser, with a tree builder trimmed to what HTML needs.

Building the tree is most of the cleaner's time. BeautifulSoup's stock lxml builder serves XML
too: for every tag it copies the attributes twice and resolves namespaces that an HTML parser
never reports, and BeautifulSoup then sets up each element through general-purpose methods
(a tag's constructor alone asks the builder a dozen questions whose answers depend only on the
tag's name). This builder makes the same tree with less work:

- a tag is a copy of a prototype made once per tag name by BeautifulSoup's own constructor,
  with its attributes and its place in the tree filled in as `BeautifulSoup.handle_starttag`
  fills them; lxml's attribute dict is handed over as is, class attributes stay strings;
- a string is linked in as `BeautifulSoup.endData` links it, with the same collapsing of
  whitespace-only text to one space or newline;
- an end tag closes the open element when it is the one named, which with lxml (whose events
  always nest) is every time.

What is not the common case takes BeautifulSoup's own path on the same parser state:
namespaced markup, `<meta>` (charset substitution), elements whose strings get a class of their
own (`<script>`, `<style>`, `<template>`, `<rt>`, `<rp>`), whitespace-preserving `<pre>` and
`<textarea>`, comments, doctypes and processing instructions. tests/unit/test_clean_parse.py
checks that both builders make the same tree, link by link, on every page of the bench datasets
and the golden pages.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag
from bs4.builder._lxml import LXMLTreeBuilder  # bs4.builder re-exports it only by setattr

# BeautifulSoup only asks whether markup looks like a URL or file name when it is this short.
_LOCATOR_CHECK_CHARS = 256
_ASCII_SPACES = BeautifulSoup.ASCII_SPACES
# The per-element fields a prototype does not share with the tags copied from it.
_OWN_FIELDS = frozenset(
    {
        "attrs",
        "contents",
        "parent",
        "previous_element",
        "next_element",
        "previous_sibling",
        "next_sibling",
        "_namespaces",
    }
)
_new_tag = Tag.__new__
_new_string = str.__new__


class _HTMLBuilder(LXMLTreeBuilder):
    """The stock lxml builder with lean paths for the common events (see the module's doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Names that need BeautifulSoup's own handling, start and end alike.
        self._special = frozenset({"meta", *self.string_containers, *self.preserve_whitespace_tags})
        self._prototypes: dict[str, dict[str, Any]] = {}

    def _prototype(self, name: str) -> dict[str, Any]:
        """The fields every `name` tag of this builder's trees shares, from a real Tag."""
        tag = Tag(None, self, name)
        fields = {k: v for k, v in tag.__dict__.items() if k not in _OWN_FIELDS}
        fields["parser_class"] = BeautifulSoup
        self._prototypes[name] = fields
        return fields

    def start(self, tag: Any, attrib: Any, nsmap: Any = None) -> None:
        soup = self.soup
        if TYPE_CHECKING:  # set before lxml sends the first event
            assert soup is not None
        if nsmap or len(self.nsmaps) > 1:
            super().start(tag, attrib, nsmap or {})
            return
        if tag in self._special:
            soup.handle_starttag(
                tag, None, None, attrib, namespaces=self.active_namespace_prefixes[-1]
            )
            return
        if soup.current_data:
            self._end_data(soup)
        element = _new_tag(Tag)
        fields = element.__dict__
        fields.update(self._prototypes.get(tag) or self._prototype(tag))
        fields["attrs"] = attrib if attrib.__class__ is dict else dict(attrib)
        fields["_namespaces"] = self.active_namespace_prefixes[-1]
        fields["contents"] = []
        parent = soup.currentTag
        if TYPE_CHECKING:  # the soup itself is always open
            assert parent is not None
        previous = soup._most_recent_element
        fields["parent"] = parent
        fields["previous_element"] = previous
        fields["next_element"] = None
        fields["next_sibling"] = None
        if previous is not None:
            previous.next_element = element
        siblings = parent.contents
        if siblings:
            sibling = siblings[-1]
            fields["previous_sibling"] = sibling
            sibling.next_sibling = element
        else:
            fields["previous_sibling"] = None
        soup._most_recent_element = element
        siblings.append(element)
        soup.tagStack.append(element)
        soup.currentTag = element
        soup.open_tag_counter[tag] += 1

    def end(self, tag: Any) -> None:
        soup = self.soup
        if TYPE_CHECKING:
            assert soup is not None
        if len(self.nsmaps) > 1:
            super().end(tag)
            return
        if soup.current_data:
            self._end_data(soup)
        stack = soup.tagStack
        current = soup.currentTag
        if TYPE_CHECKING:
            assert current is not None
        if (
            tag not in self._special
            and len(stack) > 1
            and current.name == tag
            and current.prefix is None
        ):
            stack.pop()
            soup.open_tag_counter[tag] -= 1
            soup.currentTag = stack[-1]
            return
        soup.handle_endtag(tag)

    def data(self, content: Any) -> None:
        soup = self.soup
        if TYPE_CHECKING:
            assert soup is not None
        soup.current_data.append(content)

    def _end_data(self, soup: BeautifulSoup) -> None:
        """`BeautifulSoup.endData()` for the common case: a plain string in a plain element."""
        parent = soup.currentTag
        if TYPE_CHECKING:
            assert parent is not None
        if (
            soup.preserve_whitespace_tag_stack
            or soup.string_container_stack
            or (parent.next_element is not None and not parent.contents)
        ):
            soup.endData()
            return
        data = "".join(soup.current_data)
        soup.current_data = []
        if not data.strip(_ASCII_SPACES):
            data = "\n" if "\n" in data else " "
        string = _new_string(NavigableString, data)
        previous = soup._most_recent_element
        string.hidden = False
        string.parent = parent
        string.previous_element = previous
        string.next_element = None
        string.next_sibling = None
        if previous is not None:
            previous.next_element = string
        siblings = parent.contents
        if siblings:
            sibling = siblings[-1]
            string.previous_sibling = sibling
            sibling.next_sibling = string
        else:
            string.previous_sibling = None
        soup._most_recent_element = string
        siblings.append(string)


def _builder(lean: bool) -> LXMLTreeBuilder:
    kind = _HTMLBuilder if lean else _StockHTMLBuilder
    return kind(attribute_dict_class=dict, multi_valued_attributes=None)


class _StockHTMLBuilder(LXMLTreeBuilder):
    """BeautifulSoup's own handling of every event, for checking the lean builder against."""

    def start(self, tag: Any, attrib: Any, nsmap: Any = None) -> None:
        if nsmap or len(self.nsmaps) > 1:
            super().start(tag, attrib, nsmap or {})
            return
        assert self.soup is not None
        self.soup.handle_starttag(
            tag, None, None, attrib, namespaces=self.active_namespace_prefixes[-1]
        )

    def end(self, tag: Any) -> None:
        if len(self.nsmaps) > 1:
            super().end(tag)
            return
        assert self.soup is not None
        self.soup.endData()
        self.soup.handle_endtag(tag)


def parse_html(markup: str, *, lean: bool = True) -> BeautifulSoup:
    """The page's tree; class attributes are strings ("a b"), not lists.

    `lean=False` builds it with BeautifulSoup's own methods throughout (for tests)."""
    builder = _builder(lean)
    if len(markup) > _LOCATOR_CHECK_CHARS:
        return BeautifulSoup(markup, builder=builder)
    # A short page that reads like a URL or a file name is still a page: BeautifulSoup's
    # warning that the caller may have meant to fetch it is noise here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, builder=builder)


def discard(soup: BeautifulSoup) -> None:
    """Take the tree apart once it has been read: every node's fields emptied, in document
    order (what `decompose()` does, without marking each node as decomposed for later use).

    A BeautifulSoup tree is one big reference cycle (parents, children, neighbours), so left to
    itself it lives until the garbage collector's next full pass, and every full pass walks all
    the trees waiting for it: on the bench pages a third of the cleaner's time went to the
    collector. Taken apart, a tree is freed at once by reference counting.
    """
    for child in soup.contents:
        # Each top-level node starts a run of the document-order chain; a node already
        # emptied (its fields gone) ends one.
        fields: dict[str, Any] | None = child.__dict__
        while fields:
            following = fields.get("next_element")
            fields.clear()
            fields = following.__dict__ if following is not None else None
    soup.contents = []
    soup._most_recent_element = None


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while one page's tree is built and read.

    A tree is tens of thousands of container objects, all alive until `discard` frees them by
    reference counting, so a collection run meanwhile finds nothing to free, yet walks every
    one of them (and everything else the process holds): on the bench pages that was about a
    seventh of the cleaner's time. The collector is left as it was found: a caller that
    turned it off keeps it off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
