"""A missing database or broker, or a bad input, is one line on stderr naming the fix, not a
traceback."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from local_http import LocalServer, Reply, article_html

from pipeline.cli import main


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sql_without_a_database_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("NEWSFLOW_PG_PORT", str(_free_port()))
    result = CliRunner().invoke(main, ["sql", "SELECT 1"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("newsflow: error: cannot reach the warehouse")
    assert "newsflow stack up postgres" in lines[0]
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("NEWSFLOW_PG_PORT", str(_free_port()))
    result = CliRunner().invoke(main, ["--debug", "sql", "SELECT 1"])
    assert result.exit_code == 1
    assert result.exception is not None
    assert "cannot reach the warehouse" not in result.stderr


def test_extract_of_a_directory_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(main, ["extract", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"newsflow: error: {tmp_path}: is a directory; give one HTML page "
        "(a file, .html.gz included, or a URL)"
    ]
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_extract_of_an_unreadable_file_is_one_clear_line(tmp_path, monkeypatch):
    page = tmp_path / "page.html"
    page.write_text("<html></html>")
    page.chmod(0)
    try:
        if os.access(page, os.R_OK):
            # Root reads every file: the read fails as it does for anyone else.
            read_bytes = Path.read_bytes

            def refused(self: Path) -> bytes:
                if self == page:
                    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
                return read_bytes(self)

            monkeypatch.setattr(Path, "read_bytes", refused)
        result = CliRunner().invoke(main, ["extract", str(page)])
    finally:
        page.chmod(0o644)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"newsflow: error: {page}: cannot read it (")
    assert len(result.stderr.strip().splitlines()) == 1


def test_extract_on_loopback_names_the_flag_of_the_command():
    with LocalServer().running() as server:
        server.route(
            "/story",
            Reply(
                200,
                article_html("A story", "Body " * 80).encode(),
                {"Content-Type": "text/html; charset=utf-8"},
            ),
        )
        refused = CliRunner().invoke(main, ["extract", server.url("/story")])
        allowed = CliRunner().invoke(
            main, ["extract", "--allow-private-network", server.url("/story")]
        )
    assert refused.exit_code == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "127.0.0.1 is not a public address" in lines[0]
    assert "add --allow-private-network if the site is yours" in lines[0]
    assert "allow_private_network: true" not in lines[0]
    assert allowed.exit_code == 0, allowed.stderr
    assert json.loads(allowed.stdout)["title"] == "A story"


@pytest.mark.parametrize("command", [["consume", "--idle-exit", "1"]])
def test_a_broker_down_at_startup_is_one_line_naming_the_servers_and_the_setting(command, tmp_path):
    """A real `newsflow` process (its own logging, not the test runner's), nothing listening
    on the bootstrap servers."""
    servers = f"127.0.0.1:{_free_port()},127.0.0.1:{_free_port()}"
    env = {
        **os.environ,
        "NEWSFLOW_HOME": str(tmp_path),
        "NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS": servers,
        "NEWSFLOW_PG_PORT": str(_free_port()),
        "NEWSFLOW_METRICS_PORT": str(_free_port()),
    }
    newsflow = str(Path(sys.executable).parent / "newsflow")
    result = subprocess.run(
        [newsflow, *command], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"newsflow: error: cannot reach Kafka at {servers} (")
    assert "NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS" in lines[0]
