"""The local stack's guard rails: a missing prerequisite stops it with one clear line."""

from __future__ import annotations

import socket
import time

import pytest

from pipeline.config import Settings
from pipeline.errors import PrerequisiteError
from pipeline.stack.manager import Stack, settings_env
from pipeline.stack.process import group_members, is_running, spawn, stop_group


def test_a_port_in_use_names_the_port_and_the_setting(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        stack = Stack(Settings(home=tmp_path, pg_port=port), progress=lambda _: None)
        with pytest.raises(PrerequisiteError, match=f"port {port} is in use.*NEWSFLOW_PG_PORT"):
            stack.up(["postgres"])
    assert stack.status()[0] == ("postgres", None)


def test_missing_java_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    stack = Stack(Settings(home=tmp_path, kafka_bootstrap_servers="127.0.0.1:1"),
                  progress=lambda _: None)
    with pytest.raises(PrerequisiteError, match="java not found: install a JDK 17"):
        stack.up(["kafka"])


def test_stopping_a_group_stops_children_that_outlive_their_parent(tmp_path):
    # The shape of airflow standalone: a parent whose workers ignore the parent's death.
    script = "sleep 300 & sleep 300 & wait"
    pid = spawn(["sh", "-c", script], tmp_path / "x.log", env={"PATH": "/usr/bin:/bin"})
    assert is_running(pid)
    deadline = time.monotonic() + 5
    while len(group_members(pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(group_members(pid)) == 3
    stop_group(pid, timeout=5)
    assert group_members(pid) == []


def test_children_see_the_same_settings():
    env = settings_env(Settings(pg_port=6000, kafka_bootstrap_servers="127.0.0.1:7000"))
    assert env["NEWSFLOW_PG_PORT"] == "6000"
    assert env["NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:7000"
    assert Settings(**{k.removeprefix("NEWSFLOW_").lower(): v for k, v in env.items()}).pg_port == 6000
