"""Long commands show their progress: a live line with counts on a terminal, plain log lines
on stderr when the output is a pipe; what they print on stdout stays what it was."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fetch_support import LocalServer, Reply, article_html, forget_site, rss
from terminal_support import Terminal, run_on_terminal, run_with_pipes

from pipeline.config import Settings
from pipeline.stack.manager import settings_env

pytestmark = pytest.mark.integration
PAGES = {"a": 3, "b": 2}
COUNTS = "pages 5  new 5  changed 0  unchanged 0  failed 0  published 5"


@pytest.fixture
def site(stack: Settings) -> Iterator[LocalServer]:
    """Two feeds, /a.xml with three article pages and /b.xml with two."""
    run = uuid.uuid4().hex[:8]
    with LocalServer().running() as server:
        forget_site(stack, server)
        server.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n"))
        for feed, count in PAGES.items():
            paths = [f"/{feed}/{run}/{n}" for n in range(count)]
            server.route(f"/{feed}.xml", Reply(200, rss(*(server.url(p) for p in paths))))
            for n, path in enumerate(paths):
                server.route(
                    path,
                    Reply(
                        200,
                        article_html(f"Story {feed} {n} of run {run}").encode(),
                        {"Content-Type": "text/html; charset=utf-8"},
                    ),
                )
        yield server


def sources_file(site: LocalServer, path: Path) -> tuple[str, list[str]]:
    ids = [f"{feed}-{uuid.uuid4().hex[:8]}" for feed in PAGES]
    entries = [
        {
            "id": source_id,
            "name": source_id,
            "feeds": [site.url(f"/{feed}.xml")],
            "min_delay_seconds": 0,
            "allow_private_network": True,
        }
        for source_id, feed in zip(ids, PAGES, strict=True)
    ]
    path.write_text(yaml.safe_dump({"sources": entries}), encoding="utf-8")
    return str(path), ids


def expected_stdout_lines(ids: list[str]) -> list[str]:
    """What `newsflow ingest` printed before it had progress, but the JSON summaries (their
    counts are checked on their own): the lines its tests and users read."""
    lines = []
    for source_id, count in zip(ids, PAGES.values(), strict=True):
        lines += [
            f"{source_id}: {count} article URLs to fetch ({count} discovered)",
            f"{source_id}: fetched {count}/{count}",
            f"source {source_id}: {count} discovered, {count} fetched, {count} new, 0 changed, "
            f"0 unchanged, {count} published, 0 failed",
            "{summary}",
        ]
    return lines


def check_summaries(lines: list[str], ids: list[str]) -> None:
    summaries = [json.loads(line) for line in lines if line.startswith("{")]
    assert [(s["source_id"], s["fetched"], s["new"], s["published"]) for s in summaries] == [
        (source_id, count, count, count)
        for source_id, count in zip(ids, PAGES.values(), strict=True)
    ]


def test_ingest_on_a_terminal_shows_live_counts_and_the_same_summaries(stack, site, tmp_path):
    path, ids = sources_file(site, tmp_path / "sources.yaml")

    run = run_on_terminal(["ingest", "--sources", path], settings_env(stack))

    assert run.returncode == 0, run.raw
    # The live line went through the sources with their counts …
    drawn = run.drawn()
    assert (
        f"ingest  sources 0/2  pages 0  new 0  changed 0  unchanged 0  failed 0  published 0  {ids[0]}"
        in drawn
    ), drawn
    assert (
        f"ingest  sources 1/2  pages 3  new 3  changed 0  unchanged 0  failed 0  published 3  {ids[1]}"
        in drawn
    ), drawn
    # … and the terminal shows what the command printed, unchanged, then one line of totals.
    shown = [line for line in run.lines() if line]
    assert re.fullmatch(rf"ingest: done in \d+s: sources 2/2  {COUNTS}", shown[-1]), shown
    printed = shown[:-1]
    assert [
        "{summary}" if line.startswith("{") else line for line in printed
    ] == expected_stdout_lines(ids), shown
    check_summaries(printed, ids)


def test_ingest_into_a_pipe_logs_plain_progress_on_stderr_and_keeps_stdout(stack, site, tmp_path):
    path, ids = sources_file(site, tmp_path / "sources.yaml")

    result = run_with_pipes(["ingest", "--sources", path], settings_env(stack))

    assert result.returncode == 0, result.stderr
    stdout = result.stdout.splitlines()
    assert [
        "{summary}" if line.startswith("{") else line for line in stdout
    ] == expected_stdout_lines(ids), result.stdout
    check_summaries(stdout, ids)
    progress = [
        line.split(" newsflow.progress: ", 1)[1]
        for line in result.stderr.splitlines()
        if " INFO newsflow.progress: " in line
    ]
    start = "ingest  sources 0/2  pages 0  new 0  changed 0  unchanged 0  failed 0  published 0"
    assert progress[0] == start, progress
    # One line as each source starts, with the counts so far …
    assert re.fullmatch(rf"{start}  {ids[0]} \(\d+s\)", progress[1]), progress
    after_a = "ingest  sources 1/2  pages 3  new 3  changed 0  unchanged 0  failed 0  published 3"
    assert any(re.fullmatch(rf"{after_a}  {ids[1]} \(\d+s\)", line) for line in progress), progress
    # … the totals at the end, and never a line per page.
    assert re.fullmatch(rf"ingest: done in \d+s: sources 2/2  {COUNTS}", progress[-1]), progress
    assert len(progress) <= 6, progress


def test_ctrl_c_on_a_terminal_ends_the_live_line_and_reports_what_kafka_acknowledged(
    stack, site, tmp_path
):
    """The interrupted line is the last thing on the terminal, the cursor is shown again."""
    release = threading.Event()
    body = article_html("A slow story").encode()

    def slow(handler) -> None:  # noqa: ANN001
        release.wait(30)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the interrupted client hung up

    site.handle_with("/slow/0", slow)
    site.route("/slow.xml", Reply(200, rss(site.url("/slow/0"))))
    path, (fast, _) = sources_file(site, tmp_path / "sources.yaml")
    entries = yaml.safe_load(Path(path).read_text())["sources"][:1]
    slow_id = f"slow-{uuid.uuid4().hex[:8]}"
    entries.append({**entries[0], "id": slow_id, "name": slow_id, "feeds": [site.url("/slow.xml")]})
    Path(path).write_text(yaml.safe_dump({"sources": entries}), encoding="utf-8")

    terminal = Terminal(["ingest", "--sources", path], settings_env(stack))
    try:
        deadline = time.monotonic() + 120
        while not site.hits("/slow/0") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert site.hits("/slow/0"), terminal.shown()
        time.sleep(0.5)  # the live line has drawn the slow source
        terminal.interrupt()
        run = terminal.wait(120)
    finally:
        release.set()

    assert run.returncode == 130, run.raw
    assert (
        f"ingest  sources 1/2  pages 3  new 3  changed 0  unchanged 0  failed 0  published 3  {slow_id}"
        in run.drawn()
    )
    shown = [line for line in run.lines() if line]
    assert shown[-1] == (
        f"newsflow: interrupted: Kafka acknowledged 3 records in this run ({fast} 3, {slow_id} 0); "
        f"{slow_id} was stopped before it finished"
    ), shown
    assert not any(line.startswith("ingest  ") for line in shown), shown  # the live line is gone
    assert run.raw.rindex("\x1b[?25h") > run.raw.rindex("\x1b[?25l")  # the cursor is back
    assert "Traceback" not in run.raw


# -- dlt replay ----------------------------------------------------------------------------
DEAD_LETTERS = 30


@pytest.fixture
def dead_letters(stack: Settings) -> int:
    """DEAD_LETTERS records on the dead-letter topic, and none older left to replay."""
    from kafka import KafkaProducer

    from pipeline.config import DLT_TOPIC
    from pipeline.consume.dlt import replay
    from pipeline.jobs import ensure_topics

    ensure_topics(stack)
    replay(stack)  # what earlier tests dead-lettered goes first
    producer = KafkaProducer(bootstrap_servers=stack.kafka_bootstrap_servers)
    run = uuid.uuid4().hex[:8]
    try:
        for n in range(DEAD_LETTERS):
            producer.send(
                DLT_TOPIC,
                key=f"{run}-{n}".encode(),
                value=b'{"not": "a cleaned record"}',
                headers=[("schema", b"article.cleaned/1"), ("stage", b"validate")],
            )
        producer.flush(timeout=30)
    finally:
        producer.close()
    return DEAD_LETTERS


def test_dlt_replay_on_a_terminal_counts_the_records(stack, dead_letters):
    run = run_on_terminal(["dlt", "replay"], settings_env(stack))

    assert run.returncode == 0, run.raw
    assert f"dlt replay  records 0/{dead_letters}" in run.drawn(), run.drawn()
    shown = [line for line in run.lines() if line]
    assert shown[-1] == f"replayed {dead_letters} records", shown  # stdout, as before
    assert re.fullmatch(rf"dlt replay: done in \d+s: replayed {dead_letters} records", shown[-2]), (
        shown
    )


def test_dlt_replay_into_a_pipe_logs_plain_progress_and_keeps_stdout(stack, dead_letters):
    result = run_with_pipes(["dlt", "replay"], settings_env(stack))

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"replayed {dead_letters} records\n"
    progress = [
        line.split(" newsflow.progress: ", 1)[1]
        for line in result.stderr.splitlines()
        if " INFO newsflow.progress: " in line
    ]
    assert f"dlt replay  records 0/{dead_letters}" in progress, result.stderr
    assert re.fullmatch(
        rf"dlt replay: done in \d+s: replayed {dead_letters} records", progress[-1]
    ), result.stderr
