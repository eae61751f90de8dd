"""The servers under test, each in its own process group so that it is always stopped whole, and
what their worker processes cost (read from /proc).

Sciplo runs as production runs it (Dockerfile): gunicorn's sync workers over `sciplo.wsgi` with
DEBUG off, bound to 127.0.0.1 only. Datasette serves the SQLite file immutable.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Datasette at its best for this request: no time limit cuts a facet short, no suggested facets,
# a thread per connection wrk opens, and the table's count computed once (immutable file).
DATASETTE_SETTINGS = {
    "sql_time_limit_ms": "10000",
    "facet_time_limit_ms": "10000",
    "suggest_facets": "off",
    "num_sql_threads": "8",
    "default_cache_ttl": "0",
}


class ServerError(RuntimeError):
    """A server that did not start or answer."""


def wait_until_answering(url: str, process: subprocess.Popen, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"The server exited ({process.returncode}) before answering {url}.")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise ServerError(f"{url} did not answer within {timeout} seconds.")


@contextmanager
def running(command: list[str], *, env: dict, ready_url: str, log_path: Path):
    """Runs `command` until the block ends, then stops its whole process group."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until_answering(ready_url, process)
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group, SIGKILL if it is still there after ten seconds."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def gunicorn(*, env: dict, port: int, workers: int, log_path: Path):
    command = [
        str(VENV_BIN / "gunicorn"),
        "sciplo.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]
    return running(
        command, env=env, ready_url=f"http://127.0.0.1:{port}/health/", log_path=log_path
    )


def datasette(*, database: Path, port: int, log_path: Path):
    command = [str(VENV_BIN / "datasette"), "serve", "-i", str(database)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    for name, value in DATASETTE_SETTINGS.items():
        command += ["--setting", name, value]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    return running(
        command, env=env, ready_url=f"http://127.0.0.1:{port}/-/versions.json", log_path=log_path
    )


def children(pid: int) -> list[int]:
    """The processes `pid` started: gunicorn's workers, when `pid` is its master."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name is in parentheses and may hold spaces; fields follow it.
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    user, system = int(fields[11]), int(fields[12])
    return (user + system) / CLOCK_TICKS


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak since the last reset) in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def reset_peak_memory(pid: int) -> bool:
    """Resets VmHWM to the current RSS (Linux's clear_refs 5), so that the peak read after a case
    is that case's; False where the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def wait_until_idle(master_pid: int, *, timeout: float = 60) -> None:
    """Waits until gunicorn's workers use no CPU for half a second: requests that a warm-up left
    queued would otherwise be counted in the next measurement."""
    wait_until_quiet(children(master_pid), "gunicorn's workers", timeout=timeout)


def wait_until_quiet(pids: list[int], name: str, *, timeout: float = 60) -> None:
    """Waits until the processes `pids` use no CPU for half a second."""
    deadline = time.monotonic() + timeout
    before = sum(cpu_seconds(pid) for pid in pids)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = sum(cpu_seconds(pid) for pid in pids)
        if now == before:
            return
        before = now
    raise ServerError(f"{name} were still busy {timeout} seconds after a warm-up.")


def workers_resident_mb(master_pid: int) -> list[float]:
    """Each of gunicorn's workers' resident memory now (VmRSS), in MB."""
    return [round(memory_kb(pid)["VmRSS"] / 1024, 1) for pid in children(master_pid)]


class WorkerMeter:
    """CPU time and peak memory of gunicorn's workers over one case."""

    def __init__(self, master_pid: int):
        self.workers = children(master_pid)
        if not self.workers:
            raise ServerError(f"gunicorn (pid {master_pid}) has no workers.")

    def __enter__(self):
        self.peak_reset = all(reset_peak_memory(pid) for pid in self.workers)
        self.cpu_before = {pid: cpu_seconds(pid) for pid in self.workers}
        self.rss_before = {pid: memory_kb(pid)["VmRSS"] for pid in self.workers}
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if exc_type is not None:
            return  # the case failed; its error says why, and a worker may be gone
        missing = [pid for pid in self.workers if not Path(f"/proc/{pid}").exists()]
        if missing:
            raise ServerError(f"gunicorn's worker {missing[0]} exited during the case.")
        self.cpu_after = {pid: cpu_seconds(pid) for pid in self.workers}
        self.memory_after = {pid: memory_kb(pid) for pid in self.workers}

    def result(self) -> dict:
        return {
            "workers": len(self.workers),
            "cpu_seconds": round(
                sum(self.cpu_after[pid] - self.cpu_before[pid] for pid in self.workers), 2
            ),
            "peak_rss_mb": round(max(m["VmHWM"] for m in self.memory_after.values()) / 1024, 1),
            # Never below zero: the peak was reset a moment after the RSS before was read.
            "peak_growth_mb": round(
                max(
                    max(0, self.memory_after[pid]["VmHWM"] - self.rss_before[pid])
                    for pid in self.workers
                )
                / 1024,
                1,
            ),
            "peak_measured_per_case": self.peak_reset,
        }
