"""`long_lived_start`: no collection while a command starts, what it loaded frozen after; and
`newsflow enrich` starts that way."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from pipeline.heap import long_lived_start


@pytest.fixture
def collector() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.unfreeze()
    yield
    gc.unfreeze()  # the frozen objects go back to the oldest generation
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector would free it


@pytest.mark.usefixtures("collector")
def test_the_collector_is_off_while_starting_and_what_loaded_is_frozen_after() -> None:
    gc.enable()
    frozen_before = gc.get_freeze_count()
    with long_lived_start():
        assert not gc.isenabled()
        loaded = [_Node() for _ in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(loaded)
    frozen = gc.get_freeze_count()
    gc.collect()
    assert gc.get_freeze_count() == frozen  # a full collection does not scan them
    assert all(node.me is node for node in loaded)


@pytest.mark.usefixtures("collector")
def test_no_collection_runs_while_starting_even_if_a_library_turns_the_collector_on() -> None:
    # srsly's msgpack loader (spaCy's model files) does gc.disable() ... gc.enable() itself.
    gc.enable()
    thresholds = gc.get_threshold()
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        with long_lived_start():
            gc.disable()
            gc.enable()
            loaded = [_Node() for _ in range(20 * thresholds[0])]
            during = list(collections)
    finally:
        gc.callbacks.remove(count)
    assert during == []
    assert gc.get_threshold() == thresholds
    assert gc.isenabled()
    assert len(loaded) == 20 * thresholds[0]


@pytest.mark.usefixtures("collector")
def test_a_library_turning_the_collector_on_does_not_leave_it_on() -> None:
    gc.disable()
    with long_lived_start():
        gc.enable()
    assert not gc.isenabled()


@pytest.mark.usefixtures("collector")
def test_a_failed_start_freezes_nothing_and_turns_the_collector_back_on() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), long_lived_start():
        raise RuntimeError("model not found")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("collector")
def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with long_lived_start():
        pass
    assert not gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_newsflow_enrich_runs_with_the_model_frozen_and_the_collector_on() -> None:
    # At the command's exit: spaCy and the model are in the permanent generation (0 before
    # pipeline/heap.py), and the collector runs for the records.
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print(gc.get_freeze_count(), gc.isenabled(), file=sys.stderr))\n"
        "from pipeline.cli import main\n"
        "sys.argv = ['newsflow', 'enrich']\n"
        "main()\n"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], input=b"", capture_output=True, check=True
    )
    frozen, enabled = done.stderr.decode().split()[-2:]
    assert int(frozen) > 10_000
    assert enabled == "True"
