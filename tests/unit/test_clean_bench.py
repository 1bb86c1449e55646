"""`newsflow bench extract` on a small dataset written by the test: figures, not speed."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from devtools.bench.extract import run
from devtools.benchmark_sets import _OPENING, _js_string, _opening_snippet
from devtools.scoring import snippet_counts, summarize_snippets
from pipeline.cli import main
from pipeline.errors import ConfigError

SUMMARY_KEYS = {"pages", "precision", "recall", "f1", "empty_predictions", "docs_per_s"}
STORIES = {
    "harbour": (
        "Harbour reopens after the storm",
        [
            "The harbour reopened on Wednesday after three weeks of repairs to the sea wall, "
            "which was breached during the March storms.",
            "Fishing boats queued from dawn, and the harbour master said traffic would be back to "
            "normal by the end of the week.",
        ],
    ),
    "library": (
        "Library hours cut",
        [
            "The county library will close on Mondays from next month, the council said, after "
            "a vote that split the ruling group down the middle.",
            "Campaigners say the cut will hit pensioners and schoolchildren hardest, since both "
            "rely on the library's free computers and its warm reading room.",
        ],
    ),
}


def _page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return (
        f"<html lang='en'><head><title>{title}</title><meta name='author' content='Jane Doe'>"
        f"</head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>© Example</footer></body></html>"
    )


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    (tmp_path / "html").mkdir()
    truth = {}
    for page_id, (title, paragraphs) in STORIES.items():
        html = _page(title, paragraphs).encode()
        (tmp_path / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html))
        truth[page_id] = {
            "articleBody": "\n".join(paragraphs),
            "url": f"https://x.example/{page_id}",
        }
    # A page whose truth is empty counts in precision only.
    (tmp_path / "html" / "empty.html.gz").write_bytes(gzip.compress(b"<html><body></body></html>"))
    truth["empty"] = {"articleBody": "", "url": "https://x.example/empty"}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth))
    return tmp_path


def test_json_figures_for_ours_and_the_baseline_on_the_same_pages(dataset, tmp_path):
    printed: list[str] = []
    predictions = tmp_path / "predictions.json"
    figures = run(
        dataset,
        baseline="get_text",
        as_json=True,
        predictions=predictions,
        echo=lambda line, **_: printed.append(line),
    )
    assert json.loads(printed[-1]) == figures
    assert SUMMARY_KEYS <= set(figures) and SUMMARY_KEYS <= set(figures["baseline"])
    assert figures["pages"] == figures["baseline"]["pages"] == 3
    assert figures["precision"] == figures["recall"] == figures["f1"] == 1.0
    assert figures["empty_predictions"] == 1  # the empty page, rejected by the cleaner
    # get_text keeps the menu, the title and the footer: less precision than ours.
    assert figures["baseline"]["precision"] < figures["precision"]
    assert figures["speed_ratio"] == figures["docs_per_s"] / figures["baseline"]["docs_per_s"]
    written = json.loads(predictions.read_text())
    assert set(written) == {"harbour", "library", "empty"}
    assert written["harbour"]["articleBody"] == "\n\n".join(STORIES["harbour"][1])
    assert written["harbour"]["title"] == "Harbour reopens after the storm"
    assert written["harbour"]["authors"] == ["Jane Doe"] and "published_at" in written["harbour"]
    assert written["empty"] == {
        "articleBody": "",
        "title": None,
        "authors": [],
        "published_at": None,
    }


def test_the_cli_prints_a_table_without_json(dataset):
    result = CliRunner().invoke(main, ["bench", "extract", "--dataset", str(dataset)])
    assert result.exit_code == 0, result.output
    header, rule, ours = result.output.splitlines()[:3]
    assert header.split() == ["extractor", "pages", "precision", "recall", "f1", "empty", "docs/s"]
    assert ours.split()[:6] == ["newsflow", "3", "1.000", "1.000", "1.000", "1"]


def test_a_directory_that_is_not_a_dataset_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="ground-truth.json"):
        run(tmp_path, echo=lambda *a, **k: None)


def test_a_baseline_that_fails_on_a_page_predicts_nothing_there_and_is_counted(
    dataset, monkeypatch
):
    from devtools.bench import extract

    def fragile(page, html):
        if page.id == "library":
            raise ImportError("needs an optional package for this language")
        return html

    monkeypatch.setitem(extract._BASELINE_FACTORIES, "get_text", lambda: fragile)
    notes: list[str] = []
    figures = run(
        dataset, baseline="get_text", echo=lambda line, err=False: err and notes.append(line)
    )
    assert figures["baseline"]["failed_pages"] == 1
    assert figures["baseline"]["empty_predictions"] == 1  # the page it failed on
    assert any("get_text failed on 1 pages (library: ImportError" in note for note in notes)


def _copy_to_hosts(dataset: Path, target: Path, hosts: list[str]) -> Path:
    """The fixture's two stories, once per host: one page per site."""
    (target / "html").mkdir(parents=True)
    truth = {}
    for number, host in enumerate(hosts):
        page_id = f"{'harbour' if number % 2 else 'library'}-{number}"
        source = dataset / "html" / f"{page_id.split('-')[0]}.html.gz"
        (target / "html" / f"{page_id}.html.gz").write_bytes(source.read_bytes())
        truth[page_id] = {
            "articleBody": "\n".join(STORIES[page_id.split("-")[0]][1]),
            "url": f"https://www.{host}/{page_id}",
        }
    (target / "ground-truth.json").write_text(json.dumps(truth))
    return target


def test_site_folds_keep_every_page_of_a_site_together_and_balance_the_pages():
    from devtools.bench.folds import site_folds

    sites = ["a.example"] * 4 + ["b.example"] * 2 + ["c.example"] * 2 + ["d.example"]
    folds = site_folds(sites, 3)
    assert folds == site_folds(sites, 3)  # the same folds on every run
    for site in set(sites):
        assert len({f for s, f in zip(sites, folds, strict=True) if s == site}) == 1
    assert sorted(folds.count(f) for f in range(3)) == [2, 3, 4]
    with pytest.raises(ValueError, match="4 sites cannot fill 5 folds"):
        site_folds(sites, 5)


def test_cv_and_several_datasets_report_per_fold_and_per_dataset(dataset, tmp_path):
    first = _copy_to_hosts(dataset, tmp_path / "first", ["a.example", "b.example"])
    second = _copy_to_hosts(dataset, tmp_path / "second", ["c.example", "d.example", "e.example"])
    printed: list[str] = []
    figures = run(
        [first, second],
        baseline=["get_text"],
        cv=5,
        echo=lambda line, **_: printed.append(line),
    )
    assert figures["pages"] == 5
    assert set(figures["datasets"]) == {"first", "second"}
    assert figures["datasets"]["second"]["newsflow"]["pages"] == 3
    assert figures["datasets"]["first"]["get_text"]["pages"] == 2
    cv = figures["cv"]
    assert cv["fold_pages"] == [1, 1, 1, 1, 1] and cv["tuned_parameters"] == []
    ours = cv["extractors"]["newsflow"]
    assert ours["whole_f1"] == figures["f1"] == 1.0
    assert [fold["f1"] for fold in ours["per_fold"]] == [1.0] * 5
    assert cv["extractors"]["get_text"]["cv_f1"] < 1.0
    assert "cross-validation, 5 folds by site" in printed[-1]
    assert "second" in printed[-1]  # the per-dataset table


def test_cv_with_more_folds_than_sites_is_a_config_error(dataset):
    with pytest.raises(ConfigError, match="--cv 5: 1 sites cannot fill 5 folds"):
        run(dataset, cv=5, echo=lambda *a, **k: None)


def test_titles_and_authors_are_scored_against_the_labels_a_dataset_gives(dataset):
    path = dataset / "ground-truth.json"
    truth = json.loads(path.read_text())
    truth["harbour"].update(title="Harbour reopens after the storm | Example", byline="By Jane Doe")
    # A list label: both extractors agreed the page names nobody; ours names Jane Doe.
    truth["library"].update(title="Library hours cut", authors=[])
    path.write_text(json.dumps(truth))
    printed: list[str] = []
    figures = run(dataset, echo=lambda line, **_: printed.append(line))
    fields = figures["fields"][dataset.name]
    assert fields["titled_pages"] == 2
    assert fields["title_agreement"] == 0.5  # the harbour label keeps the site's name
    assert fields["title_agreement_but_site_suffix"] == 1.0
    assert (fields["pages_stating_authors"], fields["author_agreement"]) == (1, 1.0)
    assert fields["pages_with_invented_authors"] == 1
    assert fields["author_misses"] == [{"id": "library", "label": None, "ours": ["Jane Doe"]}]
    assert "titles agree on 50.0% of 2 pages" in printed[-1]


def test_a_set_labelled_by_snippets_is_scored_apart_by_pooled_snippet_counts(dataset, tmp_path):
    snippets = tmp_path / "snippets"
    (snippets / "html").mkdir(parents=True)
    title, paragraphs = STORIES["harbour"]
    html = gzip.compress(_page(title, paragraphs).encode())
    (snippets / "html" / "harbour.html.gz").write_bytes(html)
    truth = {
        "harbour": {
            "url": "https://s.example/harbour",
            # Two held, one missed (not on the page); the menu is left out, the footer too.
            "with": ["reopened on  Wednesday", "the harbour master said", "a sentence not there"],
            "without": ["Home News", "© Example"],
        }
    }
    (snippets / "ground-truth.json").write_text(json.dumps(truth))
    bodies = _copy_to_hosts(dataset, tmp_path / "bodies", ["a.example", "b.example"])
    printed: list[str] = []
    figures = run(
        [bodies, snippets],
        baseline="get_text",
        cv=2,
        echo=lambda line, **_: printed.append(line),
    )
    # The snippet page is in neither the body figures nor the cross-validation.
    assert figures["pages"] == 2 and set(figures["datasets"]) == {"bodies"}
    assert sum(figures["cv"]["fold_pages"]) == 2
    ours = figures["snippets"]["snippets"]["newsflow"]
    assert ours["pages"] == 1 and ours["empty_predictions"] == 0
    assert ours["precision"] == 1.0 and ours["recall"] == pytest.approx(2 / 3)
    assert ours["accuracy"] == pytest.approx(4 / 5)
    # get_text keeps the menu and the footer: both wrongly held.
    text = figures["snippets"]["snippets"]["get_text"]
    assert text["precision"] == pytest.approx(2 / 4) and text["accuracy"] == pytest.approx(2 / 5)
    assert "labelled by snippets" in printed[-1]


def test_snippets_match_across_white_space_and_invisible_characters():
    counts = snippet_counts(
        ("Werk\u00adzeug\u00adtypen und  ihre", "not there"),
        ("Impressum",),
        "Die Werkzeugtypen und\nihre Laufzeiten.",
    )
    assert (counts.tp, counts.fp, counts.fn, counts.tn) == (1, 0, 1, 1)


def test_a_set_labelling_only_what_the_body_holds_measures_recall_alone():
    """Postlight's openings say what the body must hold, nothing it must not: a precision of
    1.0 would be read as measured."""
    counts = [
        snippet_counts(("reopened on Wednesday",), (), "It reopened on Wednesday."),
        snippet_counts(("not there",), (), "It reopened on Wednesday."),
    ]
    figures = summarize_snippets(counts, empty=0)
    assert figures["recall"] == pytest.approx(1 / 2)
    assert figures["precision"] is None and figures["f1"] is None


def test_a_postlight_opening_keeps_its_last_words_from_its_longest_unglued_run():
    # The label's text joins the standfirst and the story without a space; the story's
    # opening is the run after the join.
    test = """assert.equal(
        first13,
        'Harbour reopens.The harbour reopened on Wednesday after three weeks of \\'repairs\\''
      );"""
    label = _js_string(_OPENING.search(test))
    assert (
        label == "Harbour reopens.The harbour reopened on Wednesday after three weeks of 'repairs'"
    )
    assert _opening_snippet(label) == "Wednesday after three weeks of 'repairs'"
    assert _opening_snippet("Photo: AP") is None  # too few words to say where a story starts
