"""The slow steps of a first `stack up` show as progress: the Kafka jars resolved with Maven
(counted), PostgreSQL's initdb, Airflow's `airflow db migrate` (tests/unit/test_progress.py
reads its markers; a cold Airflow start takes minutes and is not run here).

Each test has a home of its own, so the step is really a first one; stdout stays the lines
the stack commands always printed."""

from __future__ import annotations

import re
import shutil

import fetch_support  # noqa: F401 (puts tests/unit, where terminal_support lives, on the path)
import pytest
from side_stack import side_settings
from terminal_support import run_with_pipes

from pipeline.stack.manager import settings_env

pytestmark = pytest.mark.integration


def progress_lines(stderr: str) -> list[str]:
    """The progress lines of a command's stderr, the elapsed time dropped."""
    return [
        re.sub(r" \(\d+s\)$", "", line.split(" newsflow.progress: ", 1)[1])
        for line in stderr.splitlines()
        if " INFO newsflow.progress: " in line
    ]


def test_stack_jars_on_a_first_run_logs_maven_resolving_and_the_jars_it_copied():
    settings = side_settings("jars", 620)
    shutil.rmtree(settings.home_dir, ignore_errors=True)  # no jars yet (~/.m2 may have them)
    try:
        result = run_with_pipes(["stack", "jars"], settings_env(settings), timeout=600)

        assert result.returncode == 0, result.stderr
        from pipeline.stack.kafka import jars_dir

        jars = jars_dir(settings)
        assert result.stdout == f"Kafka jars in {jars}\n"
        copied = len(list(jars.glob("*.jar")))
        assert copied > 10
        steps = progress_lines(result.stderr)
        assert steps[:2] == [
            "stack jars",
            "stack jars  kafka: resolving its jars with Maven (first start)",
        ], result.stderr
        counts = r"(  downloaded \d+)?  jars" if "downloaded" in steps[-2] else "  jars"
        assert re.fullmatch(
            rf"stack jars{counts} {copied}  kafka: {copied} jars resolved", steps[-2]
        ), steps
        assert re.fullmatch(rf"stack jars: done in \d+s: {jars}", steps[-1]), steps

        again = run_with_pipes(["stack", "jars"], settings_env(settings))
        assert again.stdout == result.stdout
        assert not any("Maven" in line for line in progress_lines(again.stderr))  # cached
    finally:
        shutil.rmtree(settings.home_dir, ignore_errors=True)


def test_a_first_stack_up_of_postgres_logs_initdb_and_prints_what_it_always_printed():
    settings = side_settings("cold", 620)
    shutil.rmtree(settings.home_dir, ignore_errors=True)
    env = settings_env(settings)
    log = settings.home_dir / "logs" / "postgres.log"
    try:
        cold = run_with_pipes(["stack", "up", "postgres"], env)
        assert cold.returncode == 0, cold.stderr
        assert cold.stdout.splitlines()[0] == f"postgres: starting (log {log})"
        assert re.fullmatch(
            rf"postgres: ready on port {settings.pg_port} \(\d+s\)", cold.stdout.splitlines()[1]
        ), cold.stdout
        assert progress_lines(cold.stderr)[:3] == [
            "stack up",
            "stack up  postgres: initdb (first start)",
            "stack up  postgres: initdb done",
        ], cold.stderr
        assert re.fullmatch(r"stack up: done in \d+s: running", progress_lines(cold.stderr)[-1])

        assert run_with_pipes(["stack", "down"], env).returncode == 0
        warm = run_with_pipes(["stack", "up", "postgres"], env)
        assert warm.returncode == 0, warm.stderr
        assert not any("initdb" in line for line in progress_lines(warm.stderr)), warm.stderr
    finally:
        run_with_pipes(["stack", "down"], env)
        shutil.rmtree(settings.home_dir, ignore_errors=True)
