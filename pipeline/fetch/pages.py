"""Fetching a source's article pages: hosts in parallel, each host's pages one at a time.

Every page is asked for conditionally when its validators are known (ETag → If-None-Match,
Last-Modified → If-Modified-Since): a 304 is "not modified" and is not cleaned again. Pages
that are not HTML are skipped before their body is read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pipeline.errors import FetchError, PoisonRecord
from pipeline.fetch.discover import Discovered
from pipeline.fetch.http import FetchResult, HttpClient, host_of
from pipeline.fetch.run import FetchRun
from pipeline.records import CleanedArticle

# Hosts fetched at once. Each has its own delay, so more workers only help sources spread over
# many hosts; a handful keeps the task's threads and sockets modest.
MAX_PARALLEL_HOSTS = 4

# What a failed fetch counts as, by outcome; anything else is "failed".
_KIND_OF_OUTCOME = {
    "robots_disallowed": "skipped_robots",
    "robots_unavailable": "skipped_robots",
    "not_html": "not_html",
    "refused": "refused",
    "deferred": "deferred",
}


def kind_of_outcome(outcome: str) -> str:
    """What a failed fetch with this fetch_log outcome counts as: "failed", or a quiet kind
    (skipped_robots, not_html, refused, deferred)."""
    return _KIND_OF_OUTCOME.get(outcome, "failed")


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass
class PageOutcome:
    """What became of one discovered URL.

    kind: cleaned (a record), not_modified (304), extract_failed, skipped_robots, not_html,
    refused, deferred or failed.
    """

    item: Discovered
    kind: str
    page: FetchResult | None = None
    record: CleanedArticle | None = None
    error: str | None = None

    @property
    def fetched(self) -> bool:
        """Whether the server answered with the page (or that it has not changed)."""
        return self.kind in ("cleaned", "not_modified", "extract_failed")

    def note(self, verdict: str) -> PageOutcome:
        """Write the verdict on the page (new, unchanged, ...) into its last fetch log entry."""
        if self.page is not None and self.page.entry is not None:
            self.page.entry.outcome = verdict
            self.page.entry.error = self.error
        return self


Cleaner = Callable[[FetchResult], CleanedArticle]


def fetch_pages(
    run: FetchRun,
    items: Sequence[Discovered],
    validators: Mapping[str, Validators],
    clean_page: Cleaner,
    progress: Callable[[str], None] | None = None,
    on_page: Callable[[PageOutcome], None] | None = None,
) -> list[PageOutcome]:
    """One outcome per item, in the order of `items`; `on_page` hears of each as it comes
    (from the worker threads)."""
    by_host: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        by_host.setdefault(host_of(item.url), []).append(index)
    outcomes: list[PageOutcome | None] = [None] * len(items)
    done = _Counter(len(items), progress)

    def work(indexes: list[int]) -> None:
        with run.client() as client:
            for index in indexes:
                if run.cancelled.is_set():
                    return
                item = items[index]
                outcome = outcomes[index] = fetch_page(
                    client, item, validators.get(item.url), clean_page
                )
                if on_page is not None:
                    on_page(outcome)
                done.tick()

    if by_host:
        workers = min(MAX_PARALLEL_HOSTS, len(by_host))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
            futures = [pool.submit(work, indexes) for indexes in by_host.values()]
            try:
                for future in futures:
                    future.result()  # a bug in a worker surfaces here instead of vanishing
            except BaseException:
                # Ctrl-C (or a worker's bug): the pool's exit waits for every worker, so they
                # are told to stop first, and end their request in flight within moments.
                run.cancelled.set()
                raise
    return [outcome for outcome in outcomes if outcome is not None]


def fetch_page(
    client: HttpClient, item: Discovered, validators: Validators | None, clean_page: Cleaner
) -> PageOutcome:
    conditional = validators.headers() if validators else {}
    try:
        page = client.get(item.url, headers=conditional, html_only=True)
    except FetchError as exc:
        # A failure at a redirect's target names the target; the summary should name the page.
        error = str(exc) if item.url in str(exc) else f"{item.url}: {exc}"
        return PageOutcome(item, kind_of_outcome(exc.outcome), error=error)
    if page.status == 304:
        if not conditional:
            return PageOutcome(
                item,
                "failed",
                page,
                error=(f"{item.url}: 304 Not Modified to a request that was not conditional"),
            ).note("bad_response")
        return PageOutcome(item, "not_modified", page).note("unchanged")
    try:
        record = clean_page(page)
    except PoisonRecord as exc:
        return PageOutcome(item, "extract_failed", page, error=f"{item.url}: {exc}").note(
            "extract_failed"
        )
    return PageOutcome(item, "cleaned", page, record)


class _Counter:
    def __init__(self, total: int, progress: Callable[[str], None] | None) -> None:
        self._total, self._progress = total, progress
        self._count = 0
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self._count += 1
            count = self._count
        if self._progress and (count % 10 == 0 or count == self._total):
            self._progress(f"fetched {count}/{self._total}")
