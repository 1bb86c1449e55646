"""`python -m pipeline.stack.supervise CONFIG`: the local stack's Airflow process.

Migrates Airflow's metadata database, then becomes supervisord (exec), which runs the
components and restarts any that exits. Before that it makes itself a child subreaper
(Linux prctl): the LocalExecutor workers of a scheduler killed with SIGKILL would otherwise
be re-parented to init, out of reach of `newsflow stack down`; as supervisord's children
they are found and stopped with the rest.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

from pipeline.stack.cold_start import MIGRATE_DONE, MIGRATE_STARTED

PR_SET_CHILD_SUBREAPER = 36


def main(argv: list[str]) -> int:
    (config,) = argv
    bin_dir = Path(sys.executable).parent
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(
            f"newsflow: prctl(PR_SET_CHILD_SUBREAPER) failed: errno {ctypes.get_errno()}",
            flush=True,
        )
    # The stack gives the metadata URL as `<option>_CMD` (a 0600 file); a plain value inherited
    # from the shell of `stack up` would win over it in Airflow's lookup order.
    for option in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND"):
        if f"{option}_CMD" in os.environ:
            os.environ.pop(option, None)
    # The markers tell `newsflow stack up`, reading this log, what the wait is for.
    print(MIGRATE_STARTED, flush=True)
    migrated = subprocess.run([str(bin_dir / "airflow"), "db", "migrate"], check=False)
    print(f"{MIGRATE_DONE} (exit code {migrated.returncode})", flush=True)
    if migrated.returncode != 0:
        print(
            f"newsflow: `airflow db migrate` failed with exit code {migrated.returncode}",
            flush=True,
        )
        return migrated.returncode
    supervisord = str(bin_dir / "supervisord")
    os.execv(supervisord, [supervisord, "-c", config])  # noqa: S606 (fixed argv, no shell)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
