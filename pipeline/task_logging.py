"""Logging inside Airflow tasks: the task log in the UI is read by people.

kafka-python logs every connection step (bootstrap, API version probe, metadata, close) at
INFO; in an `ingest` task log those lines outnumber everything else and bury the summary.
Its warnings and errors (a broker that is down, a retried send) stay.
"""

from __future__ import annotations

import logging

CLIENT_LOGGERS = ("kafka",)


def quiet_client_loggers() -> None:
    """Keep the Kafka client's warnings and errors, drop its INFO and DEBUG chatter."""
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
