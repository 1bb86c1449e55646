"""The record says what the cleaner left out of the story, and why."""

from __future__ import annotations

from datetime import UTC, datetime

from devtools.golden import golden_pages
from pipeline.clean import clean
from pipeline.clean.removals import REASONS, SAMPLE_CHARS
from pipeline.records import CLEANED_SCHEMA, CleanedArticle
from pipeline.schemas import render

FETCHED_AT = datetime(2025, 6, 1, tzinfo=UTC)
STORY = [
    "The harbour reopened on Wednesday after three weeks of repairs to the sea wall, which was "
    "breached during the March storms.",
    "Fishing boats queued from dawn, and the harbour master said traffic would be back to normal "
    "by the end of the week.",
    "Repairs cost the town council 2.4 million euros, most of it covered by a national emergency "
    "fund set up after the floods of 2019.",
]
PAGE = f"""<html><body>
<div class="cookie-consent"><p>We use cookies to improve your experience on this website.</p></div>
<header><a href="/">Harbour News</a></header>
<nav><a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article>
  <h1>Harbour reopens</h1>
  <div class="share-buttons"><a href="#">Facebook</a> <a href="#">Twitter</a></div>
  <p>{STORY[0]}</p>
  <div class="ad-unit">Advertisement</div>
  <p>{STORY[1]}<span style="display:none"> Subscriber-only aside.</span></p>
  <p>Read more: <a href="/storm">Storm batters the coast</a></p>
  <p>{STORY[2]}</p>
  <div class="tags"><a href="/t/harbour">harbour</a> <a href="/t/storm">storm</a></div>
  <div class="author-bio"><p>Jane Doe has covered the coast since 2009 and lives by the sea.</p></div>
  <form class="newsletter"><p>Get the morning briefing.</p><input type="email"><button>Go</button></form>
  <section class="related-stories"><h3>Related</h3><ul><li><a href="/a">Council budget</a></li></ul></section>
  <section id="comments"><h3>Comments</h3><p>Great news for the town, finally the boats can go.</p></section>
</article>
<footer><p>© 2025 Harbour News</p></footer>
</body></html>"""


def run(html: str) -> CleanedArticle:
    return clean(html, "https://news.example.org/harbour", source_id="x", fetched_at=FETCHED_AT)


def test_every_kind_of_furniture_is_reported_with_its_reason():
    article = run(PAGE)
    assert article.text == "\n\n".join(STORY)
    removed = {r.reason: r for r in article.removed}
    expected = {
        "cookie", "header", "navigation", "title", "share", "ad", "hidden", "related", "tags",
        "author_box", "newsletter", "comments", "footer", "controls",
    }  # fmt: skip
    assert expected <= set(removed)
    assert removed["hidden"].sample == "Subscriber-only aside."
    assert removed["related"].sample.startswith("Read more: Storm batters the coast")
    assert removed["title"].sample == "Harbour reopens"


def test_removals_are_summed_per_reason_most_text_first():
    removed = run(PAGE).removed
    assert [r.chars for r in removed] == sorted((r.chars for r in removed), reverse=True)
    assert all(r.blocks >= 1 and r.chars >= len(r.sample.rstrip("…")) for r in removed)
    assert len({r.reason for r in removed}) == len(removed)


def test_samples_are_cut_at_a_word():
    article = run(PAGE.replace("We use cookies", "We use cookies " + "and cookies " * 20))
    sample = next(r.sample for r in article.removed if r.reason == "cookie")
    assert sample.endswith("…") and len(sample) <= SAMPLE_CHARS + 1 and not sample[-2].isspace()


def test_inline_hidden_text_does_not_split_its_paragraph():
    article = run(PAGE)
    assert [p.text for p in article.paragraphs if p.kind == "body"] == STORY


def test_golden_pages_use_only_the_documented_reasons():
    reasons = {
        removal["reason"]
        for page in golden_pages()
        for removal in (page.expected() or {}).get("removed", [])
    }
    assert reasons and reasons <= set(REASONS)


def test_the_schema_documents_every_reason():
    schema = render(CleanedArticle, CLEANED_SCHEMA)
    assert all(reason in schema for reason in REASONS)


def test_records_written_before_removed_existed_still_validate():
    old = run(PAGE).model_dump(mode="json")
    del old["removed"]
    assert CleanedArticle.model_validate(old).removed == []


def test_an_unnamed_comments_section_is_found_by_its_heading():
    comments = "".join(
        f"<div class='c'><b>Reader {n}</b><p>I have lived here for thirty years and the harbour "
        f"has never looked better; the council should be proud of the crews who rebuilt it.</p>"
        f"<a href='#'>Reply</a></div>"
        for n in range(4)
    )
    html = (
        f"<html><body><div class='wrap'><div class='story'><h1>Harbour reopens</h1>"
        f"{''.join(f'<p>{text}</p>' for text in STORY)}</div>"
        f"<div class='x'><h2>4 Comments</h2>{comments}</div></div></body></html>"
    )
    article = run(html)
    assert article.text == "\n\n".join(STORY)
    comments_removed = next(r for r in article.removed if r.reason == "comments")
    assert comments_removed.sample == "4 Comments" and comments_removed.blocks >= 9
