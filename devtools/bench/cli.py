"""`newsflow bench ...`: each command prints figures, as ratios against a same-run baseline
where one exists. Never assertions: the machines are shared and noisy."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.progress import Meter, meter_for


def _meter() -> Meter:
    """The command's progress: a live line on a terminal, log lines elsewhere, as
    NEWSFLOW_PROGRESS says."""
    return meter_for(click.get_current_context().find_root().obj["settings"].progress)


@click.group()
def bench() -> None:
    """Benchmarks; each prints its figures (ratios against a same-run baseline where one exists)."""


@bench.command("extract")
@click.option(
    "--dataset",
    "datasets",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    multiple=True,
    help="a directory in the layout of article-extraction-dev; repeat for several "
    "(figures per dataset and over all)",
)
@click.option(
    "--baseline",
    "baselines",
    type=click.Choice(["trafilatura", "trafilatura-fast", "readability", "newspaper", "get_text"]),
    multiple=True,
    help="run this extractor on the same pages in the same process; repeat for several",
)
@click.option(
    "--cv",
    type=click.IntRange(min=2),
    help="cross-validate over K folds of sites (every page of a site in one fold)",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.option(
    "--predictions",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write our predictions to this file",
)
def bench_extract(
    datasets: tuple[Path, ...],
    baselines: tuple[str, ...],
    cv: int | None,
    as_json: bool,
    predictions: Path | None,
) -> None:
    """Extraction quality (P/R/F1) and speed on labelled datasets."""
    from devtools.bench.extract import run

    with _meter() as meter:
        figures = run(
            datasets,
            baseline=baselines,
            cv=cv,
            as_json=as_json,
            predictions=predictions,
            echo=click.echo,
            meter=meter,
        )
        meter.done(f"{figures['pages']} pages, f1 {figures['f1']:.3f}")


@bench.command("enrich")
@click.option("--articles", default=400, show_default=True, help="articles to enrich")
@click.option("--rounds", default=3, show_default=True, help="runs of each process")
@click.option(
    "--against",
    metavar="REV",
    help="also run newsflow enrich of this git revision's pipeline package (a before/after)",
)
@click.option(
    "--per-language",
    is_flag=True,
    help="instead: articles/s of the enricher for each language, model load apart",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def bench_enrich(
    articles: int, rounds: int, against: str | None, per_language: bool, as_json: bool
) -> None:
    """`newsflow enrich` as a whole process, with a NER-only process on the same records."""
    from devtools.bench.enrich import run

    if per_language:
        from devtools.bench.enrich_languages import run as run_per_language

        with _meter() as meter:
            run_per_language(
                articles=articles, rounds=rounds, as_json=as_json, echo=click.echo, meter=meter
            )
            meter.done()
        return
    with _meter() as meter:
        figures = run(
            articles=articles,
            rounds=rounds,
            against=against,
            as_json=as_json,
            echo=click.echo,
            meter=meter,
        )
        meter.done(f"{figures['articles_per_s']} articles/s")


@bench.command("delivery")
@click.option("--records", default=20000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.pass_context
def bench_delivery(ctx: click.Context, records: int, as_json: bool) -> None:
    """Producer records/s and consumer rows/s on the running stack, against plain baselines."""
    from devtools.bench.delivery import run

    with _meter() as meter:
        run(ctx.obj["settings"], records=records, as_json=as_json, echo=click.echo, meter=meter)
        meter.done()


@bench.command("e2e")
@click.option(
    "--copies",
    default=4,
    show_default=True,
    help="copies of the sample site (27 articles each) to ingest, per round",
)
@click.option(
    "--enrichers",
    "counts",
    metavar="N[,N...]",
    help="one round per count with that many enricher processes of the bench's own, e.g. 1,2,3 "
    "(the stack's enricher is stopped meanwhile); default: the stack's running enricher",
)
@click.option(
    "--enricher",
    type=click.Choice(["spacy", "stub"]),
    help="the enricher the bench's processes run (default NEWSFLOW_ENRICHER, i.e. spacy); "
    "stub gives a Kafka and PostgreSQL figure without NER",
)
@click.option(
    "--old-paths",
    "old_paths_rounds",
    type=click.IntRange(min=1),
    metavar="ROUNDS",
    help="compare the current paths with the old ones (gzip producers, the multi-row INSERT "
    "store), ROUNDS rounds each with the bench's own enricher processes (--enrichers N: how "
    "many, default 1)",
)
@click.option("--keep", is_flag=True, help="keep the bench's rows in the warehouse")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object per round")
@click.pass_context
def bench_e2e(
    ctx: click.Context,
    copies: int,
    counts: str | None,
    enricher: str | None,
    old_paths_rounds: int | None,
    keep: bool,
    as_json: bool,
) -> None:
    """End-to-end throughput and latency (fetch to warehouse row) through the running stack."""
    from devtools.bench.e2e import run
    from devtools.bench.enrichers import parse_counts

    settings = ctx.obj["settings"]
    parsed = parse_counts(counts) if counts is not None else None
    if old_paths_rounds and parsed is not None and len(parsed) > 1:
        raise click.UsageError("--old-paths takes one enricher count: --enrichers N")
    if enricher is not None:
        if counts is None and not old_paths_rounds:
            raise click.UsageError(
                "--enricher applies to the bench's own processes: add --enrichers"
            )
        settings = settings.model_copy(update={"enricher": enricher})
    with _meter() as meter:
        run(
            settings,
            copies=copies,
            enrichers=parsed,
            keep=keep,
            old_paths_rounds=old_paths_rounds or 0,
            as_json=as_json,
            echo=click.echo,
            meter=meter,
        )
        meter.done()


@bench.command("cluster")
@click.option(
    "--dataset",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="a labelled news stream: Priberam's dataset.{dev,test}.json, JSON lines or the UCI News "
    "Aggregator CSV (.gz too)",
)
@click.option(
    "--lang",
    "languages",
    multiple=True,
    help="only articles in this language (ISO 639-1, e.g. en); repeat for several",
)
@click.option("--limit", type=click.IntRange(min=1), help="only the first N articles in time")
@click.option(
    "--tune-on",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="choose the threshold on this other stream (its best B-cubed F1), report on --dataset",
)
@click.option(
    "--split-by-time",
    "split",
    is_flag=True,
    help="choose the threshold on the earlier half of --dataset, report on the later half",
)
@click.option(
    "--dev-only",
    is_flag=True,
    help="with --split-by-time: leave the later half out and split the earlier half in two",
)
@click.option(
    "--thresholds",
    default="0.2,0.25,0.3,0.35,0.4,0.45,0.5,0.55,0.6",
    show_default=True,
    help="the thresholds --tune-on tries",
)
@click.option(
    "--store",
    type=click.Choice(["memory", "warehouse"]),
    default="memory",
    show_default=True,
    help="the story index the throughput figure is taken on (warehouse: the running stack's)",
)
@click.option(
    "--store-size",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=0),
    help="synthetic articles in that store before the timed ones arrive",
)
@click.option(
    "--arriving",
    default=2_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="synthetic articles assigned on the clock once the store holds --store-size",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.pass_context
def bench_cluster(
    ctx: click.Context,
    dataset: Path,
    languages: tuple[str, ...],
    limit: int | None,
    tune_on: Path | None,
    split: bool,
    dev_only: bool,
    thresholds: str,
    store: str,
    store_size: int,
    arriving: int,
    as_json: bool,
) -> None:
    """Story clustering B-cubed/pairwise P/R/F1 on a labelled stream, and articles/s."""
    from devtools.bench.cluster import run

    try:
        tried = [float(t) for t in thresholds.split(",")]
    except ValueError:
        raise click.UsageError(
            f"--thresholds {thresholds!r}: numbers separated by commas"
        ) from None
    with _meter() as meter:
        figures = run(
            dataset,
            languages=languages,
            limit=limit,
            tune_on=tune_on,
            split=split,
            dev_only=dev_only,
            thresholds=tried,
            store=store,
            store_size=store_size,
            arriving=arriving,
            settings=ctx.obj["settings"],
            as_json=as_json,
            echo=click.echo,
            meter=meter,
        )
        meter.done(f"{figures['articles']} articles, B-cubed f1 {figures['bcubed']['f1']:.3f}")
