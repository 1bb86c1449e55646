"""`newsflow bench extract`: extraction quality and speed on a labelled dataset.

Quality is scored with `devtools.scoring` (the rules of datasets/README.md). Speed is a
ratio against a baseline run in the same process on the same pages, each page decoded once
before any clock starts, so every extractor gets the same text already in memory.

The clock is this process's CPU time (every extractor here runs on one thread): on a shared
machine, time spent waiting for a CPU would otherwise count against whichever extractor happened
to be running. Each extractor makes `ROUNDS` timed passes over all pages, the extractors taking
turns pass by pass, with the garbage collector emptied between passes: a parser that leaves
cyclic garbage behind (BeautifulSoup's trees are cycles) pays for its own collection instead of
handing it to the next extractor.
"""

from __future__ import annotations

import gc
import json
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devtools.scoring import Page, PageScore, load_dataset, score_page, summarize
from pipeline.clean import clean
from pipeline.clean.decode import decode_html
from pipeline.errors import ConfigError, NewsflowError, PoisonRecord
from pipeline.progress import LogMeter, Meter
from pipeline.records import CleanedArticle, utc_iso
from pipeline.table import format_table

Echo = Callable[..., None]
Extract = Callable[[Page, str], str]  # (page, its decoded html) -> body text
WARM_UP_PAGES = 3
ROUNDS = 2
BASELINES = ("trafilatura", "trafilatura-fast", "readability", "newspaper", "get_text")
_INSTALL_HINT = "install the benchmark baselines: .venv/bin/pip install -e '.[bench]'"


@dataclass
class _Run:
    name: str
    extract: Extract
    seconds: float = 0.0
    documents: int = 0
    scores: list[PageScore] = field(default_factory=list)

    def timed_pass(self, pages: list[tuple[Page, str]]) -> None:
        """One pass over every page on the clock; the first pass's texts are scored."""
        gc.collect()
        started = time.process_time()
        texts = [self.extract(page, html) for page, html in pages]
        # The garbage of this pass is this extractor's to collect.
        gc.collect()
        self.seconds += time.process_time() - started
        self.documents += len(pages)
        if not self.scores:
            self.scores = [
                score_page(page.truth, text) for (page, _), text in zip(pages, texts, strict=True)
            ]

    def summary(self) -> dict[str, Any]:
        figures: dict[str, Any] = {"name": self.name, **summarize(self.scores)}
        figures["docs_per_s"] = self.documents / self.seconds if self.seconds else 0.0
        if isinstance(self.extract, _Tolerant):
            figures["failed_pages"] = len(self.extract.failures)
        return figures


class _Tolerant:
    """A baseline that raises on a page predicts nothing for it, and the page is counted.

    newspaper4k, for one, needs an extra package for Japanese pages and raises without it.
    """

    def __init__(self, extract: Extract) -> None:
        self.extract = extract
        self.failures: dict[str, str] = {}

    def __call__(self, page: Page, html: str) -> str:
        try:
            return self.extract(page, html)
        except Exception as exc:  # noqa: BLE001 - a baseline's failure must not stop the bench
            self.failures[page.id] = f"{type(exc).__name__}: {exc}"
            return ""


class _Ours:
    """The cleaner, keeping each page's record for `--predictions`."""

    def __init__(self) -> None:
        self.records: dict[str, CleanedArticle | None] = {}
        self.fetched_at = datetime.now(UTC)

    def __call__(self, page: Page, html: str) -> str:
        try:
            article = clean(html, page.url, source_id="bench", fetched_at=self.fetched_at)
        except PoisonRecord:
            self.records[page.id] = None
            return ""
        self.records[page.id] = article
        return article.text


def baseline_extractor(name: str) -> Extract:
    """One of the open extractors, called the way its authors recommend for article text."""
    try:
        return _BASELINE_FACTORIES[name]()
    except ImportError as exc:
        raise NewsflowError(
            f"baseline {name!r} is not installed ({exc.name}): {_INSTALL_HINT}"
        ) from exc


def _trafilatura(fast: bool) -> Callable[[], Extract]:
    def factory() -> Extract:
        import trafilatura

        def extract(page: Page, html: str) -> str:
            return (
                trafilatura.extract(
                    html, url=page.url, fast=fast, favor_precision=not fast, include_comments=False
                )
                or ""
            )

        return extract

    return factory


def _readability() -> Extract:
    from bs4 import BeautifulSoup
    from readability import Document

    def extract(page: Page, html: str) -> str:
        summary = Document(html, url=page.url).summary(html_partial=True)
        return BeautifulSoup(summary, "lxml").get_text("\n")

    return extract


def _newspaper() -> Extract:
    from newspaper import Article

    def extract(page: Page, html: str) -> str:
        article = Article(page.url or "http://localhost/", fetch_images=False)
        article.download(input_html=html)
        article.parse()
        return article.text

    return extract


def _get_text() -> Extract:
    from bs4 import BeautifulSoup

    return lambda page, html: BeautifulSoup(html, "lxml").get_text()


_BASELINE_FACTORIES: dict[str, Callable[[], Extract]] = {
    "trafilatura": _trafilatura(fast=False),
    "trafilatura-fast": _trafilatura(fast=True),
    "readability": _readability,
    "newspaper": _newspaper,
    "get_text": _get_text,
}


def _load(dataset: Path) -> list[tuple[Page, str]]:
    if not (dataset / "ground-truth.json").is_file():
        raise ConfigError(
            f"{dataset} is not an extraction dataset: it needs ground-truth.json and html/"
            "<id>.html.gz, the layout of article-extraction-dev"
        )
    try:
        pages = list(load_dataset(dataset))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the dataset {dataset}: {exc}") from exc
    if not pages:
        raise ConfigError(f"{dataset} has no pages in ground-truth.json")
    return [(page, decode_html(page.html)) for page in pages]


def _measure(pages: list[tuple[Page, str]], runs: list[_Run], meter: Meter) -> None:
    """The timed passes; the meter hears of each pass, never of a page: it would be on the
    clock."""
    meter.start(ROUNDS * len(runs), "bench extract", "passes", ("pages",))
    meter.advance(step="warming up")
    # Imports, compiled patterns and caches are filled on the first pages; keep that off the clock.
    for page, html in pages[:WARM_UP_PAGES]:
        for run in runs:
            run.extract(page, html)
    for round_number in range(ROUNDS):
        # Taking turns, and in the other order each round: neither always goes first.
        for run in runs if round_number % 2 == 0 else runs[::-1]:
            meter.advance(step=f"{run.name} pass {round_number + 1}/{ROUNDS}")
            run.timed_pass(pages)
            meter.advance(1, pages=len(pages))


def _predictions(pages: list[tuple[Page, str]], ours: _Ours) -> dict[str, Any]:
    result = {}
    for page, _ in pages:
        record = ours.records.get(page.id)
        result[page.id] = {
            "articleBody": record.text if record else "",
            "title": record.title if record else None,
            "authors": list(record.authors) if record else [],
            "published_at": utc_iso(record.published_at) if record else None,
        }
    return result


def _report(ours: dict[str, Any], base: dict[str, Any] | None, ratio: float | None) -> str:
    columns = ["extractor", "pages", "precision", "recall", "f1", "empty", "docs/s"]
    rows = [
        [
            f["name"],
            f["pages"],
            f"{f['precision']:.3f}",
            f"{f['recall']:.3f}",
            f"{f['f1']:.3f}",
            f["empty_predictions"],
            f"{f['docs_per_s']:.1f}",
        ]
        for f in (ours, base)
        if f
    ]
    lines = [format_table(columns, rows)]
    if ratio is not None and base:
        lines.append(f"\nspeed ratio (ours / {base['name']}, same pages, same run): {ratio:.2f}")
    return "\n".join(lines)


def run(
    dataset: Path,
    *,
    baseline: str | None = None,
    as_json: bool = False,
    predictions: Path | None = None,
    echo: Echo = print,
    meter: Meter | None = None,
) -> dict[str, Any]:
    """Score the cleaner (and a baseline) on `dataset`, print the figures, return them.
    `meter` hears of each timed pass (default: plain log lines); its owner ends it."""
    if baseline is not None and baseline not in BASELINES:
        raise ConfigError(f"unknown baseline {baseline!r}: choose one of {', '.join(BASELINES)}")
    baseline_run = _Run(baseline, _Tolerant(baseline_extractor(baseline))) if baseline else None
    pages = _load(Path(dataset))
    ours = _Ours()
    ours_run = _Run("newsflow", ours)
    chatty = [logging.getLogger(name) for name in ("readability", "trafilatura", "newspaper")]
    levels = [logger.level for logger in chatty]
    with warnings.catch_warnings():
        # Baselines warn about optional extras (nltk, charset guesses) and log page by page.
        warnings.simplefilter("ignore")
        for logger in chatty:
            logger.setLevel(logging.ERROR)
        try:
            _measure(pages, [r for r in (ours_run, baseline_run) if r], meter or LogMeter())
        finally:
            for logger, level in zip(chatty, levels, strict=True):
                logger.setLevel(level)
    figures = ours_run.summary()
    ratio = None
    if baseline_run:
        base = baseline_run.summary()
        ratio = figures["docs_per_s"] / base["docs_per_s"] if base["docs_per_s"] else None
        figures["baseline"] = base
        figures["speed_ratio"] = ratio
        if isinstance(baseline_run.extract, _Tolerant) and baseline_run.extract.failures:
            page_id, error = next(iter(baseline_run.extract.failures.items()))
            count = len(baseline_run.extract.failures)
            echo(
                f"bench extract: {baseline} failed on {count} pages ({page_id}: {error})", err=True
            )
    if predictions:
        predictions.write_text(
            json.dumps(_predictions(pages, ours), ensure_ascii=False, indent=1), encoding="utf-8"
        )
    if as_json:
        echo(json.dumps(figures))
    else:
        echo(_report(figures, figures.get("baseline"), ratio))
    return figures
