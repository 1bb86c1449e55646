"""`newsflow bench enrich`: the `newsflow enrich` command as a user runs it, beside NER alone.

Articles of up to about 600 words are built from real article text, as many distinct texts as
the checkout ships before any is repeated (devtools/bench/enrich_texts.py: the curated dataset
articles of tests/fixtures/enrich/articles.jsonl, then the English bodies of the labelled
extraction benchmarks under tests/data/extraction; whole paragraphs, cut once 600 words are
reached, bodies under 300 words left out), the sample site's stories otherwise. Repeated
texts would meet the enricher's per-string caches warm, which real traffic does not.
They are written once as JSON lines, then each round runs two processes on that file, in
turn (which goes first alternates, so a noisy neighbour slows both alike):

- `newsflow enrich` with the file on its standard input and the enriched records on its
  standard output (the whole command: start-up, imports, model load, JSON in and out, every
  enrichment step);
- NER alone: a Python process that imports spaCy, loads the same model with the same
  components, reads the same JSON lines and runs `nlp.pipe` with only `ner` on the articles'
  paragraphs (captions left out, as the enricher leaves them out).

Each figure is the wall time of the whole process; the ratio compares the fastest round of
each. `--against REV` adds a third process in each round: `newsflow enrich` of that git
revision's `pipeline` package (same interpreter and packages), for a before/after in one run,
and says whether the two wrote the same records (they should, unless the change meant them to
differ).
The processes' CPU seconds are shown too, and their ratio: on a machine shared with
busy neighbours they move less than wall time does. Figures, never assertions.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devtools.bench import enrich_texts as texts
from devtools.bench.enrich_outputs import compare_outputs
from pipeline.progress import LogMeter, Meter
from pipeline.records import CleanedArticle, Extractor, Paragraph, article_id_for, content_hash
from pipeline.table import format_table

Echo = Callable[..., None]
_FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "enrich" / "articles.jsonl"


def _records(count: int) -> tuple[str, list[CleanedArticle]]:
    corpus, bodies = texts.bodies()  # each distinct text once; cycled only past the last
    records = []
    for n in range(count):
        title, paragraphs = bodies[n % len(bodies)]
        text = "\n\n".join(paragraphs)
        url = f"https://bench.example.org/{n}"
        records.append(
            CleanedArticle(
                article_id=article_id_for(url),
                url=url,
                canonical_url=url,
                source_id="bench",
                title=title,
                fetched_at=datetime.now(UTC),
                language="en",
                text=text,
                paragraphs=[Paragraph(text=p) for p in paragraphs],
                word_count=len(text.split()),
                content_hash=content_hash(text),
                extractor=Extractor(name="bench", version="0"),
            )
        )
    return corpus, records


# NER alone, as a process of its own: argv[1] is the model, argv[2] the batch size; the JSON
# lines come on stdin; prints the number of articles and of entity spans.
_NER_ONLY = """
import json, sys
import spacy, spacy.util
model, batch_size = sys.argv[1], int(sys.argv[2])
components = spacy.util.get_model_meta(spacy.util.get_package_path(model))["components"]
nlp = spacy.load(model, exclude=[name for name in components if name != "ner"])
articles, texts = 0, []  # blank paragraphs give empty docs, at no cost
for line in sys.stdin.buffer:
    record = json.loads(line)
    articles += 1
    texts += [p["text"] for p in record["paragraphs"] if p["kind"] != "caption"]
spans = sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=batch_size))
print(articles, spans)
"""


# `newsflow enrich` of another tree of the package (`--against REV`): argv[1] is the directory
# holding that tree's `pipeline`, found before the installed (or editable) one.
_OTHER_TREE = """
import sys
tree = sys.argv.pop(1)
sys.meta_path[:] = [
    f for f in sys.meta_path
    if "pipeline" not in getattr(sys.modules.get(getattr(f, "__module__", "")), "MAPPING", {})
]
sys.path.insert(0, tree)
sys.argv[0] = "newsflow"
from pipeline.cli import main
sys.exit(main())
"""


def _checkout(revision: str, into: Path) -> Path:
    """The `pipeline` package of `revision` of this checkout, extracted under `into`."""
    archive = subprocess.run(  # noqa: S603
        ["git", "-C", str(_FIXTURE.parents[3]), "archive", "--format=tar", revision, "pipeline"],  # noqa: S607
        capture_output=True,
        check=True,
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def _enrich_command() -> list[str]:
    """`newsflow enrich`: the console script next to this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("newsflow")
    found = str(script) if script.exists() else shutil.which("newsflow")
    if found:
        return [found, "enrich"]
    return [
        sys.executable,
        "-c",
        "import sys; from pipeline.cli import main; sys.exit(main())",
        "enrich",
    ]


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# One string hash seed for every process: the off-topic scores sum floats over sets of words,
# whose order follows the seed, so two runs of the same code can differ in the last digits
# of a score (and so in which paragraph a near-tie puts first); the records of two revisions
# are compared under the same seed.
_HASH_SEED = "0"


def _timed(command: list[str], source: Path, sink: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of `command` reading `source` and writing `sink`; raises if it
    failed."""
    with source.open("rb") as stdin, sink.open("wb") as stdout:
        cpu = _cpu_of_children()
        began = time.perf_counter()
        done = subprocess.run(  # noqa: S603
            command,
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONHASHSEED": _HASH_SEED},
        )
        seconds = time.perf_counter() - began
        cpu = _cpu_of_children() - cpu
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:2])} exited with {done.returncode}: "
            f"{done.stderr.decode(errors='replace').strip()[-500:]}"
        )
    return seconds, cpu


def measure(
    articles: int,
    rounds: int,
    echo: Echo,
    meter: Meter | None = None,
    against: str | None = None,
) -> dict[str, Any]:
    from pipeline.enrich.enricher import DEFAULT_MODEL

    meter = meter if meter is not None else LogMeter()
    corpus, records = _records(articles)
    batch_size = 32  # the enricher's default, paragraphs per model batch
    enrich_seconds: list[float] = []
    ner_seconds: list[float] = []
    enrich_cpu: list[float] = []
    ner_cpu: list[float] = []
    other_seconds: list[float] = []
    other_cpu: list[float] = []
    meter.start(rounds * (3 if against else 2), "bench enrich", "runs")
    with tempfile.TemporaryDirectory(prefix="newsflow-bench-enrich-") as tmp:
        source = Path(tmp) / "cleaned.jsonl"
        source.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
        enriched, spans = Path(tmp) / "enriched.jsonl", Path(tmp) / "ner.txt"
        enriched_against = Path(tmp) / "enriched-against.jsonl"
        ner_command = [sys.executable, "-c", _NER_ONLY, DEFAULT_MODEL, str(batch_size)]

        def run_enrich() -> None:
            wall, cpu = _timed(_enrich_command(), source, enriched)
            enrich_seconds.append(wall)
            enrich_cpu.append(cpu)
            lines = enriched.read_text(encoding="utf-8").count("\n")
            if lines != len(records):
                raise RuntimeError(f"newsflow enrich wrote {lines} records of {len(records)}")
            meter.advance(1, step="newsflow enrich")

        def run_ner() -> None:
            wall, cpu = _timed(ner_command, source, spans)
            ner_seconds.append(wall)
            ner_cpu.append(cpu)
            meter.advance(1, step="NER alone")

        def run_other() -> None:
            command = [sys.executable, "-c", _OTHER_TREE, str(tree), "enrich"]
            wall, cpu = _timed(command, source, enriched_against)
            other_seconds.append(wall)
            other_cpu.append(cpu)
            meter.advance(1, step=f"newsflow enrich of {against}")

        runs = [run_enrich, run_ner]
        if against:
            tree = _checkout(against, Path(tmp) / "against")
            runs.append(run_other)
        for number in range(rounds):
            for run_one in runs[number % len(runs) :] + runs[: number % len(runs)]:
                run_one()
        # Same input, same records expected: a change made for speed must not change one.
        outputs = compare_outputs(enriched, enriched_against) if against else None
    words = sum(r.word_count for r in records)
    best_enrich, best_ner = min(enrich_seconds), min(ner_seconds)
    return {
        "corpus": corpus,
        "articles": len(records),
        "distinct_texts": len({r.text for r in records}),
        "words_per_article": round(words / len(records)),
        "rounds": rounds,
        "command": "newsflow enrich < cleaned.jsonl > enriched.jsonl",
        "seconds": [round(x, 2) for x in enrich_seconds],
        "cpu_seconds": [round(x, 2) for x in enrich_cpu],
        "articles_per_s": round(len(records) / best_enrich, 1),
        "words_per_s": round(words / best_enrich),
        "ner_only": {
            "seconds": [round(x, 2) for x in ner_seconds],
            "cpu_seconds": [round(x, 2) for x in ner_cpu],
            "articles_per_s": round(len(records) / best_ner, 1),
            "words_per_s": round(words / best_ner),
        },
        "speed_ratio": round(best_ner / best_enrich, 3),
        # CPU seconds (user + system) of each process: what a busy neighbour disturbs least.
        "cpu_ratio": round(min(ner_cpu) / min(enrich_cpu), 3),
        "speed_ratio_median": round(
            statistics.median(n / e for n, e in zip(ner_seconds, enrich_seconds, strict=True)), 3
        ),
        "against": against
        and {
            "revision": against,
            "seconds": [round(x, 2) for x in other_seconds],
            "cpu_seconds": [round(x, 2) for x in other_cpu],
            "articles_per_s": round(len(records) / min(other_seconds), 1),
            "words_per_s": round(words / min(other_seconds)),
            "speed_ratio": round(best_ner / min(other_seconds), 3),
            "cpu_ratio": round(min(ner_cpu) / min(other_cpu), 3),
            "outputs": outputs and asdict(outputs),
            "outputs_summary": outputs and outputs.summary(against),
        },
    }


def run(
    *,
    articles: int = 400,
    rounds: int = 3,
    against: str | None = None,
    as_json: bool = False,
    echo: Echo = print,
    meter: Meter | None = None,
) -> dict[str, Any]:
    """The figures; `meter` hears each process that ends (default: plain log lines)."""
    figures = measure(articles, rounds, echo, meter, against)
    if as_json:
        echo(json.dumps(figures))
        return figures
    columns = ("process", "articles/s", "words/s", "seconds per round", "CPU seconds")
    rows = [
        (
            "newsflow enrich",
            figures["articles_per_s"],
            figures["words_per_s"],
            " ".join(f"{x:.2f}" for x in figures["seconds"]),
            " ".join(f"{x:.2f}" for x in figures["cpu_seconds"]),
        ),
        (
            "NER alone, same rounds",
            figures["ner_only"]["articles_per_s"],
            figures["ner_only"]["words_per_s"],
            " ".join(f"{x:.2f}" for x in figures["ner_only"]["seconds"]),
            " ".join(f"{x:.2f}" for x in figures["ner_only"]["cpu_seconds"]),
        ),
    ]
    other = figures["against"]
    if other:
        rows.append(
            (
                f"newsflow enrich of {other['revision']}",
                other["articles_per_s"],
                other["words_per_s"],
                " ".join(f"{x:.2f}" for x in other["seconds"]),
                " ".join(f"{x:.2f}" for x in other["cpu_seconds"]),
            )
        )
    echo(
        f"{figures['articles']} articles of {figures['words_per_article']} words on average "
        f"from {figures['distinct_texts']} distinct texts ({figures['corpus']}), one process "
        f"each, model load included, fastest of {figures['rounds']} rounds"
    )
    echo(format_table(columns, rows))
    echo(
        f"newsflow enrich runs at {figures['speed_ratio']:.2f}x the speed of NER alone "
        f"(median of the rounds {figures['speed_ratio_median']:.2f}x; "
        f"{figures['cpu_ratio']:.2f}x in CPU seconds)"
    )
    if other:
        echo(
            f"newsflow enrich of {other['revision']} runs at {other['speed_ratio']:.2f}x "
            f"({other['cpu_ratio']:.2f}x in CPU seconds)"
        )
        echo(other["outputs_summary"])
    return figures
