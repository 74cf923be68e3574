"""The lowest CPU a checkout can cost on this stack, whatever the checkout's own code does (issue 5).

A completed checkout is six requests and the SQL statements they run. This measures, in-process
(ASGI calls as in ``checkout_calls.py``, 16 customers at once, after a warm-up), what those cost
before any checkout logic:

1. the statements: one real checkout is run with a listener on the engine, which records how many
   reads and writes each request's transaction runs (the checkout's own shape, not a hard-coded
   list); that shape is then replayed with the cheapest statements there are (a prebuilt Core
   ``SELECT`` and ``UPDATE`` of one row by primary key, through ``AsyncSession`` as the services
   run them, one commit per request); and, for scale, five transactions of one write each;
2. the requests: a POST to a route added here that takes the request's database session and
   redirects, doing nothing else, through Verso's full middleware (session, CSRF, permissions,
   security headers, observability); the product page GET is a cached page and costs less;
3. the real checkout, for comparison (``checkout_calls.py cpu``'s figure).

The floor is (1) plus six times (2); ``1000 / floor`` is the most checkouts a second one process
could complete on this machine with the checkout's statements run through SQLAlchemy's async layer,
which is what the architecture prescribes (SQLAlchemy 2 async over aiosqlite and asyncpg).

Usage: ``python bench/checkout_floor.py [--rounds 40]``.
"""

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from checkout import PRODUCT, prepare
from checkout_calls import Client, checkout, steps
from run import verso_env

CUSTOMERS = 16
NOOP = "/bench/noop"


def noop_route() -> Any:
    """A POST that takes the request's session and redirects: the framework's share of a step.

    (Its annotations must be objects, not strings: Litestar resolves them in this module's globals,
    hence no ``from __future__ import annotations`` here.)"""
    from litestar import post
    from litestar.response import Redirect

    from verso.domains.identity.permissions import PUBLIC
    from verso.lib.db import DbSession

    @post(NOOP, permission=PUBLIC, module="shop")
    async def noop(db_session: DbSession) -> Redirect:
        return Redirect("/checkout", status_code=303)

    return noop


async def shape_of_checkout(app: Any, product: str, rate: str) -> list[tuple[int, int]]:
    """(reads, writes) that each request of one real checkout runs."""
    from sqlalchemy import event

    from verso.lib.db import get_engine

    counts = [0, 0]

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counts[0 if statement.lstrip().upper().startswith("SELECT") else 1] += 1

    sync_engine = get_engine().sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    shape = []
    try:
        client = Client(app)
        for method, path, form in steps(product, rate, 999_999):
            counts[:] = [0, 0]
            await client.request(method, path, form)
            if counts != [0, 0]:
                shape.append((counts[0], counts[1]))
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    return shape


async def cpu_per_round(rounds: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Milliseconds of process CPU per call of ``one``, with CUSTOMERS running at once."""

    async def customer(index: int, count: int) -> None:
        for number in range(count):
            await one(index * 100_000 + number)

    await asyncio.gather(*(customer(index, 2) for index in range(CUSTOMERS)))
    started = time.process_time()
    await asyncio.gather(*(customer(index, rounds) for index in range(CUSTOMERS)))
    return (time.process_time() - started) / (CUSTOMERS * rounds) * 1000


async def measure(rounds: int, product: str, rate: str) -> None:
    from sqlalchemy import bindparam, insert, select, update

    from verso.app import create_app
    from verso.domains.orders.models import OrderCounter
    from verso.lib.db import session_factory

    app = create_app()
    app.register(noop_route())
    async with app.lifespan():
        for number in range(20):
            await checkout(app, product, rate, 10**7 + number)
        shape = await shape_of_checkout(app, product, rate)
        table = OrderCounter.__table__
        sessions = session_factory()
        async with sessions() as session:
            await session.execute(insert(table).values(year=1900, last=0))
            await session.commit()
        read = select(table.c.last).where(table.c.year == bindparam("which"))
        write = update(table).where(table.c.year == bindparam("which")).values(last=table.c.last + 1)

        async def replay(steps: list[tuple[int, int]]) -> None:
            for reads, writes in steps:
                async with sessions() as session:
                    for _ in range(reads):
                        await session.execute(read, {"which": 1900})
                    for _ in range(writes):
                        await session.execute(write, {"which": 1900})
                    await session.commit()

        clients = [Client(app) for _ in range(CUSTOMERS * (rounds + 2))]
        for client in clients[: CUSTOMERS * 2]:
            await client.request("GET", f"/shop/p/{PRODUCT}")

        async def request(number: int) -> None:
            client = clients[number % len(clients)]
            if not client.cookies:
                await client.request("GET", f"/shop/p/{PRODUCT}")
            if await client.request("POST", NOOP, {}) != 303:
                raise RuntimeError("the empty POST did not redirect")

        async def real(number: int) -> None:
            await checkout(app, product, rate, number)

        sql_ms = await cpu_per_round(rounds, lambda _number: replay(shape))
        least_ms = await cpu_per_round(rounds, lambda _number: replay([(0, 1)] * len(shape)))
        post_ms = await cpu_per_round(rounds * 6, request)
        real_ms = await cpu_per_round(rounds, real)

    reads, writes = sum(r for r, _ in shape), sum(w for _, w in shape)
    floor = sql_ms + 6 * post_ms
    per_statement = (sql_ms - least_ms) / (reads + writes - len(shape))
    print(f"checkout's statements: {reads} reads, {writes} writes in {len(shape)} transactions")
    print(f"1. those statements, prebuilt Core through AsyncSession: {sql_ms:.2f} ms CPU")
    print(
        f"   ({least_ms:.2f} ms for one write per transaction; so {least_ms / len(shape):.2f} ms per"
        f" transaction of one write and {per_statement:.2f} ms per further statement)"
    )
    print(f"2. an empty POST through the middleware: {post_ms:.2f} ms CPU (x6 = {6 * post_ms:.2f})")
    print(f"floor: {floor:.2f} ms CPU per checkout, at most {1000 / floor:.0f} checkouts/s on one core")
    print(f"3. the real checkout: {real_ms:.2f} ms CPU, at most {1000 / real_ms:.0f} checkouts/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="verso-bench-floor-"))
    try:
        env = {**verso_env(data_dir, 8000), "VERSO_RUN_WORKER": "false", "VERSO_SLOW_QUERY_MS": "60000"}
        rate, product = prepare(data_dir, env, stock=1_000_000)
        os.environ.update(env)
        asyncio.run(measure(args.rounds, product, rate))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
