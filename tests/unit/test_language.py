"""One language rule for both stages: what the cleaner decides, the enricher keeps."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.clean import clean
from pipeline.enrich.language import decide
from pipeline.language import choose_language

# The golden pages the cleaner accepts (the others' expected error is the golden test's).
PAGES = [
    path
    for path in sorted(
        (Path(__file__).resolve().parents[1] / "fixtures" / "pages").glob("*/*.html")
    )
    if "error" not in json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
]
# 260 characters: shorter than the text that overrules a declaration other than English.
GERMAN = (
    "Die Bundesregierung hat am Dienstag in Berlin neue Regeln für die Digitalisierung der "
    "Verwaltung beschlossen. Bundeskanzler Olaf Scholz sagte, die Behörden sollen bis zum Ende "
    "des Jahres alle Anträge auch online annehmen, und die Länder müssen dabei mitziehen."
)
NORWEGIAN = "Dette er en norsk tekst om havnen som åpnet igjen etter stormen. " * 12
ENGLISH = (
    "Councillors voted by 52 to 37 in favour of a second line running from the city "
    "centre to the airport, and construction is due to begin in the spring. "
) * 3


@pytest.mark.parametrize("path", PAGES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_the_enricher_keeps_the_language_the_cleaner_chose(path: Path) -> None:
    record = clean(
        path.read_bytes(),
        f"https://{path.parent.name}.example/{path.stem}",
        source_id=path.parent.name,
        fetched_at=datetime(2025, 6, 1, tzinfo=UTC),
    )
    assert decide(record.language, record.text).language == record.language


@pytest.mark.parametrize(
    ("declared", "text"),
    [
        (None, GERMAN),
        ("en", GERMAN),
        ("fr", GERMAN),
        ("de", GERMAN),
        ("nb", NORWEGIAN),
        (None, ENGLISH),
        ("en-GB", ENGLISH),
        ("de", ENGLISH * 2),
        (None, "Short."),
    ],
)
def test_deciding_again_on_the_same_text_changes_nothing(declared: str | None, text: str) -> None:
    chosen = choose_language(declared, text)
    assert choose_language(chosen, text) == chosen


def test_a_declared_english_yields_to_shorter_text_than_other_declarations() -> None:
    # Templates say "en" when nobody chose; a page that says "fr" meant it.
    assert choose_language("en", GERMAN) == "de"
    assert choose_language("fr", GERMAN) == "fr"
    assert choose_language("fr", GERMAN * 3) == "de"
