"""The checkout's cost counted in-process, where a noisy machine cannot blur it (issue 5).

The app is driven by ASGI calls, no HTTP, on a fresh SQLite database with the demo shop, through
the six requests of ``bench/checkout.py``. After a warm-up:

- ``calls``: Python function calls per request and per checkout (cProfile's count, repeatable run
  to run), one customer at a time;
- ``cpu``: ``--customers`` customers at once, each doing ``--checkouts`` checkouts; prints the
  process's CPU time per checkout. Under ``valgrind --tool=callgrind --instr-atstart=no`` the
  measured part is switched on and off with ``callgrind_control``, so callgrind's total is the
  instructions of just those checkouts (divide by the number printed).

Usage: ``python bench/checkout_calls.py calls [--checkouts 40]`` or
``valgrind --tool=callgrind --instr-atstart=no python bench/checkout_calls.py cpu --checkouts 2``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from checkout import ADDRESS, PRODUCT, prepare
from run import verso_env

WARM_UP = 20


class Client:
    """One visitor's cookies, sending ASGI requests straight to the app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, form: dict[str, str] | None = None) -> int:
        body = urlencode(form).encode() if form is not None else b""
        headers = [(b"host", b"127.0.0.1:8000"), (b"content-length", str(len(body)).encode())]
        if self.cookies:
            headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()).encode()))
        if form is not None:
            headers += [
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"x-csrftoken", self.cookies.get("verso_csrf", "").encode()),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "state": {},
            "extensions": {},
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status = 0

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.sleep(3600)  # the client never disconnects
            return {}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] != "http.response.start":
                return
            status = message["status"]
            for name, value in message["headers"]:
                if name.lower() == b"set-cookie":
                    cookie, _, attributes = value.decode().partition(";")
                    key, _, val = cookie.partition("=")
                    if val and "max-age=0" not in attributes.lower():
                        self.cookies[key] = val
                    else:
                        self.cookies.pop(key, None)

        await self.app(scope, receive, send)
        return status


def steps(product: str, rate: str, number: int) -> list[tuple[str, str, dict[str, str] | None]]:
    return [
        ("GET", f"/shop/p/{PRODUCT}", None),
        ("POST", "/cart/items", {"product_id": product, "quantity": "1"}),
        ("POST", "/checkout/contact", {"email": f"buyer{number}@example.com", "name": f"Buyer {number}"}),
        ("POST", "/checkout/address", ADDRESS),
        ("POST", "/checkout/shipping", {"rate": rate}),
        ("POST", "/checkout/pay", {"provider": "bank_transfer"}),
    ]


async def checkout(
    app: Any, product: str, rate: str, number: int, calls: dict[str, int] | None = None
) -> None:
    """One checkout; with ``calls``, each request's Python calls are added to it by path."""
    client = Client(app)
    for method, path, form in steps(product, rate, number):
        if calls is None:
            status = await client.request(method, path, form)
        else:
            profile = cProfile.Profile()
            profile.enable()
            status = await client.request(method, path, form)
            profile.disable()
            counted: int = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
            calls[path] = calls.get(path, 0) + counted
        if status not in (200, 303):
            raise RuntimeError(f"{path} answered {status}")


def _callgrind(switch: str) -> None:
    """Count instructions from here (``on``) or stop (``off``) when running under callgrind."""
    if shutil.which("callgrind_control"):
        subprocess.run(
            ["callgrind_control", "-i", switch, str(os.getpid())], capture_output=True, check=False
        )


async def measure(args: argparse.Namespace, product: str, rate: str) -> None:
    from verso.app import create_app

    app = create_app()
    async with app.lifespan():
        for number in range(WARM_UP):
            await checkout(app, product, rate, 10**6 + number)
        if args.mode == "calls":
            calls: dict[str, int] = {}
            for number in range(args.checkouts):
                await checkout(app, product, rate, number, calls)
            for path, count in calls.items():
                print(f"{path:28s} {count / args.checkouts:8,.0f} calls")
            print(f"per checkout {sum(calls.values()) / args.checkouts:,.0f} calls")
            return

        async def customer(index: int) -> None:
            for number in range(args.checkouts):
                await checkout(app, product, rate, index * 10_000 + number)

        _callgrind("on")
        started = time.process_time()
        await asyncio.gather(*(customer(index) for index in range(args.customers)))
        spent = time.process_time() - started
        _callgrind("off")
        total = args.customers * args.checkouts
        print(f"{total} checkouts, {args.customers} at once: CPU {spent / total * 1000:.2f} ms per checkout")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("calls", "cpu"))
    parser.add_argument("--checkouts", type=int, default=40)
    parser.add_argument("--customers", type=int, default=16)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="verso-bench-calls-"))
    try:
        env = {**verso_env(data_dir, 8000), "VERSO_RUN_WORKER": "false"}
        rate, product = prepare(data_dir, env, stock=1_000_000)
        os.environ.update(env)
        asyncio.run(measure(args, product, rate))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
