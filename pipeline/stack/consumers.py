"""The enricher group's members as Kafka sees them, matched with the processes the stack
started: `newsflow stack status` flags consumers in the group that it did not start.

An enricher's client id ends with its pid (pipeline.consume.runner.consumer_client_id); a
member from another host, or a client that is not newsflow's, has no pid we can match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.config import Settings

_PID = re.compile(r"-pid-(\d+)$")
_LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Member:
    client_id: str
    host: str  # as the broker saw the connection, e.g. 127.0.0.1

    @property
    def pid(self) -> int | None:
        """The process id in the client id, for a member on this machine."""
        match = _PID.search(self.client_id)
        return int(match.group(1)) if match and self.host in _LOCAL_HOSTS else None


def group_members(settings: Settings, group: str) -> list[Member] | None:
    """The members of consumer group `group`; None when Kafka does not answer."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    from pipeline.kafka_security import client_config

    try:
        admin = KafkaAdminClient(
            **client_config(settings, "admin"),
            request_timeout_ms=3000,
            bootstrap_timeout_ms=3000,
        )
    except (KafkaError, OSError, ValueError):
        return None
    try:
        described = admin.describe_groups([group]).get(group, {})
    except (KafkaError, OSError):
        return None
    finally:
        admin.close()
    return [
        Member(str(m.get("client_id", "")), str(m.get("client_host", "")).lstrip("/"))
        for m in described.get("members", [])
    ]


def foreign_members(
    members: list[Member], tracked_pids: set[int], started_untracked: set[int]
) -> list[str]:
    """One line per member the stack did not start (or started and lost track of); the
    stack's own are its enricher processes, `tracked_pids`."""
    lines = []
    for member in members:
        if member.pid is not None and member.pid in tracked_pids:
            continue
        who = f"pid {member.pid}" if member.pid is not None else member.client_id
        where = f"{member.client_id} on {member.host or '?'}"
        if member.pid in started_untracked:
            lines.append(
                f"{who} ({where}): started by a stack command but not tracked; "
                "`newsflow stack down` stops it"
            )
        else:
            lines.append(f"{who} ({where}): not started by the stack")
    return lines
