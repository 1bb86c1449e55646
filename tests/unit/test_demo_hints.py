"""The commands the demo tells the user to type work as typed from the checkout."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.demo import next_steps
from pipeline.config import CLEANED_TOPIC
from pipeline.invocation import newsflow_command


def _script(directory: Path) -> Path:
    script = directory / "newsflow"
    script.write_text('#!/bin/sh\necho ran newsflow "$@"\n')
    script.chmod(0o755)
    return script


def test_a_script_off_path_is_named_by_its_path_from_the_checkout(tmp_path):
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    _script(bin_dir)
    assert (
        newsflow_command(".venv/bin/newsflow", search_path="/usr/bin", cwd=tmp_path)
        == ".venv/bin/newsflow"
    )
    assert (
        newsflow_command(str(bin_dir / "newsflow"), search_path="/usr/bin", cwd=tmp_path)
        == ".venv/bin/newsflow"
    )


def test_the_script_on_path_is_named_newsflow(tmp_path):
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    _script(bin_dir)
    assert (
        newsflow_command(".venv/bin/newsflow", search_path=f"/usr/bin:{bin_dir}", cwd=tmp_path)
        == "newsflow"
    )


def test_another_newsflow_on_path_does_not_count(tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    _script(ours)
    _script(theirs)
    assert newsflow_command(
        str(ours / "newsflow"), search_path=str(theirs), cwd=tmp_path / "elsewhere"
    ) == str(ours / "newsflow")


def test_a_script_in_the_current_directory_gets_a_dot_slash(tmp_path):
    _script(tmp_path)
    assert newsflow_command("newsflow", search_path="/usr/bin", cwd=tmp_path) == "./newsflow"


def test_python_dash_m_is_named_as_such(tmp_path):
    assert newsflow_command("/x/pipeline/__main__.py", search_path="", cwd=tmp_path).endswith(
        " -m pipeline"
    )


@pytest.mark.parametrize("line", range(3))
def test_each_hint_runs_as_typed(tmp_path, line):
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    _script(bin_dir)
    command = newsflow_command(".venv/bin/newsflow", search_path="/usr/bin", cwd=tmp_path)
    hint = next_steps(command)[line].split(":", 1)[1].strip().split("  (")[0]
    ran = subprocess.run(
        hint,
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": "/usr/bin:/bin"},
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("ran newsflow ")


def test_the_hints_name_the_topic_and_the_stack():
    lines = next_steps(".venv/bin/newsflow")
    assert lines[0].endswith(f".venv/bin/newsflow tail {CLEANED_TOPIC} -n 3")
    assert ".venv/bin/newsflow stack down" in lines[2]
    assert all(shlex.split(line.split(":", 1)[1])[0] == ".venv/bin/newsflow" for line in lines)


def test_the_console_script_of_this_checkout_names_itself_as_it_runs():
    script = Path(sys.executable).parent / "newsflow"
    shown = newsflow_command(str(script), search_path="/usr/bin", cwd=Path.cwd())
    assert Path(shown).resolve() == script.resolve()
