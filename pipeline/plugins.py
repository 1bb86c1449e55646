"""What other installed distributions add to newsflow, found through entry points.

The development tools (devtools/, a distribution of their own that `make install` installs
next to newsflow) register the `demo` and `bench` commands and the test-only stub enricher
here, so the runtime package never imports them and works without them.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

COMMANDS = "newsflow.commands"  # click commands added to `newsflow`
ENRICHERS = "newsflow.enrichers"  # NEWSFLOW_ENRICHER=<name> → a class with enrich_each
DEV_INSTALL = "the development install (`make install` in a checkout)"


def registered(group: str) -> dict[str, EntryPoint]:
    """The entry points of `group` by name (the first one wins when two share a name)."""
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=group):
        found.setdefault(point.name, point)
    return found
