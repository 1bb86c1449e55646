"""Running `newsflow` as a person does, on a terminal (a pseudo-terminal), or as a script does,
with pipes; and reading what the terminal ended up showing."""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
from dataclasses import dataclass
from pathlib import Path

NEWSFLOW = str(Path(sys.executable).parent / "newsflow")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TOKEN = re.compile(
    r"\x1b\[(?P<up>\d*)A|\x1b\[(?P<erase>2)K|\x1b\[[0-9;?]*[A-Za-z]|\r|\n|(?P<text>[^\x1b\r\n]+)"
)
# The progress settings of the environment the tests run in must not decide what they see.
PROGRESS_ENV = ("NEWSFLOW_PROGRESS", "NO_COLOR", "TERM", "COLUMNS", "LINES")


def clean_env(env: dict[str, str], **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in PROGRESS_ENV}
    return {**base, **env, "PYTHONUNBUFFERED": "1", **extra}


@dataclass
class TerminalRun:
    returncode: int
    raw: str  # every byte the terminal received, escape sequences included

    def lines(self) -> list[str]:
        """What the terminal shows at the end, line by line: carriage returns, line feeds,
        "cursor up" and "erase line" are played as a terminal does; colours are dropped."""
        screen: list[str] = [""]
        row = col = 0
        for token in TOKEN.finditer(self.raw):
            text, up, erase = token.group("text"), token.group("up"), token.group("erase")
            if text is not None:
                line = screen[row].ljust(col)
                screen[row] = line[:col] + text + line[col + len(text) :]
                col += len(text)
            elif up is not None:
                row = max(0, row - int(up or 1))
            elif erase is not None:
                screen[row] = ""
            elif token.group(0) == "\r":
                col = 0
            elif token.group(0) == "\n":
                row, col = row + 1, 0
                screen += [""] * (row + 1 - len(screen))
        return [line.rstrip() for line in screen]

    def drawn(self) -> str:
        """Every state the live line went through, one per line (what was overwritten too)."""
        return "\n".join(ANSI.sub("", self.raw).replace("\r\n", "\n").split("\r"))


class Terminal:
    """`newsflow ARGS` running with stdin, stdout and stderr on one pseudo-terminal of
    `columns`; what it shows is read on a thread, so the test may act meanwhile."""

    def __init__(self, args: list[str], env: dict[str, str], columns: int = 200) -> None:
        leader, follower = os.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
        self.proc = subprocess.Popen(
            [NEWSFLOW, *args],
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env=clean_env(env, TERM="xterm-256color"),
            start_new_session=True,
        )
        os.close(follower)
        self._leader = leader
        self._received = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._leader, 65536)
            except OSError:  # EIO: every holder of the terminal closed it
                return
            if not chunk:
                return
            self._received.extend(chunk)

    def shown(self) -> str:
        return bytes(self._received).decode("utf-8", "replace")

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to the terminal's foreground process group, as a terminal sends it."""
        os.killpg(self.proc.pid, signal.SIGINT)

    def wait(self, timeout: float = 300) -> TerminalRun:
        try:
            self.proc.wait(timeout=timeout)
            self._reader.join(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self._leader)
        return TerminalRun(self.proc.returncode, self.shown())


def run_on_terminal(
    args: list[str], env: dict[str, str], columns: int = 200, timeout: float = 300
) -> TerminalRun:
    """`newsflow ARGS` on a pseudo-terminal of `columns`, to its end."""
    return Terminal(args, env, columns).wait(timeout)


def run_with_pipes(
    args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`newsflow ARGS` as a script or CI runs it: stdout and stderr are pipes."""
    return subprocess.run(
        [NEWSFLOW, *args],
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
