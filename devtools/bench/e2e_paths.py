"""`newsflow bench e2e --old-paths`: the current delivery paths against the ones before issue
14, end to end, same pages, same run.

- new: what newsflow runs (zstd producers; the consumer stores with COPY and INSERT ... SELECT,
  entity ids cached; the full-text index built per statement);
- old: gzip producers (kafka-python's level 9) and the consumer's multi-row INSERT path
  (NEWSFLOW_KAFKA_COMPRESSION=gzip, NEWSFLOW_STORE_PATH=insert) on the same warehouse.

Each round starts the bench's own `newsflow consume` processes with the variant's settings,
ingests one copy of the sample site to warm up (not counted), then `copies` fresh copies of
the same pages with the variant's producer, waits for every row and stops the processes.
Variants alternate (new, old, then old, new, ...) and the round with the most articles/s of
each counts, with its latencies. The warehouse schema is the current one for both: the
store path's own before/after, schema included, is `newsflow bench delivery`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from pipeline.config import Settings
from pipeline.progress import Meter
from pipeline.table import format_table

OLD_PATHS = {"kafka_compression": "gzip", "store_path": "insert"}
NEW_PATHS = {"kafka_compression": "zstd", "store_path": "copy"}
Echo = Callable[[str], None]


def compare_paths(
    settings: Settings,
    engine: Engine,
    *,
    enrichers: int,
    partitions: int,
    copies: int,
    rounds: int,
    keep: bool,
    timeout: float,
    echo: Echo,
    meter: Meter,
) -> list[dict[str, Any]]:
    """One figure per variant (new, old): its best round."""
    from devtools.bench.e2e import measure_warm

    variants = {"new": NEW_PATHS, "old": OLD_PATHS}
    best: dict[str, dict[str, Any]] = {}
    echo(
        f"{copies} fresh copies of the sample site per round, {rounds} round(s) per variant, "
        f"{enrichers} enricher(s) {settings.enricher}, {partitions} partitions, "
        f"{os.cpu_count()} CPUs"
    )
    for round_ in range(rounds):
        for name in ("new", "old") if round_ % 2 == 0 else ("old", "new"):
            paths = variants[name]
            variant = settings.model_copy(update=paths)
            meter.advance(step=f"{name} paths, round {round_ + 1}: starting, warming up")
            figures = measure_warm(
                variant,
                engine,
                enrichers=enrichers,
                partitions=partitions,
                copies=copies,
                keep=keep,
                timeout=timeout,
                echo=echo,
                meter=meter,
            )
            meter.advance(1)
            echo(
                f"{name} paths round {round_ + 1}: {figures['articles_per_s']} articles/s, "
                f"p50 {figures['latency_p50_s']} s, p95 {figures['latency_p95_s']} s"
            )
            if name not in best or figures["articles_per_s"] > best[name]["articles_per_s"]:
                best[name] = {
                    "paths": name,
                    **paths,
                    "enrichers": enrichers,
                    "enricher": settings.enricher,
                    "partitions": partitions,
                    "rounds": rounds,
                    **figures,
                }
    new, old = best["new"], best["old"]
    new["speed_ratio"] = round(new["articles_per_s"] / old["articles_per_s"], 2)
    new["p50_ratio"] = round(new["latency_p50_s"] / old["latency_p50_s"], 2)
    new["p95_ratio"] = round(new["latency_p95_s"] / old["latency_p95_s"], 2)
    old.update(speed_ratio=1.0, p50_ratio=1.0, p95_ratio=1.0)
    return [new, old]


def run_paths(
    settings: Settings,
    engine: Engine,
    *,
    enrichers: int,
    copies: int,
    rounds: int,
    keep: bool,
    timeout: float,
    echo: Echo,
    meter: Meter,
) -> list[dict[str, Any]]:
    """`compare_paths` with the stack's enricher stopped meanwhile (it would take partitions
    with the stack's settings) and started again at the end."""
    from devtools.bench.e2e import _require_stack
    from devtools.bench.enrichers import ensure_partitions
    from pipeline.jobs import local_stack

    state = _require_stack(settings, ("postgres", "kafka"))
    stack_enricher = any(
        run is not None and run.alive
        for name, run in state.items()
        if name == "enricher" or name.startswith("enricher-")
    )
    partitions = ensure_partitions(settings, enrichers, echo)
    stack = local_stack(settings, progress=echo)
    if stack_enricher:
        echo("stopping the stack's enricher for the bench (started again at the end)")
        stack.down(["enricher"])
    try:
        return compare_paths(
            settings,
            engine,
            enrichers=enrichers,
            partitions=partitions,
            copies=copies,
            rounds=rounds,
            keep=keep,
            timeout=timeout,
            echo=echo,
            meter=meter,
        )
    finally:
        if stack_enricher:
            echo("starting the stack's enricher again")
            stack.up(["enricher"])


def paths_table(results: list[dict[str, Any]]) -> str:
    columns = (
        "paths",
        "codec",
        "store",
        "articles",
        "articles/s",
        "vs old",
        "p50 s",
        "vs old",
        "p95 s",
        "vs old",
    )
    rows = [
        (
            r["paths"],
            r["kafka_compression"],
            r["store_path"],
            r["articles"],
            r["articles_per_s"],
            f"{r['speed_ratio']:.2f}x",
            r["latency_p50_s"],
            f"{r['p50_ratio']:.2f}x",
            r["latency_p95_s"],
            f"{r['p95_ratio']:.2f}x",
        )
        for r in results
    ]
    return format_table(columns, rows)
