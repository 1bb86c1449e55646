"""`newsflow bench enrich` builds its records from as many distinct texts as the checkout
ships: repeated texts would meet the enricher's per-string caches warm, which real traffic
does not."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from devtools.bench import enrich

# The checkout ships 175 distinct English texts of at least 300 words (48 curated dataset
# articles, 60 scrapinghub benchmark bodies, 67 readability test pages); 34 before.
AT_LEAST = 170


def test_400_records_hold_every_distinct_text_before_repeating_one() -> None:
    _, records = enrich._records(400)
    texts = [r.text for r in records]
    distinct = len(set(texts))
    assert distinct >= AT_LEAST
    # No text comes twice before every distinct one came once.
    assert len(set(texts[:distinct])) == distinct
    assert len({r.url for r in records}) == 400
    assert all(300 <= r.word_count for r in records)


def test_the_header_names_the_distinct_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    def copy(command: list[str], source: Path, sink: Path) -> tuple[float, float]:
        shutil.copyfile(source, sink)  # one line out per record in, as newsflow enrich writes
        return 1.0, 1.0

    monkeypatch.setattr(enrich, "_timed", copy)
    lines: list[str] = []
    figures = enrich.run(articles=400, rounds=1, echo=lambda *a, **k: lines.append(str(a[0])))
    header = re.match(
        r"400 articles of (\d+) words on average from (\d+) distinct texts \(", lines[0]
    )
    assert header, lines[0]
    assert int(header.group(2)) == figures["distinct_texts"] >= AT_LEAST
    assert int(header.group(1)) == figures["words_per_article"]
