"""`newsflow enrich`: cleaned records as JSON lines in, enriched records as JSON lines out."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

from pipeline.enrich.enricher import Enricher
from pipeline.enrich.stories import MemoryStoryIndex, StoryIndex, probe_for, with_story
from pipeline.errors import PoisonRecord
from pipeline.records import CleanedArticle, decode_cleaned


def enrich_jsonl(
    stdin: Iterable[str | bytes],
    stdout: TextIO,
    stderr: TextIO | None = None,
    *,
    enricher: Enricher | None = None,
    stories: StoryIndex | None = None,
) -> int:
    """Enrich the cleaned records of `stdin`, one per line, onto `stdout`; return the exit status.

    Enriched records are written in input order, a batch at a time, flushed after each batch so
    the command works at the end of a pipe. A line that is not a valid cleaned record, or that
    the enricher rejects, is reported on `stderr` as "line N: reason" and skipped; blank lines
    are ignored. The status is 0 when every record was enriched and 1 when any line was skipped.
    Pass a binary stream (sys.stdin.buffer) so invalid UTF-8 is reported for its line instead of
    stopping the run. Each record gets its `story_id` from `stories` (in memory by default:
    the stories of this run's records).
    """
    stderr = stderr or sys.stderr
    enricher = enricher or Enricher()
    stories = stories or MemoryStoryIndex()
    failed = False
    batch: list[tuple[int, CleanedArticle]] = []

    def report(number: int, error: PoisonRecord) -> None:
        nonlocal failed
        failed = True
        print(f"line {number}: {error}", file=stderr)

    def flush() -> None:
        results = enricher.enrich_each([record for _, record in batch])
        enriched = [r for r in results if not isinstance(r, PoisonRecord)]
        story_ids = dict(
            zip(
                (r.article_id for r in enriched),
                stories.assign([probe_for(r) for r in enriched]),
                strict=True,
            )
        )
        for (number, _), result in zip(batch, results, strict=True):
            if isinstance(result, PoisonRecord):
                report(number, result)
            else:
                result = with_story(result, story_ids[result.article_id])
                stdout.write(result.model_dump_json() + "\n")
        stdout.flush()
        batch.clear()

    for number, line in enumerate(stdin, start=1):
        raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")
        if not raw.strip():
            continue
        try:
            batch.append((number, decode_cleaned(raw)))
        except PoisonRecord as exc:
            report(number, exc)
        if len(batch) >= enricher.batch_size:
            flush()
    if batch:
        flush()
    return 1 if failed else 0
