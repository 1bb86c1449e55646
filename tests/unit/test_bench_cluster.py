"""`newsflow bench cluster` on a tiny stream: it reads both layouts, runs the real enricher and
story index, and prints figures in range for the exact number of articles (no timing checks).

The stream here is hand-written for this test (three made-up reports of three events), not a
sample of any dataset."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from devtools.bench.cluster import PUBLISHED, published_for
from devtools.bench.story_sets import StoryDoc, load_stream
from pipeline.cli import main

EVENTS = {
    "quake": (
        "Strong earthquake shakes Hualien in eastern Taiwan",
        "A magnitude 7.4 earthquake struck Hualien County in Taiwan on Wednesday. Taiwan's "
        "Central Weather Administration said it was the strongest in 25 years. TSMC paused "
        "some production lines in Hsinchu while rescuers searched buildings in Hualien.",
    ),
    "launch": (
        "SpaceX flies Starship on a third test from Boca Chica",
        "SpaceX launched Starship from Boca Chica, Texas. Elon Musk said the rocket reached "
        "space before it was lost over the Indian Ocean. NASA's Bill Nelson congratulated "
        "SpaceX on the flight.",
    ),
    "vote": (
        "Democratic Alliance narrowly wins Portugal's snap election",
        "Luís Montenegro's Democratic Alliance won the most seats in Portugal's parliament. "
        "Pedro Nuno Santos of the Socialist Party conceded in Lisbon, and André Ventura's "
        "Chega quadrupled its seats.",
    ),
}
START = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


def _rows() -> list[dict[str, str]]:
    rows = []
    for n, (story, (title, text)) in enumerate(EVENTS.items()):
        for i in range(4):
            rows.append(
                {
                    "id": f"{story}-{i}",
                    "published": (START + timedelta(hours=3 * i + n)).isoformat(),
                    "language": "en",
                    "title": title if i == 0 else f"{title}: update {i}",
                    "text": f"{text}\nOfficials gave more details in update {i}.",
                    "story": story,
                    "source": f"outlet-{i}",
                }
            )
    return rows


def test_priberam_layout_is_read_in_time_order_with_iso_languages(tmp_path: Path) -> None:
    path = tmp_path / "dataset.test.json.gz"
    documents = [
        {"id": "b", "date": "2014-05-02 10:00:00", "lang": "spa", "title": "t", "text": "x",
         "cluster": "7"},
        {"id": "a", "date": "2014-05-01 09:30:00", "lang": "eng", "title": "u", "text": "y",
         "cluster": "7"},
    ]  # fmt: skip
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(documents, handle)
    docs = load_stream(path)
    assert [(d.id, d.language, d.story) for d in docs] == [("a", "en", "7"), ("b", "es", "7")]
    assert docs[0].published == datetime(2014, 5, 1, 9, 30, tzinfo=UTC)
    assert [d.id for d in load_stream(path, ["es"])] == ["b"]


def test_the_published_figure_is_shown_only_for_its_dataset() -> None:
    known = PUBLISHED[0]
    docs = [
        StoryDoc(str(n), START, known.language, "", "", str(n % known.stories))
        for n in range(known.articles)
    ]
    assert published_for(docs, ()) == known
    assert published_for(docs[:-1], ()) is None


def test_bench_cluster_prints_its_figures_for_a_tiny_stream(tmp_path: Path) -> None:
    stream = tmp_path / "tiny.jsonl"
    stream.write_text("".join(json.dumps(row) + "\n" for row in _rows()), encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["bench", "cluster", "--dataset", str(stream), "--store-size", "300", "--arriving",
         "40", "--json"],
        env={"NEWSFLOW_PROGRESS": "off"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["articles"] == 12
    assert figures["gold_stories"] == 3
    assert figures["rejected"] == 0
    assert figures["threshold_from"] == "default"
    for measure in ("bcubed", "pairwise"):
        assert 0.0 <= figures[measure]["precision"] <= 1.0
        assert 0.0 <= figures[measure]["recall"] <= 1.0
    # Three events told with the same names: a clusterer that works gets most of it right.
    assert figures["bcubed"]["f1"] >= 0.6
    assert 1 <= figures["predicted_stories"] <= 12
    assert figures["published"] is None
    assert figures["store_size"] == 300
    assert figures["cluster_articles_per_s"] > 0
    assert figures["assign_articles_per_s_at_store_size"] > 0
    assert (
        figures["memory_assign_articles_per_s_at_store_size"]
        == figures["assign_articles_per_s_at_store_size"]
    )

    table = CliRunner().invoke(
        main,
        ["bench", "cluster", "--dataset", str(stream), "--store-size", "0", "--arriving", "5"],
        env={"NEWSFLOW_PROGRESS": "off"},
    )
    assert table.exit_code == 0, table.output
    assert "12 articles (en), 3 gold stories" in table.stdout
    b_cubed = next(line for line in table.stdout.splitlines() if line.startswith("B-cubed"))
    precision, recall, f1 = (float(v) for v in b_cubed.split()[1:4])
    assert (precision, recall, f1) == (
        round(figures["bcubed"]["precision"], 4),
        round(figures["bcubed"]["recall"], 4),
        round(figures["bcubed"]["f1"], 4),
    )


def test_a_threshold_tuned_on_another_stream_is_reported_as_such(tmp_path: Path) -> None:
    rows = _rows()
    dev, test = tmp_path / "dev.jsonl", tmp_path / "test.jsonl"
    dev.write_text("".join(json.dumps(r) + "\n" for r in rows[::2]), encoding="utf-8")
    test.write_text("".join(json.dumps(r) + "\n" for r in rows[1::2]), encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["bench", "cluster", "--dataset", str(test), "--tune-on", str(dev), "--thresholds",
         "0.3,0.95", "--store-size", "0", "--arriving", "5", "--json"],
        env={"NEWSFLOW_PROGRESS": "off"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["articles"] == 6
    assert figures["threshold_from"] == "tuned"
    assert figures["tuned"]["articles"] == 6
    # Everything alone (0.95) has B-cubed recall 1/2 on two-article stories: 0.3 does better.
    assert figures["threshold"] == 0.3
    assert 0.0 <= figures["tuned"]["bcubed_f1"] <= 1.0
