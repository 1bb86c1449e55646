"""Which metrics port each enricher process of the local stack serves on.

The stack tells enricher i its port through NEWSFLOW_METRICS_PORT in its environment:
`enricher` (a stack of one) and `enricher-1` get metrics_port, `enricher-i` metrics_port +
(i-1). A `newsflow consume` started by hand reads the setting as it is.
"""

from __future__ import annotations

from pipeline.config import Settings

METRICS_PORT_SETTING = "NEWSFLOW_METRICS_PORT"


def enricher_metrics_port(settings: Settings, name: str) -> int | None:
    """The metrics port of the stack's enricher process `name`; None when metrics are off."""
    if settings.metrics_port == 0:
        return None
    instance = name.removeprefix("enricher-")
    offset = int(instance) - 1 if instance.isdigit() else 0
    return settings.metrics_port + offset


def enricher_env(settings: Settings, name: str) -> dict[str, str]:
    """What the enricher process `name` gets in its environment on top of the settings."""
    port = enricher_metrics_port(settings, name)
    return {} if port is None else {METRICS_PORT_SETTING: str(port)}
