"""Before and around the parser: cutting code from raw markup, the tree builder, text hygiene."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from devtools.golden import golden_pages
from pipeline.clean import markup
from pipeline.clean.hygiene import tidy
from pipeline.clean.markup import cut_code, prepare
from pipeline.clean.parse import parse_html


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a</p><script>var x = '</p>';</script><p>b</p>", "<p>a</p><p>b</p>"),
        ("<p>a</p><SCRIPT src=x.js></SCRIPT ><p>b</p>", "<p>a</p><p>b</p>"),
        ("<style>p{}</style><p>a</p><!-- <p>hidden</p> --><p>b</p>", "<p>a</p><p>b</p>"),
        ("<p>3<!-- --> items</p>", "<p>3 items</p>"),
        ("<svg><path d='M0'/><title>Logo</title></svg><p>a</p>", "<p>a</p>"),
        ("<noscript><img src=x></noscript><template><p>t</p></template><p>a</p>", "<p>a</p>"),
        ('<script type="application/ld+json">{"a": 1}</script>', '<script type="application/ld+json">{"a": 1}</script>'),
        ("<p>a</p><script>never closed <p>b</p>", "<p>a</p><script>never closed <p>b</p>"),
        ("<p>a</p><!-- never closed <p>b</p>", "<p>a</p><!-- never closed <p>b</p>"),
        # emotion.de (trafilatura's pages): an end tag without its ">", which the browser ends
        # at the next one; read as no end, it cut the rest of the page, the story with it.
        ("<script src=x.js></script\n <!-- plugin --><p>a</p><script>x</script><p>b</p>",
         "<p>a</p><p>b</p>"),
        ("<script>a</scripts><p>b</p></script><p>c</p>", "<p>c</p>"),
    ],
    ids=["script", "uppercase", "style-comment", "react-comment", "svg", "noscript-template",
         "json-ld-kept", "unclosed-script", "unclosed-comment", "end-tag-without-bracket",
         "end-tag-name-longer"],
)  # fmt: skip
def test_code_is_cut_the_way_a_browser_ends_it(html, expected):
    assert cut_code(html) == expected


def test_layout_whitespace_goes_but_space_between_inline_words_stays():
    html = "<div>\n  <p>one <b>two</b> <i>three</i></p>\n  </div>\n<span>four</span> <a>five</a>"
    assert (
        prepare(html).html
        == "<div><p>one <b>two</b> <i>three</i></p></div><span>four</span> <a>five</a>"
    )


def test_a_page_with_too_many_tags_is_cut_and_says_how_much(monkeypatch):
    monkeypatch.setattr(markup, "MAX_TAGS", 10)
    html = "<p>x</p>" * 20
    prepared = prepare(html)
    assert prepared.html == "<p>x</p>" * 5 and prepared.truncated_chars == len(html) - 40


@pytest.mark.parametrize("page", golden_pages()[:12], ids=lambda page: page.id)
def test_the_trimmed_tree_builder_builds_the_stock_tree(page):
    html = prepare(page.html_path.read_bytes().decode("utf-8", "replace")).html
    stock = BeautifulSoup(html, "lxml", multi_valued_attributes=None)
    assert str(parse_html(html)) == str(stock)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zero\u200bwidth and soft\u00adhyphen", "Zerowidth and softhyphen"),
        ("non\u00a0breaking\u2003em\u2009thin  spaces\n\n", "non breaking em thin spaces"),
        ("Cafe\u0301", "Café"),
        ("\ufeffBOM and \x07bell and \x9bCSI", "BOM and bell and CSI"),
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian needs its zero-width non-joiner
        ("👩\u200d🚒", "👩\u200d🚒"),  # and emoji their zero-width joiner
    ],
    ids=["zero-width", "spaces", "nfc", "controls", "zwnj-kept", "zwj-kept"],
)
def test_text_hygiene(text, expected):
    assert tidy(text) == expected
