"""Starting, watching and stopping the local stack's processes.

Each component runs in a process group of its own (start_new_session), so stopping it stops
every child it forked: the scheduler's LocalExecutor workers outlive a SIGTERM sent to the
scheduler alone. Children that moved to groups of their own (supervisord starts each program
in its own group) are found through their parent and stopped with the rest.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import NewsflowError


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_bindable(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on the port now. A port nothing listens on can still be
    taken: an outgoing connection of any process may have it as its local port (the kernel
    picks those from net.ipv4.ip_local_port_range, 32768-60999 by default)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as PostgreSQL and Kafka do
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def wait_for_free_port(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
    """Wait up to `timeout` seconds for a port that a connection holds to be released."""
    deadline = time.monotonic() + timeout
    while not port_bindable(port, host):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)
    return True


def is_running(pid: int | None) -> bool:
    """True when pid is alive and not a zombie (a zombie child of ours is reaped here)."""
    if not pid:
        return False
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def _processes() -> list[tuple[int, int, int]]:
    """(pid, parent pid, process group) of every live process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if fields[0] not in ("Z", "X"):
            found.append((int(entry.name), int(fields[1]), int(fields[2])))
    return found


# Set in the environment of every process a stack command starts (and so inherited by what
# those fork), so `stack down` finds them even when no state file names them any more.
STACK_HOME_VAR = "NEWSFLOW_STACK_HOME"
STACK_COMPONENT_VAR = "NEWSFLOW_STACK_COMPONENT"


def stack_processes(home: Path) -> list[tuple[int, int, str]]:
    """(pid, process group, component) of every live process a stack command of `home`
    started, found by the variables above in /proc/PID/environ."""
    found = []
    want = str(home).encode()
    for pid, _, group in _processes():
        try:
            raw = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:  # gone, or another user's process we may not read
            continue
        env = dict(item.partition(b"=")[::2] for item in raw.split(b"\0") if b"=" in item)
        if env.get(STACK_HOME_VAR.encode()) == want:
            found.append((pid, group, env.get(STACK_COMPONENT_VAR.encode(), b"").decode()))
    return found


def group_members(pgid: int) -> list[int]:
    """Pids whose process group is pgid (children that re-parented to init included)."""
    return [pid for pid, _, group in _processes() if group == pgid]


def tree_groups(pgid: int) -> set[int]:
    """pgid and the process groups of every descendant of its members."""
    procs = _processes()
    children: dict[int, list[int]] = {}
    for pid, parent, _ in procs:
        children.setdefault(parent, []).append(pid)
    group_of = {pid: group for pid, _, group in procs}
    todo = [pid for pid, _, group in procs if group == pgid]
    groups, seen = {pgid}, set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        groups.add(group_of.get(pid, pgid))
        todo.extend(children.get(pid, []))
    return groups


def spawn(
    cmd: list[str],
    log_path: Path,
    env: dict[str, str],
    cwd: Path | None = None,
    user: str | None = None,
) -> int:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            **as_user(user),
        )
    return proc.pid


def as_user(user: str | None) -> dict:
    """subprocess arguments that drop to `user` with its own group only.

    `user=` alone keeps root's group, and a 0701 directory (mktemp -d, made traversable)
    then denies access through its group bits.
    """
    if user is None:
        return {}
    return {"user": user, "group": user, "extra_groups": []}


def stop_group(pgid: int, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    """Signal the whole group, wait for it and its descendants' groups to go, then SIGKILL
    what is left of them."""
    groups = tree_groups(pgid)
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        is_running(pgid)  # reaps the leader if it is our child
        if group_members(pgid):
            groups |= tree_groups(pgid)  # a child started while stopping
        if not any(group_members(g) for g in groups):
            return
        time.sleep(0.2)
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    time.sleep(0.2)
    is_running(pgid)


def wait_until(
    check: Callable[[], bool],
    what: str,
    timeout: float,
    log_path: Path | None = None,
    alive: Callable[[], bool] | None = None,
) -> None:
    """Poll check() until it is true; fail with the log's tail when it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if alive is not None and not alive():
            raise NewsflowError(f"{what} exited while starting{_log_hint(log_path)}")
        time.sleep(0.5)
    raise NewsflowError(f"{what} not ready after {timeout:.0f}s{_log_hint(log_path)}")


def _log_hint(log_path: Path | None) -> str:
    if log_path is None or not log_path.exists():
        return ""
    return f"; see {log_path}. Last lines:\n  " + "\n  ".join(tail_lines(log_path, 15))


def tail_lines(path: Path, lines: int) -> list[str]:
    """The last `lines` lines of a file, read from its end (logs grow to tens of MB)."""
    with path.open("rb") as log:
        log.seek(0, os.SEEK_END)
        end = position = log.tell()
        chunk = b""
        while position > 0 and chunk.count(b"\n") <= lines:
            step = min(64 * 1024, position)
            position -= step
            log.seek(position)
            chunk = log.read(end - position)
    return chunk.decode("utf-8", errors="replace").splitlines()[-lines:]
