"""Sign-in throughput (issue 3): logins per second on one worker with argon2 at its configured cost,
and the p99 of a light page while a login burst runs (hashing must not block the event loop).

Usage: ``python bench/login.py [--duration 10]``; needs wrk. Writes bench/results/login.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import BIN, ROOT, free_port, start, status_of, stop, verso_env, wrk


def csrf_token(base: str) -> str:
    response = urllib.request.urlopen(f"{base}/login", timeout=5)
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie"):
        jar.load(header)
    return jar["verso_csrf"].value


def login_burst(base: str, token: str, duration: int, out: dict) -> None:
    done = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c8",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(ROOT / "bench" / "login.lua"),
            f"{base}/login",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "CSRF": token},
        timeout=duration + 30,
        check=True,
    ).stdout
    out["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", done).group(1))
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", done)
    out["refused"] = int(refused.group(1)) if refused else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="verso-bench-login-"))
    port = free_port()
    env = {**verso_env(data, port), "VERSO_TRUSTED_PROXIES": "127.0.0.1"}
    subprocess.run(
        [str(BIN / "python"), "-c", "from verso.lib.migrate import upgrade_head; upgrade_head()"],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            str(BIN / "verso"),
            "users",
            "create-admin",
            "--email",
            "bench@example.com",
            "--password",
            "bench-password-long",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    proc = start([str(BIN / "verso"), "run", "--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    try:
        while status_of(f"{base}/health") != 200:
            time.sleep(0.05)
        quiet_rps, quiet_p99 = wrk(f"{base}/login", args.duration, 4)
        burst: dict = {}
        thread = threading.Thread(target=login_burst, args=(base, csrf_token(base), args.duration, burst))
        thread.start()
        time.sleep(1)
        busy_rps, busy_p99 = wrk(f"{base}/login", args.duration - 2, 4)
        thread.join()
    finally:
        stop(proc)
    lines = [
        f"# Sign-in benchmark ({time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, one worker)",
        "",
        f"- successful sign-ins (argon2id, argon2-cffi defaults): {burst['rps']:.1f}/s, 8 connections, "
        f"{burst['refused']} refused",
        f"- light page (GET /login) alone: {quiet_rps:,.0f} req/s, p99 {quiet_p99}",
        f"- the same page during the sign-in burst: {busy_rps:,.0f} req/s, p99 {busy_p99}",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / "bench" / "results" / "login.md").write_text(report)


if __name__ == "__main__":
    main()
