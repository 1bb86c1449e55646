"""How to type `newsflow` in this shell: hints printed for the user to copy must work as typed.

`make demo` runs `.venv/bin/newsflow`, which is not on PATH unless the virtualenv is active,
so a hint that says `newsflow tail ...` would fail with "command not found".
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def newsflow_command(
    argv0: str | None = None, search_path: str | None = None, cwd: Path | None = None
) -> str:
    """`newsflow` when that name on PATH is the running console script; otherwise the
    script's path, relative to `cwd` when it lies under it (`.venv/bin/newsflow`)."""
    script = Path(argv0 if argv0 is not None else sys.argv[0])
    cwd = cwd or Path.cwd()
    if script.name != "newsflow":  # `python -m pipeline`, or an embedding program
        return f"{_shown(Path(sys.executable), cwd)} -m pipeline"
    script = script if script.is_absolute() else cwd / script
    on_path = shutil.which(
        "newsflow", path=search_path if search_path is not None else os.environ.get("PATH", "")
    )
    if on_path and script.exists() and os.path.samefile(on_path, script):
        return "newsflow"
    return _shown(script, cwd)


def _shown(path: Path, cwd: Path) -> str:
    # Not resolved: .venv/bin/python is a symlink to a Python outside the checkout.
    try:
        relative = Path(os.path.normpath(path)).relative_to(os.path.normpath(cwd))
    except ValueError:
        return str(path)
    # A bare name would be looked up on PATH, not in the current directory.
    return str(relative) if len(relative.parts) > 1 else f"./{relative}"
