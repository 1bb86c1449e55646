"""The stack group and the development tools' commands are imported on first use, so a filter
like `newsflow enrich` starts without them, and they still list and run."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from pipeline.cli import main

_LAZY_MODULES = (
    "pipeline.stack_cli",
    "pipeline.jobs.stack",
    "devtools.bench.cli",
    "devtools.demo",
    # The settings are built when a command first reads them (`enrich` reads none).
    "pipeline.config",
    "pydantic_settings",
)


def test_the_command_line_starts_without_the_stack_and_the_dev_tools() -> None:
    code = (
        "import sys; import pipeline.cli; "
        f"print(sorted(m for m in {_LAZY_MODULES!r} if m in sys.modules))"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_lazy_commands_are_listed_and_run() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["--help"])
    assert listed.exit_code == 0
    for name in ("stack", "bench", "demo", "enrich"):
        assert f"\n  {name} " in listed.output
    stack = runner.invoke(main, ["stack", "--help"])
    assert stack.exit_code == 0 and "Start, stop and inspect the local stack" in stack.output
    bench = runner.invoke(main, ["bench", "enrich", "--help"])
    assert bench.exit_code == 0 and "--against" in bench.output
