"""Exponential backoff with jitter for retrying a batch while infrastructure is down."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    initial: float = 0.5
    maximum: float = 30.0
    attempts: int = field(default=0, init=False)

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt: doubling, capped, with ±20% jitter so a
        group of consumers does not hammer a recovering broker in lockstep."""
        # The exponent stops growing long before the cap matters; a days-long outage must not
        # overflow the float.
        delay = self.initial * 2 ** min(self.attempts, 30)
        self.attempts += 1
        return min(self.maximum, delay) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter

    def reset(self) -> None:
        self.attempts = 0
