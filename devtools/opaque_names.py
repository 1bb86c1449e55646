"""A copy of a labelled extraction set with every class and id name made opaque.

    python -m devtools.opaque_names DATASET_DIR OUT_DIR
    newsflow bench extract --dataset OUT_DIR --cv 5

Each `class` and `id` token becomes "c" and six hex digits of its hash (the same token gives
the same name on every page, as a site with hashed CSS names does); nothing else changes, the
truth included. The cleaner reads widget names (share, related, caption...) from those
attributes, so the score on the copy is what it gets from structure and text alone: a
development measure of how much of a figure rests on class names that a site never seen
before may not use. Issue 11's fourth round found the dev set at 0.987 with names and 0.963
without them, about the held-out figure (docs/extraction.md).
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import sys
from pathlib import Path

_NAMES = re.compile(rb"""(\s(?:class|id)\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""", re.I)


def _opaque(match: re.Match[bytes]) -> bytes:
    tokens = match.group(2).strip(b"\"'").split()
    names = b" ".join(b"c" + hashlib.md5(token).hexdigest()[:6].encode() for token in tokens)  # noqa: S324 - a name, not a secret
    return match.group(1) + b'"' + names + b'"'


def opaque_html(html: bytes) -> bytes:
    """The page with each class and id token replaced by an opaque one."""
    return _NAMES.sub(_opaque, html)


def write_opaque_copy(dataset: Path, out: Path) -> int:
    """Write the copy of `dataset` (html/<id>.html.gz + ground-truth.json) to `out`."""
    (out / "html").mkdir(parents=True, exist_ok=True)
    pages = sorted((dataset / "html").glob("*.html.gz"))
    for path in pages:
        html = opaque_html(gzip.decompress(path.read_bytes()))
        (out / "html" / path.name).write_bytes(gzip.compress(html, mtime=0))
    shutil.copyfile(dataset / "ground-truth.json", out / "ground-truth.json")
    return len(pages)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    count = write_opaque_copy(Path(argv[0]), Path(argv[1]))
    print(f"{count} pages with opaque class and id names written to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
