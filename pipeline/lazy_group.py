"""A click group whose subcommands can be loaded on first use.

`newsflow enrich` is a filter in a pipe: importing the stack's modules (Airflow, PostgreSQL and
Kafka helpers) and the development tools' commands for it cost about half a second per
process, more than a second of enriching. Commands added with `add_lazy` are imported when
they are run or listed (`--help`), not when the command line starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


class LazyGroup(click.Group):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy: dict[str, Callable[[], click.Command]] = {}

    def add_lazy(self, name: str, load: Callable[[], click.Command]) -> None:
        """Register `name`, whose command `load()` returns on first use."""
        self._lazy[name] = load

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        load = self._lazy.pop(cmd_name, None)
        if load is not None and cmd_name not in self.commands:
            self.add_command(load(), cmd_name)
        return super().get_command(ctx, cmd_name)
