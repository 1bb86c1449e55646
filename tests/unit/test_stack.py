"""The local stack's guard rails: a missing prerequisite stops it with one clear line."""

from __future__ import annotations

import socket
import time

import pytest

from pipeline.config import Settings
from pipeline.errors import PrerequisiteError
from pipeline.stack.manager import Stack, settings_env
from pipeline.stack.process import group_members, is_running, spawn, stop_group, tree_groups


def test_a_port_in_use_names_the_port_and_the_setting(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        stack = Stack(Settings(home=tmp_path, pg_port=port), progress=lambda _: None)
        with pytest.raises(PrerequisiteError, match=f"port {port} is in use.*NEWSFLOW_PG_PORT"):
            stack.up(["postgres"])
    assert stack.status()[0] == ("postgres", None)


def held_by_a_connection():
    """A listener on some port, and a connection to it whose local port is returned: what an
    outgoing connection with an ephemeral port looks like to a server that wants that port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.socket()
    client.bind(("127.0.0.1", 0))
    client.connect(server.getsockname())
    accepted, _ = server.accept()
    return client.getsockname()[1], [client, accepted, server]


def test_a_port_a_connection_holds_is_waited_for_then_named(tmp_path, monkeypatch):
    from pipeline.stack import manager
    from pipeline.stack.process import port_bindable, port_in_use, wait_for_free_port

    port, sockets = held_by_a_connection()
    try:
        assert not port_in_use(port)  # nothing listens there: the old check saw a free port
        assert not port_bindable(port)
        monkeypatch.setattr(manager, "PORT_RELEASE_TIMEOUT", 1.0)
        said = []
        stack = Stack(Settings(home=tmp_path, pg_port=port), progress=said.append)
        with pytest.raises(
            PrerequisiteError,
            match=f"port {port} is held by a connection.*ip_local_port_range.*NEWSFLOW_PG_PORT",
        ):
            stack.up(["postgres"])
        assert f"postgres: port {port} is held by a connection; waiting for it" in said
        assert stack.status()[0] == ("postgres", None)
    finally:
        # The server's side closes first, so the client's port is not left in TIME_WAIT (a
        # client that closes first keeps its port from servers for TIME_WAIT's 60 s).
        client, accepted, server = sockets
        accepted.close()
        time.sleep(0.2)
        client.close()
        server.close()
    assert wait_for_free_port(port, 5)  # released once the connection is closed


def test_missing_java_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    stack = Stack(
        Settings(home=tmp_path, kafka_bootstrap_servers="127.0.0.1:1"), progress=lambda _: None
    )
    with pytest.raises(PrerequisiteError, match="java not found: install a JDK 17"):
        stack.up(["kafka"])


def test_stopping_a_group_stops_children_that_outlive_their_parent(tmp_path):
    # The shape of a scheduler: a parent whose workers ignore the parent's death.
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
    assert (
        Settings(**{k.removeprefix("NEWSFLOW_").lower(): v for k, v in env.items()}).pg_port == 6000
    )


def test_stopping_a_group_stops_descendants_that_left_it(tmp_path):
    # The shape of supervisord: each program in a process group of its own.
    script = "setsid sleep 300 & setsid sh -c 'sleep 300 & wait' & wait"
    pid = spawn(["sh", "-c", script], tmp_path / "x.log", env={"PATH": "/usr/bin:/bin"})
    deadline = time.monotonic() + 5
    while len(tree_groups(pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    groups = tree_groups(pid)
    assert len(groups) == 3 and pid in groups
    stop_group(pid, timeout=5)
    assert [g for g in groups if group_members(g)] == []


def test_airflow_components_are_supervised_and_the_password_stays_out_of_logs(tmp_path):
    from pipeline.stack import airflow

    settings = Settings(home=tmp_path, airflow_port=18999, dags_folder=tmp_path)
    airflow.prepare(settings)
    password = airflow.password_file(settings)
    assert password.stat().st_mode & 0o777 == 0o600
    first = airflow.admin_password(settings)
    assert first and len(first) >= 16
    airflow.prepare(settings)
    assert airflow.admin_password(settings) == first  # kept across starts
    config = airflow.supervisor_config(settings).read_text()
    for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
        assert f"[program:{name}]" in config
        assert str(airflow.component_log(settings, name)) in config
    assert config.count("autorestart=true") == 5  # the four, and the watchdog
    assert "[eventlistener:watchdog]" in config and "events=TICK_5" in config
    assert f"file={airflow.supervisor_socket(settings)}\nchmod=0700" in config
    # No log server on every interface: scheduler and triggerer skip theirs.
    assert config.count("--skip-serve-logs") == 2
    env = airflow.environment(settings)
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1" and env["AIRFLOW__API__PORT"] == "18999"
    assert "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK" not in env


def test_airflow_serves_the_configured_dags_folder_and_refuses_a_missing_one(tmp_path):
    from pipeline.stack import airflow

    dags = tmp_path / "dags"
    settings = Settings(home=tmp_path / "home", dags_folder=dags)
    with pytest.raises(PrerequisiteError, match="NEWSFLOW_DAGS_FOLDER"):
        airflow.prepare(settings)
    dags.mkdir()
    airflow.prepare(settings)
    assert airflow.environment(settings)["AIRFLOW__CORE__DAGS_FOLDER"] == str(dags)


def test_stack_logs_prints_the_end_of_each_log(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import main

    logs = tmp_path / "logs"
    logs.mkdir()
    # Longer than one read from the end, so the tail spans reads.
    (logs / "airflow-scheduler.log").write_text(
        "".join(f"line {n} " + "x" * 200 + "\n" for n in range(1000))
    )
    (logs / "kafka.log").write_text("started\n")
    env = {"NEWSFLOW_HOME": str(tmp_path)}
    one = CliRunner().invoke(main, ["stack", "logs", "airflow-scheduler", "-n", "400"], env=env)
    assert one.exit_code == 0, one.output
    printed = one.output.splitlines()
    assert printed[0].startswith("==> airflow-scheduler")
    assert [line.split()[1] for line in printed[1:]] == [str(n) for n in range(600, 1000)]
    every = CliRunner().invoke(main, ["stack", "logs", "-n", "1"], env=env)
    assert every.output.splitlines() == [
        f"==> kafka ({logs / 'kafka.log'})",
        "started",
        f"==> airflow-scheduler ({logs / 'airflow-scheduler.log'})",
        "line 999 " + "x" * 200,
    ]
    missing = CliRunner().invoke(main, ["stack", "logs", "enricher"], env=env)
    assert "enricher: no log yet" in missing.output


def test_a_second_stack_command_says_which_pid_holds_the_lock(tmp_path):
    import os

    from click.testing import CliRunner

    from pipeline.cli import main
    from pipeline.stack.lock import StackLock, StackLocked

    said: list[str] = []
    with StackLock(tmp_path, "newsflow stack up", say=said.append):
        # Another command, waiting a little: it says what it waits for, then gives up.
        waiting = Stack(Settings(home=tmp_path), progress=said.append, lock_wait=0.3)
        with pytest.raises(StackLocked, match=f"held by pid {os.getpid()} \\(newsflow stack up\\)"):
            waiting.down()
        assert said == [f"waiting for the stack lock held by pid {os.getpid()} (newsflow stack up)"]
        refused = CliRunner().invoke(
            main, ["stack", "up", "--no-wait"], env={"NEWSFLOW_HOME": str(tmp_path)}
        )
    assert refused.exit_code == 1
    assert (
        f"the stack lock ({tmp_path / 'stack.lock'}) is held by pid {os.getpid()} "
        "(newsflow stack up)" in refused.output
    )
    assert "waiting" not in refused.output
    # Released: the next command gets it at once and names itself in the lock file.
    stopped = CliRunner().invoke(
        main, ["stack", "down", "--no-wait"], env={"NEWSFLOW_HOME": str(tmp_path)}
    )
    assert stopped.exit_code == 0, stopped.output
    assert (tmp_path / "stack.lock").read_text() == ""


def test_the_supervisor_socket_moves_out_of_a_home_too_long_for_a_unix_socket(tmp_path):
    from pipeline.stack import airflow

    short = airflow.supervisor_socket(Settings(home=tmp_path / "h"))
    assert short == tmp_path / "h" / "airflow" / "supervisor.sock"
    deep = Settings(home=tmp_path / ("x" * 90))
    moved = airflow.supervisor_socket(deep)
    assert len(str(moved)) < 100 and moved.name.startswith("newsflow-supervisor-")
    assert moved == airflow.supervisor_socket(deep)  # the same for every start
    assert moved != airflow.supervisor_socket(Settings(home=tmp_path / ("y" * 90)))
