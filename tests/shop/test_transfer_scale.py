"""How long a 10,000-product import takes (check, then apply) and the export after it.

Skipped unless ``VERSO_TRANSFER_BENCH=1`` (it takes a minute or two); run it with ``-s`` to see the
figures, e.g. ``VERSO_TRANSFER_BENCH=1 .venv/bin/python -m pytest tests/shop/test_transfer_scale.py -s``.
``VERSO_TRANSFER_PRODUCTS`` and ``VERSO_TRANSFER_SIZES`` (variants per product, 0 for none) change the file.
"""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import func, select

from tests.shop.test_transfer import BY, csv_text, export_text, fresh_run, row, run_jobs
from verso.domains import shop
from verso.domains.shop.models import Product, ProductVariant
from verso.domains.shop.services import ImportRunService, _csv_apply
from verso.domains.shop.services._csv_format import header_row
from verso.lib import jobs

pytestmark = pytest.mark.skipif(
    not os.environ.get("VERSO_TRANSFER_BENCH"), reason="a benchmark: set VERSO_TRANSFER_BENCH=1"
)
PRODUCTS = int(os.environ.get("VERSO_TRANSFER_PRODUCTS", "10000"))
SIZES = int(os.environ.get("VERSO_TRANSFER_SIZES", "3"))


def generated_file(price: str = "12.50") -> str:
    sizes = ["S", "M", "L", "XL", "XXL"][:SIZES]
    rows = []
    for n in range(PRODUCTS):
        product = {
            "slug": f"product-{n:05d}",
            "name": f"Product {n}",
            "status": "active",
            "description": f"A **good** thing, number {n}.\n\n- sturdy\n- cheap",
            "price": price,
            "sku": f"P{n:05d}",
            "stock": "5",
            "tags": "bench, generated",
        }
        if not sizes:
            rows.append(row(**product))
        for i, size in enumerate(sizes):
            cells = product if i == 0 else {"slug": product["slug"]}
            rows.append(
                row(
                    **cells,
                    option1_name="Size",
                    option1_value=size,
                    variant_sku=f"P{n:05d}-{size}",
                    variant_stock="2",
                )
            )
    return csv_text(rows, header_row(2))


class Clock:
    """Wall and CPU seconds of a stretch of work, and when the import's first write happened."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.first_write: float | None = None

    def elapsed(self) -> str:
        return f"{time.perf_counter() - self.wall:.1f} s ({time.process_time() - self.cpu:.1f} s CPU)"

    def locked(self) -> str:
        return f"{time.perf_counter() - self.first_write:.1f} s" if self.first_write else "-"


async def timed_import(db_session, text: str, monkeypatch) -> tuple[str, str, str, dict]:
    """Upload, check and apply ``text``; returns the check's and the apply's times, how long the
    apply held the write lock (first write to commit), and the counts."""
    jobs.register(shop.jobs)
    run = await ImportRunService(session=db_session).upload(text.encode(), "bench.csv", currency="EUR", by=BY)
    await db_session.commit()
    run_id = run.id
    clock = Clock()
    await run_jobs()
    checked = clock.elapsed()
    run = await fresh_run(db_session, run_id)
    assert run.status == "ready", run.errors[:5]
    await ImportRunService(session=db_session).start_apply(run, by=BY)
    await db_session.commit()
    clock = Clock()
    first_write = _csv_apply._attribute_values

    async def noted(*args, **kwargs):
        clock.first_write = time.perf_counter()
        return await first_write(*args, **kwargs)

    monkeypatch.setattr(_csv_apply, "_attribute_values", noted)
    await run_jobs()
    applied, locked = clock.elapsed(), clock.locked()
    run = await fresh_run(db_session, run_id)
    assert run.status == "done", run.message
    return checked, applied, locked, run.summary["counts"]


async def test_ten_thousand_products(db_session, monkeypatch) -> None:
    text = generated_file()
    print(f"\nfile: {PRODUCTS} products, {PRODUCTS * max(SIZES, 1)} rows, {len(text.encode()) / 1e6:.1f} MB")
    checked, applied, locked, counts = await timed_import(db_session, text, monkeypatch)
    print(f"create: check {checked}, apply {applied}, write lock {locked}\n  {counts}")
    assert await db_session.scalar(select(func.count()).select_from(Product)) == PRODUCTS
    assert await db_session.scalar(select(func.count()).select_from(ProductVariant)) == PRODUCTS * SIZES
    clock = Clock()
    exported = await export_text()
    print(f"export: {clock.elapsed()}, {len(exported.encode()) / 1e6:.1f} MB")
    checked, applied, locked, counts = await timed_import(db_session, exported, monkeypatch)
    print(f"same file again: check {checked}, apply {applied}, write lock {locked}")
    assert counts["products_unchanged"] == PRODUCTS
    checked, applied, locked, counts = await timed_import(
        db_session, generated_file(price="13.00"), monkeypatch
    )
    print(f"every price changed: check {checked}, apply {applied}, write lock {locked}")
    assert counts["products_update"] == PRODUCTS
