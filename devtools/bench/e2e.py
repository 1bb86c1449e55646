"""`newsflow bench e2e`: fetch-to-warehouse throughput and latency through the running stack.

Serves copies of the sample site on fresh ports (so every article is new), runs the ingest job
for each copy, and waits until the running enricher has stored every article. Latency is
`articles.stored_at - articles.fetched_at`. The bench's rows are deleted afterwards unless
`--keep`. There is no baseline to divide by: compare figures only within one machine and run.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from pipeline.config import Settings
from pipeline.errors import NewsflowError

BENCH_TABLES = ("mentions", "article_versions", "articles", "fetch_log", "sources")


def _require_stack(settings: Settings) -> None:
    from pipeline.jobs import local_stack

    state = dict(local_stack(settings).status())
    missing = [
        n for n in ("postgres", "kafka", "enricher") if not ((run := state[n]) and run.alive)
    ]
    if missing:
        raise NewsflowError(
            f"bench e2e needs the running stack; not running: "
            f"{', '.join(missing)} (start it with `newsflow stack up`)"
        )


def _cleanup(engine, source_ids: list[str]) -> None:
    with engine.begin() as conn:
        ids = {"ids": source_ids}
        conn.execute(
            text(
                "DELETE FROM mentions WHERE article_id IN "
                "(SELECT article_id FROM articles WHERE source_id = ANY(:ids))"
            ),
            ids,
        )
        conn.execute(
            text(
                "DELETE FROM article_versions WHERE article_id IN "
                "(SELECT article_id FROM articles WHERE source_id = ANY(:ids))"
            ),
            ids,
        )
        # The bench's own articles go for good, their version ledger with them (nothing else
        # deletes from it).
        conn.execute(
            text(
                "DELETE FROM version_ledger WHERE article_id IN "
                "(SELECT article_id FROM articles WHERE source_id = ANY(:ids))"
            ),
            ids,
        )
        for table in ("articles", "fetch_log", "sources"):
            conn.execute(text(f"DELETE FROM {table} WHERE source_id = ANY(:ids)"), ids)  # noqa: S608


def run(
    settings: Settings,
    *,
    copies: int = 4,
    keep: bool = False,
    as_json: bool = False,
    timeout: float = 300,
    echo: Callable[[str], None] = print,
) -> dict:
    from devtools.sample_site import SampleSite
    from pipeline.jobs import enabled_sources, ingest_source
    from pipeline.warehouse.db import make_engine

    _require_stack(settings)
    engine = make_engine(settings)
    sites = [SampleSite().start() for _ in range(copies)]
    source_ids = [f"bench-{site.base_url.rsplit(':', 1)[1]}" for site in sites]
    try:
        expected = sum(len(site.article_urls()) for site in sites)
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            for site, source_id in zip(sites, source_ids, strict=True):
                path = site.write_sources_yaml(Path(tmp) / f"{source_id}.yaml", source_id)
                (source,) = enabled_sources(settings, str(path))
                ingest_source(settings, source)
        published = time.monotonic()
        if not as_json:
            echo(
                f"published {expected} articles in {published - started:.1f}s; waiting for "
                "the enricher"
            )
        query = text(
            "SELECT extract(epoch FROM stored_at - fetched_at) FROM articles "
            "WHERE source_id = ANY(:ids)"
        )
        latencies: list[float] = []
        while len(latencies) < expected:
            if time.monotonic() - started > timeout:
                raise NewsflowError(
                    f"only {len(latencies)} of {expected} articles stored after "
                    f"{timeout:.0f}s; see the enricher's log"
                )
            time.sleep(0.5)
            with engine.connect() as conn:
                latencies = [float(v) for (v,) in conn.execute(query, {"ids": source_ids})]
        finished = time.monotonic()
    finally:
        for site in sites:
            site.stop()
        if not keep:
            _cleanup(engine, source_ids)
        engine.dispose()
    latencies.sort()
    result = {
        "articles": expected,
        "seconds": round(finished - started, 2),
        "articles_per_s": round(expected / (finished - started), 2),
        "publish_seconds": round(published - started, 2),
        "latency_p50_s": round(statistics.median(latencies), 2),
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "latency_max_s": round(latencies[-1], 2),
    }
    if as_json:
        echo(json.dumps(result))
    else:
        for key, value in result.items():
            echo(f"  {key:<16} {value}")
    return result
