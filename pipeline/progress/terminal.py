"""The live line on a terminal (rich), drawn on stderr; what is printed meanwhile goes above it."""

from __future__ import annotations

import functools
import io
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from pipeline.progress.tally import Tally


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
        self._tally = Tally(clock)
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
            if is_terminal(original):
                setattr(sys, name, _Above(original, self._print))
                self._restore.append(functools.partial(setattr, sys, name, original))
        for handler in logging.getLogger().handlers:
            if type(handler) is logging.StreamHandler and is_terminal(handler.stream):
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


def is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # closed, or detached
        return False
