"""What every meter keeps and how it reads: steps, counts, the step under way, the time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping


class Tally:
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
        return "0s" if self.started is None else duration(self.clock() - self.started)


def duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
