"""`newsflow bench e2e`: fetch-to-warehouse throughput and latency through the running stack.

Serves copies of the sample site on fresh ports (so every article is new), runs the ingest job
for each copy (one thread per copy, as news_ingest maps one task per source), and waits until
the enrichers have stored every article. Latency is `articles.stored_at -
articles.fetched_at`; throughput is articles over the time from the first fetch to the last
row. The bench's rows are deleted afterwards unless `--keep`.

Without `--enrichers` the stack's running enricher does the work. With `--enrichers 1,2,3`
the stack's enricher is stopped for the bench (and started again at the end), the cleaned
topic gets at least max(N) partitions, and each round starts N `newsflow consume` processes
of its own (devtools/bench/enrichers.py), ingests one copy to warm up (not counted), then
fresh copies of the same pages, and stops them: the ratio against the first round shows how
throughput grows with consumers on this machine. Figures, never assertions.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from pipeline.config import Settings
from pipeline.errors import NewsflowError
from pipeline.progress import LogMeter, Meter, NullMeter
from pipeline.table import format_table

BENCH_TABLES = ("mentions", "article_versions", "articles", "fetch_log", "sources")
Echo = Callable[[str], None]


def _require_stack(settings: Settings, components: tuple[str, ...]) -> dict[str, Any]:
    from pipeline.jobs import local_stack

    state = dict(local_stack(settings).status())
    # A component counts as running when any of its processes does (kafka-1.., enricher-1..).
    missing = [
        n
        for n in components
        if not any(
            run is not None and run.alive
            for name, run in state.items()
            if name == n or name.startswith(f"{n}-")
        )
    ]
    if missing:
        raise NewsflowError(
            f"bench e2e needs the running stack; not running: "
            f"{', '.join(missing)} (start it with `newsflow stack up`)"
        )
    return state


def _cleanup(engine: Engine, source_ids: list[str], origins: list[str]) -> None:
    """Delete every row the bench's sources left. The fetcher's memory goes too: a later
    copy can get a port again, and would then find its pages unchanged and publish nothing."""
    with engine.begin() as conn:
        ids = {"ids": source_ids}
        conn.execute(text("DELETE FROM fetch_state WHERE source_id = ANY(:ids)"), ids)
        conn.execute(text("DELETE FROM robots_txt WHERE origin = ANY(:o)"), {"o": origins})
        conn.execute(
            text(
                "DELETE FROM dedup_signatures WHERE article_id IN "
                "(SELECT article_id FROM articles WHERE source_id = ANY(:ids))"
            ),
            ids,
        )
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


def _ingest_all(settings: Settings, sites: list[Any], source_ids: list[str], meter: Meter) -> int:
    """One ingestion pass per copy, each on a thread of its own; the records published (the
    first error is raised)."""
    from pipeline.jobs import enabled_sources, ingest_source

    with tempfile.TemporaryDirectory() as tmp:
        sources = []
        for site, source_id in zip(sites, source_ids, strict=True):
            path = site.write_sources_yaml(Path(tmp) / f"{source_id}.yaml", source_id)
            (source,) = enabled_sources(settings, str(path))
            sources.append(source)
        with ThreadPoolExecutor(max_workers=len(sources)) as pool:
            futures = [pool.submit(ingest_source, settings, s, meter=meter) for s in sources]
            return sum(future.result().published for future in futures)


def measure(
    settings: Settings,
    engine: Engine,
    *,
    copies: int,
    keep: bool,
    timeout: float,
    echo: Echo,
    meter: Meter | None = None,
) -> dict[str, Any]:
    """Ingest `copies` fresh copies of the sample site and wait for every article's row;
    `meter` hears the pages, the records published and the rows stored."""
    meter = meter if meter is not None else NullMeter()
    from devtools.sample_site import SampleSite

    sites = [SampleSite().start() for _ in range(copies)]
    origins = [site.base_url for site in sites]
    source_ids = [f"bench-{origin.rsplit(':', 1)[1]}" for origin in origins]
    try:
        expected = sum(len(site.article_urls()) for site in sites)
        started = time.monotonic()
        meter.advance(step=f"ingesting {copies} copies of the sample site")
        sent = _ingest_all(settings, sites, source_ids, meter)
        published = time.monotonic()
        if sent != expected:
            raise NewsflowError(
                f"the ingest published {sent} of {expected} articles: the others were known "
                "unchanged (a port a `--keep` run used before?); nothing to wait for"
            )
        echo(
            f"published {expected} articles in {published - started:.1f}s; waiting for "
            "the enrichers"
        )
        query = text(
            "SELECT extract(epoch FROM stored_at - fetched_at) FROM articles "
            "WHERE source_id = ANY(:ids)"
        )
        latencies: list[float] = []
        meter.advance(step=f"the enrichers: storing {expected} articles")
        while len(latencies) < expected:
            if time.monotonic() - started > timeout:
                raise NewsflowError(
                    f"only {len(latencies)} of {expected} articles stored after "
                    f"{timeout:.0f}s; see the enricher's log"
                )
            time.sleep(0.2)
            stored = len(latencies)
            with engine.connect() as conn:
                latencies = [float(v) for (v,) in conn.execute(query, {"ids": source_ids})]
            meter.advance(stored=len(latencies) - stored)
        finished = time.monotonic()
    finally:
        for site in sites:
            site.stop()
        if not keep:
            _cleanup(engine, source_ids, origins)
    latencies.sort()
    return {
        "articles": expected,
        "seconds": round(finished - started, 2),
        "articles_per_s": round(expected / (finished - started), 2),
        "publish_seconds": round(published - started, 2),
        "latency_p50_s": round(statistics.median(latencies), 2),
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "latency_max_s": round(latencies[-1], 2),
    }


def run(
    settings: Settings,
    *,
    copies: int = 4,
    enrichers: list[int] | None = None,
    keep: bool = False,
    as_json: bool = False,
    timeout: float = 300,
    echo: Echo = print,
    meter: Meter | None = None,
    old_paths_rounds: int = 0,
) -> list[dict[str, Any]]:
    """The figures of each round: one with the stack's enricher, or one per enricher count;
    with `old_paths_rounds`, the current paths and the old ones, that many rounds each
    (e2e_paths.py). `meter` hears the rounds and their pages, records and rows (default:
    plain log lines)."""
    from pipeline.warehouse.db import make_engine

    progress = (lambda line: None) if as_json else echo
    meter = meter if meter is not None else LogMeter()
    rounds = 2 * old_paths_rounds or len(enrichers or [1])
    meter.start(rounds, "bench e2e", "rounds", ("pages", "published", "stored"))
    engine = make_engine(settings)
    try:
        if old_paths_rounds:
            from devtools.bench.e2e_paths import run_paths

            results = run_paths(
                settings,
                engine,
                enrichers=(enrichers or [1])[0],
                copies=copies,
                rounds=old_paths_rounds,
                keep=keep,
                timeout=timeout,
                echo=progress,
                meter=meter,
            )
        elif enrichers is None:
            _require_stack(settings, ("postgres", "kafka", "enricher"))
            results = [
                measure(
                    settings,
                    engine,
                    copies=copies,
                    keep=keep,
                    timeout=timeout,
                    echo=progress,
                    meter=meter,
                )
            ]
            meter.advance(1)
        else:
            results = _scaling(settings, engine, enrichers, copies, keep, timeout, progress, meter)
    finally:
        engine.dispose()
    if as_json:
        for result in results:
            echo(json.dumps(result))
    elif old_paths_rounds:
        from devtools.bench.e2e_paths import paths_table

        echo(paths_table(results))
    elif enrichers is None:
        for key, value in results[0].items():
            echo(f"  {key:<16} {value}")
    else:
        echo(scaling_table(results))
    return results


def _scaling(
    settings: Settings,
    engine: Engine,
    counts: list[int],
    copies: int,
    keep: bool,
    timeout: float,
    echo: Echo,
    meter: Meter,
) -> list[dict[str, Any]]:
    from devtools.bench.enrichers import ensure_partitions
    from pipeline.jobs import local_stack

    state = _require_stack(settings, ("postgres", "kafka"))
    stack_enricher = any(
        run is not None and run.alive
        for name, run in state.items()
        if name == "enricher" or name.startswith("enricher-")
    )
    partitions = ensure_partitions(settings, max(counts), echo)
    echo(
        f"{copies} fresh copies of the sample site per round, enricher {settings.enricher}, "
        f"{partitions} partitions, {os.cpu_count()} CPUs"
    )
    stack = local_stack(settings, progress=echo)
    if stack_enricher:
        echo("stopping the stack's enricher for the bench (started again at the end)")
        stack.down(["enricher"])
    results: list[dict[str, Any]] = []
    try:
        for count in counts:
            echo(f"{count} enricher(s): starting, waiting for them to take every partition")
            meter.advance(step=f"{count} enricher(s): starting, warming up")
            figures = measure_warm(
                settings,
                engine,
                enrichers=count,
                partitions=partitions,
                copies=copies,
                keep=keep,
                timeout=timeout,
                echo=echo,
                meter=meter,
            )
            meter.advance(1)
            base = results[0]["articles_per_s"] if results else figures["articles_per_s"]
            results.append(
                {
                    "enrichers": count,
                    "enricher": settings.enricher,
                    "partitions": partitions,
                    **figures,
                    "speed_ratio": round(figures["articles_per_s"] / base, 2),
                }
            )
    finally:
        if stack_enricher:
            echo("starting the stack's enricher again")
            stack.up(["enricher"])
    return results


def measure_warm(
    settings: Settings,
    engine: Engine,
    *,
    enrichers: int,
    partitions: int,
    copies: int,
    keep: bool,
    timeout: float,
    echo: Echo,
    meter: Meter,
) -> dict[str, Any]:
    """`measure` with `enrichers` consumer processes of `settings` running. One copy first, not
    counted: the first pages a process ingests or enriches pay for imports, connections and
    caches; every round starts warm."""
    from devtools.bench.enrichers import EnricherGroup

    with EnricherGroup(settings, enrichers, partitions):
        measure(settings, engine, copies=1, keep=False, timeout=timeout, echo=_quiet)
        return measure(
            settings, engine, copies=copies, keep=keep, timeout=timeout, echo=echo, meter=meter
        )


def _quiet(line: str) -> None:
    pass


def scaling_table(results: list[dict[str, Any]]) -> str:
    first = results[0]["enrichers"]
    columns = ("enrichers", "articles", "seconds", "articles/s", f"vs {first}", "p50 s", "p95 s")
    rows = [
        (
            r["enrichers"],
            r["articles"],
            r["seconds"],
            r["articles_per_s"],
            f"{r['speed_ratio']:.2f}x",
            r["latency_p50_s"],
            r["latency_p95_s"],
        )
        for r in results
    ]
    return format_table(columns, rows)
