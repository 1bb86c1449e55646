"""`newsflow bench cluster`: story clustering on a labelled news stream, and its speed.

The stream goes through the path the consumer takes, in time order: each article becomes the
record the pipeline would publish (`story_sets.cleaned_record`), the real `Enricher` enriches it
in batches (entities where the language has a model, the gazetteer's alone in de/es/it/pt,
`entities_skipped` saying so, none elsewhere), then
`probe_for` and the story index's `assign` give its story. The predicted stories are scored
against the gold ones with B-cubed and pairwise precision, recall and F1 (`cluster_scores`),
next to the published figure of that dataset where one is known (`PUBLISHED`), measured the
same way.

Speed is articles/s added to clustering in this process (`probe_for` + `assign`, wall clock,
enrichment not included: `bench enrich` measures that), once on the stream's own index and once
on an index that already holds `store_size` synthetic articles (default 100,000), the stream
re-timed to arrive just after them so their stories are live candidates.

Dev/test: the clusterer's threshold is its default unless `--tune-on DEV` is given; then the
threshold with the best B-cubed F1 on DEV (another file, e.g. Priberam's dataset.dev.json) is
chosen there and the figures are reported on `--dataset` only. `--split-by-time` does the same
within `--dataset`: the threshold is chosen on its earlier half (in time order) and the figures
are reported on the later half only. `--dev-only` with it leaves the later half out altogether
and splits the earlier half the same way, to develop the clusterer without seeing the figures
of the half it is finally reported on.

Baselines are scored the same way on the same articles (`cluster_baselines`): every article a
story of its own, and a plain TF-IDF single-pass clusterer whose threshold is tuned on the same
dev stream (its own grid, `TFIDF_THRESHOLDS`) when the story index's is.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from devtools.bench.cluster_baselines import (
    TFIDF_DEFAULT,
    TFIDF_THRESHOLDS,
    singletons,
    tfidf_single_pass,
)
from devtools.bench.cluster_scores import Scores, bcubed, pairwise
from devtools.bench.story_sets import StoryDoc, cleaned_record, load_stream
from pipeline.errors import ConfigError, PoisonRecord
from pipeline.progress import LogMeter, Meter
from pipeline.records import EnrichedArticle
from pipeline.table import format_table

Echo = Callable[..., None]
BATCH = 64  # records per enrich and assign call, as a consumer batch
STORE_SIZE = 100_000
ARRIVING = 2_000  # synthetic articles timed once the store holds STORE_SIZE
SEED_SPAN = timedelta(days=30)  # the synthetic store's articles are spread over this span


@dataclass(frozen=True)
class Published:
    """A figure published for a dataset, and how to recognise that dataset."""

    name: str
    language: str
    articles: int
    stories: int
    metric: str  # "pairwise" or "bcubed"
    precision: float
    recall: float
    f1: float
    source: str


# Only figures read in their source; see docs/bench-cluster.md.
PUBLISHED = (
    Published(
        name="Priberam news-clustering, English test set",
        language="en",
        articles=8726,
        stories=222,
        metric="pairwise",
        precision=0.98143,
        recall=0.90254,
        f1=0.94034,
        source="Priberam/news-clustering en.test.json (commit 4efefffc), the authors' "
        "re-implementation of Miranda et al., EMNLP 2018, scored by its eval_lib.ScoreSet",
    ),
)


class StoryIndex(Protocol):
    def assign(self, probes: Sequence[Any]) -> list[str]: ...


def _stories() -> ModuleType:
    try:
        from pipeline.enrich import stories
    except ImportError as exc:  # pragma: no cover - until story clustering is merged
        raise ConfigError(
            "story clustering (pipeline/enrich/stories.py) is not in this tree"
        ) from exc
    return stories


def _params(stories: ModuleType, threshold: float | None) -> Any:
    if threshold is None:
        return stories.DEFAULT_PARAMS
    return replace(stories.DEFAULT_PARAMS, threshold=threshold)


@dataclass
class Enriched:
    docs: list[StoryDoc]
    articles: dict[str, EnrichedArticle]  # by doc id; rejected docs are absent
    rejected: int
    without_entities: int
    seconds: float


def enrich_stream(docs: Sequence[StoryDoc], meter: Meter, what: str) -> Enriched:
    from pipeline.enrich.enricher import Enricher

    enricher = Enricher()
    meter.start(len(docs), f"enrich {what}", "articles")
    started = time.perf_counter()
    articles: dict[str, EnrichedArticle] = {}
    rejected = 0
    for at in range(0, len(docs), BATCH):
        batch = docs[at : at + BATCH]
        results = enricher.enrich_each([cleaned_record(d) for d in batch])
        for doc, result in zip(batch, results, strict=True):
            if isinstance(result, PoisonRecord):
                rejected += 1
            else:
                articles[doc.id] = result
        meter.advance(len(batch))
    seconds = time.perf_counter() - started
    without = sum(1 for a in articles.values() if not a.entities)
    return Enriched(list(docs), articles, rejected, without, seconds)


def cluster(enriched: Enriched, index: StoryIndex) -> tuple[dict[str, str], float]:
    """Each doc's predicted story (a rejected doc is a story of its own) and the seconds spent
    in probe_for + assign."""
    probe_for = _stories().probe_for
    predicted: dict[str, str] = {}
    seconds = 0.0
    docs = enriched.docs
    for at in range(0, len(docs), BATCH):
        batch = [d for d in docs[at : at + BATCH] if d.id in enriched.articles]
        started = time.perf_counter()
        probes = [probe_for(enriched.articles[d.id]) for d in batch]
        ids = index.assign(probes)
        seconds += time.perf_counter() - started
        predicted.update(zip((d.id for d in batch), ids, strict=True))
    for doc in docs:
        predicted.setdefault(doc.id, f"rejected:{doc.id}")
    return predicted, seconds


class _Synthetic:
    """Synthetic articles in stories of a few articles each (about 4.5 on average): each story
    has six core entities and twenty core terms, each article three more entities and twelve
    more terms of its own, drawn log-uniformly (about Zipf's law: a few keys are in a quarter
    of all articles, as "United States" is) from 20,000 entities and 50,000 terms."""

    def __init__(self, seed: int = 13) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        self.made = 0

    def _draw(self, vocabulary: int, prefix: str) -> str:
        return f"{prefix}{int(vocabulary ** self.rng.random())}"

    def core(self) -> tuple[list[str], list[str]]:
        return (
            [self._draw(20_000, "Q") for _ in range(6)],
            [self._draw(50_000, "w") for _ in range(20)],
        )

    def article(self, core: tuple[list[str], list[str]], published: Any) -> Any:
        entities = core[0] + [self._draw(20_000, "Q") for _ in range(3)]
        terms = core[1] + [self._draw(50_000, "w") for _ in range(12)]
        self.made += 1
        return _stories().StoryProbe(
            article_id=f"{self.made:064x}",
            source=f"synthetic-{self.made % 40}",
            published=published,
            language="en",
            title="",
            entities=dict.fromkeys(entities, 1.0),
            terms=dict.fromkeys(terms, 1.0),
        )

    def stories(self, count: int, end: Any) -> list[tuple[Any, list[Any]]]:
        """(core, articles in time order) of stories holding `count` articles over the
        SEED_SPAN before `end`."""
        made: list[tuple[Any, list[Any]]] = []
        total = 0
        while total < count:
            size = min(1 + int(self.rng.expovariate(1 / 4)), count - total)
            core = self.core()
            began = end - SEED_SPAN + SEED_SPAN * self.rng.random() * 0.97
            articles = [
                self.article(core, min(began + timedelta(hours=48 * self.rng.random()), end))
                for _ in range(size)
            ]
            made.append((core, sorted(articles, key=lambda p: (p.published, p.article_id))))
            total += size
        return made

    def stream(self, count: int, after: Any, live: Sequence[Any]) -> list[Any]:
        """`count` articles arriving one a minute after `after`: six in ten follow one of the
        `live` stories' cores, the rest start stories of their own."""
        stream = []
        for n in range(count):
            follows = live and self.rng.random() < 0.6
            core = self.rng.choice(live) if follows else self.core()
            stream.append(self.article(core, after + timedelta(minutes=n + 1)))
        return stream


def seed(index: Any, synthetic: Sequence[tuple[Any, Sequence[Any]]]) -> None:
    """Put the synthetic stories in a MemoryStoryIndex as `assign` would have left them had
    each article joined its own story (profiles, postings, key frequencies, and its pending
    changes, which a warehouse store then writes), without scoring each one against the
    candidates: that would take minutes at 100,000 articles and is what is being measured."""
    stories = _stories()
    for _, articles in synthetic:
        story = stories.new_story(articles[0])
        for probe in articles:
            entities = stories.weighted(probe.entities, index.df, index.total)
            terms = stories.weighted(
                {"t:" + t: w for t, w in probe.terms.items()}, index.df, index.total
            )
            terms = {key[2:]: w for key, w in terms.items()}
            stories.absorb(story, probe, entities, terms, index.params)
            index.assigned[probe.article_id] = story.story_id
            index.changes.assigned.append((probe.article_id, story.story_id))
            keys = stories.probe_keys(probe)
            index.df.update(keys)
            index.changes.df.update(keys)
            index.total += 1
            index.changes.articles += 1
        index.add_story(story)
        index.changes.stories[story.story_id] = story
        index.changes.created.add(story.story_id)


@contextmanager
def seeded_index(store: str, params: Any, made: Sequence[Any], settings: Any) -> Iterator[Any]:
    """A story index holding the synthetic stories `made`: in memory, or in a scratch database
    on the warehouse's PostgreSQL server (created, migrated, and dropped afterwards)."""
    stories = _stories()
    memory = stories.MemoryStoryIndex(params)
    seed(memory, made)
    if store == "memory":
        memory.take_changes()
        yield memory
        return
    from devtools.bench.delivery import _scratch_database
    from pipeline.warehouse.stories import WarehouseStoryIndex, _write

    with _scratch_database(settings) as engine:
        with engine.begin() as conn:
            _write(conn, memory)
        with engine.connect() as conn:
            # Planner statistics, as autovacuum keeps them on a warehouse filled over time
            # (this one was filled in one transaction a moment ago).
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        yield WarehouseStoryIndex(engine, params)


def store_throughput(
    store: str, params: Any, size: int, arriving: int, settings: Any, meter: Meter
) -> float:
    """Articles/s `assign` takes (in consumer batches, probes made) for `arriving` synthetic
    articles once the store holds `size`, most of them following the stories of its last
    days."""
    meter.start(None, f"seed the {store} store with {size} synthetic articles")
    synthetic = _Synthetic()
    end = datetime(2030, 1, 1, tzinfo=UTC)
    made = synthetic.stories(size, end)
    live = [core for core, articles in made if articles[-1].published > end - timedelta(days=3)]
    stream = synthetic.stream(arriving, end, live)
    with seeded_index(store, params, made, settings) as index:
        meter.start(len(stream), f"assign {arriving} more articles in the {store} store")
        seconds = 0.0
        for at in range(0, len(stream), BATCH):
            batch = stream[at : at + BATCH]
            started = time.perf_counter()
            index.assign(batch)
            seconds += time.perf_counter() - started
            meter.advance(len(batch))
    return len(stream) / seconds


def published_for(docs: Sequence[StoryDoc], languages: Sequence[str]) -> Published | None:
    langs = {d.language for d in docs}
    for known in PUBLISHED:
        if (
            langs == {known.language}
            and len(docs) == known.articles
            and len({d.story for d in docs}) == known.stories
        ):
            return known
    return None


def tune(dev: Enriched, thresholds: Sequence[float], meter: Meter) -> tuple[float, float]:
    """The threshold with the best B-cubed F1 on `dev` (ties: the lower), and that F1."""
    stories = _stories()
    gold = {d.id: d.story for d in dev.docs}
    best: tuple[float, float] | None = None
    meter.start(len(thresholds), "tune the threshold on the dev stream", "thresholds")
    for threshold in thresholds:
        index = stories.MemoryStoryIndex(_params(stories, threshold))
        predicted, _ = cluster(dev, index)
        f1 = bcubed(gold, predicted).f1
        if best is None or f1 > best[1]:
            best = (threshold, f1)
        meter.advance(1)
    assert best is not None
    return best


def tune_tfidf(dev_docs: Sequence[StoryDoc], thresholds: Sequence[float]) -> tuple[float, float]:
    """The TF-IDF baseline's threshold with the best B-cubed F1 on `dev_docs` (ties: the
    lower), and that F1."""
    gold = {d.id: d.story for d in dev_docs}
    best: tuple[float, float] | None = None
    for threshold in thresholds:
        f1 = bcubed(gold, tfidf_single_pass(dev_docs, threshold)).f1
        if best is None or f1 > best[1]:
            best = (threshold, f1)
    assert best is not None
    return best


def split_by_time(docs: Sequence[StoryDoc]) -> tuple[list[StoryDoc], list[StoryDoc]]:
    """The earlier and the later half of a stream in time order (the later half holds the
    middle article of an odd count)."""
    half = len(docs) // 2
    return list(docs[:half]), list(docs[half:])


def _row(name: str, s: Scores, stories: int | str) -> list[object]:
    return [name, f"{s.precision:.4f}", f"{s.recall:.4f}", f"{s.f1:.4f}", stories]


def run(
    dataset: Path,
    *,
    languages: Sequence[str] = (),
    limit: int | None = None,
    tune_on: Path | None = None,
    split: bool = False,
    dev_only: bool = False,
    thresholds: Sequence[float] = (),
    store: str = "memory",
    store_size: int = STORE_SIZE,
    arriving: int = ARRIVING,
    settings: Any = None,
    as_json: bool = False,
    echo: Echo = print,
    meter: Meter | None = None,
) -> dict[str, Any]:
    meter = meter or LogMeter()
    stories = _stories()
    docs = load_stream(dataset, languages)
    if limit is not None:
        docs = docs[:limit]
    if not docs:
        raise ConfigError(f"{dataset}: no article to cluster (languages {list(languages)})")

    if split and tune_on is not None:
        raise ConfigError("--split-by-time and --tune-on: choose one dev stream")
    if dev_only and not split:
        raise ConfigError("--dev-only goes with --split-by-time")
    if dev_only:
        docs, _ = split_by_time(docs)  # the later half is never read
    threshold: float | None = None
    tuned: dict[str, Any] | None = None
    tfidf_threshold, tfidf_from = TFIDF_DEFAULT, "default"
    dev_docs: list[StoryDoc] = []
    if split:
        dev_docs, docs = split_by_time(docs)
        if not dev_docs:
            raise ConfigError(f"{dataset}: too few articles to split in two halves")
        dev_name = f"the earlier half of {dataset}"
    elif tune_on is not None:
        dev_docs = load_stream(tune_on, languages)
        if limit is not None:
            dev_docs = dev_docs[:limit]
        dev_name = str(tune_on)
    if dev_docs:
        dev = enrich_stream(dev_docs, meter, "dev stream")
        threshold, dev_f1 = tune(dev, thresholds, meter)
        tfidf_threshold, tfidf_f1 = tune_tfidf(dev_docs, TFIDF_THRESHOLDS)
        tfidf_from = "tuned"
        tuned = {
            "on": dev_name,
            "articles": len(dev_docs),
            "gold_stories": len({d.story for d in dev_docs}),
            "from": dev_docs[0].published.isoformat(),
            "to": dev_docs[-1].published.isoformat(),
            "bcubed_f1": round(dev_f1, 4),
            "tfidf_bcubed_f1": round(tfidf_f1, 4),
        }
    params = _params(stories, threshold)

    enriched = enrich_stream(docs, meter, "stream")
    gold = {d.id: d.story for d in docs}
    index = stories.MemoryStoryIndex(params)
    predicted, seconds = cluster(enriched, index)
    b3, pw = bcubed(gold, predicted), pairwise(gold, predicted)
    baselines: dict[str, Any] = {}
    for name, made, at in (
        ("singletons", singletons(docs), None),
        ("tfidf", tfidf_single_pass(docs, tfidf_threshold), tfidf_threshold),
    ):
        baselines[name] = {
            "bcubed": vars(bcubed(gold, made)),
            "pairwise": vars(pairwise(gold, made)),
            "predicted_stories": len(set(made.values())),
        }
        if at is not None:
            baselines[name] |= {"threshold": at, "threshold_from": tfidf_from}

    at_size = store_throughput(store, params, store_size, arriving, settings, meter)
    # The in-process index on the same synthetic store, beside the warehouse's figure.
    in_memory = (
        at_size
        if store == "memory"
        else store_throughput("memory", params, store_size, arriving, settings, meter)
    )

    clustered = len(enriched.articles)
    published = published_for(docs, languages)
    figures: dict[str, Any] = {
        "dataset": str(dataset),
        "articles": len(docs),
        "languages": sorted({d.language for d in docs}),
        "gold_stories": len(set(gold.values())),
        "predicted_stories": len(set(predicted.values())),
        "rejected": enriched.rejected,
        "without_entities": enriched.without_entities,
        "threshold": params.threshold,
        "threshold_from": "tuned" if tuned else "default",
        "tuned": tuned,
        "split_by_time": split,
        "dev_only": dev_only,
        "shared_stories": len({d.story for d in dev_docs} & set(gold.values())) if split else 0,
        "bcubed": vars(b3),
        "pairwise": vars(pw),
        "baselines": baselines,
        "published": vars(published) if published else None,
        "enrich_articles_per_s": round(len(docs) / enriched.seconds, 1),
        "store": store,
        "store_size": store_size,
        "cluster_articles_per_s": round(clustered / seconds, 1) if seconds else math.inf,
        "arriving": arriving,
        "assign_articles_per_s_at_store_size": round(at_size, 1),
        "memory_assign_articles_per_s_at_store_size": round(in_memory, 1),
    }
    if as_json:
        echo(json.dumps(figures))
        return figures
    first, last = docs[0].published, docs[-1].published
    echo(
        f"{dataset}: {len(docs)} articles ({', '.join(figures['languages'])}), "
        f"{figures['gold_stories']} gold stories, {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    )
    echo(
        f"enriched {clustered} ({enriched.without_entities} without entities), "
        f"rejected {enriched.rejected}; {figures['enrich_articles_per_s']} articles/s"
    )
    if dev_only:
        echo(
            "--dev-only: the later half of the stream is left out; the halves below are "
            "those of its earlier half"
        )
    if tuned and split:
        echo(
            f"threshold {params.threshold} chosen on the earlier half "
            f"({tuned['articles']} articles, {tuned['gold_stories']} gold stories, "
            f"{tuned['from'][:19]} to {tuned['to'][:19]}, B-cubed F1 {tuned['bcubed_f1']}); "
            f"figures below are on the later half only ({len(docs)} articles from "
            f"{docs[0].published:%Y-%m-%d %H:%M:%S}; {figures['shared_stories']} gold stories "
            f"in both halves)"
        )
    elif tuned:
        echo(
            f"threshold {params.threshold} chosen on {tune_on} "
            f"({tuned['articles']} articles, B-cubed F1 {tuned['bcubed_f1']}); "
            f"figures below are on {dataset} only"
        )
    else:
        echo(f"threshold {params.threshold} (the clusterer's default, not tuned on this data)")
    rows = [
        _row("B-cubed", b3, figures["predicted_stories"]),
        _row("pairwise", pw, figures["predicted_stories"]),
    ]
    for name, label in (("singletons", "singletons"), ("tfidf", "tf-idf single pass")):
        base = baselines[name]
        for measure in ("bcubed", "pairwise"):
            rows.append(
                _row(
                    f"{label} {'B-cubed' if measure == 'bcubed' else 'pairwise'}",
                    Scores(**base[measure]),
                    base["predicted_stories"],
                )
            )
    if published:
        rows.append(
            _row(
                f"published ({published.metric})",
                Scores(published.precision, published.recall, published.f1),
                published.stories,
            )
        )
    echo(format_table(["measure", "precision", "recall", "f1", "stories"], rows))
    echo(
        f"baselines on the same articles: singletons (every article its own story); tf-idf "
        f"single pass at threshold {tfidf_threshold} ({tfidf_from}"
        f"{' on the same dev stream' if tuned else ''})"
    )
    if published:
        echo(f"published: {published.name}; {published.source}")
    else:
        echo("published: no figure known for this dataset")
    echo(
        f"clustering: {figures['cluster_articles_per_s']} articles/s for this stream "
        f"(probe_for + assign, memory, one process); "
        f"{figures['assign_articles_per_s_at_store_size']} articles/s to assign {arriving} "
        f"more synthetic articles once the {store} store holds {store_size}"
        + (
            ""
            if store == "memory"
            else f" ({figures['memory_assign_articles_per_s_at_store_size']} articles/s "
            "in the memory store)"
        )
    )
    return figures
