"""A DAG run's per-source summaries (news_ingest, news_backfill) as one table and totals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

from pipeline.jobs import IngestSummary
from pipeline.table import format_table

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
