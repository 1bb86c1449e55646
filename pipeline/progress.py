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

import functools
import io
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TextIO

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


class _Tally:
    """What every meter keeps: the steps, the counts, the step under way, and their text."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.what, self.unit, self.n = "", "", 0
        self.total: int | None = None
        self.counts: dict[str, int] = {}
        self.step: str | None = None
        self.started: float | None = None

    def start(self, total: int | None, what: str, unit: str, counts: tuple[str, ...]) -> None:
        """The clock starts at the first `start`; a later one re-aims (a total counted)."""
        if self.started is None:
            self.started = self.clock()
        self.total, self.what, self.unit = total, what, unit
        for name in counts:
            self.counts.setdefault(name, 0)

    def add(self, n: int, step: str | None, counts: Mapping[str, int]) -> bool:
        """Count; whether the step under way changed."""
        self.n += n
        for name, value in counts.items():
            self.counts[name] = self.counts.get(name, 0) + value
        changed = step is not None and step != self.step
        if step is not None:
            self.step = step
        return changed

    def text(self, named: bool = True) -> str:
        """`ingest  sources 3/8  pages 120  new 40` (and the step under way, if any); without
        the name of what is measured when not `named`."""
        parts = [self.what] if named else []
        if self.unit:
            parts.append(f"{self.unit} {self.n}" + (f"/{self.total}" if self.total else ""))
        parts += [f"{name} {value}" for name, value in self.counts.items()]
        if self.step:
            parts.append(self.step)
        return "  ".join(parts)

    def elapsed(self) -> str:
        return "0s" if self.started is None else _duration(self.clock() - self.started)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


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
        self._tally = _Tally(clock)
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


class TerminalMeter:
    """A live line on a terminal (rich): spinner, bar when the total is known, the counts, the
    time taken; drawn on `stream` (stderr). While it shows, lines written to the same terminal
    (stdout, stderr, the log) are printed above it, byte for byte, and not through it."""

    def __init__(
        self,
        stream: TextIO,
        *,
        no_color: bool = False,
        clock: Callable[[], float] = time.monotonic,
        width: int | None = None,
    ) -> None:
        from rich.console import Console

        self._console = Console(
            file=stream,
            no_color=no_color,
            highlight=False,
            emoji=False,
            width=width,
            force_terminal=True,
        )
        self._tally = _Tally(clock)
        self._progress: Any = None  # rich.progress.Progress while the line shows
        self._task: Any = None
        self._restore: list[Callable[[], None]] = []
        self._ended = False

    def start(
        self, total: int | None, what: str, unit: str = "", counts: tuple[str, ...] = ()
    ) -> None:
        with self._tally.lock:
            self._tally.start(total, what, unit, counts)
        if self._progress is None and not self._ended:
            self._show()
        self._refresh(now=True)

    def advance(self, n: int = 0, step: str | None = None, **counts: int) -> None:
        with self._tally.lock:
            new_step = self._tally.add(n, step, counts)
        # A step is drawn at once; counts alone at the next of the few refreshes a second.
        self._refresh(now=n > 0 or new_step)

    def done(self, summary: str | None = None) -> None:
        if self._ended:
            return
        self.close()
        tally = self._tally
        tally.step = None  # the end is no step
        self._console.print(
            f"{tally.what}: done in {tally.elapsed()}: {summary or tally.text(named=False)}",
            markup=False,
            soft_wrap=True,
        )

    def close(self) -> None:
        self._ended = True
        progress, self._progress = self._progress, None
        if progress is not None:
            progress.stop()
        while self._restore:
            self._restore.pop()()

    def __enter__(self) -> TerminalMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _show(self) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.table import Column

        progress = Progress(
            SpinnerColumn(),
            # A narrow terminal cuts the counts short rather than wrapping the line.
            TextColumn(
                "{task.description}",
                markup=False,
                table_column=Column(no_wrap=True, overflow="ellipsis"),
            ),
            BarColumn(bar_width=20),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            refresh_per_second=4,
        )
        self._task = progress.add_task(self._tally.text(), total=self._tally.total)
        progress.start()
        self._progress = progress
        self._print_above_while_shown()

    def _refresh(self, now: bool = False) -> None:
        progress = self._progress
        if progress is None:
            return
        with self._tally.lock:
            text, total, n = self._tally.text(), self._tally.total, self._tally.n
        progress.update(self._task, description=text, total=total, completed=n, refresh=now)

    def _print_above_while_shown(self) -> None:
        """Route what is written to the terminal meanwhile (the command's stdout, click's
        stderr, log handlers) above the live line; a stdout that is a file or a pipe stays
        untouched, so its bytes never depend on the terminal."""
        for name in ("stdout", "stderr"):
            original = getattr(sys, name)
            if _is_terminal(original):
                setattr(sys, name, _Above(original, self._print))
                self._restore.append(functools.partial(setattr, sys, name, original))
        for handler in logging.getLogger().handlers:
            if type(handler) is logging.StreamHandler and _is_terminal(handler.stream):
                stream = handler.setStream(_Above(handler.stream, self._print))
                self._restore.append(functools.partial(handler.setStream, stream))

    def _print(self, line: str) -> None:
        self._console.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)


class _Above(io.TextIOBase):
    """A terminal stream whose complete lines are printed above the live line."""

    def __init__(self, original: TextIO, print_line: Callable[[str], None]) -> None:
        self._original, self._print_line = original, print_line
        self._partial = ""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._original, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._original, "errors", None)

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._original.fileno()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._print_line(line)
        return len(text)

    def flush(self) -> None:
        self._original.flush()


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # closed, or detached
        return False


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
    if mode == "auto" and _is_terminal(stream) and env.get("TERM", "") not in ("dumb", "unknown"):
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
