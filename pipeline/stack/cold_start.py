"""The slow steps of a first `stack up`, as the progress of the command sees them.

Resolving the Kafka jars with Maven and PostgreSQL's initdb run in this process and report
to the meter directly (`kafka.resolve_jars`, `postgres.prepare`). Airflow's `airflow db
migrate` runs inside the Airflow process (`supervise.py`), before supervisord: it writes a
marker line to its log as it starts and ends, and `AirflowLogWatch` reads them while the
command waits for Airflow to answer.
"""

from __future__ import annotations

from pathlib import Path

MIGRATE_STARTED = "newsflow: airflow db migrate: started"
MIGRATE_DONE = "newsflow: airflow db migrate: done"
# Markers are near the start of a run's log; a long log is not read again and again.
READ_LIMIT = 256 * 1024


class AirflowLogWatch:
    """The step of Airflow's start written to its log from `offset` on (this start's part of
    a log that is appended to): "airflow: db migrate", "airflow: starting its components" or
    None while neither marker is there."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.offset = log.stat().st_size if log.exists() else 0

    def step(self) -> str | None:
        try:
            with open(self.log, "rb") as handle:
                handle.seek(self.offset)
                text = handle.read(READ_LIMIT).decode("utf-8", "replace")
        except OSError:
            return None
        if MIGRATE_DONE in text:
            return "airflow: db migrated, starting its components"
        if MIGRATE_STARTED in text:
            return "airflow: airflow db migrate"
        return None
