"""What the `newsflow` group hands its commands (click's `ctx.obj`), with the settings built on
first use.

Building `Settings` imports pydantic-settings (with asyncio and python-dotenv), about 0.15 s of
CPU with compiled bytecode and 0.45 s without, paid by every process: `newsflow enrich`, a
filter that needs no setting, is often run once per batch of records. A command that reads
`ctx.obj["settings"]` gets them built then, from the environment as it is at that moment (the
same moment as before, for a command run from a shell).
"""

from __future__ import annotations

from typing import Any


class CommandState(dict[str, Any]):
    """`ctx.obj`: `["settings"]` builds the `Settings` the first time it is read. `.get` does
    not build them: an error handler asks for settings only a command already used."""

    def __missing__(self, key: str) -> Any:
        if key != "settings":
            raise KeyError(key)
        from pipeline.config import Settings

        settings = self[key] = Settings()
        return settings
