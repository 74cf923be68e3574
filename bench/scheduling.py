"""Scheduling benchmarks (issue 6), on 127.0.0.1 only, bounded in time.

A data directory with the demo business plus 20 bench staff members (weekdays 09:00-17:00 in the
business zone) who all take one 30-minute type is built once and reused (``--data-dir``, default
``var/bench-scheduling``). Each run then replaces that type's appointments with 2,000 that do not
overlap, spread over the next 31 days, so the figures do not depend on when the data was built.

1. In-process (another Python process in Verso's environment, as a worker would be): the free slots
   for "anyone" across the 20 staff for 31 days, median and p95 over ``--runs`` runs, both the engine
   alone on loaded data (``Board.slots``) and ``load_board`` plus the engine with its database reads
   in a fresh session (budget: under 50 ms).
   Both as wall time and as CPU time of the process (``time.process_time``, the SQLite thread
   included), which others' work on the machine disturbs less.
2. The CPU time of one booking page request, in-process (the app called through ASGI, no network):
   the same URL again (answered by the page cache) and a new URL each time (rendered).
3. One Granian worker on SQLite, wrk beside a bare Litestar route in the same run: the booking page
   for a day with free times, the htmx fragment of that day's times (the same URL with
   ``HX-Request``), and the page with no day chosen (it looks two weeks ahead for the first day with
   times), each the same URL again and again (what the page cache answers) and a new URL every
   request (``nocache.lua``: rendered every time) (budget: 500 req/s).

Usage: ``python bench/scheduling.py [--duration 10] [--connections 32] [--runs 30]``; needs wrk.
Writes bench/results/scheduling.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import BIN, ROOT, free_port, start, status_of, stop, verso_env, wrk

from shop import fetch, python

SLUG, STAFF, APPOINTMENTS, DAYS = "bench-consultation", 20, 2_000, 31
ZONE = "Europe/Paris"  # the demo business's zone

STAFF_SETUP = """
import asyncio
from datetime import time
from verso.domains.identity.models import User
from verso.domains.scheduling.models import AppointmentType, StaffMember, WorkingHours
from verso.lib.db import session_factory

async def main():
    async with session_factory()() as db:
        members = []
        for n in range(STAFF):
            user = User(email=f"bench-staff-{n:02}@example.com", first_name="Bench", last_name=f"{n:02}")
            db.add(user)
            await db.flush()
            member = StaffMember(user_id=user.id, display_name=f"Bench staff {n:02}", timezone=ZONE)
            member.hours = [WorkingHours(weekday=d, start_time=time(9), end_time=time(17)) for d in range(5)]
            members.append(member)
        kind = AppointmentType(name="Bench consultation", slug=SLUG, duration_minutes=30,
                               min_notice_hours=2, booking_window_days=60, reminder_hours=[], questions=[])
        kind.staff = members
        db.add_all([*members, kind])
        await db.commit()

asyncio.run(main())
"""

# Every (staff member, weekday, half-hour) of the next 31 days, 2,000 of them drawn at random: one
# appointment per draw, so no two overlap.
BOOKINGS = """
import asyncio, random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo
from sqlalchemy import delete, select
from verso.domains.scheduling.models import Appointment, AppointmentType, type_staff
from verso.lib import clock
from verso.lib.db import session_factory

async def main():
    zone = ZoneInfo(ZONE)
    today = clock.utcnow().astimezone(zone).date()
    async with session_factory()() as db:
        kind = await db.scalar(select(AppointmentType).where(AppointmentType.slug == SLUG))
        staff = list(await db.scalars(select(type_staff.c.staff_id).where(type_staff.c.type_id == kind.id)))
        await db.execute(delete(Appointment).where(Appointment.type_id == kind.id))
        days = [today + timedelta(days=n) for n in range(DAYS)]
        places = [(s, d, k) for s in staff for d in days if d.weekday() < 5 for k in range(16)]
        for member, day, k in random.Random(6).sample(places, APPOINTMENTS):
            begin = datetime.combine(day, time(9), zone) + timedelta(minutes=30 * k)
            db.add(Appointment(type_id=kind.id, staff_id=member, start_at=begin,
                               end_at=begin + timedelta(minutes=30), seats_taken=1))
        await db.commit()

asyncio.run(main())
"""

TIMING = """
import asyncio, json, time
from datetime import timedelta
from zoneinfo import ZoneInfo
from sqlalchemy import select
from verso.domains.scheduling.models import AppointmentType
from verso.domains.scheduling.services import load_board
from verso.domains.scheduling.slots import utc_range
from verso.lib import clock
from verso.lib.db import session_factory

async def main():
    zone = ZoneInfo(ZONE)
    now = clock.utcnow()
    today = now.astimezone(zone).date()
    start, end = utc_range(today, today + timedelta(days=DAYS - 1), zone)
    engine, loaded, engine_cpu, loaded_cpu = [], [], [], []
    for run in range(3 + RUNS):  # the first three warm up
        async with session_factory()() as db:
            kind = await db.scalar(select(AppointmentType).where(AppointmentType.slug == SLUG))
            began, cpu = time.perf_counter(), time.process_time()
            board = await load_board(db, kind, start, end)
            slots = board.slots(start, end, now)
            loaded.append(time.perf_counter() - began)
            loaded_cpu.append(time.process_time() - cpu)
        began, cpu = time.perf_counter(), time.process_time()
        board.slots(start, end, now)
        engine.append(time.perf_counter() - began)
        engine_cpu.append(time.process_time() - cpu)
    days = sorted({slot.start.astimezone(zone).date() for slot in slots})
    print(json.dumps({
        "engine": engine[3:], "loaded": loaded[3:], "engine_cpu": engine_cpu[3:],
        "loaded_cpu": loaded_cpu[3:], "staff": len(board.calendars),
        "bookings": len(board.bookings), "slots": len(slots),
        "offers": sum(len(slot.staff) for slot in slots), "day": days[len(days) // 2].isoformat(),
    }))

asyncio.run(main())
"""

# CPU time per request of the booking page for DAY, called in-process through ASGI: the same URL
# (a page-cache hit after the first) and a new URL each time (rendered), as full page and fragment.
PAGE_CPU = """
import asyncio, json, time
import httpx
from verso.app import create_app

async def main():
    app = create_app()
    page = f"/book/{SLUG}?date={DAY}"
    cases = {"page_hit": (page, {}), "page": (page + "&nocache=", {}),
             "fragment": (page + "&nocache=", {"HX-Request": "true"}),
             "no_day": (f"/book/{SLUG}?nocache=", {})}
    result = {}
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for name, (url, headers) in cases.items():
                new = url.endswith("=")
                for n in range(10):  # warm up
                    await client.get(url + f"w{n}" if new else url, headers=headers)
                count = 60 if name == "no_day" else 200
                began = time.process_time()
                for n in range(count):
                    answer = await client.get(url + str(n) if new else url, headers=headers)
                    assert answer.status_code == 200 and (answer.headers.get("x-cache") == "hit") == (not new)
                result[name] = (time.process_time() - began) / count
    print(json.dumps(result))

asyncio.run(main())
"""

HTMX = 'wrk.headers["HX-Request"] = "true"\n'


def script(code: str, env: dict[str, str], **values: object) -> str:
    """Run one of the scripts above with this file's sizes (and ``values``) bound as its globals."""
    sizes = {"SLUG": SLUG, "STAFF": STAFF, "APPOINTMENTS": APPOINTMENTS, "DAYS": DAYS, "ZONE": ZONE, **values}
    return python("".join(f"{name} = {value!r}\n" for name, value in sizes.items()) + code, env)


def prepare(data_dir: Path) -> None:
    env = verso_env(data_dir, 0)
    marker = data_dir / "bench-scheduling.done"
    python(
        "from verso.lib.migrate import upgrade_head; upgrade_head()", env
    )  # also a data dir made before a migration
    if not marker.exists():
        subprocess.run([str(BIN / "verso"), "demo"], env=env, check=True, capture_output=True)
        script(STAFF_SETUP, env)
        marker.touch()
    script(BOOKINGS, env)


def ms(times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[18]
    return f"{statistics.median(times) * 1000:.1f} ms | {p95 * 1000:.1f} ms"


def cpu(seconds: float) -> str:
    """A CPU time per request, and the most requests per second one core could serve at that cost."""
    return f"{seconds * 1000:.2f} ms | {1 / seconds:,.0f} req/s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench-scheduling")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(BIN / "python"), "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    prepare(args.data_dir)

    port, bare_port = free_port(), free_port()
    env = verso_env(args.data_dir, port)
    load = os.getloadavg()[0]  # others' work on the machine slows every figure below
    timing = json.loads(script(TIMING, env, RUNS=args.runs))
    lines = [
        f"# Scheduling benchmarks ({time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, "
        f"load average {load:.1f} before the in-process runs)",
        "",
        f'Slots for "anyone" over {DAYS} days: {timing["staff"]} staff, {timing["bookings"]:,} existing '
        f"appointments in the range, {timing['slots']:,} free starts ({timing['offers']:,} staff offers); "
        f"{args.runs} runs in-process.",
        "",
        "| Measure | median | p95 | median CPU | budget |",
        "|---|---|---|---|---|",
        f"| engine alone (`Board.slots`, data loaded) | {ms(timing['engine'])} | "
        f"{statistics.median(timing['engine_cpu']) * 1000:.1f} ms | < 50 ms |",
        f"| `load_board` + `Board.slots` (fresh session, SQLite) | {ms(timing['loaded'])} | "
        f"{statistics.median(timing['loaded_cpu']) * 1000:.1f} ms | < 50 ms |",
        "",
    ]
    page_cpu = json.loads(script(PAGE_CPU, env, DAY=timing["day"]))
    lines += [
        f"CPU time of one request in-process (ASGI, no network), the booking page for {timing['day']}:",
        "",
        "| Request | CPU per request | one core's ceiling at that cost |",
        "|---|---|---|",
        f"| the same URL again (page cache hit) | {cpu(page_cpu['page_hit'])} |",
        f"| a new URL each time: full page (rendered) | {cpu(page_cpu['page'])} |",
        f"| a new URL each time: htmx fragment of the times | {cpu(page_cpu['fragment'])} |",
        f"| a new URL each time: no day chosen (looks 14 days ahead) | {cpu(page_cpu['no_day'])} |",
        "",
    ]

    base = f"http://127.0.0.1:{port}"
    page = f"{base}/book/{SLUG}?date={timing['day']}"
    proc = start([str(BIN / "verso"), "run", "--port", str(port)], env)
    granian = [str(BIN / "granian"), "--interface", "asgi", "--workers", "1", "--no-ws"]
    bare = start(
        [*granian, "--port", str(bare_port), "bench.bare_app:app"], {**os.environ, "PYTHONPATH": str(ROOT)}
    )
    with tempfile.TemporaryDirectory() as scratch:
        htmx_script = Path(scratch) / "htmx.lua"  # absolute, so wrk() reads it from here, not bench/
        htmx_script.write_text(HTMX)
        htmx_nocache = Path(scratch) / "htmx-nocache.lua"
        htmx_nocache.write_text(HTMX + (ROOT / "bench" / "nocache.lua").read_text())
        try:
            while status_of(f"{base}/health") != 200 or status_of(f"http://127.0.0.1:{bare_port}/") != 200:
                time.sleep(0.05)
            times = f'href="/book/{SLUG}/details?'
            fragment = urllib.request.Request(page, headers={"HX-Request": "true"})
            shown = fetch(page).count(times)
            assert (
                shown and urllib.request.urlopen(fragment, timeout=10).read().decode().count(times) == shown
            )
            lines.append(
                f"One Granian worker, SQLite, {args.connections} connections, {args.duration} s each (wrk); "
                f"the day shown ({timing['day']}) offers {shown} times."
            )
            # name: (url, wrk script, budget)
            budget = "500 req/s (3.3% of 15,000)"
            budgets = {
                "bare Litestar route": (f"http://127.0.0.1:{bare_port}/", None, None),
                "booking page, a day with times, same URL (cached)": (page, None, budget),
                "that day's times, htmx fragment, same URL (cached)": (page, str(htmx_script), budget),
                "booking page, no day chosen, same URL (cached)": (f"{base}/book/{SLUG}", None, "report"),
                "booking page, a day with times, new URL each time": (page, "nocache.lua", budget),
                "that day's times, htmx fragment, new URL each time": (page, str(htmx_nocache), budget),
                "booking page, no day chosen (looks 14 days ahead), new URL each time": (
                    f"{base}/book/{SLUG}?staff=",
                    "nocache.lua",
                    "report",
                ),
            }
            results = {}
            for name, (url, lua, _budget) in budgets.items():
                fetch(url)
                results[name] = wrk(url, args.duration, args.connections, script=lua)
            ceiling = results["bare Litestar route"][0]
            lines.append("")
            lines.append("| Route | req/s | p99 | share of bare | budget |")
            lines.append("|---|---|---|---|---|")
            for name, (rps, p99) in results.items():
                budget = budgets[name][2] or "ceiling"
                lines.append(f"| {name} | {rps:,.0f} | {p99} | {rps / ceiling:.1%} | {budget} |")
        finally:
            stop(proc)
            stop(bare)
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / "bench" / "results" / "scheduling.md").write_text(report)


if __name__ == "__main__":
    main()
