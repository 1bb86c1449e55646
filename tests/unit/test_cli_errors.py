"""A missing database or broker, or a bad input, is one line on stderr naming the fix, not a
traceback."""

from __future__ import annotations

import json
import os
import socket

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


def test_extract_of_an_unreadable_file_is_one_clear_line(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html></html>")
    page.chmod(0)
    try:
        if os.access(page, os.R_OK):
            pytest.skip("running as root: every file is readable")
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
