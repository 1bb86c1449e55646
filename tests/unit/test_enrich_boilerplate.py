"""Page furniture and language, the cheap checks before the model runs."""

from __future__ import annotations

import pytest
from enrich_cases import dataset_articles, sample_site_articles

from pipeline.enrich.boilerplate import is_furniture, prose_spans
from pipeline.enrich.language import decide
from pipeline.language import detect


@pytest.mark.parametrize(
    "text",
    [
        "Other reports by",
        "Discuss This Article",
        "Clay Curtis",
        "By Clay Curtis",
        "February 16, 2020",
        "Updated: 16 February 2020, 12:30 GMT",
        "Share this article",
        "Read more: Nato ministers meet in Brussels",
        "Advertisement",
        "Follow us on Twitter for the latest updates.",
        "Follow Sputnik's Feed to Find Out More!",
        "Copyright 2020 The Associated Press. All rights reserved.",
    ],
)
def test_furniture_lines_are_recognized(text: str) -> None:
    assert is_furniture(text, position=0)


@pytest.mark.parametrize(
    "text",
    [
        "Follow the money, investigators said, and it leads to a shell company in Cyprus.",
        "Read the room: the ministers were not in the mood for a long meeting.",
        "Questions over funding",
        "NATO eyes boosting Iraq army training",
    ],
)
def test_prose_and_headings_are_not_furniture(text: str) -> None:
    assert not is_furniture(text, position=0)


def test_a_name_alone_is_a_byline_only_near_the_top() -> None:
    assert is_furniture("Clay Curtis", position=1)
    assert not is_furniture("Clay Curtis", position=8)


def test_the_record_authors_mark_their_byline_anywhere() -> None:
    assert is_furniture("By Harriet Cole", position=9, authors=["Harriet Cole"])


def test_story_paragraphs_of_the_fixture_articles_are_not_furniture() -> None:
    flagged = [
        text
        for article in dataset_articles() + sample_site_articles()
        for position, text in enumerate(article.paragraphs)
        if is_furniture(text, position)
    ]
    # Of 1054 paragraphs, the two the dataset's annotators kept although they are furniture.
    assert flagged == ["Staff Reports", "Story continues below gallery"]


def test_inline_furniture_is_cut_out_of_the_text_ner_reads() -> None:
    text = (
        'Follow Sputnik\'s Feed to Find Out More! "Everything we do will be in close consultation".'
    )
    assert [text[a:b] for a, b in prose_spans(text)] == [
        '"Everything we do will be in close consultation".'
    ]
    plain = "Stoltenberg said the ministers agreed."
    assert prose_spans(plain) == [(0, len(plain))]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Die Bundesregierung hat am Dienstag in Berlin neue Regeln für die Verwaltung beschlossen.",
            "de",
        ),
        (
            "O governo anunciou nesta terça-feira um novo pacote de medidas para a economia do país.",
            "pt",
        ),
        (
            "Councillors voted by 52 to 37 in favour of a second line running from the city centre.",
            "en",
        ),
    ],
)
def test_language_is_detected_offline(text: str, language: str) -> None:
    detected = detect(text)
    assert detected is not None and detected[0] == language


def test_short_text_is_not_guessed_and_the_declaration_stands() -> None:
    assert detect("Clay Curtis") is None
    assert decide("fr", "Clay Curtis").language == "fr"
    assert decide(None, "Clay Curtis").skipped is None  # tagged: costs little, skips nothing


def test_regional_tag_is_kept_when_detection_agrees() -> None:
    decision = decide("en-GB", "Councillors voted by 52 to 37 in favour of a second line.")
    assert (decision.language, decision.skipped) == ("en-GB", None)
