"""Checkout benchmarks (issue 5), on 127.0.0.1 only, bounded in time.

1. Completed checkouts per second (budget: 100 on one worker with SQLite). Each virtual customer
   is a fresh browser (one kept-alive connection, see ``Browser``): it opens a product's page, adds
   the product to its cart, fills contact, address and shipping, and pays with the offline provider
   (bank transfer, set up by the demo), which places the order: six requests and one order per
   checkout. Two seconds of the same load come first, unmeasured.
   ``--customers`` of them run at once for ``--duration`` seconds. The server's CPU time per
   completed checkout (from /proc, the whole process tree) is reported too: on a shared, noisy
   machine it moves far less than the rate.
2. No overselling: 50 buyers fill carts with the last 10 units, then all pay at the same moment;
   exactly 10 orders must be placed and the stock must end at 0. On SQLite, and on PostgreSQL with
   ``--postgres URL`` (a database named ``verso_bench_<random>`` is created there and dropped).

Usage: ``python bench/checkout.py [--duration 10] [--customers 16] [--postgres URL]``.
Writes bench/results/checkout.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from run import BIN, ROOT, free_port, start, status_of, stop, verso_env

SETUP = """
import asyncio
from sqlalchemy import delete, select, update
from verso.domains.shop.models import Product, ShippingRate, ShippingZone
from verso.lib.db import session_factory

async def main():
    async with session_factory()() as db:
        await db.execute(delete(ShippingZone))
        zone = ShippingZone(name="France", countries=["FR"], states=[], postcodes=[])
        zone.rates = [ShippingRate(name="Colissimo", kind="flat", price=500, bands=[])]
        db.add(zone)
        await db.flush()
        product = await db.scalar(select(Product).where(Product.slug == {slug!r}))
        product.stock, product.track_stock = {stock}, True
        await db.commit()
        print(zone.rates[0].id, product.id)

asyncio.run(main())
"""
ADDRESS = {
    "name": "Bench Buyer",
    "line1": "1 rue de la Paix",
    "city": "Paris",
    "postcode": "75002",
    "country": "FR",
}
PRODUCT = "stoneware-mug"  # a demo product without variants
WARM_UP_S = 2.0


def python(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(BIN / "python"), "-c", code], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def prepare(data_dir: Path, env: dict[str, str], stock: int) -> tuple[str, str]:
    python("from verso.lib.migrate import upgrade_head; upgrade_head()", env)
    subprocess.run([str(BIN / "verso"), "demo"], env=env, check=True, capture_output=True)
    rate, product = python(SETUP.format(slug=PRODUCT, stock=stock), env).split()
    return rate, product


class Browser:
    """A visitor with its cookies on one kept-alive HTTP/1.1 connection.

    Hand-rolled because the load generator shares this 2-core machine with the server: httpx spends
    about 5 ms of CPU per request, as much as the server, and the run measured the client."""

    def __init__(self, base: str) -> None:
        self.host, port = base.removeprefix("http://").split(":")
        self.port = int(port)
        self.cookies: dict[str, str] = {}
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        """(status, Location header) of one request; the body is read and dropped."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        body = urlencode(form).encode() if form is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            head += [
                "Content-Type: application/x-www-form-urlencoded",
                f"X-CSRFToken: {self.cookies.get('verso_csrf', '')}",
            ]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status = int((await reader.readline()).split()[1])
        location, length, chunked = "", 0, False
        while (line := (await reader.readline()).decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            name, value = name.lower(), value.strip()
            if name == "location":
                location = value
            elif name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "set-cookie":
                cookie, _, attributes = value.partition(";")
                key, _, val = cookie.partition("=")
                if val and "max-age=0" not in attributes.lower():
                    self.cookies[key] = val
                else:
                    self.cookies.pop(key, None)
        if chunked:
            while size := int((await reader.readline()).strip(), 16):
                await reader.readexactly(size + 2)
            await reader.readline()
        else:
            await reader.readexactly(length)
        return status, location

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()


async def fill_cart(browser: Browser, product: str, rate: str, number: int) -> None:
    """A fresh visitor up to the pay step."""
    await browser.request("GET", f"/shop/p/{PRODUCT}")  # where a shopper starts; it sets the CSRF cookie
    steps = [
        ("/cart/items", {"product_id": product, "quantity": "1"}),
        ("/checkout/contact", {"email": f"buyer{number}@example.com", "name": f"Buyer {number}"}),
        ("/checkout/address", ADDRESS),
        ("/checkout/shipping", {"rate": rate}),
    ]
    for url, data in steps:
        status, _ = await browser.request("POST", url, data)
        if status != 303:
            raise RuntimeError(f"{url} answered {status}")


async def pay(browser: Browser) -> bool:
    status, location = await browser.request("POST", "/checkout/pay", {"provider": "bank_transfer"})
    return status == 303 and location.startswith("/orders/")


async def throughput(
    base: str, product: str, rate: str, customers: int, duration: float
) -> tuple[int, int, float]:
    """(completed, failed, seconds) for ``customers`` concurrent virtual customers."""
    done = failed = 0
    counter = iter(range(10**9))
    deadline = time.perf_counter() + duration

    async def customer() -> None:
        nonlocal done, failed
        while time.perf_counter() < deadline:
            browser = Browser(base)
            try:
                await fill_cart(browser, product, rate, next(counter))
                if await pay(browser):
                    done += 1
                else:
                    failed += 1
            except (RuntimeError, OSError, ValueError, asyncio.IncompleteReadError):
                failed += 1
            finally:
                await browser.close()

    started = time.perf_counter()
    await asyncio.gather(*(customer() for _ in range(customers)))
    return done, failed, time.perf_counter() - started


async def race(base: str, product: str, rate: str, buyers: int = 50) -> int:
    """How many of ``buyers`` concurrent payments for the last units placed an order."""
    browsers = [Browser(base) for _ in range(buyers)]
    try:
        for number, browser in enumerate(browsers):
            await fill_cart(browser, product, rate, number)
        results = await asyncio.gather(*(pay(browser) for browser in browsers))
    finally:
        for browser in browsers:
            await browser.close()
    return sum(results)


def tree_cpu_seconds(pgid: int) -> float:
    """User plus system CPU time of every process in the process group (the Granian tree)."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def stock_left(env: dict[str, str], product: str) -> int:
    code = (
        "import asyncio, uuid\nfrom verso.domains.shop.models import Product\n"
        "from verso.lib.db import session_factory\n"
        "async def main():\n    async with session_factory()() as db:\n"
        f"        print((await db.get(Product, uuid.UUID({product!r}))).stock)\n"
        "asyncio.run(main())\n"
    )
    out = python(code, env)
    return int(out) if out.isdigit() else -1


def serve(data_dir: Path, extra: dict[str, str]) -> tuple[subprocess.Popen, str, dict[str, str]]:
    port = free_port()
    env = {**verso_env(data_dir, port), **extra}
    proc = start([str(BIN / "verso"), "run", "--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        if status_of(f"{base}/health") == 200:
            break
        time.sleep(0.1)
    return proc, base, env


def run_engine(label: str, database_url: str | None, args: argparse.Namespace) -> list[str]:
    data_dir = Path(tempfile.mkdtemp(prefix="verso-bench-checkout-"))
    extra = {"VERSO_DATABASE_URL": database_url} if database_url else {}
    extra["VERSO_RUN_WORKER"] = "false"
    lines = []
    try:
        env = {**verso_env(data_dir, 0), **extra}
        rate, product = prepare(data_dir, env, stock=1_000_000)
        proc, base, env = serve(data_dir, extra)
        try:
            print(f"{label}: serving on {base}, pid {proc.pid}", flush=True)
            # Warm up first, as a server that has run a while is: the first checkouts compile every
            # statement and template once (about a second of CPU), which a short run would spread
            # over its few hundred checkouts.
            asyncio.run(throughput(base, product, rate, args.customers, WARM_UP_S))
            cpu_before = tree_cpu_seconds(proc.pid)
            done, failed, seconds = asyncio.run(
                throughput(base, product, rate, args.customers, args.duration)
            )
            cpu = tree_cpu_seconds(proc.pid) - cpu_before
            lines.append(
                f"| {label}: completed checkouts ({args.customers} customers, 6 requests each) | "
                f"{done / seconds:,.1f} checkouts/s ({done} in {seconds:.1f} s, {failed} failed); "
                f"server CPU {cpu / max(done, 1) * 1000:.0f} ms per checkout, "
                f"{cpu / seconds:.0%} of a core |"
            )
            print(lines[-1], flush=True)
            rate, _ = python(SETUP.format(slug=PRODUCT, stock=10), env).split()
            placed = asyncio.run(race(base, product, rate))
            left = stock_left(env, product)
            lines.append(
                f"| {label}: 50 buyers for the last 10 units | {placed} orders placed, stock left {left} |"
            )
        finally:
            stop(proc)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--customers", type=int, default=16)
    parser.add_argument(
        "--postgres", default="", help="server URL, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    rows = run_engine("SQLite", None, args)
    if args.postgres:
        name = f"verso_bench_{secrets.token_hex(4)}"
        admin = args.postgres.replace("+asyncpg", "")
        subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
        try:
            rows += run_engine("PostgreSQL", args.postgres.rsplit("/", 1)[0] + f"/{name}", args)
        finally:
            subprocess.run(
                ["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False
            )
    report = [
        f"# Checkout benchmarks ({time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, one worker)",
        "",
        "| Measure | Result |",
        "|---|---|",
        *rows,
        "",
    ]
    out = ROOT / "bench" / "results" / "checkout.md"
    out.write_text("\n".join(report))
    print("\n".join(report))


if __name__ == "__main__":
    main()
