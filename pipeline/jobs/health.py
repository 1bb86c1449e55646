"""Source health: is each source still fetched, and still extracted as well as it used to be?

The judgement is SQL (the view `v_source_health_daily`, migration 0005), so analysts see what
`newsflow sources health` and news_maintenance see. A source is red when half its fetches
fail, its median body falls below half its trailing 14-day median, or half its articles
suddenly lose their date: what a changed page layout does to an extractor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, text

from pipeline.config import Settings
from pipeline.errors import NewsflowError
from pipeline.jobs.engines import warehouse_engine
from pipeline.table import format_table

COLUMNS = (
    "source_id",
    "day",
    "fetched",
    "new",
    "changed",
    "failed",
    "refused",
    "share_no_date",
    "share_no_author",
    "share_short",
    "median_words",
    "trailing_median_words",
    "median_ratio",
    "status",
    "reasons",
)
FRACTIONS = (
    "share_no_date",
    "share_no_author",
    "share_short",
    "median_words",
    "trailing_median_words",
    "median_ratio",
)
# Today and yesterday (UTC): a daily check right after midnight still sees yesterday's runs.
CHECK_WINDOW_DAYS = 2


class UnhealthySources(NewsflowError):
    """One or more sources are red; the message names each with its reasons."""

    def __init__(self, red: list[SourceHealth]) -> None:
        super().__init__(
            "unhealthy sources: "
            + "; ".join(f"{h.source_id} on {h.day}: {', '.join(h.reasons)}" for h in red)
        )
        self.red = red


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    day: date
    fetched: int
    new: int
    changed: int
    failed: int
    refused: int
    share_no_date: float | None
    share_no_author: float | None
    share_short: float | None
    median_words: float | None
    trailing_median_words: float | None
    median_ratio: float | None
    status: str
    reasons: list[str]

    def as_dict(self) -> dict:
        return {**asdict(self), "day": self.day.isoformat()}


def _today() -> date:
    return datetime.now(UTC).date()


def _rows(engine: Engine, where: str, params: dict, latest_only: bool) -> list[SourceHealth]:
    distinct = "DISTINCT ON (source_id) " if latest_only else ""
    query = (
        f"SELECT {distinct}{', '.join(COLUMNS)} FROM v_source_health_daily "  # noqa: S608
        f"WHERE {where} ORDER BY source_id, day DESC"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(query), params).all()
    return [_health(dict(zip(COLUMNS, row, strict=True))) for row in rows]


def _health(values: dict) -> SourceHealth:
    for name in FRACTIONS:  # numeric → Decimal, percentile → float: one type for callers
        if values[name] is not None:
            values[name] = float(values[name])
    return SourceHealth(**values)


def source_health(
    engine: Engine, *, day: date | None = None, days: int = 1, sources: list[str] | None = None
) -> list[SourceHealth]:
    """Health of every source (or of `sources`) on the `days` days up to `day` (today)."""
    until = day or _today()
    where = "day > :start AND day <= :until"
    params: dict = {"start": until - timedelta(days=days), "until": until}
    if sources:
        where += " AND source_id = ANY(:sources)"
        params["sources"] = list(sources)
    return _rows(engine, where, params, latest_only=False)


def latest_health(engine: Engine, *, today: date | None = None) -> list[SourceHealth]:
    """Each source's most recent day within the check window: what news_maintenance judges."""
    until = today or _today()
    return _rows(
        engine,
        "day > :start AND day <= :until",
        {"start": until - timedelta(days=CHECK_WINDOW_DAYS), "until": until},
        latest_only=True,
    )


def check_health(
    settings: Settings, *, today: date | None = None, echo: Callable[[str], None] | None = None
) -> list[SourceHealth]:
    """Each source's latest health (shown with `echo` as a table); raises UnhealthySources
    when any is red."""
    with warehouse_engine(settings) as engine:
        latest = latest_health(engine, today=today)
    if echo:
        echo(health_table(latest))
    red = [h for h in latest if h.status == "red"]
    if red:
        raise UnhealthySources(red)
    return latest


def health_table(rows: list[SourceHealth]) -> str:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.0f}%"

    def num(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    return format_table(
        (
            "source",
            "day",
            "fetched",
            "new",
            "changed",
            "failed",
            "refused",
            "no date",
            "no author",
            "<150 words",
            "median words",
            "14-day median",
            "status",
            "reasons",
        ),
        [
            (
                h.source_id,
                h.day,
                h.fetched,
                h.new,
                h.changed,
                h.failed,
                h.refused,
                pct(h.share_no_date),
                pct(h.share_no_author),
                pct(h.share_short),
                num(h.median_words),
                num(h.trailing_median_words),
                h.status,
                "; ".join(h.reasons),
            )
            for h in rows
        ],
    )


def show_health(
    settings: Settings,
    *,
    days: int | None,
    sources: list[str],
    as_json: bool,
    echo: Callable[[str], None],
) -> bool:
    """`newsflow sources health`; False when a shown source is red on its latest day."""
    import json

    with warehouse_engine(settings) as engine:
        latest = [h for h in latest_health(engine) if not sources or h.source_id in sources]
        rows = source_health(engine, days=days, sources=sources) if days else latest
    if as_json:
        echo(json.dumps([h.as_dict() for h in rows], indent=2))
    elif rows:
        echo(health_table(rows))
    else:
        echo("no fetches or extracted articles in the period: nothing to judge")
    return not any(h.status == "red" for h in latest)
