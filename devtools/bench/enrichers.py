"""Enricher processes of the bench's own, in the stack's consumer group: `newsflow bench e2e
--enrichers 1,2,3` starts N of them per round with the command the stack runs (`newsflow
consume`, the same settings in the environment), waits until the group has settled with every
partition assigned, and stops them after the round.

They are plain subprocesses in process groups of their own, not stack components: the bench
stops them itself, also when it is interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from kafka import KafkaAdminClient
from kafka.admin import NewPartitions
from kafka.errors import KafkaError

from pipeline.config import CLEANED_TOPIC, Settings
from pipeline.errors import ConfigError, NewsflowError
from pipeline.kafka_security import make_client
from pipeline.stack.manager import settings_env

READY_TIMEOUT = 300.0  # spaCy loads in each process; three at once on two cores take a while
STOP_TIMEOUT = 30.0


def parse_counts(value: str) -> list[int]:
    """`1,2,3` → [1, 2, 3]: distinct positive counts, in the order given."""
    counts: list[int] = []
    for part in value.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise ConfigError(
                f"--enrichers {value!r}: give enricher counts as positive whole numbers "
                "separated by commas, e.g. 1,2,3"
            )
        if int(part) not in counts:
            counts.append(int(part))
    return counts


def _admin(settings: Settings) -> KafkaAdminClient:
    try:
        admin: KafkaAdminClient = make_client(
            KafkaAdminClient, settings, "admin", client_id="newsflow-bench"
        )
        return admin
    except KafkaError as exc:
        raise NewsflowError(
            f"cannot reach Kafka at {settings.kafka_bootstrap_servers}: {exc}"
        ) from exc


def cleaned_partitions(settings: Settings) -> int:
    admin = _admin(settings)
    try:
        (meta,) = admin.describe_topics([CLEANED_TOPIC])
        return len(meta["partitions"])
    finally:
        admin.close()


def ensure_partitions(settings: Settings, count: int, echo: Callable[[str], None]) -> int:
    """Give the cleaned topic at least `count` partitions (an enricher beyond the partition
    count would sit idle); the count it has. Partitions can be added, never removed."""
    current = cleaned_partitions(settings)
    if current >= count:
        return current
    echo(f"{CLEANED_TOPIC}: {current} partitions, adding {count - current} (never removed)")
    admin = _admin(settings)
    try:
        admin.create_partitions({CLEANED_TOPIC: NewPartitions(total_count=count)})
    finally:
        admin.close()
    return count


def _group_state(settings: Settings) -> tuple[str, dict[int, set[int]]]:
    """The group's state and, per member pid (from its client id), its cleaned partitions."""
    admin = _admin(settings)
    try:
        group = admin.describe_groups([settings.consumer_group])[settings.consumer_group]
    finally:
        admin.close()
    members: dict[int, set[int]] = {}
    for member in group.get("members", []):
        pid = str(member.get("client_id", "")).rpartition("-pid-")[2]
        assigned = (member.get("member_assignment") or {}).get("assigned_partitions", [])
        parts = {p for a in assigned if a["topic"] == CLEANED_TOPIC for p in a["partitions"]}
        members[int(pid) if pid.isdigit() else -1] = parts
    return str(group.get("group_state", "")), members


class EnricherGroup:
    """`count` `newsflow consume` processes in the stack's consumer group, as a context:
    entered once every partition of the cleaned topic is assigned to one of them (and to no
    other member), left after they stopped."""

    def __init__(self, settings: Settings, count: int, partitions: int) -> None:
        self.settings = settings
        self.count = count
        self.partitions = partitions
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs = [settings.home_dir / "logs" / f"bench-enricher-{n}.log" for n in range(count)]

    def __enter__(self) -> EnricherGroup:
        newsflow = str(Path(sys.executable).parent / "newsflow")
        env = dict(os.environ)
        env.update(settings_env(self.settings))
        try:
            for log_path in self.logs:
                log_path.parent.mkdir(parents=True, exist_ok=True)
                with open(log_path, "ab") as log:
                    self.procs.append(
                        subprocess.Popen(
                            [newsflow, "consume"],
                            stdin=subprocess.DEVNULL,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            # Several processes: no metrics servers fighting over one port.
                            env={**env, "NEWSFLOW_METRICS_PORT": "0"},
                            start_new_session=True,  # Ctrl-C reaches the bench, which stops them
                        )
                    )
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def pids(self) -> set[int]:
        return {p.pid for p in self.procs}

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        everything = set(range(self.partitions))
        while True:
            dead = [(p, log) for p, log in zip(self.procs, self.logs, strict=True) if p.poll()]
            if dead:
                proc, log = dead[0]
                tail = log.read_text(errors="replace").strip().splitlines()[-5:]
                raise NewsflowError(
                    f"enricher pid {proc.pid} exited with {proc.returncode} before the bench "
                    f"started; its log ({log}) ends:\n  " + "\n  ".join(tail)
                )
            try:
                state, members = _group_state(self.settings)
            except KafkaError:
                state, members = "", {}
            assigned = set().union(*members.values()) if members else set()
            if state == "Stable" and set(members) == self.pids and assigned == everything:
                return
            if time.monotonic() > deadline:
                others = sorted(set(members) - self.pids)
                raise NewsflowError(
                    f"the {self.count} bench enrichers did not take every partition within "
                    f"{READY_TIMEOUT:.0f}s (group {self.settings.consumer_group}: {state or '?'}, "
                    f"members {sorted(members)}"
                    + (f"; {len(others)} not the bench's: stop them" if others else "")
                    + f"); see {self.logs[0].parent}/bench-enricher-*.log"
                )
            time.sleep(0.5)

    def stop(self) -> None:
        """SIGTERM (each finishes its batch and leaves the group), then SIGKILL what is left."""
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + STOP_TIMEOUT
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs = []
