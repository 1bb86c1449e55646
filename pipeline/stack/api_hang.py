"""When the Airflow watchdog restarts a hung API server (pipeline/stack/watchdog.py).

A hung API server (alive, stuck in a call that never returns, or SIGSTOPped) is RUNNING to
supervisord: the kernel still accepts connections on its port, and no answer ever comes. The
UI, the REST API and the execution API the tasks report to are down, and nothing restarts it.
The watchdog restarts the `api-server` program when

- its health endpoint has not answered for `threshold` seconds (HANG_SECONDS, the heartbeat
  threshold; NEWSFLOW_AIRFLOW_API_HANG_SECONDS in the watchdog's environment sets another), each
  look ending in a timeout, and
- supervisord reports the program RUNNING, started at least `threshold` seconds ago (a fresh
  start gets its chance to answer).

Only a timeout counts as silence. A refused connection means nothing listens on the port: the
API server is starting (it binds its port once its app is loaded), or exiting, and supervisord
restarts a program that exits. A refusal, like any HTTP answer, ends the silence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.stack.watchdog import Program

PROGRAM = "api-server"  # supervisord's program
HANG_VAR = "NEWSFLOW_AIRFLOW_API_HANG_SECONDS"
HANG_SECONDS = 90.0  # as the watchdog's heartbeat threshold (STALE_SECONDS)


def hang_seconds(environ: Mapping[str, str]) -> float:
    """The threshold the environment sets (HANG_VAR), else HANG_SECONDS; ValueError when it is
    not a positive number of seconds."""
    text = environ.get(HANG_VAR, "").strip()
    if not text:
        return HANG_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:  # NaN too
        raise ValueError(f"{HANG_VAR}={text!r} is not a positive number of seconds")
    return value


@dataclass(frozen=True)
class Answer:
    """What one health request got."""

    health: dict | None  # the body of a 200 answer
    timed_out: bool = False  # connected (or trying to), and no answer came in time
    failure: str | None = None  # what went wrong, for the log: "no answer within 3 s", ...


class ApiHang:
    """The API server's silence so far, and the decision to restart it."""

    def __init__(self, log: Callable[[float, str], None], threshold: float = HANG_SECONDS):
        self.log = log
        self.threshold = threshold
        self.silent_since: float | None = None
        self._graced: float | None = None  # the start of the program whose grace was logged

    def look(self, answer: Answer, program: Program | None, now: float) -> str | None:
        """After one health request: the reason to restart the API server, or None."""
        if not answer.timed_out:
            if self.silent_since is not None:
                ended = "it answered" if answer.health is not None else answer.failure
                self.log(
                    now,
                    f"the API server's silence ended after {now - self.silent_since:.0f} s "
                    f"({ended}): not restarting it",
                )
            self.silent_since = None
            return None
        if self.silent_since is None:
            self.silent_since = now
            self.log(
                now,
                f"the API server did not answer: {answer.failure}; restarting {PROGRAM} if it "
                f"has not answered for {self.threshold:.0f} s",
            )
        silent = now - self.silent_since
        if silent < self.threshold:
            return None
        if program is None or program.state != "RUNNING":
            return None  # supervisord is starting or stopping it, or it is stopped on purpose
        running = now - program.started
        if running < self.threshold:
            if self._graced != program.started:
                self._graced = program.started
                self.log(
                    now,
                    f"{PROGRAM} (pid {program.pid}) has not answered for {silent:.0f} s but "
                    f"started {running:.0f} s ago: giving it {self.threshold:.0f} s",
                )
            return None
        self.silent_since = None  # the new process gets a whole period of its own
        return (
            f"{PROGRAM} (pid {program.pid}, running {running:.0f} s): its health endpoint has "
            f"not answered for {silent:.0f} s ({answer.failure})"
        )
