"""Foundation benchmarks (issue 2 budgets), run on 127.0.0.1 only, bounded in time.

1. ``verso run`` from start to the first 200 on ``/health`` (budget: under 1.5 s), median of 5.
2. Resident memory of the whole Granian process tree, idle (budget: under 130 MB).
3. ``/health`` under load on one worker beside a bare Litestar route in the same run (req/s, p99),
   with wrk (``apt-get install wrk``).

Usage: ``python bench/run.py [--duration 10] [--connections 32]``. Writes bench/results/foundation.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_of(url: str) -> int | None:
    try:
        return urllib.request.urlopen(url, timeout=1).status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def tree_rss_mb(pgid: int) -> float:
    """Sum of VmRSS over every process in the process group (the whole Granian tree)."""
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return total_kb / 1024


def verso_env(data_dir: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "VERSO_DATA_DIR": str(data_dir),
        "VERSO_PORT": str(port),
        "VERSO_LOG_LEVEL": "WARNING",
        "VERSO_BASE_URL": f"http://127.0.0.1:{port}",
    }


def measure_startup(data_dir: Path, runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        port = free_port()
        started = time.perf_counter()
        proc = start([str(BIN / "verso"), "run", "--port", str(port)], verso_env(data_dir, port))
        try:
            while status_of(f"http://127.0.0.1:{port}/health") != 200:
                if time.perf_counter() - started > 30:
                    raise RuntimeError("no 200 from /health within 30 s")
                time.sleep(0.01)
            times.append(time.perf_counter() - started)
        finally:
            stop(proc)
    return times


def wrk(
    url: str, duration: int, connections: int, cookie: str | None = None, script: str | None = None
) -> tuple[float, str]:
    """Requests per second and p99 latency of ``url`` under wrk (optionally with a Cookie header, or
    a Lua script from bench/)."""
    extra = ["-H", f"Cookie: {cookie}"] if cookie else []
    if script:
        extra += ["-s", str(ROOT / "bench" / script)]
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *extra, url],
        capture_output=True,
        text=True,
        timeout=duration + 30,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)
    return rps, p99


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="verso-bench-"))
    lines = [f"# Foundation benchmarks ({time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores)", ""]
    try:
        env = verso_env(data_dir, 0)
        subprocess.run(
            [str(BIN / "python"), "-c", "from verso.lib.migrate import upgrade_head; upgrade_head()"],
            env=env,
            check=True,
            capture_output=True,
        )
        # A set-up business: otherwise /login would measure the redirect to /setup.
        subprocess.run(
            [
                str(BIN / "verso"),
                "users",
                "create-admin",
                "--email",
                "bench@example.com",
                "--password",
                "x" * 20,
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        times = measure_startup(data_dir)
        lines.append(
            f"- start to first 200 on /health: median {statistics.median(times):.2f} s "
            f"(runs: {', '.join(f'{t:.2f}' for t in times)}; budget 1.5 s)"
        )

        port = free_port()
        proc = start([str(BIN / "verso"), "run", "--port", str(port)], verso_env(data_dir, port))
        try:
            while status_of(f"http://127.0.0.1:{port}/health") != 200:
                time.sleep(0.05)
            time.sleep(3)
            lines.append(
                f"- idle resident memory of the process tree: {tree_rss_mb(proc.pid):.0f} MB (budget 130 MB)"
            )
            if shutil.which("wrk") is None:
                lines.append("- load: wrk not installed (apt-get install wrk); skipped")
            else:
                bare_port = free_port()
                bare = start(
                    [
                        str(BIN / "granian"),
                        "--interface",
                        "asgi",
                        "--port",
                        str(bare_port),
                        "--workers",
                        "1",
                        "--no-ws",
                        "bench.bare_app:app",
                    ],
                    {**os.environ, "PYTHONPATH": str(ROOT)},
                )
                try:
                    while status_of(f"http://127.0.0.1:{bare_port}/") != 200:
                        time.sleep(0.05)
                    results = {}
                    for name, url in (
                        ("bare Litestar route", f"http://127.0.0.1:{bare_port}/"),
                        ("/health", f"http://127.0.0.1:{port}/health"),
                        ("/login (a page)", f"http://127.0.0.1:{port}/login"),
                    ):
                        results[name] = wrk(url, args.duration, args.connections)
                    lines.append(
                        f"- load, one worker, {args.connections} connections, {args.duration} s each (wrk):"
                    )
                    ceiling = results["bare Litestar route"][0]
                    for name, (rps, p99) in results.items():
                        lines.append(
                            f"  - {name}: {rps:,.0f} req/s, p99 {p99} ({rps / ceiling:.0%} of the bare route)"
                        )
                finally:
                    stop(bare)
        finally:
            stop(proc)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / "bench" / "results" / "foundation.md").write_text(report)


if __name__ == "__main__":
    main()
