"""`newsflow bench enrich --against REV` says whether both revisions wrote the same records."""

from __future__ import annotations

import json
from pathlib import Path

from devtools.bench.enrich_outputs import compare_outputs


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_identical_records_are_counted(tmp_path: Path) -> None:
    records = [{"article_id": str(n), "entities": [{"name": "NATO"}]} for n in range(3)]
    result = compare_outputs(_write(tmp_path / "a", records), _write(tmp_path / "b", records))
    assert (result.records, result.identical, result.first_difference) == (3, 3, None)
    assert result.summary("ba6eb05") == "records written: 3 of 3 identical to ba6eb05's"


def test_a_differing_field_is_named_with_its_first_line(tmp_path: Path) -> None:
    ours = [{"article_id": str(n), "language": "en", "entities": []} for n in range(3)]
    theirs = [dict(r) for r in ours]
    theirs[1]["entities"] = [{"name": "NATO"}]
    theirs[2]["language"] = None
    result = compare_outputs(_write(tmp_path / "a", ours), _write(tmp_path / "b", theirs))
    assert (result.identical, result.first_difference) == (1, 2)
    assert result.fields == ["entities", "language"]
    assert result.summary("old") == (
        "records written: 2 of 3 differ from old's (first at line 2; fields: entities, language)"
    )


def test_a_missing_record_is_a_difference(tmp_path: Path) -> None:
    records = [{"article_id": str(n)} for n in range(3)]
    result = compare_outputs(_write(tmp_path / "a", records), _write(tmp_path / "b", records[:2]))
    assert (result.records, result.identical, result.first_difference) == (3, 2, 3)
    assert "fields: none: the number of lines differs" in result.summary("old")
