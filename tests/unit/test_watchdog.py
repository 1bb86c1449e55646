"""The Airflow watchdog's decisions: which stuck component it restarts, and when it waits."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.stack import watchdog
from pipeline.stack.watchdog import DATABASE_GRACE_SECONDS, STALE_SECONDS, Program, Watchdog

NOW = 1_800_000_000.0


def iso(seconds_ago: float) -> str:
    return datetime.fromtimestamp(NOW - seconds_ago, tz=UTC).isoformat()


def health(scheduler_ago=5.0, processor_ago=5.0, triggerer_ago=5.0, database="healthy"):
    def part(ago):
        return {"status": "healthy" if ago is not None and ago < 30 else "unhealthy"}

    return {
        "metadatabase": {"status": database},
        "scheduler": {
            **part(scheduler_ago),
            "latest_scheduler_heartbeat": None if scheduler_ago is None else iso(scheduler_ago),
        },
        "dag_processor": {
            **part(processor_ago),
            "latest_dag_processor_heartbeat": iso(processor_ago),
        },
        "triggerer": {**part(triggerer_ago), "latest_triggerer_heartbeat": iso(triggerer_ago)},
    }


def programs(running_for=600.0, state="RUNNING"):
    return {
        name: Program(name, state, 100 + n, NOW - running_for)
        for n, name in enumerate(("api-server", "scheduler", "dag-processor", "triggerer"))
    }


def names(found):
    return [program.name for program, _reason in found]


def test_a_component_without_a_heartbeat_for_too_long_is_restarted():
    found = watchdog.stuck(health(scheduler_ago=STALE_SECONDS + 1), NOW - 60, programs(), NOW)
    assert names(found) == ["scheduler"]
    (_program, reason) = found[0]
    assert "pid 101" in reason and "last heartbeated 91 s ago" in reason


def test_each_heartbeating_component_is_watched():
    found = watchdog.stuck(health(processor_ago=200, triggerer_ago=300), NOW - 60, programs(), NOW)
    assert names(found) == ["dag-processor", "triggerer"]


def test_a_recent_heartbeat_or_a_fresh_process_is_left_alone():
    late = health(scheduler_ago=STALE_SECONDS + 1)
    assert watchdog.stuck(health(scheduler_ago=STALE_SECONDS - 1), NOW - 60, programs(), NOW) == []
    # Started less than STALE_SECONDS ago: it gets its chance to heartbeat.
    assert watchdog.stuck(late, NOW - 60, programs(running_for=STALE_SECONDS - 1), NOW) == []
    # supervisord is (re)starting it, or it was stopped on purpose.
    for state in ("STARTING", "BACKOFF", "STOPPED", "FATAL"):
        assert watchdog.stuck(late, NOW - 60, programs(state=state), NOW) == []


def test_nothing_is_restarted_until_the_database_has_been_back_a_while():
    late = health(scheduler_ago=600)
    assert watchdog.stuck(late, None, programs(), NOW) == []
    assert watchdog.stuck(late, NOW - DATABASE_GRACE_SECONDS + 1, programs(), NOW) == []
    assert names(watchdog.stuck(late, NOW - DATABASE_GRACE_SECONDS, programs(), NOW)) == [
        "scheduler"
    ]


def test_a_component_that_never_heartbeated_is_restarted_once_it_had_its_time():
    found = watchdog.stuck(health(scheduler_ago=None), NOW - 60, programs(), NOW)
    assert names(found) == ["scheduler"]
    assert "last heartbeated never" in found[0][1]


class FakeSupervisor:
    """supervisord's XML-RPC `supervisor` namespace, recording the calls."""

    def __init__(self, infos):
        self.infos = infos
        self.calls = []

    def getAllProcessInfo(self):  # noqa: N802 (supervisord's name)
        return self.infos

    def stopProcess(self, name, wait):  # noqa: N802
        self.calls.append(("stop", name, wait))

    def startProcess(self, name, wait):  # noqa: N802
        self.calls.append(("start", name, wait))


class FakeRPC:
    def __init__(self, infos):
        self.supervisor = FakeSupervisor(infos)


def make_watchdog(answers, running_for=600.0):
    infos = [
        {"name": p.name, "statename": p.state, "pid": p.pid, "start": p.started}
        for p in programs(running_for).values()
    ]
    rpc = FakeRPC(infos)
    lines = []
    dog = Watchdog("http://127.0.0.1:1", rpc, log=lines.append)
    answers = iter(answers)
    dog.health = lambda: next(answers)
    return dog, rpc.supervisor.calls, lines


def test_the_watchdog_restarts_a_stuck_scheduler_once_the_database_is_back():
    stuck_health = health(scheduler_ago=400)
    down = health(scheduler_ago=400, database="unhealthy")
    dog, calls, lines = make_watchdog([down, stuck_health, stuck_health, None, stuck_health])
    assert dog.tick(NOW) == []  # database down: wait for it
    assert dog.tick(NOW + 5) == []  # back since now: the grace starts
    assert dog.tick(NOW + 5 + DATABASE_GRACE_SECONDS - 1) == []
    assert dog.tick(NOW + 40) == []  # the API server did not answer: no evidence
    assert dog.tick(NOW + 5 + DATABASE_GRACE_SECONDS) == ["scheduler"]
    assert calls == [("stop", "scheduler", True), ("start", "scheduler", False)]
    assert len(lines) == 1 and "restarting scheduler (pid 101" in lines[0]


def test_a_database_outage_restarts_the_grace():
    stuck_health = health(scheduler_ago=400)
    down = health(scheduler_ago=400, database="unhealthy")
    dog, calls, lines = make_watchdog([stuck_health, down, stuck_health])
    assert dog.tick(NOW) == []
    assert dog.tick(NOW + 20) == []
    assert dog.tick(NOW + 40) == []  # back for 0 s, not 40
    assert calls == []
    assert lines == [f"{watchdog._stamp(NOW + 20)} metadata database unhealthy: waiting for it"]


def test_the_log_shows_the_kernel_state_of_the_stuck_process():
    import os

    line = watchdog.process_state(os.getpid())
    assert line.startswith(f"{os.getpid()} R (running) in ")  # it reads its own state
    assert watchdog.process_state(2**22 + 12345) == f"{2**22 + 12345} gone"


def test_idle_workers_of_a_gone_scheduler_are_found_and_stopped():
    import os
    import subprocess

    def child(title):
        return subprocess.Popen([title, "60"], executable="/bin/sleep")

    orphan = child("airflow worker -- LocalExecutor: <idle>")
    busy = child("airflow worker -- LocalExecutor: news_ingest/ingest")
    other = child("airflow scheduler")
    try:
        me = os.getpid()
        assert watchdog.orphan_workers(me, set()) == [orphan.pid]
        assert watchdog.orphan_workers(me, {orphan.pid}) == []  # a program of its own
        lines = []
        dog = Watchdog("http://127.0.0.1:1", FakeRPC([]), log=lines.append, supervisord=me)
        dog.stop_orphans(set(), NOW)
        assert orphan.wait(timeout=5) == -9
        assert busy.poll() is None and other.poll() is None
        assert lines == [
            f"{watchdog._stamp(NOW)} stopping 1 idle LocalExecutor workers left by a "
            f"scheduler that is gone: {orphan.pid}"
        ]
    finally:
        for each in (orphan, busy, other):
            each.kill()
            each.wait()


def pushed(dog) -> list[str]:
    """Each look's exposition, as the Pushgateway would get it; nothing is sent."""
    from prometheus_client import generate_latest

    texts: list[str] = []
    dog.metrics.push = lambda: texts.append(generate_latest(dog.metrics.registry).decode())
    return texts


def test_each_look_is_pushed_with_ages_restarts_and_availability():
    stuck_health = health(scheduler_ago=400, processor_ago=2.5)
    dog, _calls, _lines = make_watchdog([stuck_health, stuck_health, None])
    dog.metrics = watchdog.WatchdogMetrics("http://127.0.0.1:1", "http://127.0.0.1:8080", print)
    texts = pushed(dog)
    assert dog.tick(NOW) == []  # the database's grace starts
    assert dog.tick(NOW + DATABASE_GRACE_SECONDS) == ["scheduler"]
    assert dog.tick(NOW + DATABASE_GRACE_SECONDS + 5) == []  # the API server did not answer
    first, second, third = texts
    assert "newsflow_airflow_api_up 1.0" in first
    assert "newsflow_airflow_metadatabase_up 1.0" in first
    assert 'newsflow_airflow_heartbeat_age_seconds{component="scheduler"} 400.0' in first
    assert 'newsflow_airflow_heartbeat_age_seconds{component="dag-processor"} 2.5' in first
    for component in ("scheduler", "dag-processor", "triggerer"):
        assert f'newsflow_airflow_watchdog_restarts_total{{component="{component}"}} 0.0' in first
    assert 'newsflow_airflow_watchdog_restarts_total{component="scheduler"} 1.0' in second
    assert 'newsflow_airflow_watchdog_restarts_total{component="triggerer"} 0.0' in second
    # No answer: down, the database and the ages unknown, the counts kept.
    assert "newsflow_airflow_api_up 0.0" in third
    assert "newsflow_airflow_metadatabase_up" not in third
    assert "newsflow_airflow_heartbeat_age_seconds{" not in third
    assert 'newsflow_airflow_watchdog_restarts_total{component="scheduler"} 1.0' in third


def test_an_unhealthy_database_is_pushed_as_down():
    dog, _calls, _lines = make_watchdog([health(database="unhealthy")])
    dog.metrics = watchdog.WatchdogMetrics("http://127.0.0.1:1", "http://127.0.0.1:8080", print)
    texts = pushed(dog)
    dog.tick(NOW)
    assert "newsflow_airflow_api_up 1.0" in texts[0]
    assert "newsflow_airflow_metadatabase_up 0.0" in texts[0]


def test_stopped_orphan_workers_are_counted(monkeypatch):
    dog, _calls, _lines = make_watchdog([health()])
    dog.supervisord = 1
    dog.metrics = watchdog.WatchdogMetrics("http://127.0.0.1:1", "http://127.0.0.1:8080", print)
    texts = pushed(dog)
    monkeypatch.setattr(watchdog, "orphan_workers", lambda _parent, _programs: [7001, 7002])
    killed = []
    monkeypatch.setattr(watchdog.os, "kill", lambda pid, sig: killed.append((pid, sig)))
    dog.tick(NOW)
    assert killed == [(7001, watchdog.signal.SIGKILL), (7002, watchdog.signal.SIGKILL)]
    assert "newsflow_airflow_orphan_workers_stopped_total 2.0" in texts[0]


def test_a_push_that_fails_is_logged_once_until_it_works_again():
    lines: list[str] = []
    # Nothing listens on port 1 of loopback: the connection is refused.
    metrics = watchdog.WatchdogMetrics("http://127.0.0.1:1", "http://127.0.0.1:8080", lines.append)
    metrics.record(health(), {}, [], 0)
    metrics.push()
    metrics.push()
    assert (
        len(lines) == 1
        and "metrics not pushed to the Pushgateway at http://127.0.0.1:1" in lines[0]
    )
    assert metrics.grouping_key == {"airflow": "127.0.0.1:8080"}


def test_without_a_pushgateway_nothing_is_pushed():
    dog = Watchdog("http://127.0.0.1:1", FakeRPC([]), log=lambda _line: None)
    assert dog.metrics is None


def test_observing_only_pushes_a_stale_component_and_restarts_nothing():
    dog = Watchdog("http://127.0.0.1:1", None, log=lambda _line: None, pushgateway="http://x")
    answers = iter([health(scheduler_ago=400)] * 3)
    dog.health = lambda: next(answers)
    texts = pushed(dog)
    assert dog.tick(NOW) == []
    assert dog.tick(NOW + DATABASE_GRACE_SECONDS) == []
    assert 'newsflow_airflow_heartbeat_age_seconds{component="scheduler"} 400.0' in texts[0]
    assert 'newsflow_airflow_watchdog_restarts_total{component="scheduler"} 0.0' in texts[1]


def test_observing_needs_a_pushgateway(monkeypatch, capsys):
    monkeypatch.delenv(watchdog.PUSHGATEWAY_VAR, raising=False)
    assert watchdog.main(["--observe", "http://127.0.0.1:1"]) == 2
    assert "set NEWSFLOW_PUSHGATEWAY_URL" in capsys.readouterr().err
