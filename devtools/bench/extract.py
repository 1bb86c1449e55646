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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devtools.bench.fields import field_agreement
from devtools.bench.folds import cross_validate, site_of
from devtools.scoring import (
    Page,
    PageScore,
    load_dataset,
    score_page,
    snippet_counts,
    summarize,
    summarize_snippets,
)
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
    texts: list[str] = field(default_factory=list)  # the first pass's, which are scored

    def timed_pass(self, pages: list[tuple[Page, str]]) -> None:
        """One pass over every page on the clock; the first pass's texts are kept."""
        gc.collect()
        started = time.process_time()
        texts = [self.extract(page, html) for page, html in pages]
        # The garbage of this pass is this extractor's to collect.
        gc.collect()
        self.seconds += time.process_time() - started
        self.documents += len(pages)
        if not self.texts:
            self.texts = texts

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


def _row(label: list[str], f: dict[str, Any], speed: bool) -> list[Any]:
    row = [*label, f["pages"], f"{f['precision']:.3f}", f"{f['recall']:.3f}", f"{f['f1']:.3f}"]
    row.append(f["empty_predictions"])
    return [*row, f"{f['docs_per_s']:.1f}"] if speed else row


def _report(figures: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    columns = ["extractor", "pages", "precision", "recall", "f1", "empty", "docs/s"]
    lines = [format_table(columns, [_row([f["name"]], f, True) for f in runs])]
    datasets = figures.get("datasets", {})
    if len(datasets) > 1:
        rows = [
            _row([dataset, name], f, False)
            for dataset, by_name in datasets.items()
            for name, f in by_name.items()
        ]
        columns = ["dataset", "extractor", "pages", "precision", "recall", "f1", "empty"]
        lines += ["", format_table(columns, rows)]
    if snippets := figures.get("snippets"):
        rows = [
            [dataset, name, f["pages"], *(_figure(f[k]) for k in _SNIPPET_FIGURES)]
            + [f["empty_predictions"]]
            for dataset, by_name in snippets.items()
            for name, f in by_name.items()
        ]
        columns = ["dataset", "extractor", "pages", *_SNIPPET_FIGURES, "empty"]
        lines += [
            "",
            "labelled by snippets (counts pooled over the pages; not in the figures above or "
            "the cross-validation)",
            format_table(columns, rows),
        ]
    for base in figures.get("baselines", {}).values():
        if base.get("speed_ratio") is not None:
            lines.append(
                f"\nspeed ratio (ours / {base['name']}, same pages, same run): "
                f"{base['speed_ratio']:.2f}"
            )
    for name, agreement in figures.get("fields", {}).items():
        lines.append(_fields_line(name, agreement))
    if cv := figures.get("cv"):
        lines += ["", _cv_report(cv)]
    return "\n".join(lines)


_SNIPPET_FIGURES = ("precision", "recall", "f1", "accuracy")


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _fields_line(dataset: str, a: dict[str, Any]) -> str:
    authors = (
        f"{a['author_agreement']:.1%} of {a['pages_stating_authors']} pages stating authors"
        if a["author_agreement"] is not None
        else "no page states authors"
    )
    return (
        f"\n{dataset}: titles agree on {a['title_agreement']:.1%} of {a['titled_pages']} pages "
        f"({a['title_agreement_but_site_suffix']:.1%} counting a label that only adds the "
        "site's name); "
        f"authors agree on {authors}; authors invented on {a['pages_with_invented_authors']} "
        f"of {a['pages_without_authors']} pages without"
    )


def _cv_report(cv: dict[str, Any]) -> str:
    k = cv["folds"]
    columns = ["extractor", "whole f1", "cv f1", "stdev", "min", "max"]
    columns += [f"fold {i + 1}" for i in range(k)]
    rows = [
        [
            name,
            f"{c['whole_f1']:.3f}",
            f"{c['cv_f1']:.3f}",
            f"{c['cv_f1_stdev']:.3f}",
            f"{c['cv_f1_min']:.3f}",
            f"{c['cv_f1_max']:.3f}",
            *(f"{fold['f1']:.3f}" for fold in c["per_fold"]),
        ]
        for name, c in cv["extractors"].items()
    ]
    sizes = ", ".join(
        f"{pages} pages/{sites} sites"
        for pages, sites in zip(cv["fold_pages"], cv["fold_sites"], strict=True)
    )
    tuned = ", ".join(cv["tuned_parameters"]) or (
        "none (the cleaner has no threshold or weight fitted to data: every fold is scored "
        "with the same fixed rules, and the folds show the spread across groups of sites)"
    )
    return "\n".join(
        [
            f"cross-validation, {k} folds by site ({sizes})",
            f"parameters chosen on the training folds: {tuned}",
            format_table(columns, rows),
        ]
    )


def _snippet_figures(
    pages: list[tuple[Page, str]], dataset_of: list[str], runs: list[_Run]
) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(dataset_of):
        index = [
            i
            for i, ((page, _), d) in enumerate(zip(pages, dataset_of, strict=True))
            if d == name and page.by_snippets
        ]
        if not index:
            continue
        figures[name] = {}
        for r in runs:
            counts = []
            for i in index:
                page = pages[i][0]
                assert page.with_ is not None and page.without is not None
                counts.append(snippet_counts(page.with_, page.without, r.texts[i]))
            empty = sum(1 for i in index if not r.texts[i].strip())
            figures[name][r.name] = summarize_snippets(counts, empty)
    return figures


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str | Path) else list(value)


def run(
    dataset: Path | Sequence[Path],
    *,
    baseline: str | Sequence[str] | None = None,
    cv: int | None = None,
    as_json: bool = False,
    predictions: Path | None = None,
    echo: Echo = print,
    meter: Meter | None = None,
) -> dict[str, Any]:
    """Score the cleaner (and baselines) on the datasets, print the figures, return them.

    The top-level figures are ours over every page; `baseline` and `speed_ratio` are those of
    the first baseline, `baselines` has every one, `datasets` the figures per dataset, and
    with `cv`, `cv` the cross-validation by site (devtools/bench/folds.py). `meter` hears of
    each timed pass (default: plain log lines); its owner ends it.
    """
    baselines = _as_list(baseline)
    for name in baselines:
        if name not in BASELINES:
            raise ConfigError(f"unknown baseline {name!r}: choose one of {', '.join(BASELINES)}")
    baseline_runs = [_Run(name, _Tolerant(baseline_extractor(name))) for name in baselines]
    datasets = [Path(d) for d in _as_list(dataset)]
    if not datasets:
        raise ConfigError("give at least one --dataset")
    pages: list[tuple[Page, str]] = []
    dataset_of: list[str] = []
    for directory in datasets:
        loaded = _load(directory)
        pages += loaded
        dataset_of += [directory.name] * len(loaded)
    ours = _Ours()
    ours_run = _Run("newsflow", ours)
    runs = [ours_run, *baseline_runs]
    chatty = [logging.getLogger(name) for name in ("readability", "trafilatura", "newspaper")]
    levels = [logger.level for logger in chatty]
    with warnings.catch_warnings():
        # Baselines warn about optional extras (nltk, charset guesses) and log page by page.
        warnings.simplefilter("ignore")
        for logger in chatty:
            logger.setLevel(logging.ERROR)
        try:
            _measure(pages, runs, meter or LogMeter())
        finally:
            for logger, level in zip(chatty, levels, strict=True):
                logger.setLevel(level)
    # Body-labelled pages are scored by shingles; snippet-labelled ones apart (scoring.py).
    body = [i for i, (page, _) in enumerate(pages) if not page.by_snippets]
    for r in runs:
        r.scores = [score_page(pages[i][0].truth, r.texts[i]) for i in body]
    snippets = _snippet_figures(pages, dataset_of, runs)
    scored, scored_of = [pages[i] for i in body], [dataset_of[i] for i in body]
    summaries = [r.summary() for r in runs]
    figures = dict(summaries[0])
    figures["baselines"] = {}
    for base_run, base in zip(baseline_runs, summaries[1:], strict=True):
        base["speed_ratio"] = (
            figures["docs_per_s"] / base["docs_per_s"] if base["docs_per_s"] else None
        )
        figures["baselines"][base_run.name] = base
        failures = base_run.extract.failures if isinstance(base_run.extract, _Tolerant) else {}
        if failures:
            page_id, error = next(iter(failures.items()))
            echo(
                f"bench extract: {base_run.name} failed on {len(failures)} pages "
                f"({page_id}: {error})",
                err=True,
            )
    if baseline_runs:
        first = figures["baselines"][baseline_runs[0].name]
        figures["baseline"] = first
        figures["speed_ratio"] = first["speed_ratio"]
    figures["datasets"] = {
        name: {
            r.name: summarize([s for s, d in zip(r.scores, scored_of, strict=True) if d == name])
            for r in runs
        }
        for name in dict.fromkeys(scored_of)
    }
    fields = {
        name: agreement
        for name in dict.fromkeys(dataset_of)
        if (
            agreement := field_agreement(
                [p for (p, _), d in zip(pages, dataset_of, strict=True) if d == name],
                ours.records,
            )
        )
    }
    if fields:
        figures["fields"] = fields
    if snippets:
        figures["snippets"] = snippets
    if cv and scored:
        sites = [site_of(page.url, page.id) for page, _ in scored]
        try:
            figures["cv"] = cross_validate(sites, {r.name: r.scores for r in runs}, cv)
        except ValueError as exc:
            raise ConfigError(f"--cv {cv}: {exc}") from exc
    if predictions:
        predictions.write_text(
            json.dumps(_predictions(pages, ours), ensure_ascii=False, indent=1), encoding="utf-8"
        )
    if as_json:
        echo(json.dumps(figures))
    else:
        echo(_report(figures, summaries))
    return figures
