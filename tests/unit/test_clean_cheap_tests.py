"""The cheap tests put in front of the cleaner's dearer ones (issue 11's fifth round) answer as
the dearer ones do: a substring test before a case-insensitive pattern (lines.py), a word test
before a class name is split into tokens (furniture.py), a digit test before four date readers
(dates.py). Each case here is one where a careless pre-test would say no and the pattern yes:
upper case, camelCase, and the letters case-insensitive matching takes for ASCII ones
(dotless ı and İ for "i", the long ſ for "s"). These are guards: they pass before the change
too, and fail if a pre-test ever drops what the pattern finds.
"""

from __future__ import annotations

import pytest

from pipeline.clean.blocks import Block
from pipeline.clean.dates import parse_date
from pipeline.clean.furniture import describe
from pipeline.clean.lines import noise_reason


def reason(text: str) -> str | None:
    return noise_reason(Block(text, "body", "p", None, 0))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SUBSCRIBE TO CONTINUE READING THIS STORY", "paywall"),
        ("Log In to keep reading, it is free", "paywall"),
        ("Sign ın to continue reading", "paywall"),  # dotless ı
        ("Subſcribe to continue reading", "paywall"),  # long s
        ("Réservé aux abonnés", "paywall"),
        ("RÉSERVÉ AUX ABONNÉS", "paywall"),
        ("Get the NEWSLETTER in your inbox every morning", "newsletter"),
        ("Succeſsfully subſcribed", "newsletter"),
        ("COPYRIGHT 2024 The Daily Example", "copyright"),
        ("(C) 2024 The Daily Example", "copyright"),
        ("© The Daily Example", "copyright"),
        ("All RİGHTS Reserved", "copyright"),  # İ
        ("The subscription drive ended in March with more readers than before.", None),
        ("He signed in to the meeting late and left early, twice.", None),
        # Seventh round: the trafilatura evaluation pages' buttons, prompts and leaks.
        ("Rezept drucken", "share"),
        ("Möchten Sie den Artikel teilen?", "share"),
        ("Partager", "share"),
        ("Lade weitere Inhalte", "label"),
        ("(Noch keine Bewertungen)", "label"),
        ("War der Artikel nützlich?", "label"),
        ("Externer Inhalt", "label"),
        ("Warning: Creating default object from empty value in /srv/x.php on line 12", "label"),
        ("Ähnliche Beiträge", "related"),
        ("Zobacz także", "related"),
        ("Subscribe to email updates", "newsletter"),
        ("We use cookies to personalise content and ads and to analyse our traffic.", "cookie"),
        ("Wir verwenden Cookies, um Inhalte und Anzeigen zu personalisieren.", "cookie"),
        ("Ce site utilise des cookies pour améliorer votre expérience.", "cookie"),
        ("The council said websites that use cookies must ask first.", None),
        ("Die Stampa druckt den Artikel über die Wahl auf der ersten Seite.", None),
    ],
)
def test_lines_found_as_the_patterns_find_them(text: str, expected: str | None) -> None:
    assert reason(text) == expected


@pytest.mark.parametrize(
    ("name", "reason", "caption"),
    [
        ("articlePhotoCaption", None, True),
        ("no-caption", None, False),
        ("PhotoCredit", None, True),
        ("storyAds", "ad", False),
        ("widget-tagcloud", "tags", False),
        ("page-Pagination", "navigation", False),
        ("header-bar", None, False),
        ("readMore", None, False),
        ("post has-paywall", None, False),  # a state class: what the element holds
        ("text regwalled", None, False),
        ("regwall-prompt", "paywall", False),
        ("sidebar with-ads", "sidebar", False),
        # A BEM modifier says the same (skateboardmsm.de, trafilatura's pages: the story's
        # section "o-section--has-ads" went as an ad); a modifier naming the box still names it.
        ("o-section o-section--has-ads js-section--has-ads", None, False),
        ("c-box c-box--ads", "ad", False),
    ],
)
def test_class_names_described_as_their_tokens_say(
    name: str, reason: str | None, caption: bool
) -> None:
    described = describe.__wrapped__(name)
    assert (described.reason, described.caption) == (reason, caption)


def test_dates_without_digits_are_none_and_with_digits_are_read() -> None:
    assert parse_date("Monday, the first of May") is None
    assert parse_date("May") is None
    assert parse_date("1 May 2024") is not None
    assert parse_date("١٧٠٠٠٠٠٠٠٠") is not None  # an epoch in Arabic-Indic digits, as int() reads


# Long and ending in a full stop, so that the line is no dateline: only the "Published ..."
# pattern reads its date.
_TAIL = ", a line of the page's header that goes on and on about the harbour and its desk."


def published_at(line: str) -> str | None:
    from datetime import UTC, datetime

    from pipeline.clean import clean

    page = (
        "<html><body><article><h1>The harbour reopens</h1>"
        f"<div>{line}{_TAIL}</div><p>{'The sea wall was repaired over the winter. ' * 6}</p>"
        "</article></body></html>"
    )
    article = clean(
        page,
        "https://news.example.com/harbour",
        source_id="test",
        fetched_at=datetime(2025, 6, 1, tzinfo=UTC),
    )
    return article.published_at.date().isoformat() if article.published_at else None


@pytest.mark.parametrize(
    "line",
    [
        "PUBLISHED: March 3, 2024 - the harbour desk",
        "Poſted on March 3, 2024 by the harbour desk",  # long s
        "VERÖFFENTLICHT AM 3. März 2024 von der Redaktion",
        "Publié le 3 mars 2024 par la rédaction",
    ],
)
def test_a_published_line_is_read_in_any_case(line: str) -> None:
    assert published_at(line) == "2024-03-03"
