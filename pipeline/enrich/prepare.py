"""What the enricher needs of a record before the model runs: the story's paragraphs located in
the record's text, page furniture set apart, and the language decided (on the record's text,
as the cleaner decided it, so a cleaned record keeps its language)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.enrich.boilerplate import is_furniture, prose_spans
from pipeline.enrich.language import LanguageDecision, decide
from pipeline.errors import PoisonRecord
from pipeline.records import CleanedArticle

# Captions are not tagged: they name photo agencies and credits ("Photo: Reuters/Getty Images")
# that would become entities of every article, and they repeat names the body already has.
SKIPPED_KINDS = frozenset({"caption"})


@dataclass(frozen=True)
class Segment:
    """Text for the model and where it is: paragraph index and offset in the record's text."""

    paragraph: int
    offset: int
    text: str


@dataclass(frozen=True)
class Prepared:
    record: CleanedArticle
    segments: list[Segment]  # what NER reads, furniture cut out
    furniture: frozenset[int]  # paragraphs that are bylines, share prompts, …
    story: list[int]  # paragraphs the off-topic scores compare: not furniture, not captions
    prose: str  # the story's text, for duplicate signatures
    decision: LanguageDecision


def prepare(
    record: CleanedArticle,
    max_length: int,
    skip_reason: Callable[[str], str | None] | None = None,
    partial_reason: Callable[[str], str | None] | None = None,
) -> Prepared:
    """Locate the record's paragraphs in its text; PoisonRecord if they are not there.
    `skip_reason(language)` says why a language gets no NER (default: all but English),
    `partial_reason(language)` what a language tagged by rules alone says (`decide`)."""
    if record.text.strip() and not record.paragraphs:
        raise PoisonRecord("record has text but no paragraphs", stage="enrich")
    segments: list[Segment] = []
    furniture: set[int] = set()
    story: list[int] = []
    prose: list[str] = []
    cursor = 0
    for index, paragraph in enumerate(record.paragraphs):
        # Captions stay out of NER, and the cleaner keeps them out of `text` altogether.
        if not paragraph.text.strip() or paragraph.kind in SKIPPED_KINDS:
            continue
        offset = record.text.find(paragraph.text, cursor)
        if offset < 0:
            raise PoisonRecord(
                f"paragraph {index + 1} is not part of the record's text (text must be the "
                "paragraphs joined by blank lines)",
                stage="enrich",
            )
        if len(paragraph.text) > max_length:
            raise PoisonRecord(
                f"paragraph {index + 1} has {len(paragraph.text)} characters, over the NER "
                f"model's limit of {max_length}",
                stage="enrich",
            )
        cursor = offset + len(paragraph.text)
        if paragraph.kind != "heading" and is_furniture(paragraph.text, index, record.authors):
            furniture.add(index)
            continue
        story.append(index)
        for start, end in prose_spans(paragraph.text):
            segments.append(Segment(index, offset + start, paragraph.text[start:end]))
            prose.append(paragraph.text[start:end])
    decision = (
        decide(record.language, record.text, skip_reason, partial_reason)
        if skip_reason
        else decide(record.language, record.text)
    )
    if not segments:
        decision = LanguageDecision(decision.language, "no body text")
    return Prepared(record, segments, frozenset(furniture), story, "\n\n".join(prose), decision)
