"""The Airflow watchdog's decisions: which stuck component it restarts, and when it waits."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.stack import api_hang, watchdog
from pipeline.stack.api_hang import HANG_SECONDS, Answer
from pipeline.stack.watchdog import DATABASE_GRACE_SECONDS, STALE_SECONDS, Program, Watchdog

NOW = 1_800_000_000.0
# The fake programs' pids: above Linux's highest pid_max (2**22), so no restart in these tests
# signals a real process (a restart continues the program's stopped processes).
PID = 2**22 + 100


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
        name: Program(name, state, PID + n, NOW - running_for)
        for n, name in enumerate(("api-server", "scheduler", "dag-processor", "triggerer"))
    }


def names(found):
    return [program.name for program, _reason in found]


def test_a_component_without_a_heartbeat_for_too_long_is_restarted():
    found = watchdog.stuck(health(scheduler_ago=STALE_SECONDS + 1), NOW - 60, programs(), NOW)
    assert names(found) == ["scheduler"]
    (_program, reason) = found[0]
    assert f"pid {PID + 1}" in reason and "last heartbeated 91 s ago" in reason


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


# What a health request can get besides an answer: nothing listens (the API server is starting
# or gone), or the connection is accepted and nothing comes back (it hangs).
REFUSED = Answer(None, failure="ConnectError: [Errno 111] Connection refused")
TIMED_OUT = Answer(None, timed_out=True, failure="no answer within 3 s (ReadTimeout)")


def make_watchdog(answers, running_for=600.0, rpc=None):
    """A watchdog whose health requests get `answers` in turn: a health dict, None (refused)
    or an Answer."""
    infos = [
        {"name": p.name, "statename": p.state, "pid": p.pid, "start": p.started}
        for p in programs(running_for).values()
    ]
    rpc = rpc or FakeRPC(infos)
    lines = []
    dog = Watchdog("http://127.0.0.1:1", rpc, log=lines.append)
    answers = iter(answers)

    def ask():
        answer = next(answers)
        return answer if isinstance(answer, Answer) else Answer(answer) if answer else REFUSED

    dog.ask = ask
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
    assert len(lines) == 1 and f"restarting scheduler (pid {PID + 1}" in lines[0]


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
    answers = iter([Answer(health(scheduler_ago=400))] * 3)
    dog.ask = lambda: next(answers)
    texts = pushed(dog)
    assert dog.tick(NOW) == []
    assert dog.tick(NOW + DATABASE_GRACE_SECONDS) == []
    assert 'newsflow_airflow_heartbeat_age_seconds{component="scheduler"} 400.0' in texts[0]
    assert 'newsflow_airflow_watchdog_restarts_total{component="scheduler"} 0.0' in texts[1]


def test_observing_needs_a_pushgateway(monkeypatch, capsys):
    monkeypatch.delenv(watchdog.PUSHGATEWAY_VAR, raising=False)
    assert watchdog.main(["--observe", "http://127.0.0.1:1"]) == 2
    assert "set NEWSFLOW_PUSHGATEWAY_URL" in capsys.readouterr().err


# The API server: restarted when its health endpoint has not answered for HANG_SECONDS while
# supervisord has had it RUNNING for longer.


def api_restarts(calls):
    return [call for call in calls if call[1] == "api-server"]


def test_an_api_server_silent_for_less_than_the_threshold_is_left_alone():
    dog, calls, lines = make_watchdog([TIMED_OUT] * 3)
    assert dog.tick(NOW) == []
    assert dog.tick(NOW + 45) == []
    assert dog.tick(NOW + HANG_SECONDS - 1) == []
    assert calls == []
    assert lines == [
        f"{watchdog._stamp(NOW)} the API server did not answer: no answer within 3 s "
        "(ReadTimeout); restarting api-server if it has not answered for 90 s"
    ]


def test_an_api_server_silent_for_the_threshold_is_restarted_once():
    dog, calls, lines = make_watchdog([TIMED_OUT] * 5)
    assert dog.tick(NOW) == []
    assert dog.tick(NOW + 45) == []
    assert dog.tick(NOW + HANG_SECONDS) == ["api-server"]
    assert calls == [("stop", "api-server", True), ("start", "api-server", False)]
    assert (
        f"{watchdog._stamp(NOW + HANG_SECONDS)} restarting api-server (pid {PID}, running 690 s): "
        "its health endpoint has not answered for 90 s (no answer within 3 s (ReadTimeout)); "
        f"process: {PID} gone" == lines[1]
    )
    # Still silent: the new process gets a whole period of its own, not a restart per look.
    assert dog.tick(NOW + HANG_SECONDS + 5) == []
    assert dog.tick(NOW + 2 * HANG_SECONDS) == []
    assert len(api_restarts(calls)) == 2


def test_an_api_server_started_during_the_silence_gets_its_grace():
    started = NOW + 60  # supervisord restarted it: it exited, or someone restarted it
    infos = [{"name": "api-server", "statename": "RUNNING", "pid": PID, "start": started}]
    dog, calls, lines = make_watchdog([TIMED_OUT] * 4, rpc=FakeRPC(infos))
    assert dog.tick(NOW) == []
    assert dog.tick(NOW + HANG_SECONDS) == []  # silent 90 s, but running only 30 s
    assert dog.tick(NOW + HANG_SECONDS + 5) == []  # the grace is logged once
    assert calls == []
    assert lines[1:] == [
        f"{watchdog._stamp(NOW + HANG_SECONDS)} api-server (pid {PID}) has not answered for 90 s "
        "but started 30 s ago: giving it 90 s"
    ]
    assert dog.tick(started + HANG_SECONDS) == ["api-server"]


def test_an_api_server_supervisord_is_not_running_is_left_to_supervisord():
    for state in ("STARTING", "BACKOFF", "STOPPING", "STOPPED", "EXITED", "FATAL"):
        infos = [{"name": "api-server", "statename": state, "pid": 0, "start": NOW - 600}]
        dog, calls, _lines = make_watchdog([TIMED_OUT] * 2, rpc=FakeRPC(infos))
        assert dog.tick(NOW) == []
        assert dog.tick(NOW + 10 * HANG_SECONDS) == [], state
        assert calls == [], state


def test_an_answer_or_a_refusal_ends_the_silence():
    for ending in (health(), REFUSED, Answer(None, failure="answered HTTP 503")):
        late = NOW + HANG_SECONDS - 10
        dog, calls, lines = make_watchdog([TIMED_OUT, TIMED_OUT, ending, TIMED_OUT, TIMED_OUT])
        assert dog.tick(NOW) == []
        assert dog.tick(late) == []
        assert dog.tick(late + 5) == []  # the silence ends here
        assert dog.tick(late + 10) == []  # and starts again: NOW + 90 is not 90 s of it
        assert dog.tick(late + 10 + HANG_SECONDS - 1) == [], ending
        assert calls == [], ending
        assert "the API server's silence ended after 85 s" in lines[1]
    assert lines[1].endswith("(answered HTTP 503): not restarting it")


def test_observing_never_restarts_a_silent_api_server():
    lines: list[str] = []
    dog = Watchdog("http://127.0.0.1:1", None, log=lines.append, pushgateway="http://x")
    answers = iter([TIMED_OUT] * 3)
    dog.ask = lambda: next(answers)
    texts = pushed(dog)
    assert dog.tick(NOW) == []
    assert dog.tick(NOW + 10 * HANG_SECONDS) == []
    assert dog.tick(NOW + 100 * HANG_SECONDS) == []
    assert "newsflow_airflow_api_up 0.0" in texts[2]
    assert 'newsflow_airflow_watchdog_restarts_total{component="api-server"} 0.0' in texts[2]
    assert not [line for line in lines if "restart" in line]  # nor says it would


def test_the_api_servers_restarts_are_pushed_from_zero():
    dog, _calls, _lines = make_watchdog([health(), TIMED_OUT, TIMED_OUT, health()])
    dog.metrics = watchdog.WatchdogMetrics("http://127.0.0.1:1", "http://127.0.0.1:8080", print)
    texts = pushed(dog)
    dog.tick(NOW)
    dog.tick(NOW + 5)
    assert dog.tick(NOW + 5 + HANG_SECONDS) == ["api-server"]
    dog.tick(NOW + 10 + HANG_SECONDS)
    assert 'newsflow_airflow_watchdog_restarts_total{component="api-server"} 0.0' in texts[0]
    assert "newsflow_airflow_api_up 0.0" in texts[2]
    assert 'newsflow_airflow_watchdog_restarts_total{component="api-server"} 1.0' in texts[2]
    assert 'newsflow_airflow_watchdog_restarts_total{component="scheduler"} 0.0' in texts[2]
    assert 'newsflow_airflow_watchdog_restarts_total{component="api-server"} 1.0' in texts[3]


def test_a_request_tells_a_timeout_from_a_refusal():
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = b'{"metadatabase": {"status": "healthy"}}'
            self.send_response(200 if self.path == "/api/v2/monitor/health" else 503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    def ask(url):
        dog = Watchdog(url, None, log=lambda _line: None)
        dog.http = httpx.Client(timeout=0.3)
        return dog.ask()

    # Listening and never accepting: the kernel completes the connection, nothing answers.
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        silent = ask(f"http://127.0.0.1:{hung.getsockname()[1]}")
        answered = ask(f"http://127.0.0.1:{server.server_port}")
        failing = ask(f"http://127.0.0.1:{server.server_port}/elsewhere")
    finally:
        server.shutdown()
        hung.close()
    assert silent.timed_out and silent.health is None
    assert silent.failure == "no answer within 3 s (ReadTimeout)"
    refused = ask("http://127.0.0.1:1")  # nothing listens on port 1 of loopback
    assert not refused.timed_out and refused.health is None
    assert refused.failure is not None and refused.failure.startswith("ConnectError")
    assert answered == Answer({"metadatabase": {"status": "healthy"}})
    assert failing == Answer(None, failure="answered HTTP 503")


def stopped(pid: int) -> bool:
    from pathlib import Path

    return "\nState:\tT " in Path(f"/proc/{pid}/status").read_text()


def wait_until(check, what):
    import time

    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_a_restart_continues_a_stopped_process_before_supervisord_stops_it():
    import os
    import signal
    import subprocess

    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        os.kill(sleeper.pid, signal.SIGSTOP)
        wait_until(lambda: stopped(sleeper.pid), "the process to stop")
        seen = []

        class Supervisor(FakeSupervisor):
            def stopProcess(self, name, wait):  # noqa: N802
                seen.append(stopped(sleeper.pid))  # what supervisord's SIGTERM would meet
                super().stopProcess(name, wait)

        rpc = FakeRPC([])
        rpc.supervisor = Supervisor([])
        lines = []
        dog = Watchdog("http://127.0.0.1:1", rpc, log=lines.append)
        program = Program("api-server", "RUNNING", sleeper.pid, NOW - 600)
        dog.restart(program, "api-server (pid ...): test", NOW)
        assert seen == [False]
        assert rpc.supervisor.calls == [
            ("stop", "api-server", True),
            ("start", "api-server", False),
        ]
        assert f"process: {sleeper.pid} T (stopped) in " in lines[0]
        assert lines[1] == (
            f"{watchdog._stamp(NOW)} continued the stopped processes {sleeper.pid} of "
            "api-server (SIGCONT), so that they act on supervisord's SIGTERM"
        )
        # A running process is left as it is.
        assert watchdog.continue_stopped(sleeper.pid) == []
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_api_hang_threshold_comes_from_the_environment():
    import pytest

    assert api_hang.hang_seconds({}) == 90.0 == HANG_SECONDS == STALE_SECONDS
    assert api_hang.hang_seconds({api_hang.HANG_VAR: "20"}) == 20.0
    for wrong in ("0", "-5", "nan", "soon"):
        with pytest.raises(ValueError, match=api_hang.HANG_VAR):
            api_hang.hang_seconds({api_hang.HANG_VAR: wrong})
