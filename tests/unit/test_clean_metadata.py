"""Metadata beyond JSON-LD and OpenGraph: microdata, bylines, datelines, languages, sanity."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.clean import clean
from pipeline.clean.dates import parse_date, read_date
from pipeline.clean.titles import strip_site_name
from pipeline.language import choose_language
from pipeline.records import CleanedArticle

FETCHED_AT = datetime(2025, 6, 1, tzinfo=UTC)
STORY = (
    "<p>The harbour reopened on Wednesday after three weeks of repairs to the sea wall, which was "
    "breached during the March storms.</p><p>Fishing boats queued from dawn, and the harbour "
    "master said traffic would be back to normal by the end of the week.</p>"
)


def run(html: str, url: str = "https://news.example.org/harbour") -> CleanedArticle:
    return clean(html, url, source_id="example", fetched_at=FETCHED_AT)


MICRODATA = f"""<html><body>
<div itemscope itemtype="http://schema.org/NewsArticle">
  <h1 itemprop="headline">Harbour reopens</h1>
  <meta itemprop="datePublished" content="2025-05-14T07:45:00+01:00">
  <time itemprop="dateModified" datetime="2025-05-15T09:00:00Z">May 15</time>
  <span itemprop="author" itemscope itemtype="http://schema.org/Person">
    By <span itemprop="name">Fiona MacLeod</span></span>
  <span itemprop="author" itemscope itemtype="http://schema.org/Person">
    <span itemprop="name">Colin Baird</span></span>
  <span itemprop="articleSection">Local</span>
  <meta itemprop="keywords" content="harbour, storms">
  <link itemprop="image" href="/img/harbour.jpg">
  <div itemprop="articleBody">{STORY}</div>
</div>
<div itemscope itemtype="http://schema.org/Comment"><span itemprop="author">Troll</span></div>
</body></html>"""


def test_microdata_gives_title_authors_dates_section_tags_and_image():
    article = run(MICRODATA)
    assert article.title == "Harbour reopens"
    assert article.authors == ["Fiona MacLeod", "Colin Baird"]
    assert article.published_at == datetime(2025, 5, 14, 6, 45, tzinfo=UTC)
    assert article.updated_at == datetime(2025, 5, 15, 9, 0, tzinfo=UTC)
    assert article.section == "Local"
    assert article.tags == ["harbour", "storms"]
    assert article.top_image == "https://news.example.org/img/harbour.jpg"


def test_json_ld_wins_over_microdata():
    json_ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Declared",'
        ' "author": {"@type": "Person", "name": "Jane Doe"}}</script>'
    )
    article = run(MICRODATA.replace("<body>", f"<body>{json_ld}"))
    assert article.title == "Declared" and article.authors == ["Jane Doe"]


def test_co_authors_marked_up_one_by_one_are_all_authors():
    html = (
        '<html><body><article><h1>Ferry fares</h1><p class="meta"><a rel="author" href="/r">'
        'Ruth Okafor</a>, <a rel="author" href="/d">David Lyle</a></p>'
        f"{STORY}</article></body></html>"
    )
    assert run(html).authors == ["Ruth Okafor", "David Lyle"]


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        ("Von Hans Müller und Petra Schmidt", ["Hans Müller", "Petra Schmidt"]),
        ("Par Jean Dupont et Marie Lefèvre", ["Jean Dupont", "Marie Lefèvre"]),
        ("Por María García y José López", ["María García", "José López"]),
        ("By JANE DOE and RAUL SANTOS Associated Press", ["Jane Doe", "Raul Santos"]),
    ],
    ids=["german", "french", "spanish", "wire-service"],
)
def test_visible_bylines_in_several_languages(byline, authors):
    html = f'<html><body><article><p class="byline">{byline}</p>{STORY}</article></body></html>'
    article = run(html)
    assert article.authors == authors
    assert byline not in article.text


def test_a_site_name_is_not_an_author():
    html = (
        '<html><head><meta property="og:site_name" content="Harbour News">'
        '<meta name="author" content="Harbour News"></head>'
        f"<body><article>{STORY}</article></body></html>"
    )
    assert run(html).authors == []


def test_a_site_name_is_not_a_title():
    html = (
        '<html><head><meta property="og:site_name" content="Harbour News">'
        '<meta property="og:title" content="Harbour News"><title>Harbour News</title></head>'
        f"<body><h1>Harbour News</h1><article><h2>Boats are back</h2>{STORY}</article></body></html>"
    )
    assert run(html).title == "Boats are back"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. Mai 2025", datetime(2025, 5, 1, tzinfo=UTC)),
        ("Veröffentlicht am 3. März 2025, 14:05 Uhr", datetime(2025, 3, 3, 14, 5, tzinfo=UTC)),
        ("1er mai 2025 à 10h30", datetime(2025, 5, 1, 10, 30, tzinfo=UTC)),
        ("12 septembre 2023", datetime(2023, 9, 12, tzinfo=UTC)),
        ("1 de mayo de 2025", datetime(2025, 5, 1, tzinfo=UTC)),
        ("3 marzo 2025", datetime(2025, 3, 3, tzinfo=UTC)),
        ("01.05.2025 um 10:43", datetime(2025, 5, 1, 10, 43, tzinfo=UTC)),
        ("31.02.2025", None),
        ("2 days ago", None),
    ],
)
def test_written_dates_in_several_languages(text, expected):
    assert parse_date(text) == expected


def test_a_line_that_is_only_a_date_dates_the_story_but_a_caption_does_not():
    html = (
        "<html><body><article><h1>Harbour reopens</h1>"
        "<figure><img src='/a.jpg'><figcaption>The wall in 14 May 1998</figcaption></figure>"
        f"<p class='date'>3 marzo 2025</p>{STORY}</article></body></html>"
    )
    article = run(html)
    assert article.published_at == datetime(2025, 3, 3, tzinfo=UTC)
    assert "3 marzo 2025" not in article.text


@pytest.mark.parametrize(
    ("text", "day", "timed"),
    [
        ("2025-05-27", date(2025, 5, 27), False),
        ("2025-05-27T20:30:00+00:00", date(2025, 5, 27), True),
        ("2025-05-27T00:30:00+02:00", date(2025, 5, 27), True),  # the 26th in UTC
        ("Tue, 27 May 2025 20:30:00 GMT", date(2025, 5, 27), True),
        ("1748377800", date(2025, 5, 27), True),
        ("27 May 2025", date(2025, 5, 27), False),
        ("By Jane Doe | 27 May 2025", date(2025, 5, 27), False),
        ("27 May 2025, 9.30pm", date(2025, 5, 27), False),  # a dot is no clock we read
        ("1er mai 2025 à 10h30", date(2025, 5, 1), True),
    ],
)
def test_a_date_says_whether_it_gives_the_time_of_day(text, day, timed):
    found = read_date(text)
    assert found is not None and (found.day, found.timed) == (day, timed)
    assert found.at == parse_date(text)


BYLINE_TIME = '<p class="byline">By Jane Doe | <time datetime="{}">27 May 2025</time></p>'


@pytest.mark.parametrize(
    ("declared", "shown", "expected"),
    [
        # The only date is the byline's <time>; its day-only text must not win.
        (None, "2025-05-27T20:30:00+00:00", datetime(2025, 5, 27, 20, 30, tzinfo=UTC)),
        # A declared day alone gives way to the time shown on that day...
        ("2025-05-27", "2025-05-27T20:30:00+00:00", datetime(2025, 5, 27, 20, 30, tzinfo=UTC)),
        # ... the day as the page writes it, in its own time zone.
        ("2025-05-27", "2025-05-27T00:30:00+02:00", datetime(2025, 5, 26, 22, 30, tzinfo=UTC)),
        # ... but not to a time on another day: the stronger source keeps its day.
        ("2025-05-26", "2025-05-27T20:30:00+00:00", datetime(2025, 5, 26, tzinfo=UTC)),
        # A declared time of day is never replaced.
        ("2025-05-27T08:00:00Z", "2025-05-27T20:30:00+00:00", datetime(2025, 5, 27, 8, tzinfo=UTC)),
    ],
)
def test_a_time_of_day_is_never_lost_to_a_day_alone(declared, shown, expected):
    meta = f'<meta property="article:published_time" content="{declared}">' if declared else ""
    html = (
        f"<html><head>{meta}</head><body><article><h1>Harbour reopens</h1>"
        f"{BYLINE_TIME.format(shown)}{STORY}</article></body></html>"
    )
    assert run(html).published_at == expected


def test_a_time_in_a_teaser_byline_does_not_date_the_story():
    teaser = (
        '<div class="related-stories"><h3>More news</h3>'
        + BYLINE_TIME.format("2025-05-20T09:00:00Z")
        + "<a href='/b'>Bridge works</a></div>"
    )
    html = f"<html><body><article><h1>Harbour reopens</h1>{STORY}</article>{teaser}</body></html>"
    assert run(html).published_at is None


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        (
            "Old Gazette - Mill to close after 140 years",
            "old-gazette",
            "Mill to close after 140 years",
        ),
        (
            "Mill to close after 140 years | THE OLD GAZETTE",
            "Old Gazette",
            "Mill to close after 140 years",
        ),
    ],
)
def test_site_names_match_whatever_their_spelling(title, site, expected):
    assert strip_site_name(title, [site], guess=False) == expected


GERMAN = (
    "Der Hafen wurde am Mittwoch nach drei Wochen Reparaturarbeiten an der Kaimauer wieder "
    "geöffnet, die bei den Stürmen im März gebrochen war. Die Fischerboote standen schon im "
    "Morgengrauen Schlange, und der Hafenmeister sagte, der Verkehr werde bis zum Ende der Woche "
    "wieder normal laufen. Die Reparaturen kosteten den Gemeinderat 2,4 Millionen Euro, die zum "
    "größten Teil aus einem nationalen Notfallfonds bezahlt wurden."
)


@pytest.mark.parametrize(
    ("declared", "text", "expected"),
    [
        (None, GERMAN, "de"),
        ("de", GERMAN, "de"),
        ("en", GERMAN * 2, "de"),  # a template's lang="en" on a German page
        ("fr", GERMAN[:300], "fr"),  # too little text to overrule the page
        ("nb", "Dette er en norsk tekst om havnen som åpnet igjen etter stormen. " * 12, "nb"),
        (None, "Short.", None),
    ],
    ids=["detected", "confirmed", "overruled", "kept-short", "close-languages", "too-short"],
)
def test_language_is_declared_or_detected(declared, text, expected):
    assert choose_language(declared, text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # Nothing declared or shown: htmldate reads the date in the URL.
        ("https://news.example.org/2025/05/14/harbour-reopens", datetime(2025, 5, 14, tzinfo=UTC)),
        # A URL date after the fetch is not the article's date.
        ("https://news.example.org/2025/09/14/harbour-reopens", None),
        ("https://news.example.org/local/harbour-reopens", None),
    ],
)
def test_a_page_without_a_declared_or_shown_date_is_dated_by_its_url(url, expected):
    html = f"<html><head><title>Harbour reopens</title></head><body><article>{STORY}</article>"
    assert run(html, url).published_at == expected


def test_a_declared_date_wins_over_the_url():
    html = (
        '<html><head><meta property="article:published_time" content="2025-05-20T10:00:00Z">'
        f"</head><body><article>{STORY}</article></body></html>"
    )
    assert run(html, "https://news.example.org/2025/05/14/x").published_at == datetime(
        2025, 5, 20, 10, tzinfo=UTC
    )


def test_a_syndicated_copy_is_dated_by_the_original_linked_as_canonical():
    html = (
        '<html><head><link rel="canonical" '
        'href="https://original.example.com/2025/05/14/harbour-reopens/index.html"></head>'
        f"<body><article>{STORY}</article></body></html>"
    )
    article = run(html, "https://portal.example.net/news/ar-BBWXwNX")
    assert article.published_at == datetime(2025, 5, 14, tzinfo=UTC)
    assert article.canonical_url == "https://portal.example.net/news/ar-BBWXwNX"  # another site


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("November 18, 2019 12:01 PM EST", datetime(2019, 11, 18, 17, 1, tzinfo=UTC)),
        ("June 18, 2019 12:01 PM EDT", datetime(2019, 6, 18, 16, 1, tzinfo=UTC)),
        ("Nov. 19, 2019 at 3:04 p.m. PST", datetime(2019, 11, 19, 23, 4, tzinfo=UTC)),
        ("Jun. 19, 2019 at 3:04 p.m. PDT", datetime(2019, 6, 19, 22, 4, tzinfo=UTC)),
        ("1 May 2024 09:00 BST", datetime(2024, 5, 1, 8, 0, tzinfo=UTC)),
        ("18 Nov 2019, 10:43 CET", datetime(2019, 11, 18, 9, 43, tzinfo=UTC)),
        ("18 Jun 2019, 10:43 CEST", datetime(2019, 6, 18, 8, 43, tzinfo=UTC)),
        ("1 May 2024 09:00 IST", datetime(2024, 5, 1, 3, 30, tzinfo=UTC)),
        ("1 May 2024 09:00 JST", datetime(2024, 5, 1, 0, 0, tzinfo=UTC)),
        ("1 May 2024, 09:00 (EDT)", datetime(2024, 5, 1, 13, 0, tzinfo=UTC)),
        ("November 18, 2019 12:01 PM", datetime(2019, 11, 18, 12, 1, tzinfo=UTC)),
        # Lower case is a word, not a zone: German "ist", Spanish "est".
        ("3. März 2025 um 14:05 ist", datetime(2025, 3, 3, 14, 5, tzinfo=UTC)),
    ],
)
def test_news_time_zone_abbreviations(text, expected):
    assert parse_date(text) == expected


FETCH_TIME = datetime(2025, 6, 1, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "at", "timed"),
    [
        ("2 hours ago", datetime(2025, 6, 1, 13, 30, tzinfo=UTC), True),
        ("an hour ago", datetime(2025, 6, 1, 14, 30, tzinfo=UTC), True),
        ("45 minutes ago", datetime(2025, 6, 1, 14, 45, tzinfo=UTC), True),
        ("Updated 3 hrs ago", datetime(2025, 6, 1, 12, 30, tzinfo=UTC), True),
        ("yesterday", datetime(2025, 5, 31, tzinfo=UTC), False),
        ("Today", datetime(2025, 6, 1, tzinfo=UTC), False),
        ("3 days ago", datetime(2025, 5, 29, tzinfo=UTC), False),
        ("2 weeks ago", datetime(2025, 5, 18, tzinfo=UTC), False),
    ],
)
def test_relative_dates_are_read_against_the_fetch_time(text, at, timed):
    found = read_date(text, now=FETCH_TIME)
    assert found is not None and (found.at, found.timed) == (at, timed)
    # Without the fetch time there is nothing to count back from.
    assert parse_date(text) is None


def test_a_page_dated_two_hours_ago_is_dated_from_its_fetch():
    html = (
        '<html><body><article><h1>Ferry fares</h1><p class="meta">By Ruth Okafor '
        f'<time class="published">2 hours ago</time></p>{STORY}</article></body></html>'
    )
    article = clean(html, "https://news.example.org/f", source_id="x", fetched_at=FETCH_TIME)
    assert article.published_at == datetime(2025, 6, 1, 13, 30, tzinfo=UTC)
    assert article.authors == ["Ruth Okafor"]


@pytest.mark.parametrize(
    ("head", "h1", "title"),
    [
        (  # the JSON-LD headline is written for search; og:title and the <h1> agree
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
            '"Harbour: everything you need to know about the reopening"}</script>'
            '<meta property="og:title" content="Harbour reopens after the storm | Gazette">',
            "Harbour reopens after the storm",
            "Harbour reopens after the storm",
        ),
        (  # a description in the headline field, the title tag agreeing with the <h1>
            '<script type="application/ld+json">{"@type": "Article", "headline": '
            '"constitutional monarchy in Oceania"}</script><title>New Zealand - Wikipedia</title>',
            "New Zealand",
            "New Zealand",
        ),
        (  # og:title with a site suffix the page never names, the <h1> without it
            '<meta property="og:title" content="Harbour reopens after the storm - Springfield">',
            "Harbour reopens after the storm",
            "Harbour reopens after the storm",
        ),
        (  # nothing agrees: the declared headline, as before
            '<meta property="og:title" content="Harbour reopens">',
            "Ferries are back",
            "Harbour reopens",
        ),
    ],
    ids=["og-and-h1-agree", "title-tag-and-h1-agree", "og-suffix", "no-agreement"],
)
def test_the_title_the_page_states_twice_wins(head, h1, title):
    html = f"<html><head>{head}</head><body><article><h1>{h1}</h1>{STORY}</article></body></html>"
    assert run(html).title == title


def test_a_teasers_author_is_not_the_storys():
    html = (
        '<html><body><div class="related-links"><a href="/other"><div class="related-links-title">'
        'Canada wins again</div><div class="related-links-author">Ryan McKenna</div></a></div>'
        f"<article><h1>Harbour reopens</h1>{STORY}</article></body></html>"
    )
    assert run(html).authors == []


def test_an_agency_named_in_the_byline_is_not_a_person():
    html = (
        '<html><body><article><h1>Harbour reopens</h1><p class="article-byline">by '
        '<a class="article-byline__link" href="https://esa.example">European Space Agency</a>'
        f"</p>{STORY}</article></body></html>"
    )
    assert run(html).authors == []


@pytest.mark.parametrize(
    ("title", "sites", "expected"),
    [
        ("Harbour reopens | Gazette", ["Gazette"], "Harbour reopens"),
        ("Harbour reopens - Gazette", ["Gazette"], "Harbour reopens"),
        ("Harbour reopens – Gazette", ["Gazette"], "Harbour reopens"),
        ("Harbour reopens — Gazette", ["Gazette"], "Harbour reopens"),
        ("Harbour reopens · Gazette", ["Gazette"], "Harbour reopens"),
        ("Harbour reopens » Gazette", ["Gazette"], "Harbour reopens"),
        ("Harbour reopens :: Gazette", ["Gazette"], "Harbour reopens"),
        ("Gazette | Harbour reopens", ["Gazette"], "Harbour reopens"),
        ("Gazette: Harbour reopens", ["Gazette"], "Harbour reopens"),
        # The site as its host spells it.
        ("Harbour reopens | Gazette.com", ["gazette.com"], "Harbour reopens"),
        # The name as the page declares it, longer or shorter: a brand from the host.
        ("Harbour reopens - BBC News", ["bbc"], "Harbour reopens"),
        ("Harbour reopens | The Real Deal", ["The Real Deal New York"], "Harbour reopens"),
        # A colon that is the headline's own stays; so does a dash inside a long headline.
        ("Brexit: what happens next | Gazette", ["Gazette"], "Brexit: what happens next"),
        (
            "Harbour reopens - and the fishing fleet is back at sea",
            ["Gazette"],
            "Harbour reopens - and the fishing fleet is back at sea",
        ),
    ],
    ids=[
        "bar", "hyphen", "en-dash", "em-dash", "middle-dot", "guillemet", "double-colon",
        "prefix-bar", "prefix-colon", "host", "host-brand", "shorter-name",
        "headline-colon", "headline-dash",
    ],
)  # fmt: skip
def test_site_names_are_cut_after_or_before_any_separator(title, sites, expected):
    assert strip_site_name(title, sites, guess=False) == expected


@pytest.mark.parametrize(
    ("head", "body", "url", "title"),
    [
        (  # the first <h1> is the site's logo; the second agrees with og:title
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
            '"Springfield harbour: repairs end after three weeks"}</script>'
            '<meta property="og:title" content="Harbour reopens after the storm">',
            '<h1 class="site-logo"><a href="/"></a></h1><article>'
            "<h1>Harbour reopens after the storm</h1>",
            "https://news.example.org/harbour",
            "Harbour reopens after the storm",
        ),
        (  # the <h1> names the section; an <h2> repeats the <title>
            "<title>Harbour reopens after the storm</title>",
            "<h1>Travel Health Center</h1><h2>Tools</h2><article>"
            "<h2>Harbour reopens after the storm</h2>",
            "https://news.example.org/harbour",
            "Harbour reopens after the storm",
        ),
        (  # a link inside the heading, the comma straight after it
            '<meta property="og:title" content="Metroid, a story">',
            '<article><h1><a href="/metroid">Metroid</a>, a story</h1>',
            "https://news.example.org/metroid",
            "Metroid, a story",
        ),
        (  # the project's name in the first <h1>; the page's in the second, with a permalink
            "<title>Shared mutable history — evolve extension for Mercurial</title>",
            "<h1>evolve extension for Mercurial</h1><article>"
            '<h1>Shared mutable history<a href="#h">¶</a></h1>',
            "http://docs.example.org/evolve",
            "Shared mutable history",
        ),
        (  # og:title keeps a section and the site's name after the headline the page shows
            '<meta property="og:title" content="Harbour reopens | Local news | Springfield">',
            "<article><h1>Harbour reopens</h1>",
            "https://news.example.org/harbour",
            "Harbour reopens",
        ),
        (  # only the <title>, the site as its host names it, a section before it
            "<title>Harbour reopens after the storm - Local - Springfield Herald</title>",
            "<article>",
            "https://www.springfieldherald.co.uk/harbour",
            "Harbour reopens after the storm",
        ),
        (  # og:title with the site's name before a colon, as og:site_name gives it
            '<meta property="og:site_name" content="Gazette">'
            '<meta property="og:title" content="Gazette: Harbour reopens after the storm">',
            "<article>",
            "https://news.example.org/harbour",
            "Harbour reopens after the storm",
        ),
    ],
    ids=[
        "logo-h1", "section-h1", "inline-punctuation", "permalink-mark", "og-section-suffix",
        "title-tag-host", "og-site-colon",
    ],
)  # fmt: skip
def test_title_shapes(head, body, url, title):
    html = f"<html><head>{head}</head><body>{body}{STORY}</article></body></html>"
    assert run(html, url).title == title


def test_a_sign_in_menu_named_authorization_is_no_byline():
    """Before: webmd's "authorization" menu (Sign In, My Account), named like a byline, came
    first and gave "My Account My Tools" as the author. Eighth round."""
    html = (
        "<html><body><div class='authorization'><a href='/login'>Sign In</a> | "
        "<div>My Account</div><div>My Tools</div></div><article><h1>Harbour reopens</h1>"
        f"<div class='author_fmt'>By Jane Doe</div>{STORY}"
        "</article></body></html>"
    )
    assert run(html).authors == ["Jane Doe"]
