"""Title and author labels where two open extractors agree, for pages labelled with a body only.

    python -m devtools.consensus_labels DATASET_DIR [OUT_JSON]

For each page, trafilatura's metadata (title, author) and newspaper4k's (title, authors) are
read from the same HTML. Where both give the same title (without case, spacing or quote
style), that is the page's `title` label; where both give the same set of author names
(including both giving none), that list is its `authors` label. Pages where they disagree get
no label. Without OUT_JSON the labels are merged into DATASET_DIR/ground-truth.json.

This is how issue 11 measured authors on unseen pages; the labels are machine consensus, not a
human's reading, and the README of the dataset says so.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from devtools.bench.fields import names_key, title_key
from devtools.scoring import load_dataset
from pipeline.clean.decode import decode_html


def _trafilatura(html: str, url: str) -> tuple[str | None, list[str]]:
    from trafilatura import extract_metadata

    meta = extract_metadata(html, default_url=url)
    if meta is None:
        return None, []
    authors = [a.strip() for a in re.split(r";", meta.author or "") if a.strip()]
    return meta.title, authors


def _newspaper(html: str, url: str) -> tuple[str | None, list[str]]:
    from newspaper import Article

    article = Article(url or "http://localhost/", fetch_images=False)
    article.download(input_html=html)
    article.parse()
    return article.title or None, list(article.authors)


def labels(dataset: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for page in load_dataset(dataset):
        html = decode_html(page.html)
        try:
            t_title, t_authors = _trafilatura(html, page.url)
            n_title, n_authors = _newspaper(html, page.url)
        except Exception:  # noqa: BLE001, S112 - a page an extractor fails on gets no label
            continue
        entry: dict[str, Any] = {}
        if t_title and n_title and title_key(t_title) == title_key(n_title):
            entry["title"] = t_title
        if names_key(t_authors) == names_key(n_authors):
            entry["authors"] = t_authors
        found[page.id] = entry
    return found


def main(argv: list[str]) -> None:
    dataset = Path(argv[0])
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    found = labels(dataset)
    if len(argv) > 1:
        Path(argv[1]).write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n")
    else:
        path = dataset / "ground-truth.json"
        truth = json.loads(path.read_text(encoding="utf-8"))
        for page_id, entry in found.items():
            truth[page_id].update(entry)
        path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    titled = sum("title" in e for e in found.values())
    authored = sum("authors" in e for e in found.values())
    print(f"{len(found)} pages: {titled} title labels, {authored} author labels")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1:])
