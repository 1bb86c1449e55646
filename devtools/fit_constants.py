"""Fit the cleaner's body-extraction constants by nested cross-validation by site.

    python -m devtools.fit_constants --dataset DIR [--dataset DIR ...] [--cv 5] [--passes 3]
        [--workers 2] [--cache FILE] [--json OUT]
    python -m devtools.fit_constants --dataset DIR ... --score NAME=VALUE ...

The pages are dealt into the site folds of `newsflow bench extract --cv K`
(devtools/bench/folds.py), run through the bench's own call of the cleaner and scored with
devtools/scoring.py, so a setting's figures are the bench's. For each fold, the constants are
fitted on the other folds' pages (coordinate descent from the hand-set values over the small
grid of each `Knob`, a move kept only when it raises the training pages' F1 by more than
`MIN_GAIN`, until a pass moves nothing or `--passes` are done) and the fitted setting is
scored on the fold's pages. The same is done on all pages ("all") for the values one would
put in the code. The constants are set by assigning the module attributes the cleaner reads
at call time; `PROSE_CHARS` is bound in two modules, and lines.py's `_LOWER_MAX_CHARS` is
derived from three others, so both are set together.

The fits run in lockstep, knob by knob, so a setting that several fits ask for is run once;
`--cache` keeps every setting's page scores, so an interrupted run resumes. `--score` scores
one setting (the hand-set values with the given ones changed) on every fold instead.

Decision rule, fixed before the first run: the fitted constants replace the hand-set ones only
if the nested-CV F1 beats the hand-set CV F1 on the same folds in at least K-1 of the K folds
and by more than two standard errors of the per-fold differences.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from devtools.bench.extract import _load, _Ours
from devtools.bench.folds import site_folds, site_of
from devtools.scoring import Page, PageScore, score_page, summarize

MIN_GAIN = 1e-4
Setting = tuple[float, ...]
Scores = tuple[tuple[int, int, int], ...]  # (tp, fp, fn) per page, in page order


@dataclass(frozen=True)
class Knob:
    name: str
    targets: tuple[str, ...]  # "module:ATTRIBUTE", each set to the knob's value
    grid: tuple[float, ...]  # holds the hand-set value


def _knob(name: str, grid: Sequence[float], *modules: str) -> Knob:
    return Knob(name, tuple(f"pipeline.clean.{m}:{name}" for m in modules), tuple(grid))


KNOBS: tuple[Knob, ...] = (
    _knob("MAX_LINK_DENSITY", (0.3, 0.4, 0.5, 0.6, 0.7), "body"),
    _knob("MAX_SENTENCE_LINK_DENSITY", (0.5, 0.6, 0.7, 0.8, 0.9), "body"),
    _knob("SENTENCES_MIN_CHARS", (100, 150, 200, 300), "body"),
    _knob("MAX_QUOTE_LINK_DENSITY", (0.6, 0.8, 1.01), "body"),
    _knob("CAPTION_WEIGHT", (0.0, 0.05, 0.1, 0.2, 0.4), "body"),
    _knob("ISOLATED", (0.1, 0.25, 0.5, 1.0), "body"),
    _knob("_CONTENT_HINT_BONUS", (1.0, 1.1, 1.25, 1.5), "body"),
    _knob("_WORDS_WITHIN", (100, 200, 400), "body"),
    _knob("_WRAPPER_PARAGRAPHS", (1, 2, 3), "body"),
    _knob("_LABEL_MAX_CHARS", (12, 20, 30), "body"),
    _knob("RIVAL_SHARE", (0.3, 0.4, 0.5, 0.6, 0.75, 0.9), "body"),
    _knob("_BEHIND_WALL_CHARS", (300, 600, 1200), "body"),
    _knob("_STORY_CHARS", (500, 1000, 2000), "body"),
    _knob("PROSE_CHARS", (50, 65, 80, 100, 125), "furniture", "body"),
    _knob("_FORM_KEEP_PARAGRAPHS", (1, 2, 3, 5), "furniture"),
    _knob("_LINE_MAX_CHARS", (60, 100, 150), "lines"),
    _knob("_POINTER_MAX_CHARS", (100, 200, 300), "lines"),
    _knob("_PAYWALL_MAX_CHARS", (150, 300, 450), "lines"),
    _knob("_NEWSLETTER_MAX_CHARS", (100, 200, 300), "lines"),
    _knob("_AFFILIATE_MAX_CHARS", (150, 300, 450), "lines"),
    _knob("_FINE_PRINT_MAX_CHARS", (150, 300, 450), "lines"),
    _knob("_COMMENTS_HEADING_MAX_CHARS", (30, 60, 90), "lines"),
    _knob("TAIL_MAX_CHARS", (200, 300, 400, 600, 800), "tails"),
    _knob("ISSUER_MAX_CHARS", (600, 1200, 2400), "tails"),
    _knob("_BOX_BLOCKS", (1, 2, 3), "photo_boxes"),
    _knob("_BOX_CHARS", (200, 400, 600), "photo_boxes"),
    _knob("_LEVELS", (2, 3, 4), "photo_boxes"),
    _knob("_ALT_MIN", (25, 40, 60), "photo_boxes"),
    _knob("_ALT_SHARE", (0.7, 0.85, 1.0), "photo_boxes"),
    _knob("_ICON_PIXELS", (40, 80, 120), "photo_boxes"),
    _knob("_MIN_SLIDES", (3, 4, 6), "galleries"),
)
# lines.py's one lower-case copy is made for texts shorter than the longest of these.
_LOWER_FROM = ("_PAYWALL_MAX_CHARS", "_FINE_PRINT_MAX_CHARS", "_NEWSLETTER_MAX_CHARS")


def _attribute(target: str) -> tuple[Any, str]:
    module, name = target.split(":")
    return import_module(module), name


def read_setting() -> Setting:
    """The values in the code, checked to be one in each knob's grid and the same in every
    module that binds the name."""
    values = []
    for knob in KNOBS:
        found = {getattr(*_attribute(target)) for target in knob.targets}
        if len(found) != 1 or (value := found.pop()) not in knob.grid:
            raise SystemExit(f"{knob.name}: the code has {found}, the grid {knob.grid}")
        values.append(value)
    return tuple(values)


def apply(setting: Setting) -> None:
    for knob, value in zip(KNOBS, setting, strict=True):
        kind = type(getattr(*_attribute(knob.targets[0])))
        for target in knob.targets:
            setattr(*_attribute(target), kind(value))
    lines = import_module("pipeline.clean.lines")
    longest = max(getattr(lines, name) for name in _LOWER_FROM)
    setattr(*_attribute("pipeline.clean.lines:_LOWER_MAX_CHARS"), longest)


_PAGES: list[tuple[Page, str]] = []
_DATASET: list[str] = []  # per page, the name of its dataset
_SCORED: list[dict[str, tuple[int, int, int]]] = []  # per page, the score of each text it gave
HAND = read_setting()  # before any knob is turned
# The knobs the walk over the tree reads (furniture.py's form test); the others are read after it.
_WALK_KNOBS = ("PROSE_CHARS", "_FORM_KEEP_PARAGRAPHS")
_KEPT_WALKS = 2


class _Walks:
    """The prepared markup, and the parsed and walked tree of each page, kept between settings
    that give the walk the same knobs, so a setting costs the cleaner's steps after the walk
    (metadata, body, record).

    The body step marks blocks as captions and adds reply threads to `named`: both are put
    back as the walk left them before a kept walk is handed out again. `--verify` checks
    that this gives the same page scores as the plain cleaner.
    """

    def __init__(self) -> None:
        clean = import_module("pipeline.clean")
        self.parse, self.walk = clean.parse_html, clean.page_blocks
        self.soups: dict[tuple[float, ...], dict[str, Any]] = {}
        self.walks: dict[int, tuple[Any, list[str], dict[int, str]]] = {}
        self.prepare = clean.prepare
        self.markups: dict[str, Any] = {}
        kept = {
            "prepare": self.prepare_kept,
            "parse_html": self.parse_kept,
            "page_blocks": self.walk_kept,
            "discard": _keep,
        }
        self.plain = {name: getattr(clean, name) for name in kept}
        for name, function in kept.items():
            setattr(clean, name, function)

    def close(self) -> None:
        """The cleaner as it was: every page parsed and walked again."""
        clean = import_module("pipeline.clean")
        for name, function in self.plain.items():
            setattr(clean, name, function)

    def prepare_kept(self, page: str) -> Any:
        if page not in self.markups:
            self.markups[page] = self.prepare(page)
        return self.markups[page]

    def parse_kept(self, html: str) -> Any:
        walk_knobs = tuple(
            getattr(*_attribute(f"pipeline.clean.furniture:{n}")) for n in _WALK_KNOBS
        )
        if walk_knobs not in self.soups:
            while len(self.soups) >= _KEPT_WALKS:
                for soup in self.soups.pop(next(iter(self.soups))).values():
                    del self.walks[id(soup)]
            self.soups[walk_knobs] = {}
        kept = self.soups[walk_knobs]
        if html not in kept:
            kept[html] = self.parse(html)
        return kept[html]

    def walk_kept(self, soup: Any) -> Any:
        if id(soup) not in self.walks:
            walked = self.walk(soup)
            self.walks[id(soup)] = (walked, [b.kind for b in walked.blocks], dict(walked.named))
            return walked
        walked, kinds, named = self.walks[id(soup)]
        for block, kind in zip(walked.blocks, kinds, strict=True):
            block.kind = kind
        walked.named.clear()
        walked.named.update(named)
        return walked


def _keep(soup: Any) -> None:
    """A kept tree is not taken apart."""


def run_setting(setting: Setting) -> Scores:
    """Each page's (tp, fp, fn) with the cleaner run as the bench runs it, under `setting`."""
    apply(setting)
    try:
        ours = _Ours()
        scores = []
        for (page, html), scored in zip(_PAGES, _SCORED, strict=True):
            text = ours(page, html)
            if text not in scored:
                score = score_page(page.truth, text)
                scored[text] = (score.tp, score.fp, score.fn)
            scores.append(scored[text])
    finally:
        apply(HAND)
    return tuple(scores)


def f1(scores: Scores, pages: Sequence[int]) -> float:
    return float(summarize([PageScore(*scores[i]) for i in pages])["f1"])


class Evaluations:
    """Page scores per setting, run in a pool and kept in a cache file."""

    def __init__(self, path: Path | None, page_ids: list[str], workers: int) -> None:
        self.path = path
        self.header = {"knobs": [k.name for k in KNOBS], "pages": page_ids}
        self.known: dict[Setting, Scores] = {}
        self.runs = 0
        self.seconds = 0.0
        if path and path.is_file():
            saved = json.loads(path.read_text())
            if saved["header"] == self.header:
                for key, scores in saved["settings"].items():
                    self.known[tuple(json.loads(key))] = tuple(tuple(s) for s in scores)
        self.pool = multiprocessing.get_context("fork").Pool(workers) if workers > 1 else None

    def get(self, settings: Sequence[Setting]) -> list[Scores]:
        missing = list(dict.fromkeys(s for s in settings if s not in self.known))
        if missing:
            started = time.monotonic()
            results = (
                self.pool.map(run_setting, missing, chunksize=1)
                if self.pool
                else [run_setting(s) for s in missing]
            )
            self.seconds += time.monotonic() - started
            self.runs += len(missing)
            self.known.update(zip(missing, results, strict=True))
            self.save()
        return [self.known[s] for s in settings]

    def save(self) -> None:
        if self.path:
            settings = {json.dumps(list(k)): v for k, v in self.known.items()}
            self.path.write_text(json.dumps({"header": self.header, "settings": settings}))


def fit(
    evaluations: Evaluations, training: dict[str, list[int]], passes: int, echo: Any
) -> dict[str, Setting]:
    """Coordinate descent from the hand-set values, one fit per training set, in lockstep."""
    state = dict.fromkeys(training, HAND)
    for number in range(passes):
        moved = False
        for k, knob in enumerate(KNOBS):
            asked = {
                name: [setting[:k] + (value,) + setting[k + 1 :] for value in knob.grid]
                for name, setting in state.items()
            }
            flat = [s for settings in asked.values() for s in settings]
            scored = dict(zip(flat, evaluations.get(flat), strict=True))
            for name, settings in asked.items():
                pages = training[name]
                current = f1(scored[state[name]], pages)
                figures = {setting: f1(scored[setting], pages) for setting in settings}
                best = max(settings, key=figures.__getitem__)
                if figures[best] > current + MIN_GAIN:
                    echo(
                        f"pass {number + 1} {name}: {knob.name} {state[name][k]} -> {best[k]} "
                        f"(training F1 {current:.5f} -> {figures[best]:.5f})"
                    )
                    state[name] = best
                    moved = True
        echo(
            f"pass {number + 1} done: {evaluations.runs} settings run, {evaluations.seconds:.0f} s"
        )
        if not moved:
            break
    return state


def _changes(setting: Setting) -> dict[str, float]:
    hand = HAND
    return {
        knob.name: value
        for knob, value, was in zip(KNOBS, setting, hand, strict=True)
        if value != was
    }


def nested_cv(
    evaluations: Evaluations, folds: list[int], k: int, passes: int, echo: Any
) -> dict[str, Any]:
    everything = list(range(len(folds)))
    held_out = {f"fold {f + 1}": [i for i in everything if folds[i] == f] for f in range(k)}
    training = {f"fold {f + 1}": [i for i in everything if folds[i] != f] for f in range(k)}
    training["all"] = everything
    fitted = fit(evaluations, training, passes, echo)
    (hand_scores,) = evaluations.get([HAND])
    rows: list[dict[str, Any]] = []
    for name, pages in held_out.items():
        (fitted_scores,) = evaluations.get([fitted[name]])
        rows.append(
            {
                "fold": name,
                "pages": len(pages),
                "hand_f1": f1(hand_scores, pages),
                "fitted_f1": f1(fitted_scores, pages),
                "hand_training_f1": f1(hand_scores, training[name]),
                "fitted_training_f1": f1(fitted_scores, training[name]),
                "fitted": _changes(fitted[name]),
            }
        )
    gains = [row["fitted_f1"] - row["hand_f1"] for row in rows]
    error = statistics.stdev(gains) / math.sqrt(k)
    # Every page scored with the constants fitted without its site: the figures per dataset.
    nested = evaluations.get([fitted[f"fold {fold + 1}"] for fold in folds])
    nested_scores = tuple(scores[i] for i, scores in enumerate(nested))
    datasets = {
        name: {
            "pages": len(pages),
            "hand_f1": f1(hand_scores, pages),
            "nested_f1": f1(nested_scores, pages),
        }
        for name in dict.fromkeys(_DATASET)
        if (pages := [i for i, d in enumerate(_DATASET) if d == name])
    }
    (all_scores,) = evaluations.get([fitted["all"]])
    return {
        "folds": rows,
        "datasets": datasets,
        "hand_cv_f1": statistics.fmean(row["hand_f1"] for row in rows),
        "nested_cv_f1": statistics.fmean(row["fitted_f1"] for row in rows),
        "gain": statistics.fmean(gains),
        "gain_standard_error": error,
        "folds_gaining": sum(1 for gain in gains if gain > 0),
        "adopt": sum(1 for gain in gains if gain > 0) >= k - 1
        and statistics.fmean(gains) > 2 * error,
        "all": {
            "fitted": _changes(fitted["all"]),
            "hand_f1": f1(hand_scores, everything),
            "fitted_f1": f1(all_scores, everything),
        },
        "settings_run": evaluations.runs,
        "seconds": evaluations.seconds,
    }


def score_one(
    evaluations: Evaluations, folds: list[int], k: int, changes: dict[str, float]
) -> dict[str, Any]:
    setting = list(HAND)
    names = [knob.name for knob in KNOBS]
    for name, value in changes.items():
        setting[names.index(name)] = value
    scores, hand = evaluations.get([tuple(setting), HAND])
    per_fold = [
        (f1(hand, pages), f1(scores, pages))
        for pages in ([i for i, f in enumerate(folds) if f == fold] for fold in range(k))
    ]
    return {
        "changes": changes,
        "hand_folds": [h for h, _ in per_fold],
        "folds": [s for _, s in per_fold],
        "hand_cv_f1": statistics.fmean(h for h, _ in per_fold),
        "cv_f1": statistics.fmean(s for _, s in per_fold),
    }


def sweep(evaluations: Evaluations, folds: list[int], k: int) -> list[dict[str, Any]]:
    """Each knob's grid with every other constant hand-set: the CV F1 over the site folds, the
    F1 of each dataset and the number of pages whose score moves."""
    settings = [
        HAND[:n] + (value,) + HAND[n + 1 :] for n, knob in enumerate(KNOBS) for value in knob.grid
    ]
    scored = dict(zip(settings, evaluations.get(settings), strict=True))
    by_fold = [[i for i, f in enumerate(folds) if f == fold] for fold in range(k)]
    by_dataset = {d: [i for i, e in enumerate(_DATASET) if e == d] for d in dict.fromkeys(_DATASET)}
    rows = []
    for n, knob in enumerate(KNOBS):
        for value in knob.grid:
            scores = scored[HAND[:n] + (value,) + HAND[n + 1 :]]
            rows.append(
                {
                    "knob": knob.name,
                    "value": value,
                    "hand": value == HAND[n],
                    "cv_f1": statistics.fmean(f1(scores, pages) for pages in by_fold),
                    "datasets": {d: f1(scores, pages) for d, pages in by_dataset.items()},
                    "pages_moved": sum(
                        1 for a, b in zip(scores, scored[HAND], strict=True) if a != b
                    ),
                }
            )
    return rows


def _sweep_report(rows: list[dict[str, Any]]) -> str:
    names = list(rows[0]["datasets"])
    lines = ["knob                         value   CV F1    " + "  ".join(names) + "  pages moved"]
    for row in rows:
        figures = "  ".join(f"{row['datasets'][d]:.5f}".ljust(len(d)) for d in names)
        mark = "*" if row["hand"] else " "
        lines.append(
            f"{row['knob']:<28} {row['value']:>6g}{mark} {row['cv_f1']:.5f}  {figures}  "
            f"{row['pages_moved']}"
        )
    return "\n".join(lines)


def _report(result: dict[str, Any]) -> str:
    lines = ["fold      pages  hand F1  fitted F1  gain     fitted values (hand-set otherwise)"]
    for row in result["folds"]:
        fitted = ", ".join(f"{n}={v:g}" for n, v in row["fitted"].items()) or "(none)"
        lines.append(
            f"{row['fold']:<9} {row['pages']:>5}  {row['hand_f1']:.5f}  {row['fitted_f1']:.5f}"
            f"    {row['fitted_f1'] - row['hand_f1']:+.5f}  {fitted}"
        )
    lines.append(
        f"CV F1: hand-set {result['hand_cv_f1']:.5f}, nested (fitted on the other folds) "
        f"{result['nested_cv_f1']:.5f}; gain {result['gain']:+.5f} "
        f"± {result['gain_standard_error']:.5f} (standard error), "
        f"{result['folds_gaining']} folds of {len(result['folds'])} gain; "
        f"adopt: {'yes' if result['adopt'] else 'no'}"
    )
    for name, figures in result["datasets"].items():
        lines.append(
            f"{name} ({figures['pages']} pages), each page with the constants fitted without "
            f"its fold: {figures['hand_f1']:.5f} hand-set, {figures['nested_f1']:.5f} fitted"
        )
    every = result["all"]
    fitted = ", ".join(f"{n}={v:g}" for n, v in every["fitted"].items()) or "(none)"
    lines.append(
        f"fitted on all pages: {fitted} (F1 on those pages {every['hand_f1']:.5f} -> "
        f"{every['fitted_f1']:.5f}, not a held-out figure)"
    )
    lines.append(f"{result['settings_run']} settings run in {result['seconds']:.0f} s")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.fit_constants", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--dataset", type=Path, action="append", required=True)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--score", nargs="+", metavar="NAME=VALUE")
    parser.add_argument(
        "--sweep", action="store_true", help="each knob's grid alone, the others hand-set"
    )
    parser.add_argument(
        "--plain", action="store_true", help="parse and walk every page for every setting"
    )
    parser.add_argument(
        "--verify",
        type=int,
        metavar="N",
        help="run the first N settings of --cache again with the walks kept, and compare",
    )
    args = parser.parse_args(argv)
    for directory in args.dataset:
        loaded = _load(directory)
        _PAGES.extend(loaded)
        _DATASET.extend(directory.name for _ in loaded)
    _SCORED.extend({} for _ in _PAGES)
    if not args.plain:
        _Walks()
    if args.verify:
        evaluations = Evaluations(args.cache, [page.id for page, _ in _PAGES], 1)
        known = list(evaluations.known.items())[: args.verify]
        differ = [setting for setting, scores in known if run_setting(setting) != scores]
        print(f"{len(known)} settings run again: {len(differ)} give other page scores {differ}")
        return 1 if differ or not known else 0
    folds = site_folds([site_of(page.url, page.id) for page, _ in _PAGES], args.cv)
    evaluations = Evaluations(args.cache, [page.id for page, _ in _PAGES], args.workers)
    if args.sweep:
        rows = sweep(evaluations, folds, args.cv)
        print(_sweep_report(rows))
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
        return 0
    if args.score:
        changes = {name: float(value) for name, value in (pair.split("=") for pair in args.score)}
        result = score_one(evaluations, folds, args.cv, changes)
        print(json.dumps(result, indent=1))
    else:
        result = nested_cv(evaluations, folds, args.cv, args.passes, print)
        print(_report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
