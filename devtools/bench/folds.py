"""Cross-validation by site for `newsflow bench extract --cv K`.

Pages are grouped by site (host name without "www."; every page of a site lands in one fold),
and the sites are dealt into K folds of about equal page counts, the same way on every run.

The cleaner has no threshold or weight fitted to data: every constant in pipeline/clean/ was set
by hand. So there is nothing to choose on the training folds, and the held-out score of a fold
is the score of the fixed rules on sites that fold holds. Pooled over the folds, those scores
are exactly the whole-set score; what the folds show is the spread: how much the figure moves
from one group of sites to the next, which is what a new site can expect. Should a parameter
ever be fitted, `Tuned` is where its choice on the training folds belongs.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from devtools.scoring import PageScore, summarize

# Parameters of the cleaner chosen from data on the training folds. None today: see above.
TUNED: tuple[str, ...] = ()


def site_of(url: str, page_id: str) -> str:
    """The site a page belongs to: its host without "www.", else (a test host) its id."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    host = host.removeprefix("www.")
    if not host or host in ("fakehost", "localhost"):
        # Test pages named "nytimes-2": the part before the number is the site.
        return page_id.rstrip("0123456789").rstrip("-") or page_id
    return host


def _stable(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def site_folds(sites: Sequence[str], k: int) -> list[int]:
    """The fold (0..k-1) of each page, given each page's site: larger sites first, each to the
    fold with the fewest pages so far, ties broken by a hash of the site's name."""
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    counts: dict[str, int] = {}
    for site in sites:
        counts[site] = counts.get(site, 0) + 1
    if len(counts) < k:
        raise ValueError(f"{len(counts)} sites cannot fill {k} folds")
    sizes = [0] * k
    fold_of: dict[str, int] = {}
    for site in sorted(counts, key=lambda s: (-counts[s], _stable(s))):
        fold = min(range(k), key=lambda f: (sizes[f], f))
        fold_of[site] = fold
        sizes[fold] += counts[site]
    return [fold_of[site] for site in sites]


def cross_validate(
    sites: Sequence[str], scores: dict[str, Sequence[PageScore]], k: int
) -> dict[str, Any]:
    """Per extractor, the held-out figures of each fold, their mean, spread and range, next to
    the whole-set F1. `sites` and each extractor's `scores` are in page order."""
    folds = site_folds(sites, k)
    report: dict[str, Any] = {"folds": k, "tuned_parameters": list(TUNED), "extractors": {}}
    for name, page_scores in scores.items():
        per_fold = []
        for fold in range(k):
            held_out = [s for s, f in zip(page_scores, folds, strict=True) if f == fold]
            per_fold.append(summarize(held_out))
        f1s = [figures["f1"] for figures in per_fold]
        report["extractors"][name] = {
            "whole_f1": summarize(list(page_scores))["f1"],
            "cv_f1": statistics.fmean(f1s),
            "cv_f1_stdev": statistics.stdev(f1s),
            "cv_f1_min": min(f1s),
            "cv_f1_max": max(f1s),
            "per_fold": per_fold,
        }
    report["fold_pages"] = [sum(1 for f in folds if f == fold) for fold in range(k)]
    report["fold_sites"] = [
        len({s for s, f in zip(sites, folds, strict=True) if f == fold}) for fold in range(k)
    ]
    return report
