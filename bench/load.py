"""Driving a server on loopback: wrk for the timed cases, one request at a time for the export.

wrk runs bench/wrk.lua over the case's paths, written to a file: each thread takes every T-th
path, so none is asked twice while a thread has paths it has not asked yet. When the run ends it
prints one `BENCH_JSON` line of counts (the requests that had to ask a path again among them) and
latency percentiles; `parse_wrk_output` reads it.
"""

import http.client
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

WRK_SCRIPT = Path(__file__).with_name("wrk.lua")
WRK_MARKER = "BENCH_JSON "


class LoadError(RuntimeError):
    """A load run that could not be made or measured."""


def wrk_executable() -> str:
    """The path of wrk, installed from Debian (`apt-get install wrk`) when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "wrk"], check=False)
        found = shutil.which("wrk")
    if not found:
        raise LoadError("wrk is not installed: install it with `apt-get install wrk` and rerun.")
    return found


def parse_wrk_output(output: str) -> dict:
    """The measurements in wrk's output: requests, errors, requests/s, latencies in ms and the
    requests sent after a thread had asked each of its paths once (`repeated`)."""
    for line in output.splitlines():
        if line.startswith(WRK_MARKER):
            raw = json.loads(line[len(WRK_MARKER) :])
            break
    else:
        raise LoadError(f"wrk printed no {WRK_MARKER.strip()} line:\n{output}")
    seconds = raw["duration_us"] / 1_000_000
    answered = raw["requests"] > 0
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "requests_per_second": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "repeated": raw.get("repeated", 0),
        "errors": sum(raw["errors"].values()),
        "error_counts": raw["errors"],
        # Without a single answer wrk reports zeros, which would read as instant.
        "latency_ms": {
            name: round(us / 1000, 2) if answered else None
            for name, us in raw["latency_us"].items()
        },
    }


def run_wrk(
    base_url: str, paths: list[str], seconds: int, *, threads: int = 2, connections: int = 8
) -> dict:
    """Load `paths` on `base_url` for `seconds` with `connections` open connections, each path
    once until a thread has asked all of its share (a list of one path is asked over and over)."""
    if not base_url.startswith("http://127.0.0.1:"):
        raise LoadError(f"The benchmark only loads servers on 127.0.0.1, not {base_url}.")
    if not paths:
        raise LoadError("No path to load.")
    command = [
        wrk_executable(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        base_url,
    ]
    with tempfile.NamedTemporaryFile("w", prefix="bench-paths-", suffix=".txt") as paths_file:
        paths_file.write("".join(f"{path}\n" for path in paths))
        paths_file.flush()
        env = {
            "BENCH_PATHS_FILE": paths_file.name,
            "BENCH_THREADS": str(threads),
            "PATH": "/usr/bin:/bin",
        }
        completed = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
        )
    if completed.returncode != 0:
        raise LoadError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse_wrk_output(completed.stdout)


def download(url: str, *, timeout: float) -> dict:
    """One GET of `url` read to its end: seconds taken, bytes and status."""
    started = time.perf_counter()
    size = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = response.status
            while chunk := response.read(1 << 16):
                size += len(chunk)
    except http.client.HTTPException as error:
        # A worker killed mid-stream (gunicorn's timeout) ends the chunked body early.
        seconds = time.perf_counter() - started
        message = f"{url} broke off after {size:,} bytes and {seconds:.1f} s: {error!r}"
        raise LoadError(message) from error
    return {"seconds": round(time.perf_counter() - started, 3), "bytes": size, "status": status}
