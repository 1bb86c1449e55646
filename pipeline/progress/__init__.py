"""Progress of long commands: a live line on a terminal, plain log lines everywhere else.

Every long command (ingest, demo, dlt replay, the benchmarks, a cold stack up) reports through
one small interface, `Meter`: `start(total, what)`, `advance(n, **counts)`, `done(summary)`.
Which meter a command gets is decided once, at its entry point (`meter_for`):

- on a terminal, `TerminalMeter`: a spinner, a bar when the total is known and the counts
  (`ingest  sources 3/8  pages 120  new 40  changed 2  failed 1`), drawn on stderr with rich,
  so stdout stays what scripts parse; lines the command prints meanwhile go above it;
- elsewhere (CI, a pipe, an Airflow task log), `LogMeter`: one log line per step at most
  once a second, and between steps one every ten seconds while the counts move, never one
  per page;
- with NEWSFLOW_PROGRESS=off, `NullMeter`: nothing.

The jobs take a meter as a parameter and default to plain logging, so code shared with the
DAGs never draws a bar inside an Airflow task: only the command line passes a terminal meter.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Protocol, TextIO

from pipeline.progress.tally import Tally
from pipeline.progress.terminal import TerminalMeter, is_terminal

__all__ = [
    "MODES",
    "LogMeter",
    "Meter",
    "NullMeter",
    "TerminalMeter",
    "given_or_logged",
    "meter_for",
]

MODES = ("auto", "log", "off")
log = logging.getLogger("newsflow.progress")


class Meter(Protocol):
    def start(
        self, total: int | None, what: str, unit: str = "", counts: tuple[str, ...] = ()
    ) -> None:
        """Begin (or re-aim) the progress of `what`: `total` steps of `unit` (None: unknown);
        `counts` are shown at 0 from the start, in this order."""

    def advance(self, n: int = 0, step: str | None = None, **counts: int) -> None:
        """`n` more steps done; `counts` added to the running counts; `step`: what is under
        way now (a phase: "kafka: resolving 87 jars")."""

    def done(self, summary: str | None = None) -> None:
        """The end: one last line, `summary` or the counts."""

    def close(self) -> None:
        """Stop without a summary (an error, Ctrl-C); the terminal is left as it was."""

    def __enter__(self) -> Meter: ...

    def __exit__(self, *exc: object) -> None:
        """`close`: a command's meter is shut however the command ends."""


class NullMeter:
    """NEWSFLOW_PROGRESS=off: no progress at all; the commands' own output is unchanged."""

    def start(
        self, total: int | None, what: str, unit: str = "", counts: tuple[str, ...] = ()
    ) -> None:
        pass

    def advance(self, n: int = 0, step: str | None = None, **counts: int) -> None:
        pass

    def done(self, summary: str | None = None) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> NullMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LogMeter:
    """Plain log lines at a bounded rate: the start; a step (n > 0) at most once per
    `step_gap` seconds, a new `step` text always; between steps, one line per `interval`
    seconds while counts move; the end."""

    def __init__(
        self,
        logger: logging.Logger | None = None,
        *,
        what: str = "",
        step_gap: float = 1.0,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`what`: the name of the lines until a `start` gives one."""
        self._log = logger or log
        self._step_gap, self._interval = step_gap, interval
        self._tally = Tally(clock)
        self._tally.what = what
        self._last_line = self._last_step = float("-inf")
        self._ended = False

    def start(
        self, total: int | None, what: str, unit: str = "", counts: tuple[str, ...] = ()
    ) -> None:
        with self._tally.lock:
            self._tally.start(total, what, unit, counts)
            self._emit(self._tally.text())

    def advance(self, n: int = 0, step: str | None = None, **counts: int) -> None:
        tally = self._tally
        with tally.lock:
            new_step = tally.add(n, step, counts)
            now = tally.clock()
            if new_step or (n > 0 and now - self._last_step >= self._step_gap):
                self._last_step = now
            elif not (n == 0 and counts and now - self._last_line >= self._interval):
                return
            self._emit(f"{tally.text()} ({tally.elapsed()})")

    def done(self, summary: str | None = None) -> None:
        with self._tally.lock:
            if self._ended:
                return
            self._ended = True
            tally = self._tally
            tally.step = None  # the end is no step
            self._emit(
                f"{tally.what}: done in {tally.elapsed()}: {summary or tally.text(named=False)}"
            )

    def close(self) -> None:
        self._ended = True

    def _emit(self, line: str) -> None:
        self._last_line = self._tally.clock()
        self._log.info("%s", line)

    def __enter__(self) -> LogMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def meter_for(
    mode: str = "auto",
    *,
    stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    logger: logging.Logger | None = None,
) -> Meter:
    """The meter of a command run by a person or a script: a live line when `stream` (stderr)
    is a terminal that can redraw (TERM is not dumb) and `mode` (NEWSFLOW_PROGRESS) is auto,
    plain log lines when it is not or `mode` is log, nothing when `mode` is off. NO_COLOR
    keeps the live line in the terminal's own colour."""
    if mode not in MODES:
        raise ValueError(f"progress mode {mode!r}: one of {', '.join(MODES)}")
    stream = stream if stream is not None else sys.stderr
    env = os.environ if environ is None else environ
    if mode == "off":
        return NullMeter()
    if mode == "auto" and is_terminal(stream) and env.get("TERM", "") not in ("dumb", "unknown"):
        return TerminalMeter(stream, no_color=env.get("NO_COLOR", "") != "")
    return LogMeter(logger)


def given_or_logged(meter: Meter | None, what: str, logger: logging.Logger | None = None) -> Meter:
    """`meter` as given (its owner starts and ends it), or plain log lines of one's own,
    started: what a job shared with the DAGs uses, so an Airflow task logs its progress and
    never draws. The job's own summary ends it."""
    if meter is not None:
        return meter
    own = LogMeter(logger)
    own.start(None, what)
    return own
