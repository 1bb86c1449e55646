"""What an ingestion pass reports: one source's counts (`IngestSummary`), the line an
interrupted `newsflow ingest` prints, and a DAG run's per-source summaries (news_ingest,
news_backfill) as one table and totals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields

from pipeline.errors import TransientError
from pipeline.table import format_table


@dataclass
class IngestSummary:
    source_id: str
    discovered: int = 0  # article URLs this pass worked on (after the date window and limit)
    fetched: int = 0  # answered with the page, or 304 Not Modified
    new: int = 0
    changed: int = 0
    unchanged: int = 0  # same content as before, by 304 or by content hash
    republished: int = 0  # same content, sent again: the warehouse lost it, or --force
    not_modified: int = 0  # of the unchanged: answered 304 to a conditional request
    skipped_robots: int = 0  # disallowed by robots.txt, or robots.txt unavailable (5xx)
    skipped_not_html: int = 0
    skipped_out_of_range: int = 0  # discovered, but published outside the date window
    deferred: int = 0  # the host's crawl-delay or Retry-After is longer than a run may wait
    refused: int = 0  # private network, other port, other scheme
    failed: int = 0
    published: int = 0
    requests: int = 0  # HTTP requests made: robots.txt, feeds, sitemaps, pages, retries
    discovery_urls: int = 0  # the source's feeds and sitemaps, asked for their article URLs
    discovery_failed: list[str] = field(default_factory=list)  # "<url> <outcome>" of those
    errors: list[str] = field(default_factory=list)

    def count_discovery(self, listed: Sequence[str], errors: Sequence[tuple[str, str]]) -> None:
        """Note the source's feeds and sitemaps (`listed`) and those whose fetch failed, from
        discover's (url, "outcome: message") errors.

        Failed as a page fetch fails (an error status, no answer, not a feed or sitemap), or
        because robots.txt was unavailable: a 5xx or no answer there is the site being down,
        not a rule. A robots.txt that disallows the feed, or a crawl-delay longer than a run
        waits, is quiet. Child sitemaps of an index are not counted: the index answered.
        """
        from pipeline.fetch.pages import kind_of_outcome

        asked = set(listed)
        failed: dict[str, str] = {}
        for url, message in errors:
            outcome = message.split(":", 1)[0]
            if url in asked and (
                kind_of_outcome(outcome) == "failed" or outcome == "robots_unavailable"
            ):
                failed.setdefault(url, outcome)
        self.discovery_urls = len(asked)
        self.discovery_failed = [f"{url} {outcome}" for url, outcome in failed.items()]

    def failure(self) -> str | None:
        """Why the source failed as a whole, or None: every feed and sitemap it lists failed
        (gone, site down, not a feed any more), or, the feeds having answered or there being
        none (a source with only `urls`), every page fetch failed.

        A quiet source has not failed: robots.txt disallowing, a crawl-delay longer than a run
        waits, 304 Not Modified everywhere, nothing new.
        """
        if self.discovery_urls and len(self.discovery_failed) >= self.discovery_urls:
            shown = ", ".join(self.discovery_failed[:3])
            more = len(self.discovery_failed) - 3
            return f"source {self.source_id}: every discovery URL failed: {shown}" + (
                f" and {more} more" if more > 0 else ""
            )
        if self.fetched == 0 and self.failed > 0:
            return f"source {self.source_id}: every fetch failed: {self.errors[:3]}"
        return None

    def raise_if_every_fetch_failed(self) -> None:
        """TransientError when the source failed as a whole (`failure`): worth the task's
        retries, and the run is not green."""
        if reason := self.failure():
            raise TransientError(reason)

    def summary(self) -> dict:
        data = asdict(self)
        data["errors"] = data["errors"][:20]  # the task result stays small
        return data

    def line(self) -> str:
        """One short line, read at a glance in a task log: the main counts, then the others
        that are not zero (`source meridian: 27 discovered, 27 fetched, 27 new, ...`)."""
        main = [
            f"{self.discovered} discovered",
            f"{self.fetched} fetched",
            f"{self.new} new",
            f"{self.changed} changed",
            f"{self.unchanged} unchanged",
            f"{self.published} published",
            f"{self.failed} failed",
        ]
        others = [
            f"{count} {what}"
            for count, what in (
                (self.republished, "republished"),
                (self.refused, "refused"),
                (self.deferred, "deferred"),
                (self.skipped_robots, "disallowed by robots.txt"),
                (self.skipped_not_html, "not HTML"),
                (self.skipped_out_of_range, "outside the period"),
            )
            if count
        ]
        return f"source {self.source_id}: {', '.join(main + others)}"

    def report_lines(self, most: int = 10) -> list[str]:
        """What a run logs at its end: the short line first, then the errors, one a line."""
        lines = [self.line()]
        lines += [f"{self.source_id}: {error}" for error in self.errors[:most]]
        if len(self.errors) > most:
            lines.append(f"{self.source_id}: {len(self.errors) - most} more errors")
        return lines


class IngestInterrupted(KeyboardInterrupt):
    """Ctrl-C during a source's pass. `summary` counts what was done until then: `published`
    is what Kafka acknowledged; records fetched but not sent are sent by the next pass (their
    pages' fetch state is not saved)."""

    def __init__(self, summary: IngestSummary) -> None:
        super().__init__(f"{summary.source_id}: interrupted")
        self.summary = summary


def interrupted_report(finished: Sequence[IngestSummary], stopped: IngestSummary | None) -> str:
    """One line for an interrupted `newsflow ingest`: what Kafka acknowledged, per source."""
    summaries = [*finished, *([stopped] if stopped else [])]
    acknowledged = sum(s.published for s in summaries)
    per_source = ", ".join(f"{s.source_id} {s.published}" for s in summaries)
    unsent = sum(1 for s in summaries for e in s.errors if e.startswith("publish "))
    line = f"interrupted: Kafka acknowledged {acknowledged} records in this run" + (
        f" ({per_source})" if per_source else ""
    )
    if stopped is not None:
        line += f"; {stopped.source_id} was stopped before it finished"
    if unsent:
        line += f"; {unsent} records were not acknowledged, the next run sends them again"
    return line


# The summary's own order (discovered … published); XCom hands the dicts back key-sorted.
_ORDER = [f.name for f in fields(IngestSummary)]


def _counts(summary: dict) -> list[str]:
    counts = [k for k, v in summary.items() if isinstance(v, int) and not isinstance(v, bool)]
    return sorted(counts, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k))


def run_totals(summaries: Iterable[dict]) -> dict[str, int]:
    """Every count of the summaries (new, changed, unchanged, refused, failed, …), summed."""
    totals: dict[str, int] = {}
    for summary in summaries:
        for key in _counts(summary):
            totals[key] = totals.get(key, 0) + summary[key]
    return totals


def summary_table(summaries: list[dict]) -> str:
    """One row per source and a total row, the counts in the summary's own order."""
    columns = _counts(summaries[0]) if summaries else []
    totals = run_totals(summaries)
    rows = [[s["source_id"], *(s.get(c, 0) for c in columns)] for s in summaries]
    rows.append(["(total)", *(totals.get(c, 0) for c in columns)])
    return format_table(["source", *columns], rows)
