"""The progress of long commands: a live line on a terminal, bounded plain lines elsewhere."""

from __future__ import annotations

import io
import logging
import os
import re
import select
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import pytest

from pipeline.progress import LogMeter, NullMeter, TerminalMeter, given_or_logged, meter_for

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COLOUR = re.compile(r"\x1b\[[0-9;]*m")


@contextmanager
def terminal() -> Iterator[tuple[TextIO, Callable]]:
    """A real pseudo-terminal: the stream to write to, and a function reading what it shows."""
    leader, follower = os.openpty()
    stream = open(follower, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    seen = bytearray()

    def shown() -> str:
        stream.flush()
        while select.select([leader], [], [], 0.2)[0]:
            seen.extend(os.read(leader, 65536))
        return seen.decode("utf-8", "replace")

    try:
        yield stream, shown
    finally:
        stream.close()
        os.close(leader)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def visible_lines(screen: str) -> list[str]:
    """What each line of a terminal shows at the end: the text after its last carriage
    return, without escape sequences."""
    return [line.rstrip("\r").split("\r")[-1] for line in ANSI.sub("", screen).split("\n")]


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "newsflow.progress"]


def test_a_terminal_gets_the_live_line_a_pipe_or_file_plain_lines_and_off_nothing():
    with terminal() as (tty, _):
        assert isinstance(meter_for("auto", stream=tty, environ={}), TerminalMeter)
        assert isinstance(meter_for("log", stream=tty, environ={}), LogMeter)
        assert isinstance(meter_for("off", stream=tty, environ={}), NullMeter)
        # A terminal that cannot redraw a line gets plain lines.
        assert isinstance(meter_for("auto", stream=tty, environ={"TERM": "dumb"}), LogMeter)
    assert isinstance(meter_for("auto", stream=io.StringIO(), environ={}), LogMeter)
    with pytest.raises(ValueError, match="one of auto, log, off"):
        meter_for("bar")


def test_the_live_line_shows_the_counts_on_the_terminal():
    with terminal() as (tty, shown):
        meter = meter_for("auto", stream=tty, environ={})
        meter.start(8, "ingest", unit="sources", counts=("pages", "new", "changed", "failed"))
        meter.advance(3, pages=120, new=40, changed=2, failed=1)
        screen = ANSI.sub("", shown())
        meter.done("3 sources")
        end = ANSI.sub("", shown())

    assert "ingest  sources 3/8  pages 120  new 40  changed 2  failed 1" in screen
    assert "ingest: done in 0s: 3 sources" in end


def test_no_color_keeps_the_live_line_in_the_terminals_colour():
    with terminal() as (tty, shown):
        meter = meter_for("auto", stream=tty, environ={"NO_COLOR": "1"})
        meter.start(2, "replay", unit="records")
        meter.advance(1)
        meter.done()
        screen = shown()
    assert "replay  records 1/2" in ANSI.sub("", screen)
    assert not COLOUR.search(screen)


def test_lines_printed_while_the_line_shows_reach_the_terminal_whole(monkeypatch):
    long_line = '{"source_id": "meridian", "errors": [' + ", ".join(['"x"'] * 80) + "]}"
    with terminal() as (tty, shown):
        monkeypatch.setattr("sys.stdout", tty)
        meter = TerminalMeter(tty, width=60)
        meter.start(None, "ingest")
        print(long_line)
        meter.done()
        screen = shown()
    # Drawn lines end in a carriage return; the printed one is whole, not wrapped at 60 columns.
    assert long_line in visible_lines(screen)


def test_plain_lines_name_the_counts_and_come_at_a_bounded_rate(caplog):
    caplog.set_level(logging.INFO, "newsflow.progress")
    clock = Clock()
    meter = LogMeter(clock=clock)
    meter.start(2, "ingest", unit="sources", counts=("pages", "new"))
    for _ in range(100):  # pages within 9 s: no line each
        clock.now += 0.09
        meter.advance(pages=1, new=1)
    clock.now += 1.0  # 10 s since the last line: one line while the counts move
    meter.advance(pages=1)
    meter.advance(1)  # a step: a line
    meter.advance(1)  # another within a second: none
    clock.now += 0.5
    meter.advance(step="kafka: resolving 87 jars")  # a new phase: always a line
    meter.done("2 sources, 101 pages")

    assert lines(caplog) == [
        "ingest  sources 0/2  pages 0  new 0",
        "ingest  sources 0/2  pages 101  new 100 (10s)",
        "ingest  sources 1/2  pages 101  new 100 (10s)",
        "ingest  sources 2/2  pages 101  new 100  kafka: resolving 87 jars (10s)",
        "ingest: done in 10s: 2 sources, 101 pages",
    ]


def test_a_job_given_no_meter_logs_plain_lines_of_its_own(caplog):
    caplog.set_level(logging.INFO, "newsflow.progress")
    given_or_logged(None, "ingest meridian").advance(step="fetching")
    given = NullMeter()
    assert given_or_logged(given, "ingest meridian") is given  # its owner starts and ends it
    assert lines(caplog) == ["ingest meridian", "ingest meridian  fetching (0s)"]


def test_the_airflow_log_tells_the_step_of_this_start_only(tmp_path):
    from pipeline.stack.cold_start import MIGRATE_DONE, MIGRATE_STARTED, AirflowLogWatch

    log = tmp_path / "airflow.log"
    log.write_text(f"{MIGRATE_STARTED}\n{MIGRATE_DONE} (exit code 0)\nsupervisord started\n")
    watch = AirflowLogWatch(log)  # the markers above are an earlier start's
    assert watch.step() is None
    with log.open("a") as out:
        out.write(f"{MIGRATE_STARTED}\nINFO  [alembic.runtime.migration] Running upgrade\n")
    assert watch.step() == "airflow: airflow db migrate"
    with log.open("a") as out:
        out.write(f"{MIGRATE_DONE} (exit code 0)\n")
    assert watch.step() == "airflow: db migrated, starting its components"
