"""Golden pages: fixture HTML next to the record the cleaner is expected to make of it.

Layout: `tests/fixtures/pages/<site>/<slug>.html` and `<slug>.expected.json`. The page's
address is `https://<site>.example/<slug>`, fetched at `FETCHED_AT`. A page the cleaner must
reject expects `{"error": "<the ExtractionError's message>"}`.

    python -m devtools.golden                 # list the pages whose output changed
    python -m devtools.golden --regenerate    # rewrite every <slug>.expected.json

After regenerating, review `git diff tests/fixtures/pages` line by line before committing: an
expected file records what the cleaner should do, not merely what it does.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.clean import clean
from pipeline.errors import ExtractionError
from pipeline.records import utc_iso

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pages"
FETCHED_AT = datetime(2025, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class GoldenPage:
    site: str
    slug: str
    html_path: Path

    @property
    def id(self) -> str:
        return f"{self.site}/{self.slug}"

    @property
    def url(self) -> str:
        return f"https://{self.site}.example/{self.slug}"

    @property
    def expected_path(self) -> Path:
        return self.html_path.with_name(f"{self.slug}.expected.json")

    def expected(self) -> dict[str, Any] | None:
        if not self.expected_path.exists():
            return None
        expected: dict[str, Any] = json.loads(self.expected_path.read_text(encoding="utf-8"))
        return expected

    def actual(self) -> dict[str, Any]:
        """What the cleaner makes of the page, in the form of the expected file."""
        try:
            article = clean(
                self.html_path.read_bytes(), self.url, source_id=self.site, fetched_at=FETCHED_AT
            )
        except ExtractionError as exc:
            return {"error": str(exc)}
        return {
            "title": article.title,
            "description": article.description,
            "authors": article.authors,
            "published_at": utc_iso(article.published_at),
            "updated_at": utc_iso(article.updated_at),
            "canonical_url": article.canonical_url,
            "language": article.language,
            "section": article.section,
            "tags": article.tags,
            "top_image": article.top_image,
            "paragraphs": [[p.kind, p.text] for p in article.paragraphs],
            "removed": [r.model_dump() for r in article.removed],
        }


def golden_pages(root: Path = FIXTURES) -> list[GoldenPage]:
    return [
        GoldenPage(site=path.parent.name, slug=path.stem, html_path=path)
        for path in sorted(root.glob("*/*.html"))
    ]


def render(record: dict[str, Any]) -> str:
    """Indented JSON with one line per paragraph and per removal: diffs read line by line."""
    lines = []
    for key, value in record.items():
        if isinstance(value, list) and value and key in ("paragraphs", "removed"):
            items = ",\n".join(f"    {json.dumps(item, ensure_ascii=False)}" for item in value)
            lines.append(f"  {json.dumps(key)}: [\n{items}\n  ]")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.golden",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--regenerate", action="store_true", help="rewrite the expected files")
    parser.add_argument("--dir", type=Path, default=FIXTURES, help="the fixture pages")
    args = parser.parse_args(argv)
    pages = golden_pages(args.dir)
    changed = 0
    for page in pages:
        actual = page.actual()
        if actual == page.expected() and (
            not args.regenerate or page.expected_path.read_text(encoding="utf-8") == render(actual)
        ):
            continue
        changed += 1
        if args.regenerate:
            page.expected_path.write_text(render(actual), encoding="utf-8")
            print(f"wrote {page.expected_path}")
        else:
            print(f"changed: {page.id}")
    verb = "rewritten" if args.regenerate else "changed"
    print(f"{changed} of {len(pages)} golden pages {verb}", file=sys.stderr)
    return 0 if args.regenerate or not changed else 1


if __name__ == "__main__":
    sys.exit(main())
