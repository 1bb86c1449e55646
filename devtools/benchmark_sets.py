"""Convert public extraction benchmarks into the layout of `article-extraction-dev`.

    python -m devtools.benchmark_sets scrapinghub CHECKOUT DEV_DIR OUT_DIR
    python -m devtools.benchmark_sets readability CHECKOUT OUT_DIR
    python -m devtools.benchmark_sets trafilatura CHECKOUT OUT_DIR
    python -m devtools.benchmark_sets postlight CHECKOUT OUT_DIR

CHECKOUT is a git directory of the benchmark's repository (read with `git show`, no work tree
needed). The result is `html/<id>.html.gz` plus `ground-truth.json` (`{id: {"articleBody",
"url", ...}}`, or `{id: {"with", "without", "url"}}` for a set labelled by snippets), what
`newsflow bench extract --dataset` reads. tests/data/extraction/README.md
says where each set comes from, under which licence, and what was left out.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

from bs4 import BeautifulSoup

# Mozilla's test pages smaller than this are hand-written markup for one rule, not real pages.
_REAL_PAGE_MIN_BYTES = 20_000
_DECLARED_URL = re.compile(
    r"""<link[^>]*rel=["']canonical["'][^>]*>|<meta[^>]*property=["']og:url["'][^>]*>""", re.I
)
_HREF = re.compile(r"""(?:href|content)=["'](https?://[^"']+)["']""", re.I)


def _git(checkout: Path, *args: str) -> bytes:
    return subprocess.run(  # noqa: S603 - a fixed git command on a local checkout
        ["git", "-C", str(checkout), *args],  # noqa: S607
        check=True,
        capture_output=True,
    ).stdout


def _write(out: Path, pages: dict[str, bytes], truth: dict[str, dict[str, object]]) -> None:
    (out / "html").mkdir(parents=True, exist_ok=True)
    for page_id, html in pages.items():
        # mtime=0: the same input gives the same bytes, so a re-run shows no diff.
        (out / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html, mtime=0))
    (out / "ground-truth.json").write_text(
        json.dumps(dict(sorted(truth.items())), ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )


def scrapinghub(checkout: Path, dev: Path, out: Path) -> int:
    """The pages of the Scrapinghub benchmark that are not in the dev set."""
    truth = json.loads(_git(checkout, "show", "HEAD:ground-truth.json"))
    seen = set(json.loads((dev / "ground-truth.json").read_text(encoding="utf-8")))
    kept = {k: {"articleBody": v["articleBody"], "url": v["url"]} for k, v in truth.items()}
    kept = {k: v for k, v in kept.items() if k not in seen}
    pages = {k: gzip.decompress(_git(checkout, "show", f"HEAD:html/{k}.html.gz")) for k in kept}
    _write(out, pages, kept)
    return len(kept)


def _declared_url(html: str) -> str | None:
    for tag in _DECLARED_URL.findall(html):
        if match := _HREF.search(tag):
            return match.group(1)
    return None


def readability(checkout: Path, out: Path) -> int:
    """Mozilla Readability's real test pages: the expected body, title and byline."""
    listing = _git(checkout, "ls-tree", "--name-only", "HEAD", "test/test-pages/").decode()
    pages: dict[str, bytes] = {}
    truth: dict[str, dict[str, object]] = {}
    for directory in listing.split():
        name = directory.rsplit("/", 1)[-1]
        source = _git(checkout, "show", f"HEAD:{directory}/source.html")
        if len(source) < _REAL_PAGE_MIN_BYTES:
            continue
        expected = _git(checkout, "show", f"HEAD:{directory}/expected.html").decode("utf-8")
        meta = json.loads(_git(checkout, "show", f"HEAD:{directory}/expected-metadata.json"))
        text = BeautifulSoup(expected, "lxml").get_text(" ")
        url = _declared_url(source.decode("utf-8", "replace")) or f"http://fakehost/{name}/"
        pages[name] = source
        truth[name] = {
            "articleBody": " ".join(text.split()),
            "url": url,
            "title": meta.get("title"),
            "byline": meta.get("byline"),
        }
    _write(out, pages, truth)
    return len(pages)


def trafilatura(checkout: Path, out: Path) -> int:
    """Trafilatura's evaluation pages: per page, snippets the body must hold ("with") and
    snippets it must not ("without"), chosen by hand at the edges of the text."""
    labels = json.loads(_git(checkout, "show", "HEAD:tests/evaldata.json"))
    listing = _git(
        checkout, "ls-tree", "-r", "-z", "--name-only", "HEAD", "tests/cache", "tests/eval"
    )
    stored = {path.rsplit("/", 1)[-1]: path for path in listing.decode().split("\0") if path}
    pages: dict[str, bytes] = {}
    truth: dict[str, dict[str, object]] = {}
    for url, label in labels.items():
        # The page ids are the benchmark's file names, made safe for a file name of our own.
        page_id = re.sub(r"[^\w.-]+", "_", label["file"].removesuffix(".html"))[:120]
        pages[page_id] = _git(checkout, "show", f"HEAD:{stored[label['file']]}")
        truth[page_id] = {"url": url, "with": label["with"], "without": label["without"]}
    _write(out, pages, truth)
    return len(pages)


# A JavaScript string literal in one of the three quotes, and its escapes.
_JS_STRING = r"""(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`((?:[^`\\]|\\.)*)`)"""
_JS_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_JS_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_FIXTURE = re.compile(r"readFileSync\(\s*'\./fixtures/([^']+)\.html'")
_URL = re.compile(r"\burl\s*=\s*" + _JS_STRING)
_TITLE = re.compile(r"assert\.equal\(\s*title\s*,\s*" + _JS_STRING)
_AUTHOR = re.compile(r"assert\.equal\(\s*author\s*,\s*(?:null|" + _JS_STRING + ")")
_OPENING = re.compile(r"assert\.equal\(\s*first13\s*,\s*" + _JS_STRING)


def _js_string(match: re.Match[str]) -> str:
    raw = next(group for group in match.groups() if group is not None)

    def unescape(escape: re.Match[str]) -> str:
        code = escape.group(1)
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _JS_SIMPLE_ESCAPES.get(code, code)

    return _JS_ESCAPE.sub(unescape, raw)


# Where the label's text joins two paragraphs without a space ("in America.The first lady").
_GLUED = re.compile(r"(?<=[.!?…\"”’)\]])(?=[A-ZÀ-Ý\"“‘(])")
_OPENING_WORDS = 6
_OPENING_MIN_WORDS = 4


def _opening_snippet(first13: str) -> str | None:
    """The label's last words, from its longest run not glued to another paragraph: the
    first words of a site's content are often a caption, a credit or a dateline, which an
    extractor may rightly leave out."""
    words = max((piece.split() for piece in _GLUED.split(first13)), key=len)
    if len(words) < _OPENING_MIN_WORDS:
        return None
    return " ".join(words[-_OPENING_WORDS:])


_META = re.compile(rb"<meta\b[^>]*>", re.I)
_META_VALUE = re.compile(rb"(\s)value=", re.I)
_META_CONTENT = re.compile(rb"\scontent=", re.I)


def _restore_meta(html: bytes) -> bytes:
    """The page's `<meta content=...>` as served: Postlight saved its fixtures after its own
    normalization had renamed the attribute `value`, which no browser or extractor reads."""

    def restore(tag: re.Match[bytes]) -> bytes:
        text = tag.group()
        return text if _META_CONTENT.search(text) else _META_VALUE.sub(rb"\1content=", text, 1)

    return _META.sub(restore, html)


def postlight(checkout: Path, out: Path) -> int:
    """Postlight Parser's fixtures: real pages of some 140 sites, each with the test its
    developers wrote for the site's extractor. The test's first case names the page's URL,
    its title, its author and the first 13 words of its content, of which the body must hold
    the last 6 (`_opening_snippet`). Later cases of a test (other fixtures of the same site)
    are left out."""
    listing = _git(checkout, "ls-tree", "-r", "-z", "--name-only", "HEAD", "src/extractors/custom")
    pages: dict[str, bytes] = {}
    truth: dict[str, dict[str, object]] = {}
    for path in sorted(p for p in listing.decode().split("\0") if p.endswith(".test.js")):
        test = _git(checkout, "show", f"HEAD:{path}").decode("utf-8")
        fixture = _FIXTURE.search(test)
        url = _URL.search(test, 0, fixture.start()) if fixture else None
        opening = _OPENING.search(test, fixture.end()) if fixture else None
        if fixture is None or url is None or opening is None:
            continue
        if not (snippet := _opening_snippet(_js_string(opening))):
            continue
        entry: dict[str, object] = {"url": _js_string(url), "with": [snippet]}
        if title := _TITLE.search(test, fixture.end()):
            entry["title"] = _js_string(title)
        if author := _AUTHOR.search(test, fixture.end()):
            # null: the site's extractor finds no author, the page states none.
            entry["byline"] = _js_string(author) if any(author.groups()) else ""
        page_id = fixture.group(1)
        pages[page_id] = _restore_meta(_git(checkout, "show", f"HEAD:fixtures/{page_id}.html"))
        truth[page_id] = entry
    _write(out, pages, truth)
    return len(pages)


def main(argv: list[str]) -> None:
    kind, *paths = argv
    if kind == "scrapinghub":
        count = scrapinghub(Path(paths[0]), Path(paths[1]), Path(paths[2]))
    elif kind == "readability":
        count = readability(Path(paths[0]), Path(paths[1]))
    elif kind == "trafilatura":
        count = trafilatura(Path(paths[0]), Path(paths[1]))
    elif kind == "postlight":
        count = postlight(Path(paths[0]), Path(paths[1]))
    else:
        raise SystemExit(
            f"unknown benchmark {kind!r}: scrapinghub, readability, trafilatura or postlight"
        )
    print(f"{count} pages written")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1:])
