"""What the HTTP clients of one ingestion pass share: pacing, robots.txt, network policy, log.

Each worker thread gets a client of its own (`FetchRun.client()`); the shared parts are
thread-safe, so a host's delay and robots.txt hold across discovery and every worker.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pipeline.config import Settings
from pipeline.fetch.http import HttpClient
from pipeline.fetch.journal import Journal
from pipeline.fetch.network import NetworkPolicy
from pipeline.fetch.pacing import HostPacer
from pipeline.fetch.robots import Robots, RobotsStore
from pipeline.sources import Source


@dataclass
class FetchRun:
    settings: Settings
    network: NetworkPolicy
    pacer: HostPacer
    robots: Robots
    journal: Journal = field(default_factory=Journal)
    backoff_seconds: float = 0.5
    # Set when the run is interrupted (Ctrl-C): every client's waits and reads end soon after.
    cancelled: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def for_source(
        cls,
        settings: Settings,
        source: Source,
        *,
        robots_store: RobotsStore | None = None,
        network: NetworkPolicy | None = None,
        backoff_seconds: float = 0.5,
    ) -> FetchRun:
        """The run of `source`; `network` overrides the policy its allow_private_network gives."""
        return cls(
            settings=settings,
            network=network or NetworkPolicy(allow_private=source.allow_private_network),
            pacer=HostPacer(source.min_delay_seconds),
            robots=Robots(robots_store),
            backoff_seconds=backoff_seconds,
        )

    def client(self) -> HttpClient:
        return HttpClient(
            self.settings,
            network=self.network,
            pacer=self.pacer,
            robots=self.robots,
            journal=self.journal,
            backoff_seconds=self.backoff_seconds,
            cancelled=self.cancelled,
        )
