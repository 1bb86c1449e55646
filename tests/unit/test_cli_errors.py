"""A missing database or broker is one line on stderr naming the fix, not a traceback."""

from __future__ import annotations

import socket

from click.testing import CliRunner

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
