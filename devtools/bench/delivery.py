"""`newsflow bench delivery`: what one producer and one consumer's store path sustain, each as
a ratio against a plain baseline run in the same process on the same kind of records.

- Producer: the project's producer (acks=all, idempotent, 256 KB batches, 10 ms linger)
  publishes N records of about 3 KB to a scratch topic with each codec kafka-python has here
  (lz4, zstd, gzip, none: these figures chose the producer's codec), checksumming batches
  through the `crc32c` C extension, and again with the pure-Python CRC-32C kafka-python falls
  back to when the extension is missing. Records/s from the first send to the last
  acknowledgement. The same pair without compression shows the checksum's share undiluted
  (kafka-python's gzip runs at level 9 and costs more than the checksum).
- Store path: `store_batch` (the consumer's transaction: COPY into staging tables and
  INSERT ... SELECT ... ON CONFLICT for articles and versions, COPY for mentions, entity ids
  remembered across batches, plus the offsets) on the current schema, against the old paths
  on the schema before migration 0010 (the full-text index built by a row trigger): the same
  call's multi-row INSERT path (`bulk=False`, what it did before COPY), row-by-row inserts
  (the same upserts, one row per statement), and `store_batch` itself (the migration's
  share). All in batches of 500 with one transaction per batch, into two scratch databases.
  Article rows/s.
- The store path's ceilings (not paths a consumer can take): the same article and mention
  rows COPY'd straight into their tables, nothing else (no upsert, no versions, no ledger, no
  offsets; entity ids made and remembered as `store_batch` does), on the current schema; and
  the same with `session_replication_role = replica` (needs a superuser: no triggers, so no
  full-text documents, and no foreign-key checks). What a writer of these rows pays whatever
  it does in the client.
- The store path with two writers at once (`store_writers.py`): two processes, as two
  consumers of one group, storing `store_batch` batches into the same database, against the
  single writer: what scaling out consumers buys on this machine's cores.
- Consumer loop with metrics on and off (`consumer_metrics.py`): the real `consume_cleaned`
  over the same records, its Prometheus metrics served and scraped against none at all.

Variants alternate over `ROUNDS` rounds and the best round of each counts, so a noisy
neighbour on a shared machine slows both alike. Wall-clock time: the work happens in the
broker, the database server and the producer's sender thread as much as in this thread.
"""

from __future__ import annotations

import importlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

from kafka import KafkaAdminClient
from kafka.record import default_records
from kafka.record import util as record_util
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, delete, make_url, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import OperationalError, ProgrammingError

from devtools.bench.store_writers import MakeStore, parallel_store_rate
from devtools.stub_enricher import StubEnricher
from pipeline.config import Settings
from pipeline.consume.runner import BATCH_SIZE
from pipeline.errors import ConfigError
from pipeline.kafka_security import make_client
from pipeline.progress import LogMeter, Meter
from pipeline.publish.producer import (
    COMPRESSION,
    crc32c_in_use,
    make_producer,
    publish_records,
)
from pipeline.publish.topics import ensure_topics
from pipeline.records import (
    CleanedArticle,
    EnrichedArticle,
    Extractor,
    Paragraph,
    article_id_for,
    content_hash,
)
from pipeline.records import encode as encode_record
from pipeline.table import format_table
from pipeline.warehouse.bulk import copy_rows, copy_text
from pipeline.warehouse.db import _entity_ids, make_engine, store_batch
from pipeline.warehouse.migrate import upgrade
from pipeline.warehouse.models import Article, ArticleVersion, ConsumerOffset, Entity, Mention
from pipeline.warehouse.rows import ARTICLE_FIELDS, article_row, mention_drafts, version_row

Echo = Callable[..., None]
ROUNDS = 3
MAX_STORE_ARTICLES = 5000  # enough for a steady rate
STORE_WRITERS = 2  # processes storing at once, as consumers of one group on this machine's cores
ROW_BY_ROW_ARTICLES = 1000  # the row-by-row baseline is slow: fewer articles, the same rate


def _vocabulary(size: int = 3000) -> list[str]:
    """Made-up words from common syllables, a few capitalized (the stub enricher's entities):
    text that gzip compresses about as well as news prose, unlike one repeated string."""
    rng = random.Random(0)  # noqa: S311 - test data, not secrets
    syllables = "ba ce di fo gu ha ke li mo nu pa re si to vu an el in or us ter ing ment".split()
    words = ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(size)]
    return [w.capitalize() if i % 12 == 0 else w for i, w in enumerate(words)]


_WORDS = _vocabulary()


def _records(count: int, run: str) -> list[CleanedArticle]:
    """Distinct article records of about 3 KB serialized (the text appears twice: as `text`
    and as `paragraphs`)."""
    rng = random.Random(run)  # noqa: S311 - test data, not secrets
    records = []
    for n in range(count):
        paragraphs = [" ".join(rng.choices(_WORDS, k=42)) + "." for _ in range(4)]
        text = "\n\n".join(paragraphs)
        url = f"https://bench.example/{run}/{n}"
        records.append(
            CleanedArticle(
                article_id=article_id_for(url),
                url=url,
                canonical_url=url,
                source_id="bench",
                title=f"Bench story {n}",
                authors=["Bench Writer"],
                fetched_at=datetime(2026, 11, 28, tzinfo=UTC),
                language="en",
                text=text,
                paragraphs=[Paragraph(text=p) for p in paragraphs],
                word_count=len(text.split()),
                content_hash=content_hash(text),
                extractor=Extractor(name="bench", version="1"),
            )
        )
    return records


@contextmanager
def pure_python_crc32c() -> Iterator[None]:
    """kafka-python as it runs without the `crc32c` package: its own Python CRC-32C."""
    # Implementation details the kafka-python stubs do not declare.
    calc, pure_python = record_util.calc_crc32c, record_util.crc32c_py  # type: ignore[attr-defined]
    original = default_records.calc_crc32c  # type: ignore[attr-defined]
    default_records.calc_crc32c = partial(calc, _crc32c=pure_python)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        default_records.calc_crc32c = original  # type: ignore[attr-defined]


def _publish_rate(
    settings: Settings, topic: str, records: list[CleanedArticle], compression: str | None
) -> float:
    producer = make_producer(settings, client_id="newsflow-bench", compression_type=compression)
    try:
        publish_records(producer, records[:100], topic=topic)  # connections and metadata
        started = time.perf_counter()
        publish_records(producer, records, topic=topic, timeout=600)
        return len(records) / (time.perf_counter() - started)
    finally:
        producer.close(timeout=10)


# Every codec kafka-python 3 writes with the packages pyproject.toml pins (gzip always, lz4
# and zstd through its extras; snappy is not installed). Its gzip runs at level 9: the client
# has no setting for the level.
CODECS: tuple[str | None, ...] = ("lz4", "zstd", "gzip", None)
# The pure-Python CRC runs for these only: the checksum's share with the old default codec
# and undiluted.
PURE_CRC_CODECS: tuple[str | None, ...] = ("gzip", None)


def bench_producer(
    settings: Settings, count: int, echo: Echo, meter: Meter | None = None
) -> dict[str, Any]:
    if not crc32c_in_use():
        raise ConfigError(
            "kafka-python is not using the crc32c extension, so there is nothing "
            "to compare: install the pinned dependencies (make install)"
        )
    topic = f"newsflow-bench-delivery-{uuid.uuid4().hex[:8]}"
    ensure_topics(settings, [topic])
    variants = [(compression, "crc32c") for compression in CODECS] + [
        (compression, "pure_python_crc") for compression in PURE_CRC_CODECS
    ]
    best = dict.fromkeys(variants, 0.0)
    try:
        for round_ in range(ROUNDS):
            for compression, crc in variants if round_ % 2 == 0 else reversed(variants):
                if meter is not None:
                    meter.advance(step=f"producer {compression or 'uncompressed'} {crc}")
                records = _records(count, f"{compression}-{crc}-{round_}")
                if crc == "crc32c":
                    rate = _publish_rate(settings, topic, records, compression)
                else:
                    with pure_python_crc32c():
                        rate = _publish_rate(settings, topic, records, compression)
                echo(
                    f"bench delivery: producer {compression or 'uncompressed'} {crc} round "
                    f"{round_ + 1}: {rate:,.0f} records/s",
                    err=True,
                )
                best[compression, crc] = max(best[compression, crc], rate)
                if meter is not None:
                    meter.advance(1, records=count)
    finally:
        admin = make_client(KafkaAdminClient, settings, "admin")
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()
    size = sum(len(encode_record(r)) for r in _records(50, "size")) / 50
    figures: dict[str, Any] = {
        "records": count,
        "record_bytes": round(size),
        "producer_codec": COMPRESSION,
    }
    gzip_rate = best["gzip", "crc32c"]
    for compression in CODECS:
        fast = best[compression, "crc32c"]
        entry: dict[str, Any] = {
            "crc32c_records_per_s": round(fast),
            "vs_gzip": round(fast / gzip_rate, 2),
        }
        if compression in PURE_CRC_CODECS:
            plain = best[compression, "pure_python_crc"]
            entry["pure_python_crc_records_per_s"] = round(plain)
            entry["ratio"] = round(fast / plain, 2)
        figures[compression or "uncompressed"] = entry
    return figures


def _store_row_by_row(
    engine: Engine,
    group: str,
    items: Sequence[EnrichedArticle],
    offsets: dict[tuple[str, int], int],
) -> None:
    """The plain baseline: what a consumer writing one row per statement does."""
    with engine.begin() as conn:
        for article in items:
            row = article_row(article)
            upsert = pg_insert(Article).values(row)
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[Article.article_id],
                    set_={k: upsert.excluded[k] for k in row if k != "article_id"},
                )
            )
            conn.execute(
                pg_insert(ArticleVersion)
                .values(version_row(article))
                .on_conflict_do_nothing(index_elements=["article_id", "version"])
            )
            conn.execute(delete(Mention).where(Mention.article_id == article.article_id))
            for draft in mention_drafts(article):
                conn.execute(
                    pg_insert(Entity)
                    .values(canonical=draft.canonical, label=draft.label)
                    .on_conflict_do_nothing(index_elements=["canonical", "label"])
                )
                entity_id = conn.execute(
                    select(Entity.entity_id).where(
                        Entity.canonical == draft.canonical, Entity.label == draft.label
                    )
                ).scalar_one()
                conn.execute(
                    pg_insert(Mention).values(
                        article_id=article.article_id,
                        entity_id=entity_id,
                        count=draft.count,
                        surface_forms=draft.surface_forms,
                        first_offset=draft.first_offset,
                    )
                )
        for (topic, partition), offset in offsets.items():
            stmt = pg_insert(ConsumerOffset).values(
                group_id=group, topic=topic, partition=partition, next_offset=offset
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["group_id", "topic", "partition"],
                    set_={"next_offset": stmt.excluded.next_offset},
                )
            )


MENTION_COLUMNS = ("article_id", "entity_id", "count", "surface_forms", "first_offset")


class CopyOnly:
    """A ceiling: the batch's article and mention rows COPY'd into their tables and nothing
    else; `unchecked` sets `session_replication_role = replica` first (no triggers, no
    foreign-key checks)."""

    def __init__(self, unchecked: bool = False) -> None:
        self.unchecked = unchecked
        self.ids: dict[tuple[str, str], int] = {}

    def __call__(
        self,
        engine: Engine,
        group: str,
        items: Sequence[EnrichedArticle],
        offsets: dict[tuple[str, int], int],
    ) -> None:
        with engine.begin() as conn:
            if self.unchecked:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            copy_rows(conn, "articles", ARTICLE_FIELDS, [article_row(a) for a in items])
            drafts = {a.article_id: mention_drafts(a) for a in items}
            keys = {(d.canonical, d.label) for found in drafts.values() for d in found}
            missing = sorted(keys - self.ids.keys())
            if missing:
                self.ids.update(_entity_ids(conn, missing)[1])
            copy_text(
                conn,
                "mentions",
                MENTION_COLUMNS,
                (
                    (
                        article_id,
                        self.ids[(d.canonical, d.label)],
                        d.count,
                        d.surface_forms,
                        d.first_offset,
                    )
                    for article_id, found in drafts.items()
                    for d in found
                ),
            )


def _may_skip_checks(engine: Engine) -> bool:
    """Whether this role may set session_replication_role (a superuser, or granted SET)."""
    with engine.connect() as conn:
        return bool(
            conn.exec_driver_sql(
                "SELECT has_parameter_privilege('session_replication_role', 'SET')"
            ).scalar()
        )


def _store_rate(engine: Engine, store: Callable[..., Any], items: list[EnrichedArticle]) -> float:
    started = time.perf_counter()
    for start in range(0, len(items), BATCH_SIZE):
        store(
            engine, "bench", items[start : start + BATCH_SIZE], {("bench", 0): start + BATCH_SIZE}
        )
    return len(items) / (time.perf_counter() - started)


@contextmanager
def _scratch_database(settings: Settings, revision: str = "heads") -> Iterator[Engine]:
    base = make_url(settings.database_url())
    name = f"newsflow_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except (OperationalError, ProgrammingError) as exc:
        raise ConfigError(
            f"bench delivery needs to create a scratch database on "
            f"{base.render_as_string(hide_password=True)}: {exc.orig}"
        ) from exc
    scratch = settings.model_copy(
        update={
            "warehouse_url": SecretStr(
                base.set(database=name).render_as_string(hide_password=False)
            )
        }
    )
    engine = make_engine(scratch, "newsflow-bench")
    try:
        upgrade(engine, revision)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


# The schema the old store paths ran on: before the set-based search index (0010).
_SET_BASED_SEARCH = importlib.import_module(
    "pipeline.warehouse.migrations.versions.0010_set_based_search"
)
SCHEMA_BEFORE = _SET_BASED_SEARCH.down_revision

# name → (store function, schema): the new path on the current schema; the old paths (the
# multi-row INSERTs before COPY, one row per statement) on the schema they had; and the COPY
# path on the old schema, which shows the migration's share.
STORE_VARIANTS: dict[str, tuple[Callable[..., Any], str]] = {
    "store_batch": (store_batch, "heads"),
    "store_batch_old_schema": (store_batch, "before"),
    "multi_row_insert": (partial(store_batch, bulk=False), "before"),
    "row_by_row": (_store_row_by_row, "before"),
}
# name → the ceiling's store function (made per round: it remembers entity ids), current schema.
CEILINGS: dict[str, MakeStore] = {
    "copy_only": CopyOnly,
    "copy_only_unchecked": partial(CopyOnly, unchecked=True),
}


def bench_store(
    settings: Settings, count: int, echo: Echo, meter: Meter | None = None
) -> dict[str, Any]:
    stub = StubEnricher()
    ceilings = {name: (make, "ceiling") for name, make in CEILINGS.items()}
    # name → (what each writer process stores with, None for store_batch; its schema)
    parallel: dict[str, tuple[MakeStore | None, str]] = {
        "store_batch": (None, "heads"),
        **ceilings,
    }
    best = dict.fromkeys(
        [*STORE_VARIANTS, *CEILINGS, *(f"parallel_{name}" for name in parallel)], 0.0
    )
    with (
        _scratch_database(settings) as current,
        _scratch_database(settings, SCHEMA_BEFORE or "base") as before,
        _scratch_database(settings) as ceiling,
    ):
        engines = {"heads": current, "before": before, "ceiling": ceiling}
        variants = {**STORE_VARIANTS, **ceilings}
        if not _may_skip_checks(ceiling):
            echo(
                "bench delivery: copy_only_unchecked skipped: setting "
                "session_replication_role needs a superuser",
                err=True,
            )
            for name in ("copy_only_unchecked", "parallel_copy_only_unchecked"):
                del best[name]
            del variants["copy_only_unchecked"], parallel["copy_only_unchecked"]
            if meter is not None:  # its rounds, alone and with several writers, are in the total
                meter.advance(2 * ROUNDS, step="store copy_only_unchecked skipped")
        for round_ in range(ROUNDS):
            for name in parallel if round_ % 2 == 0 else reversed(list(parallel)):
                if meter is not None:
                    meter.advance(step=f"store {name}, {STORE_WRITERS} writers")
                make, schema = parallel[name]
                rate = parallel_store_rate(
                    settings,
                    engines[schema],
                    _records,
                    STORE_WRITERS,
                    count // STORE_WRITERS,
                    BATCH_SIZE,
                    f"store-writers-{name}-{round_}",
                    make,
                )
                echo(
                    f"bench delivery: store {name}, {STORE_WRITERS} writers, round "
                    f"{round_ + 1}: {rate:,.0f} articles/s",
                    err=True,
                )
                best[f"parallel_{name}"] = max(best[f"parallel_{name}"], rate)
                if meter is not None:
                    meter.advance(1, articles=count)
            for name in variants if round_ % 2 == 0 else reversed(list(variants)):
                if meter is not None:
                    meter.advance(step=f"store {name}")
                store, schema = variants[name]
                if name in CEILINGS:
                    store = store()
                n = min(count, ROW_BY_ROW_ARTICLES) if name == "row_by_row" else count
                items = stub.enrich_each(_records(n, f"store-{name}-{round_}"))
                rate = _store_rate(engines[schema], store, items)
                echo(
                    f"bench delivery: store {name} round {round_ + 1}: {rate:,.0f} articles/s",
                    err=True,
                )
                best[name] = max(best[name], rate)
                if meter is not None:
                    meter.advance(1, articles=count)
    mentions = sum(len(article.entities) for article in stub.enrich_each(_records(50, "m")))
    return {
        "articles": count,
        "batch": BATCH_SIZE,
        "mentions_per_article": mentions / 50,
        "schema_before": SCHEMA_BEFORE,
        **{
            f"{name}_articles_per_s": round(best[name]) if name in best else None
            for name in [*STORE_VARIANTS, *CEILINGS]
        },
        "writers": STORE_WRITERS,
        "parallel_writers_articles_per_s": round(best["parallel_store_batch"]),
        "ratio_parallel_writers": round(best["parallel_store_batch"] / best["store_batch"], 2),
        **{
            f"parallel_{name}_articles_per_s": round(best[f"parallel_{name}"])
            if f"parallel_{name}" in best
            else None
            for name in CEILINGS
        },
        "ratio": round(best["store_batch"] / best["row_by_row"], 2),
        "ratio_vs_multi_row_insert": round(best["store_batch"] / best["multi_row_insert"], 2),
        "ratio_vs_old_schema": round(best["store_batch"] / best["store_batch_old_schema"], 2),
        **{
            f"ratio_vs_{name}": round(best["store_batch"] / best[name], 2)
            for name in CEILINGS
            if name in best
        },
        **{
            f"ratio_parallel_vs_{name}": round(
                best["parallel_store_batch"] / best[f"parallel_{name}"], 2
            )
            for name in CEILINGS
            if f"parallel_{name}" in best
        },
    }


def run(
    settings: Settings,
    *,
    records: int,
    as_json: bool = False,
    echo: Echo = print,
    meter: Meter | None = None,
) -> None:
    """`meter` hears each timed round (default: plain log lines)."""
    if records < BATCH_SIZE:
        raise ConfigError(f"--records must be at least {BATCH_SIZE} (one consumer batch)")
    from devtools.bench.consumer_metrics import bench_consumer_metrics

    meter = meter if meter is not None else LogMeter()
    meter.start(
        (len(CODECS) + len(PURE_CRC_CODECS) + len(STORE_VARIANTS) + 2 * len(CEILINGS) + 1) * ROUNDS,
        "bench delivery",
        "rounds",
        ("records", "articles"),
    )
    figures = {
        "producer": bench_producer(settings, records, echo, meter),
        "store": bench_store(settings, min(records, MAX_STORE_ARTICLES), echo, meter),
        "consumer_metrics": bench_consumer_metrics(
            settings, min(records, MAX_STORE_ARTICLES), _records, _scratch_database, echo
        ),
    }
    if as_json:
        echo(json.dumps(figures))
        return
    p, s = figures["producer"], figures["store"]
    rows: list[tuple[object, ...]] = [
        (
            f"producer records/s, {name} ({p['records']} × {p['record_bytes']} B; crc32c vs "
            "pure-Python CRC)",
            p[name]["crc32c_records_per_s"],
            p[name]["pure_python_crc_records_per_s"],
            p[name]["ratio"],
        )
        for name in ("gzip", "uncompressed")
    ]
    rows += [
        (
            f"producer records/s, {name} vs gzip (crc32c; the producer uses {p['producer_codec']})",
            p[name]["crc32c_records_per_s"],
            p["gzip"]["crc32c_records_per_s"],
            p[name]["vs_gzip"],
        )
        for name in ("lz4", "zstd", "uncompressed")
    ]
    before = s["schema_before"]
    rows += [
        (
            f"consumer article rows/s ({s['articles']} articles; store_batch vs {label})",
            s["store_batch_articles_per_s"],
            s[f"{name}_articles_per_s"],
            s[ratio],
        )
        for label, name, ratio in (
            (f"row-by-row on schema {before}", "row_by_row", "ratio"),
            (
                f"the multi-row INSERT path before COPY, on schema {before}",
                "multi_row_insert",
                "ratio_vs_multi_row_insert",
            ),
            (f"itself on schema {before}", "store_batch_old_schema", "ratio_vs_old_schema"),
        )
    ]
    rows += [
        (
            f"consumer article rows/s: store_batch vs the ceiling {label}",
            s["store_batch_articles_per_s"],
            s[f"{name}_articles_per_s"],
            s[f"ratio_vs_{name}"],
        )
        for label, name in (
            ("of a bare COPY of the same article and mention rows", "copy_only"),
            ("of the same COPY without triggers or foreign-key checks", "copy_only_unchecked"),
        )
        if s[f"{name}_articles_per_s"] is not None
    ]
    rows.append(
        (
            f"consumer article rows/s: {s['writers']} store_batch writers (processes) at once "
            "vs one",
            s["parallel_writers_articles_per_s"],
            s["store_batch_articles_per_s"],
            s["ratio_parallel_writers"],
        )
    )
    rows += [
        (
            f"consumer article rows/s: {s['writers']} store_batch writers vs {s['writers']} "
            f"writers {label}",
            s["parallel_writers_articles_per_s"],
            s[f"parallel_{name}_articles_per_s"],
            s[f"ratio_parallel_vs_{name}"],
        )
        for label, name in (
            ("of the bare COPY ceiling", "copy_only"),
            ("of the COPY without triggers or foreign-key checks", "copy_only_unchecked"),
        )
        if s[f"parallel_{name}_articles_per_s"] is not None
    ]
    m = figures["consumer_metrics"]
    rows.append(
        (
            f"consumer loop articles/s ({m['articles']} articles; metrics served and scraped "
            "vs no metrics)",
            m["metrics_on_articles_per_s"],
            m["metrics_off_articles_per_s"],
            m["ratio"],
        )
    )
    rows.append(
        (
            "consumer loop CPU ms per article (the same runs; metrics vs none)",
            m["metrics_on_cpu_ms_per_article"],
            m["metrics_off_cpu_ms_per_article"],
            m["cpu_ratio"],
        )
    )
    echo(format_table(("measure", "newsflow", "baseline", "ratio"), rows))
