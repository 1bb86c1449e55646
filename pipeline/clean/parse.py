"""BeautifulSoup over lxml's HTML parser, with a tree builder trimmed to what HTML needs.

Building the tree is most of the cleaner's time. BeautifulSoup's stock lxml builder serves XML
too: for every tag it copies the attributes twice and resolves namespaces that an HTML parser
never reports. This builder hands lxml's attributes straight to BeautifulSoup, keeps class
attributes as strings, and falls back to the stock path should namespaces ever appear.
Measured on the dev set: about 15% less parse time, the same tree.
"""

from __future__ import annotations

import warnings
from typing import Any

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from bs4.builder._lxml import LXMLTreeBuilder  # bs4.builder re-exports it only by setattr

# BeautifulSoup only asks whether markup looks like a URL or file name when it is this short.
_LOCATOR_CHECK_CHARS = 256


class _HTMLBuilder(LXMLTreeBuilder):
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


def parse_html(markup: str) -> BeautifulSoup:
    """The page's tree; class attributes are strings ("a b"), not lists."""
    builder = _HTMLBuilder(attribute_dict_class=dict, multi_valued_attributes=None)
    if len(markup) > _LOCATOR_CHECK_CHARS:
        return BeautifulSoup(markup, builder=builder)
    # A short page that reads like a URL or a file name is still a page: BeautifulSoup's
    # warning that the caller may have meant to fetch it is noise here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, builder=builder)
