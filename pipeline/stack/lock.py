"""One stack command at a time: an exclusive flock on NEWSFLOW_HOME/stack.lock.

Two `stack up` at once would both find the stack stopped and both start every component: two
`airflow db migrate` on one database (one fails), and two enrichers of which the state file
keeps one. The lock file holds the pid and command of its holder, so the one that waits can
say what it waits for. The kernel releases the lock when its holder exits, however it exits.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import NewsflowError

POLL_SECONDS = 0.2


class StackLocked(NewsflowError):
    """Another stack command holds the lock and we were not to wait (longer) for it."""


class StackLock:
    """`with StackLock(home, "newsflow stack up"):` waits for the lock (at most `wait`
    seconds; None: as long as it takes, 0: not at all) and says so once through `say`."""

    def __init__(
        self,
        home: Path,
        command: str,
        wait: float | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.path = home / "stack.lock"
        self.command = command
        self.wait = wait
        self.say = say
        self._fd: int | None = None

    def holder(self) -> str:
        """'pid N (command)' of the lock's holder, as it wrote it."""
        try:
            pid, _, command = self.path.read_text().strip().partition(" ")
        except OSError:
            pid = command = ""
        return f"pid {pid} ({command})" if pid.isdigit() else "another process"

    def __enter__(self) -> StackLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._acquire(fd)
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {self.command}\n".encode(), 0)
        self._fd = fd
        return self

    def _acquire(self, fd: int) -> None:
        deadline = None if self.wait is None else time.monotonic() + self.wait
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            holder = self.holder()
            if deadline is not None and time.monotonic() >= deadline:
                waited = f" after {self.wait:g}s" if self.wait else ""
                raise StackLocked(
                    f"the stack lock ({self.path}) is held by {holder}{waited}: one stack "
                    "command at a time; wait for it to finish, or run again without --no-wait"
                )
            if not announced:
                self.say(f"waiting for the stack lock held by {holder}")
                announced = True
            time.sleep(POLL_SECONDS)

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
