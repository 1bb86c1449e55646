"""Extraction quality on a labelled dataset, scored the way datasets/README.md defines it.

Each text becomes the multiset of its 4-token shingles (`\\w+` tokens, Unicode, case kept).
Precision is averaged over pages with a non-empty prediction, recall over pages with a non-empty
truth, and F1 is taken from those two averages, so an extractor cannot buy precision by
returning nothing: the empty predictions are counted and cost recall.

A set labelled by snippets instead (trafilatura's evaluation pages: per page, a few passages the
body must hold and a few it must not) is scored by substring matching, with white space made
single spaces and invisible characters (soft hyphens, zero-width spaces) left out,
the counts pooled over all pages, as trafilatura's own evaluation does (`snippet_counts`,
`summarize_snippets`).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.clean import clean
from pipeline.errors import PoisonRecord

SHINGLE_SIZE = 4
_TOKEN = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


@dataclass(frozen=True)
class PageScore:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        """None when nothing was predicted: such a page is left out of the precision average."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """None when the truth is empty: such a page is left out of the recall average."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def score_page(truth: str, prediction: str) -> PageScore:
    true, pred = shingles(truth), shingles(prediction)
    tp = sum((true & pred).values())
    return PageScore(tp=tp, fp=pred.total() - tp, fn=true.total() - tp)


def summarize(scores: list[PageScore]) -> dict[str, float | int]:
    precisions = [s.precision for s in scores if s.precision is not None]
    recalls = [s.recall for s in scores if s.recall is not None]
    return _figures(
        len(scores),
        sum(precisions) / len(precisions) if precisions else 0.0,
        sum(recalls) / len(recalls) if recalls else 0.0,
        sum(1 for s in scores if s.tp + s.fp == 0),
    )


def _figures(
    pages: int, precision: float, recall: float, empty: int, **more: float
) -> dict[str, float | int]:
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pages": pages,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        **more,
        "empty_predictions": empty,
    }


_SPACES = re.compile(r"\s+")
# Soft hyphens and zero-width characters are invisible: a label keeps them where a page had
# them, an extractor may drop them (the cleaner does), and neither is wrong.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text.translate(_INVISIBLE)).strip()


@dataclass(frozen=True)
class SnippetCounts:
    """One page's snippets: held ("with") and wrongly held ("without") by the prediction."""

    tp: int
    fp: int
    fn: int
    tn: int


def snippet_counts(with_: tuple[str, ...], without: tuple[str, ...], text: str) -> SnippetCounts:
    body = _squash(text)
    held = sum(1 for snippet in with_ if _squash(snippet) in body)
    wrong = sum(1 for snippet in without if _squash(snippet) in body)
    return SnippetCounts(held, wrong, len(with_) - held, len(without) - wrong)


def summarize_snippets(counts: list[SnippetCounts], empty: int) -> dict[str, float | int | None]:
    """Pooled figures. A set that labels only what the body must hold (Postlight's openings)
    measures recall alone: its precision, F1 and accuracy are None, not a perfect score."""
    tp, fp = sum(c.tp for c in counts), sum(c.fp for c in counts)
    fn, tn = sum(c.fn for c in counts), sum(c.tn for c in counts)
    recall = tp / (tp + fn) if tp + fn else 0.0
    if not fp + tn:
        return {
            "pages": len(counts),
            "precision": None,
            "recall": recall,
            "f1": None,
            "accuracy": None,
            "empty_predictions": empty,
        }
    figures: dict[str, float | int | None] = {}
    figures.update(
        _figures(
            len(counts),
            tp / (tp + fp) if tp + fp else 0.0,
            recall,
            empty,
            accuracy=(tp + tn) / (tp + fp + fn + tn) if counts else 0.0,
        )
    )
    return figures


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    html: bytes
    truth: str
    # Labels some datasets give besides the body (Mozilla Readability's test pages do).
    title: str | None = None
    byline: str | None = None
    authors: tuple[str, ...] | None = None
    # Snippet labels, instead of `truth` (see `snippet_counts`).
    with_: tuple[str, ...] | None = None
    without: tuple[str, ...] | None = None

    @property
    def by_snippets(self) -> bool:
        return self.with_ is not None


def load_dataset(dataset_dir: str | Path) -> Iterator[Page]:
    """Pages of a dataset laid out like `article-extraction-dev`: html/<id>.html.gz + truth."""
    root = Path(dataset_dir)
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id, entry in sorted(truth.items()):
        html = gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes())
        yield Page(
            page_id,
            entry.get("url", ""),
            html,
            entry.get("articleBody") or "",
            title=entry.get("title"),
            byline=entry.get("byline"),
            authors=tuple(entry["authors"]) if "authors" in entry else None,
            with_=tuple(entry["with"]) if "with" in entry else None,
            without=tuple(entry.get("without", ())) if "with" in entry else None,
        )


def predict_text(page: Page) -> str:
    """The cleaner's body text for one page; a page it rejects predicts nothing."""
    try:
        article = clean(page.html, page.url, source_id="dataset", fetched_at=datetime.now(UTC))
    except PoisonRecord:
        return ""
    return article.text


def evaluate(
    dataset_dir: str | Path, predict: Callable[[Page], str] = predict_text
) -> dict[str, float | int]:
    """Score `predict` (the cleaner by default) on every page of the dataset."""
    return summarize([score_page(p.truth, predict(p)) for p in load_dataset(dataset_dir)])
