"""devtools.opaque_names: the class-blind copy of a labelled set (issue 11's fourth round)."""

from __future__ import annotations

import gzip
import json

from devtools.opaque_names import opaque_html, write_opaque_copy


def test_class_and_id_names_become_opaque_and_nothing_else_changes():
    html = (
        b"<div class='article-body main' id=story><p class=\"caption\">Photo</p>"
        b"<p data-class='caption'>The class of 2025</p><span class=caption>x</span></div>"
    )
    out = opaque_html(html)
    assert b"article" not in out and b"main" not in out and b"story" not in out
    assert out.count(b"caption") == 1  # only the data-class attribute keeps its word
    assert b"The class of 2025" in out and b"Photo" in out
    names = [part.split(b'"')[0] for part in out.split(b'class="')[1:]]
    assert len(names) == 3 and names[1] == names[2]  # the same token, the same name
    assert all(name.startswith(b"c") for name in names)


def test_the_copy_keeps_the_pages_and_their_truth(tmp_path):
    source, out = tmp_path / "set", tmp_path / "opaque"
    (source / "html").mkdir(parents=True)
    (source / "html" / "a.html.gz").write_bytes(gzip.compress(b"<p class='byline'>Hi</p>"))
    truth = {"a": {"articleBody": "Hi", "url": "https://news.example.com/a"}}
    (source / "ground-truth.json").write_text(json.dumps(truth))
    assert write_opaque_copy(source, out) == 1
    page = gzip.decompress((out / "html" / "a.html.gz").read_bytes())
    assert b"byline" not in page and b">Hi<" in page
    assert json.loads((out / "ground-truth.json").read_text()) == truth
