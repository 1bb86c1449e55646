"""The clean stage's building blocks: bylines, dates, charsets, titles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.clean.authors import split_byline, unique_names
from pipeline.clean.dates import parse_date, plausible
from pipeline.clean.decode import decode_html, looks_binary
from pipeline.clean.furniture import is_boilerplate_name
from pipeline.clean.titles import strip_site_name


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("by Jane Doe, John Roe & Jim Poe, Staff Writers", ["Jane Doe", "John Roe", "Jim Poe"]),
        ("Robert Burns, AP National Security Writer", ["Robert Burns"]),
        ("By Amy Kuperinsky | NJ Advance Media for NJ.com", ["Amy Kuperinsky"]),
        ("By Justine Coleman - 11/18/19 11:04 PM EST", ["Justine Coleman"]),
        ("Jane Doe, Paris", ["Jane Doe"]),
        ("Ilana Muhlstein, MS, RDN", ["Ilana Muhlstein"]),
        ("BY JANE DE LA CRUZ", ["Jane de la Cruz"]),
        ("https://example.org/authors/jane-doe", []),
        ("By JERUSALEM POST STAFF", []),
        ("AFP", []),
        ("山田 太郎", ["山田 太郎"]),
        ("By Clay Curtis · February 16, 2020", ["Clay Curtis"]),
        ("By Clay Curtis February 16, 2020", ["Clay Curtis"]),
        ("By Jane Doe on Feb. 3, 2021 at 3:04 p.m. EST", ["Jane Doe"]),
        ("Published February 16, 2020 by Jane Doe", ["Jane Doe"]),
        ("Jane Doe Updated: 2020-02-16T10:00Z", ["Jane Doe"]),
        ("Written by Jane Doe", ["Jane Doe"]),
        ("By Jane Doe (@janedoe)", ["Jane Doe"]),
        ("By Jane Doe jane.doe@example.com", ["Jane Doe"]),
        ("By Jane Doe Twitter: @janedoe", ["Jane Doe"]),
        ("By Jane Doe, Senior Writer | jane@example.com", ["Jane Doe"]),
        ("Jane Doe, for The Guardian", ["Jane Doe"]),
        ("February 16, 2020", []),
        ("Written by Rob Ewaschuk Edited by Betsy Beyer", ["Rob Ewaschuk"]),
        ("By Jane Doe. Photos by John Roe", ["Jane Doe"]),
        ("By", []),
        ("@janedoe", []),
        # Postlight's fixtures (eighth round): a byline's buttons and credits are not people.
        ("Saibal Dasgupta / TNN / Updated: Oct 9, 2019, 11:05 IST", ["Saibal Dasgupta"]),
        ("View ORCID Profile", []),
        ("Link Copied", []),
        ("View All", []),
        ("David Fear's Most Recent Stories", []),
        ("Ariel Pierre-Louis at MSA Models", []),
        ("Caitlin Wooters using MAC Cosmetics", []),
    ],
)
def test_split_byline(byline, names):
    assert split_byline(byline) == names


def test_unique_names_drops_repeats_and_the_publisher():
    names = ["Jane Doe", "JANE DOE", "Business Insider", "John Roe"]
    assert unique_names(names, not_authors=["businessinsider"]) == ["Jane Doe", "John Roe"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-11-20T10:43:00Z", datetime(2019, 11, 20, 10, 43, tzinfo=UTC)),
        ("2019-11-20T10:43:00.000+0100", datetime(2019, 11, 20, 9, 43, tzinfo=UTC)),
        ("2019-11-20 10:43:00 -0500", datetime(2019, 11, 20, 15, 43, tzinfo=UTC)),
        ("2019-11-20", datetime(2019, 11, 20, tzinfo=UTC)),
        ("Wed, 20 Nov 2019 10:43:00 GMT", datetime(2019, 11, 20, 10, 43, tzinfo=UTC)),
        ("November 18, 2019 12:01 PM", datetime(2019, 11, 18, 12, 1, tzinfo=UTC)),
        ("Nov. 19, 2019 at 3:04 p.m.", datetime(2019, 11, 19, 15, 4, tzinfo=UTC)),
        ("18th Nov 2019, 10:43", datetime(2019, 11, 18, 10, 43, tzinfo=UTC)),
        ("1574168580", datetime(2019, 11, 19, 13, 3, tzinfo=UTC)),
        ("February 30, 2019", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_plausible_rejects_the_future_and_the_last_century():
    fetched = datetime(2024, 5, 2, tzinfo=UTC)
    assert plausible(datetime(2024, 5, 2, 23, tzinfo=UTC), fetched) is not None
    assert plausible(datetime(2024, 5, 3, 1, tzinfo=UTC), fetched) is None
    assert plausible(datetime(1989, 12, 31, tzinfo=UTC), fetched) is None


def test_decoding_survives_a_page_cut_inside_a_multibyte_character():
    data = "<p>Zürich</p><p>Zürich</p>".encode()[:-10]
    assert decode_html(data) == "<p>Zürich</p><p>Z"


def test_undecodable_bytes_never_raise():
    text = decode_html(b"<p>caf\xe9 \x81\x8d</p>", content_type="text/html; charset=nonsense")
    assert text.startswith("<p>café")
    assert looks_binary(decode_html(bytes(range(256)) * 8))


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Harbour reopens | Example News", "Harbour reopens"),
        ("Harbour reopens after repairs - Springfield Times", "Harbour reopens after repairs"),
        ("Example News - Harbour reopens after repairs", "Harbour reopens after repairs"),
        ("Review - the harbour in one long sentence", "Review - the harbour in one long sentence"),
        ("Harbour reopens", "Harbour reopens"),
    ],
)
def test_strip_site_name(title, expected):
    assert strip_site_name(title, ["Example News"]) == expected


@pytest.mark.parametrize(
    ("name", "boilerplate"),
    [
        ("ad-slot", True),
        ("adsbygoogle", True),
        ("relatedPosts", True),
        ("comments-area", True),
        ("article-head", False),
        ("shadow", False),
        ("download-link", False),
        ("commentary", False),
        ("social-media-embed", False),
    ],
)
def test_boilerplate_class_names(name, boilerplate):
    assert is_boilerplate_name(name) is boilerplate
