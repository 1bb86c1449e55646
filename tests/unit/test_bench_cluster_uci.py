"""`newsflow bench cluster` on the shipped UCI News Aggregator subset
(tests/data/stories/uci-news-aggregator-head.csv.gz, see its README): the loader, the time
split, and the baselines scored beside the story index. The slice is the first 400 headlines,
so the enricher runs for seconds; no timing checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from devtools.bench.cluster import split_by_time
from devtools.bench.cluster_baselines import TFIDF_THRESHOLDS, tfidf_single_pass
from devtools.bench.story_sets import StoryDoc, load_stream
from pipeline.cli import main

UCI = Path(__file__).parents[1] / "data" / "stories" / "uci-news-aggregator-head.csv.gz"
START = datetime(2014, 3, 10, tzinfo=UTC)


def test_the_shipped_subset_is_86_whole_stories_in_time_order() -> None:
    docs = load_stream(UCI)
    assert len(docs) == 6298
    assert len({d.story for d in docs}) == 86
    assert [int(d.id) for d in docs] == list(range(1, 6299))
    first = docs[0]
    assert first.title == "Fed official says weak data caused by weather, should not slow taper"
    assert first.text == first.title
    assert (first.language, first.source, first.story) == (
        "en",
        "www.latimes.com",
        "ddUyU0VZz0BRneMioxUPQVP6sIxvM",
    )
    assert first.published == datetime(2014, 3, 10, 16, 52, 50, 698000, tzinfo=UTC)
    # Each story's headlines are one run of the stream.
    runs = [d.story for n, d in enumerate(docs) if n == 0 or docs[n - 1].story != d.story]
    assert len(runs) == 86
    earlier, later = split_by_time(docs)
    assert (len(earlier), len(later)) == (3149, 3149)
    assert not {d.story for d in earlier} & {d.story for d in later}


def test_tfidf_single_pass_joins_shared_words_and_keeps_the_rest_apart() -> None:
    titles = [
        ("a", "Fed official hints at faster taper"),
        ("b", "Apple unveils new iPhone camera"),
        ("c", "Fed official hints at taper, stocks fall"),
        ("d", "Apple iPhone camera unveiled"),
    ]
    docs = [StoryDoc(i, START, "en", t, t, i) for i, t in titles]
    assert tfidf_single_pass(docs, 0.3) == {"a": "a", "b": "b", "c": "a", "d": "b"}
    assert tfidf_single_pass(docs, 0.99) == {"a": "a", "b": "b", "c": "c", "d": "d"}


def test_bench_cluster_on_a_uci_slice_tunes_on_the_earlier_half() -> None:
    result = CliRunner().invoke(
        main,
        ["bench", "cluster", "--dataset", str(UCI), "--limit", "400", "--split-by-time",
         "--thresholds", "0.1,0.3,0.5", "--store-size", "0", "--arriving", "5", "--json"],
        env={"NEWSFLOW_PROGRESS": "off"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    # Rows 1-400: the later half is rows 201-400, 4 stories, one of them begun in rows 1-200.
    assert figures["articles"] == 200
    assert figures["gold_stories"] == 4
    assert figures["split_by_time"] is True
    assert figures["shared_stories"] == 1
    assert figures["tuned"]["articles"] == 200
    assert figures["threshold_from"] == "tuned"
    assert figures["threshold"] in (0.1, 0.3, 0.5)
    assert figures["rejected"] == 0
    for measure in ("bcubed", "pairwise"):
        for value in figures[measure].values():
            assert 0.0 <= value <= 1.0
    singletons = figures["baselines"]["singletons"]
    assert singletons["predicted_stories"] == 200
    assert singletons["bcubed"]["precision"] == 1.0
    # Each article's B-cubed recall is 1/|its story|: the mean is stories/articles.
    assert abs(singletons["bcubed"]["recall"] - 4 / 200) < 1e-12
    assert singletons["pairwise"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    tfidf = figures["baselines"]["tfidf"]
    assert tfidf["threshold_from"] == "tuned"
    assert tfidf["threshold"] in TFIDF_THRESHOLDS
    assert 1 <= tfidf["predicted_stories"] <= 200
    for measure in ("bcubed", "pairwise"):
        for value in tfidf[measure].values():
            assert 0.0 <= value <= 1.0
    # Headlines of four stories told with the same names: both beat singletons.
    assert figures["bcubed"]["f1"] > singletons["bcubed"]["f1"]
    assert tfidf["bcubed"]["f1"] > singletons["bcubed"]["f1"]


def test_bench_cluster_dev_only_never_reads_the_later_half() -> None:
    result = CliRunner().invoke(
        main,
        ["bench", "cluster", "--dataset", str(UCI), "--limit", "400", "--split-by-time",
         "--dev-only", "--thresholds", "0.1,0.3", "--store-size", "0", "--arriving", "5",
         "--json"],
        env={"NEWSFLOW_PROGRESS": "off"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    # Rows 1-400: the earlier half is rows 1-200, split again into rows 1-100 and 101-200.
    earlier, _ = split_by_time(load_stream(UCI)[:400])
    dev, report = split_by_time(earlier)
    assert figures["dev_only"] is True
    assert figures["tuned"]["articles"] == len(dev) == 100
    assert figures["articles"] == len(report) == 100
    assert figures["gold_stories"] == len({d.story for d in report})
    assert figures["tuned"]["to"] == dev[-1].published.isoformat()
    assert figures["baselines"]["singletons"]["predicted_stories"] == 100
    # Without --split-by-time it is refused.
    refused = CliRunner().invoke(
        main,
        ["bench", "cluster", "--dataset", str(UCI), "--limit", "40", "--dev-only"],
        env={"NEWSFLOW_PROGRESS": "off"},
    )
    assert refused.exit_code != 0
    assert "--dev-only goes with --split-by-time" in refused.output
