"""`newsflow ingest` pushes each source's run to a real Pushgateway (Debian's
prometheus-pushgateway, started here on a free loopback port): pages by outcome (new on the
first run, unchanged on the second), the fetch latency histogram, the run's time, failed 1 for
a source whose feed answers 404, and the last success's time kept from an earlier run when a
later run fails. A gateway that is down costs one warning line per source, never the run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
import yaml
from fetch_support import LocalServer, Reply, article_html, conditional_page, forget_site, rss
from prometheus_client.parser import text_string_to_metric_families
from test_delivery_crashes import NEWSFLOW

from pipeline.config import Settings
from pipeline.stack.manager import settings_env

pytestmark = pytest.mark.integration

PUSHGATEWAY = "/usr/bin/prometheus-pushgateway"
Samples = dict[str, list[tuple[dict[str, str], float]]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gateway(tmp_path) -> Iterator[str]:
    if not Path(PUSHGATEWAY).exists():
        pytest.fail(f"{PUSHGATEWAY} is missing: `make test-tools` installs it")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "pushgateway.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urlopen(f"{url}/-/ready", timeout=2):  # noqa: S310
                    break
            except (URLError, OSError):
                assert proc.poll() is None, (tmp_path / "pushgateway.log").read_text()
                assert time.monotonic() < deadline, "the Pushgateway did not get ready"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def scrape(url: str) -> Samples:
    with urlopen(f"{url}/metrics", timeout=10) as answer:  # noqa: S310
        text = answer.read().decode()
    samples: Samples = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("newsflow_ingest_"):
                samples[sample.name].append((sample.labels, sample.value))
    return samples


def one(samples: Samples, name: str, **labels: str) -> float | None:
    """The value of the sample `name` whose labels include `labels`; None if none."""
    found = [v for got, v in samples.get(name, []) if labels.items() <= got.items()]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


def ingest(stack: Settings, sources: Path, gateway: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings_env(stack), "NEWSFLOW_PUSHGATEWAY_URL": gateway}
    return subprocess.run(
        [NEWSFLOW, "ingest", "--sources", str(sources)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def summaries(output: str) -> dict[str, dict]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {s["source_id"]: s for s in lines}


def entry(site: LocalServer, source_id: str, feed: str) -> dict:
    return {
        "id": source_id,
        "name": source_id,
        "feeds": [site.url(feed)],
        "min_delay_seconds": 0,
        "allow_private_network": True,
    }


@pytest.fixture
def site(stack: Settings) -> Iterator[LocalServer]:
    """/good.xml and /flaky.xml list pages that answer 304 to a conditional request;
    /gone.xml is 404."""
    with LocalServer().running() as server:
        forget_site(stack, server)
        server.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n"))
        server.route("/good.xml", Reply(200, rss("/a", "/b")))
        server.route("/flaky.xml", Reply(200, rss("/c")))
        for path, title in (("/a", "Harbour reopens"), ("/b", "Rail strike ends"), ("/c", "Dam")):
            server.handle_with(
                path, conditional_page(article_html(title).encode(), etag=f'"{path[1:]}1"')
            )
        yield server


def test_each_source_run_is_pushed_and_a_failed_run_keeps_the_last_success(
    stack, site, gateway, tmp_path
):
    run = uuid.uuid4().hex[:8]
    good, flaky, gone = f"good-{run}", f"flaky-{run}", f"gone-{run}"
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        yaml.safe_dump(
            {
                "sources": [
                    entry(site, good, "/good.xml"),
                    entry(site, flaky, "/flaky.xml"),
                    entry(site, gone, "/gone.xml"),
                ]
            }
        )
    )

    before_first = time.time()
    first = ingest(stack, sources, gateway)
    after_first = time.time()
    pushed_first = scrape(gateway)
    site.route("/flaky.xml", Reply(404, b"gone"))  # flaky's feed disappears
    second = ingest(stack, sources, gateway)
    after_second = time.time()
    pushed = scrape(gateway)

    assert first.returncode == 1 and second.returncode == 1  # gone failed (flaky too, then)
    ran_first, ran = summaries(first.stdout), summaries(second.stdout)
    assert "Pushgateway" not in first.stderr + second.stderr

    page = "newsflow_ingest_pages"
    # The first run: two new pages; the second: the same two, unchanged (304).
    assert {o: one(pushed_first, page, source=good, outcome=o) for o in ("new", "unchanged")} == {
        "new": 2,
        "unchanged": 0,
    }
    outcomes = ("discovered", "fetched", "new", "changed", "unchanged", "refused", "failed")
    assert {o: one(pushed, page, source=good, outcome=o) for o in outcomes} == {
        o: ran[good][o] for o in outcomes
    }
    assert (ran[good]["new"], ran[good]["unchanged"]) == (0, 2)
    # One observation per HTTP request of the run.
    assert one(pushed, "newsflow_ingest_fetch_seconds_count", source=good) == ran[good]["requests"]
    assert (
        one(pushed_first, "newsflow_ingest_fetch_seconds_count", source=good)
        == (ran_first[good]["requests"])
    )
    # Failed: gone both times, flaky the second time; good never.
    failed = "newsflow_ingest_run_failed"
    assert [one(pushed_first, failed, source=s) for s in (good, flaky, gone)] == [0, 0, 1]
    assert [one(pushed, failed, source=s) for s in (good, flaky, gone)] == [0, 1, 1]
    success = "newsflow_ingest_last_success_timestamp_seconds"
    last_run = "newsflow_ingest_last_run_timestamp_seconds"
    assert one(pushed, success, source=gone) is None  # it never succeeded
    flaky_success = one(pushed_first, success, source=flaky)
    assert flaky_success is not None and before_first <= flaky_success <= after_first
    assert one(pushed, success, source=flaky) == flaky_success  # kept from the first run
    assert after_first <= one(pushed, last_run, source=flaky) <= after_second
    assert after_first <= one(pushed, success, source=good) <= after_second
    assert one(pushed, "newsflow_ingest_sources_enabled", source="_all") == 3
    # Bounded labels: a source id and an outcome, never a URL.
    for name, samples in pushed.items():
        for labels, _ in samples:
            assert not any("://" in v for v in labels.values()), (name, labels)


def test_a_gateway_that_is_down_costs_one_warning_line_and_never_the_run(stack, site, tmp_path):
    source = f"good-{uuid.uuid4().hex[:8]}"
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [entry(site, source, "/good.xml")]}))
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    done = ingest(stack, sources, down)

    assert done.returncode == 0, done.stderr
    assert summaries(done.stdout)[source]["new"] == 2
    warnings = [line for line in done.stderr.splitlines() if "Pushgateway" in line]
    assert len(warnings) == 2, done.stderr  # the source's run, and the enabled sources' count
    assert all("WARNING" in line and down in line for line in warnings), warnings
    assert all("Connection refused" in line for line in warnings), warnings
    assert "Traceback" not in done.stderr
