"""Why fewer articles reached the warehouse than a run expected, in one sentence.

`newsflow demo` waits for the enricher to store what the DAG run published; when it gives up,
"see the enricher's log" is rarely the answer. What the pipeline did is: ingest published
nothing because every page was unchanged since the last run (the fetch state remembers pages
whose rows were since deleted), fetches failed, the enricher is not running, it has records
left to store, or it dead-lettered them. `gather` reads those facts, `explain` words them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.config import CLEANED_TOPIC, Settings


@dataclass(frozen=True)
class Shortfall:
    expected: int  # articles the run should have stored
    stored: int  # articles stored
    waited: float  # seconds
    ingest: Mapping[str, int]  # the ingest tasks' summed counts (published, unchanged, …)
    enricher_running: bool
    lag: int  # records of the cleaned topic the enricher group has not stored yet
    dead_letters: int  # records the group dead-lettered during the wait
    enricher_log: Path
    resend: str = "`newsflow ingest --force`"  # how to send every article again


def explain(s: Shortfall) -> str:
    """The time-out message: what the pipeline did, and what to do about it."""
    head = f"only {s.stored} of {s.expected} articles reached the warehouse after {s.waited:.0f}s"
    published, fetched = s.ingest.get("published", 0), s.ingest.get("fetched", 0)
    unchanged, failed = s.ingest.get("unchanged", 0), s.ingest.get("failed", 0)
    causes = []
    if published == 0 and fetched and unchanged == fetched:
        causes.append(
            f"ingest published 0 of {fetched}: all unchanged since the last run (the fetch "
            "state remembers them); were rows deleted from the warehouse? send them again "
            f"with {s.resend}"
        )
    elif published < s.expected - s.stored:
        detail = ", ".join(f"{k} {s.ingest.get(k, 0)}" for k in ("new", "changed", "unchanged")) + (
            f", failed {failed}" if failed else ""
        )
        causes.append(f"ingest published only {published} ({detail})")
    if not s.enricher_running:
        causes.append(
            "the enricher is not running: start it with `newsflow stack restart "
            f"enricher`, and see why it stopped in {s.enricher_log}"
        )
    elif s.lag:
        causes.append(
            f"the enricher has {_records(s.lag)} of {CLEANED_TOPIC} left to store "
            f"(slow or stuck? see {s.enricher_log})"
        )
    if s.dead_letters:
        causes.append(f"{_records(s.dead_letters)} dead-lettered: `newsflow dlt list`")
    if not causes:
        causes.append(f"see {s.enricher_log}")
    return f"{head}: " + "; ".join(causes)


def _records(count: int) -> str:
    return f"{count} record{'' if count == 1 else 's'}"


def gather(
    settings: Settings,
    *,
    expected: int,
    stored: int,
    waited: float,
    ingest: Mapping[str, int],
    since: datetime,
    enricher_running: bool,
    resend: str = Shortfall.resend,
) -> Shortfall:
    """The facts `explain` needs, from Kafka (the cleaned topic's end) and the warehouse (the
    offsets the enricher group stored, its dead letters since `since`)."""
    from sqlalchemy import func, select

    from pipeline.jobs.engines import warehouse_engine
    from pipeline.publish.topics import topic_offsets
    from pipeline.warehouse.db import load_offsets
    from pipeline.warehouse.models_delivery import ConsumerDeadLetter

    group = settings.consumer_group
    parts = topic_offsets(settings, [CLEANED_TOPIC])[CLEANED_TOPIC]
    with warehouse_engine(settings) as engine:
        done = load_offsets(engine, group, CLEANED_TOPIC)
        with engine.connect() as conn:
            dead = conn.execute(
                select(func.count())
                .select_from(ConsumerDeadLetter)
                .where(ConsumerDeadLetter.group_id == group, ConsumerDeadLetter.created_at >= since)
            ).scalar_one()
    # A group with no stored offset for a partition starts at its earliest record.
    lag = sum(
        max(0, end - max(begin, done.get(partition, begin))) for partition, begin, end in parts
    )
    return Shortfall(
        expected,
        stored,
        waited,
        ingest,
        enricher_running,
        lag,
        dead,
        settings.home_dir / "logs" / "enricher.log",
        resend,
    )
