"""Ctrl-C at a step that must not stop halfway: noted, acted on once the step can stop cleanly."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def deferred_interrupt() -> Iterator[threading.Event]:
    """Inside, the first SIGINT sets the event instead of raising KeyboardInterrupt, so code
    that hands work to a library (records to a Kafka producer) is never cut off inside it;
    a second SIGINT raises as usual. The caller checks the event and stops.

    Only in the main thread and only over Python's default handler: elsewhere (a worker
    thread, a host with handlers of its own such as an Airflow task) the event stays unset.
    """
    interrupted = threading.Event()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield interrupted
        return

    def note(signum: int, frame: object) -> None:
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
