"""The store path with several writers at once: what consumers of the enriched topic sustain
together when a consumer group spreads its partitions over several processes.

Each writer is a process of its own (a consumer is one), with its own engine and records of
its own (distinct article ids) and its own partition's offsets, all writing `store_batch`
batches into the same scratch database. The records are made and enriched by the stub before
a barrier, so only the writes are timed: from the barrier to the last writer's end. Run next
to the single writer in `bench_store`, on the same kind of records.

`make_store` swaps `store_batch` for another store function (made once per writer), such as
the bench's COPY ceilings, so a ceiling is measured with as many writers as the path.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine

from devtools.stub_enricher import StubEnricher
from pipeline.config import Settings
from pipeline.records import CleanedArticle
from pipeline.warehouse.db import make_engine, store_batch

Records = Callable[[int, str], list[CleanedArticle]]
# Made in the writer's process (so picklable: a class or a partial of one).
MakeStore = Callable[[], Callable[..., Any]]


def _write(
    settings: Settings,
    records: Records,
    count: int,
    run: str,
    partition: int,
    batch: int,
    barrier: Barrier,
    make_store: MakeStore | None,
) -> None:
    engine = make_engine(settings, f"newsflow-bench-writer-{partition}")
    store = make_store() if make_store is not None else store_batch
    items = StubEnricher().enrich_each(records(count, run))
    with engine.connect():  # the pool's first connection made before the clock starts
        pass
    barrier.wait()
    for start in range(0, count, batch):
        store(engine, "bench", items[start : start + batch], {("bench", partition): start + batch})
    engine.dispose()


def parallel_store_rate(
    settings: Settings,
    engine: Engine,
    records: Records,
    writers: int,
    per_writer: int,
    batch: int,
    run: str,
    make_store: MakeStore | None = None,
) -> float:
    """Article rows/s of `writers` processes storing `per_writer` articles each, together,
    into the database of `engine` (with `store_batch`, or what `make_store` makes)."""
    scratch = settings.model_copy(
        update={"warehouse_url": SecretStr(engine.url.render_as_string(hide_password=False))}
    )
    context = multiprocessing.get_context("spawn")  # no inherited connections or threads
    barrier = context.Barrier(writers + 1)
    processes = [
        context.Process(
            target=_write,
            args=(scratch, records, per_writer, f"{run}-w{n}", n, batch, barrier, make_store),
            name=f"newsflow-bench-writer-{n}",
        )
        for n in range(writers)
    ]
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=300)
        started = time.perf_counter()
        for process in processes:
            process.join()
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
    failed = [p.name for p in processes if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"bench delivery: store writers failed: {', '.join(failed)}")
    return writers * per_writer / elapsed
