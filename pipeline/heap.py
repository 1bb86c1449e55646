"""The garbage collector around a command's start-up: what it loads once is never scanned again.

`newsflow enrich` imports spaCy and loads its model before reading a record: hundreds of
thousands of objects that live as long as the process. CPython's collector scans them in each
full collection while they load (about 0.08 s of CPU for `newsflow enrich`) and again in each
full collection of the run (about 0.04 s per 400 records). `long_lived_start()` turns the
collector off while such a command starts, then moves everything alive into the permanent
generation (`gc.freeze()`) and turns the collector back on: later collections scan only the
objects of the run itself.

Process-wide state, so it is used only by a command that starts once and then runs its own
loop in its own process (`newsflow enrich`; `newsflow consume` does not use it). It is safe for
such a process: reference counting still frees every frozen object that dies outside a cycle;
a reference cycle made during start-up and dropped later is kept, once, for the process's
life (start-up makes few of them, and none per record).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived_start() -> Iterator[None]:
    """No collection while the block runs; when it completes, everything alive is frozen
    (never collected) and the collector is on again, as it was before the block."""
    was_enabled = gc.isenabled()
    thresholds = gc.get_threshold()
    gc.disable()
    # A first threshold of 0 keeps automatic collections off even if a library turns the
    # collector back on while the block runs: srsly's msgpack loader, which spaCy reads its
    # model with, does gc.disable() then gc.enable() around each load, and then a collection
    # of the ~130,000 young objects loaded so far ran in the middle of the model load.
    gc.set_threshold(0, *thresholds[1:])
    try:
        yield
        gc.freeze()
    finally:
        gc.set_threshold(*thresholds)
        if was_enabled:
            gc.enable()
        else:
            gc.disable()
