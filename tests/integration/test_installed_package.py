"""newsflow installed from its wheel, away from the checkout, without the development tools.

The wheel is built from a copy of the package's own sources only (pyproject.toml, README.md,
pipeline/), installed with --no-deps into a fresh venv that holds the locked dependencies, and
run from a directory that is not the checkout: a runtime module that reads tests/, docs/ or
devtools/ fails here. Needs no stack; marked integration for its ~10 s (venv, wheel, processes).
uv works offline: `make install` has put the locked wheels and setuptools in its cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).parent / "uv"
PAGE = REPO / "tests" / "fixtures" / "pages" / "harbour-gazette" / "council-budget-live.html"


def _run(
    *command: str | Path, cwd: Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
    )
    if check and done.returncode != 0:
        pytest.fail(f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """(the venv's bin directory, a working directory outside the checkout, its environment)."""
    root = tmp_path_factory.mktemp("installed")
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(
        REPO / "pipeline",
        source / "pipeline",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    _run(UV, "build", "--offline", "--wheel", "-q", "-o", root / "dist", source, cwd=root)
    (wheel,) = (root / "dist").glob("newsflow-*.whl")

    venv = root / "venv"
    _run(UV, "venv", "-q", "-p", sys.executable, venv, cwd=root)
    python = venv / "bin" / "python"
    _run(
        UV,
        "pip",
        "install",
        "-q",
        "--offline",
        "-p",
        python,
        "-r",
        REPO / "requirements.lock",
        cwd=root,
    )
    _run(UV, "pip", "install", "-q", "--offline", "--no-deps", "-p", python, wheel, cwd=root)

    work = root / "work"
    work.mkdir()
    # Nothing of this session's environment points back into the checkout or its venv.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NEWSFLOW_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["NEWSFLOW_HOME"] = str(root / "home")
    return venv / "bin", work, env


def test_the_wheel_holds_the_runtime_without_the_development_tools(installed):
    bin_dir, work, env = installed
    probe = (
        "import importlib.util as u, pipeline; print(pipeline.__file__); "
        "print([m for m in ('devtools', 'pipeline.sample_site', 'pipeline.bench', "
        "'pipeline.demo') if u.find_spec(m)])"
    )
    where, present = _run(bin_dir / "python", "-c", probe, cwd=work, env=env).stdout.splitlines()
    assert not Path(where).is_relative_to(REPO)
    assert present == "[]"


def test_help_extract_and_consume_help_work_from_the_installed_package(installed):
    bin_dir, work, env = installed
    newsflow = bin_dir / "newsflow"

    listed = _run(newsflow, "--help", cwd=work, env=env).stdout
    for command in ("consume", "extract", "ingest", "stack", "demo", "bench"):
        assert f"  {command} " in listed

    shutil.copy(PAGE, work / "page.html")
    record = json.loads(
        _run(
            newsflow, "extract", "page.html", "--url", "https://example.org/x", cwd=work, env=env
        ).stdout
    )
    expected = json.loads(PAGE.with_name("council-budget-live.expected.json").read_text())
    assert record["url"] == "https://example.org/x"
    assert record["title"] == expected["title"]
    assert record["text"] and record["source_id"] == "cli"

    assert "Run one enricher" in _run(newsflow, "consume", "--help", cwd=work, env=env).stdout


@pytest.mark.parametrize(
    "command", [["demo"], ["bench", "extract", "--dataset", "x"]], ids=["demo", "bench"]
)
def test_development_commands_say_in_one_line_they_need_the_development_install(installed, command):
    bin_dir, work, env = installed
    done = _run(bin_dir / "newsflow", *command, cwd=work, env=env, check=False)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"newsflow: `newsflow {command[0]}` needs the development install "
        "(`make install` in a checkout)"
    ]


def test_the_stub_enricher_is_not_in_the_installed_package(installed):
    bin_dir, work, env = installed
    done = _run(
        bin_dir / "newsflow",
        "consume",
        cwd=work,
        check=False,
        # No metrics server: the default port may be another process's on a shared machine.
        env={**env, "NEWSFLOW_ENRICHER": "stub", "NEWSFLOW_METRICS_PORT": "0"},
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "newsflow: error: NEWSFLOW_ENRICHER=stub needs the development install "
        "(`make install` in a checkout); unset it for spaCy"
    ]
