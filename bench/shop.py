"""Storefront benchmarks (issue 4), on 127.0.0.1 only, bounded in time.

A data directory with the demo business plus ``shop_data.py``'s large catalogue (10,000 products,
50,000 variants) is built once and reused (``--data-dir``, default ``var/bench-shop``). Then one
Granian worker serves it on SQLite and wrk measures, in the same run as a bare Litestar route:

- the anonymous product page and category page (budget: 20% of the bare route, p99 under 25 ms);
- the same product page for a signed-in customer (budget: 1,000 req/s);
- search (budget: 400 req/s).

Before measuring it checks the cache is correct: a price changed by another process shows on the
next request. Usage: ``python bench/shop.py [--duration 10] [--connections 32]``; needs wrk.
Writes bench/results/shop.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import BIN, ROOT, free_port, start, status_of, stop, verso_env, wrk

CUSTOMER = "bench-customer@example.com"
PRODUCT, CATEGORY, QUERY = "bench-4242", "bench-mugs", "linen mug"


def python(code: str, env: dict[str, str]) -> str:
    """Run ``code`` in Verso's environment (another process, as another worker would be)."""
    done = subprocess.run(
        [str(BIN / "python"), "-c", code], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def prepare(data_dir: Path, products: int) -> None:
    env = verso_env(data_dir, 0)
    marker = data_dir / f"bench-{products}.done"
    if marker.exists():
        return
    python("from verso.lib.migrate import upgrade_head; upgrade_head()", env)
    subprocess.run([str(BIN / "verso"), "demo"], env=env, check=True, capture_output=True)
    subprocess.run(
        [str(BIN / "python"), str(ROOT / "bench" / "shop_data.py"), "--products", str(products)],
        env=env,
        check=True,
    )
    python(
        "import asyncio\n"
        "from verso.domains.identity.services import UserService\n"
        "from verso.lib.audit import Actor\n"
        "from verso.lib.db import session_factory\n"
        "async def main():\n"
        "    async with session_factory()() as db:\n"
        f"        await UserService(session=db).create_account(email={CUSTOMER!r}, password='x' * 20,"
        " roles=['user'], actor=Actor(label='bench'), email_verified=True)\n"
        "        await db.commit()\n"
        "asyncio.run(main())\n",
        env,
    )
    marker.touch()


def session_cookie(env: dict[str, str]) -> str:
    token = python(
        "import asyncio\n"
        "from sqlalchemy import select\n"
        "from verso.domains.identity.models import User\n"
        "from verso.domains.identity.services import SessionService\n"
        "from verso.lib.db import session_factory\n"
        "async def main():\n"
        "    async with session_factory()() as db:\n"
        f"        user = await db.scalar(select(User).where(User.email == {CUSTOMER!r}))\n"
        "        token = await SessionService(session=db).start(user, ip='127.0.0.1', user_agent='wrk')\n"
        "        await db.commit()\n"
        "        print(token)\n"
        "asyncio.run(main())\n",
        env,
    )
    return f"verso_session={token}"


def set_price(env: dict[str, str], price: int) -> None:
    python(
        "import asyncio\n"
        "from sqlalchemy import select\n"
        "from verso.domains.shop.models import Product\n"
        "from verso.domains.shop.services import catalog_changed\n"
        "from verso.lib.db import session_factory\n"
        "async def main():\n"
        "    async with session_factory()() as db:\n"
        f"        product = await db.scalar(select(Product).where(Product.slug == {PRODUCT!r}))\n"
        f"        product.price = {price}\n"
        "        catalog_changed(db)\n"
        "        await db.commit()\n"
        "asyncio.run(main())\n",
        env,
    )


def fetch(url: str, cookie: str | None = None) -> str:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    return urllib.request.urlopen(request, timeout=10).read().decode()


def browser_cookies(url: str, session: str) -> str:
    """``session`` plus the CSRF cookie the first page sets: a signed-in browser sends both back,
    and without the second every answer would mint and set a new CSRF token."""
    request = urllib.request.Request(url, headers={"Cookie": session})
    with urllib.request.urlopen(request, timeout=10) as answer:
        set_cookies = answer.headers.get_all("set-cookie") or []
    csrf = [c.split(";", 1)[0] for c in set_cookies if c.startswith("verso_csrf=")]
    return "; ".join([session, *csrf])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench-shop")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    prepare(args.data_dir, args.products)

    port, bare_port = free_port(), free_port()
    env = verso_env(args.data_dir, port)
    base = f"http://127.0.0.1:{port}"
    lines = [
        f"# Storefront benchmarks ({time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, "
        f"one Granian worker, SQLite, {args.connections} connections, {args.duration} s each)",
        "",
    ]
    proc = start([str(BIN / "verso"), "run", "--port", str(port)], env)
    granian = [str(BIN / "granian"), "--interface", "asgi", "--workers", "1", "--no-ws"]
    bare = start(
        [*granian, "--port", str(bare_port), "bench.bare_app:app"], {**os.environ, "PYTHONPATH": str(ROOT)}
    )
    try:
        while status_of(f"{base}/health") != 200 or status_of(f"http://127.0.0.1:{bare_port}/") != 200:
            time.sleep(0.05)
        product_url = f"{base}/shop/p/{PRODUCT}"
        cookie = browser_cookies(product_url, session_cookie(env))
        for price, shown in ((1234, "12.34"), (5678, "56.78")):
            fetch(product_url)  # cached at the old price
            set_price(env, price)
            assert shown in fetch(product_url), f"stale price: {shown} not on the page"
        lines.append("- cache check: a price changed by another process shows on the next request: yes")
        search = f"{base}/shop/search?q={QUERY.replace(' ', '+')}"
        # name: (url, cookie, wrk script, budget)
        budgets = {
            "bare Litestar route": (f"http://127.0.0.1:{bare_port}/", None, None, None),
            "product page, anonymous": (product_url, None, None, "20% of bare, p99 < 25 ms"),
            "category page, anonymous": (f"{base}/shop/c/{CATEGORY}", None, None, "20% of bare, p99 < 25 ms"),
            "product page, signed in": (product_url, cookie, None, "1,000 req/s"),
            "search, the same query again and again": (search, None, None, "400 req/s"),
            "search, every request a new URL (no cache)": (search, None, "nocache.lua", "400 req/s"),
            "product page, every request a new URL (no cache)": (
                f"{product_url}?x=1",
                None,
                "nocache.lua",
                "report",
            ),
        }
        results = {}
        for name, (url, with_cookie, script, _budget) in budgets.items():
            fetch(url, with_cookie)  # warm: one render, then what a visitor after the first one gets
            results[name] = wrk(url, args.duration, args.connections, with_cookie, script)
        ceiling = results["bare Litestar route"][0]
        lines.append("")
        lines.append("| Route | req/s | p99 | share of bare | budget |")
        lines.append("|---|---|---|---|---|")
        for name, (rps, p99) in results.items():
            budget = budgets[name][3] or "ceiling"
            lines.append(f"| {name} | {rps:,.0f} | {p99} | {rps / ceiling:.0%} | {budget} |")
    finally:
        stop(proc)
        stop(bare)
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / "bench" / "results" / "shop.md").write_text(report)


if __name__ == "__main__":
    main()
