"""CSV export and import of products with variants, through the services and the real job worker:
the file format, the formula guard, the round trip, errors by row (nothing written), updates by slug,
variants and new attribute values, progress, and the apply being all or nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select

from tests.shop.helpers import ACTOR, make_attribute, make_product
from verso.domains import shop
from verso.domains.shop.forms import ProductForm, VariantForm
from verso.domains.shop.models import (
    Attribute,
    AttributeValue,
    Category,
    ImportRun,
    Product,
    ProductAttribute,
    ProductVariant,
)
from verso.domains.shop.services import (
    ExportFilter,
    ImportRunService,
    ProductError,
    Uploader,
    VariantService,
    _csv_apply,
    _csv_runs,
    catalog_version,
    export_csv,
)
from verso.domains.shop.services._csv_format import guard, header_row, unguard
from verso.domains.shop.services._csv_values import resolved_form
from verso.lib import jobs
from verso.lib.audit import AuditLog
from verso.lib.db import session_factory
from verso.lib.forms import parse_form

BY = Uploader(None, "importer@example.com")
HEADER = header_row(2)


@pytest.fixture(autouse=True)
def _shop_jobs() -> None:
    jobs.register(shop.jobs)


async def run_jobs() -> int:
    """Run every queued job the way the background worker does; returns how many ran."""
    worker = jobs.Worker(worker_id="transfer-tests", session_maker=session_factory())
    total = 0
    while ran := await worker.run_once(cron=False):
        total += ran
    return total


async def export_text(selection: ExportFilter | None = None) -> str:
    chunks = [chunk async for chunk in export_csv(session_factory(), "EUR", selection)]
    return b"".join(chunks).decode("utf-8")


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def csv_text(rows: list[list[str]], header: list[str] | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def row(**cells: str) -> list[str]:
    """A data row for :data:`HEADER` from column headers given as keyword-friendly names."""
    names = {
        h.lower().replace(" ", "_").replace("-", "_").replace("(", "").replace(")", ""): h for h in HEADER
    }
    values = dict.fromkeys(HEADER, "")
    for key, value in cells.items():
        values[names[key]] = value
    return [values[h] for h in HEADER]


async def upload(db_session, text: str | bytes, filename: str = "products.csv") -> Any:
    data = text.encode("utf-8") if isinstance(text, str) else text
    run = await ImportRunService(session=db_session).upload(data, filename, currency="EUR", by=BY)
    await db_session.commit()
    return run.id


async def fresh_run(db_session, run_id) -> ImportRun:
    db_session.expire_all()
    return await db_session.get_one(ImportRun, run_id)


async def check(db_session, text: str | bytes) -> ImportRun:
    run_id = await upload(db_session, text)
    assert await run_jobs() == 1
    return await fresh_run(db_session, run_id)


async def apply(db_session, run: ImportRun) -> ImportRun:
    run_id = run.id
    await ImportRunService(session=db_session).start_apply(run, by=BY)
    await db_session.commit()
    assert await run_jobs() == 1
    return await fresh_run(db_session, run_id)


async def count(db_session, model) -> int:
    return await db_session.scalar(select(func.count()).select_from(model)) or 0


async def version(db_session) -> int:
    return await db_session.scalar(select(catalog_version.c.version)) or 0


async def tee_with_variants(db_session) -> Product:
    """A product with a Size x Colour grid (4 variants), a category, tags and a tricky description."""
    db_session.add(Category(name="Clothes", slug="clothes"))
    await db_session.commit()
    category_id = await db_session.scalar(select(Category.id))
    size = await make_attribute(db_session, "Size", ["S", "M"])
    colour = await make_attribute(db_session, "Colour", ["Red", "Blue"], kind="color")
    tee = await make_product(
        db_session,
        "Tee",
        price=1990,
        compare_at_price=2490,
        cost=700,
        sku="TEE",
        description='Soft **cotton**.\n\n- line one\n- line "two", with commas',
        tags=["Summer, cotton"],
        category_id=category_id,
        weight_grams=180,
    )
    await VariantService(session=db_session).set_axes(
        tee,
        {size.id: [v.id for v in size.values], colour.id: [v.id for v in colour.values]},
        actor=ACTOR,
    )
    await db_session.commit()
    for variant in (await db_session.scalars(select(ProductVariant).order_by(ProductVariant.position))).all():
        variant.sku = f"TEE-{variant.name.replace(' / ', '-')}"
        variant.stock = variant.position + 1
    first = (await db_session.scalars(select(ProductVariant).where(ProductVariant.position == 0))).one()
    first.price_adjustment = -150
    await db_session.commit()
    return tee


# -- the format ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"name": "Mug", "price": "12.50", "stock": "3", "track_stock": "on", "tags": "a, b"},
        {"name": "", "price": "", "stock": "x", "weight_grams": "-1", "sku": "S" * 65, "is_digital": "no"},
        {"name": "Mug", "price": "1", "stock": "10000001", "weight_grams": "", "status": "draft"},
    ],
)
def test_rows_parse_exactly_as_the_staff_form(values: dict[str, str]) -> None:
    for form in (ProductForm, VariantForm):
        data, state = parse_form(values, form)
        fast_data, fast_state = parse_form(values, resolved_form(form))
        assert fast_state.errors == state.errors and fast_state.values == state.values
        assert (msgspec.structs.asdict(fast_data) if fast_data else None) == (
            msgspec.structs.asdict(data) if data else None
        )


def test_formula_guard_round_trips() -> None:
    for text in ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "'=x", "''=x", "'plain", "plain", "", "a=b"]:
        assert unguard(guard(text)) == text
    assert guard("=SUM(A1)") == "'=SUM(A1)"
    assert guard("'=x") == "''=x"
    assert guard("'plain") == "'plain" and guard("a=b") == "a=b"


async def test_export_format_one_row_per_variant_guarded_and_excel_friendly(db_session) -> None:
    await tee_with_variants(db_session)
    await make_product(db_session, '=HYPERLINK("http://evil")', price=500, sku="+1", status="draft")
    text = await export_text()
    assert text.startswith("\ufeff") and "\r\n" in text
    rows = read_csv(text)
    assert rows[0] == HEADER  # Size and Colour: two option pairs
    by_slug: dict[str, list[list[str]]] = {}
    for cells in rows[1:]:
        by_slug.setdefault(cells[0], []).append(cells)
    tee = [dict(zip(HEADER, cells, strict=True)) for cells in by_slug["tee"]]
    assert len(tee) == 4
    first = tee[0]
    assert (first["Name"], first["Status"], first["Price"], first["Compare-at price"], first["Cost"]) == (
        "Tee",
        "active",
        "19.90",
        "24.90",
        "7.00",
    )
    assert first["Description"].startswith("Soft **cotton**.\n\n- line one")
    assert (first["Category"], first["Tags"], first["Weight (g)"], first["Track stock"]) == (
        "clothes",
        "cotton, summer",
        "180",
        "yes",
    )
    # Attributes in the grid's order (as VariantService.set_axes orders them: position, then name).
    assert (first["Option1 name"], first["Option1 value"], first["Option2 name"], first["Option2 value"]) == (
        "Colour",
        "Red",
        "Size",
        "S",
    )
    assert (first["Variant SKU"], first["Variant price adjustment"], first["Variant stock"]) == (
        "TEE-Red-S",
        "-1.50",  # a number we wrote: not guarded
        "1",
    )
    assert all(cells["Name"] == "" and cells["Price"] == "" for cells in tee[1:])  # product columns once
    assert [cells["Variant active"] for cells in tee] == ["yes"] * 4
    evil = dict(zip(HEADER, by_slug["hyperlink-http-evil"][0], strict=True))
    assert evil["Name"] == '\'=HYPERLINK("http://evil")' and evil["SKU"] == "'+1"
    assert evil["Option1 name"] == "" and evil["Variant SKU"] == ""
    drafts = read_csv(await export_text(ExportFilter(status="draft")))
    assert [cells[0] for cells in drafts[1:]] == ["hyperlink-http-evil"]


async def test_export_of_an_empty_catalogue_is_a_header() -> None:
    assert read_csv(await export_text()) == [header_row(1)]


# -- round trip ---------------------------------------------------------------------------------


async def test_export_then_import_changes_nothing(db_session) -> None:
    await tee_with_variants(db_session)
    await make_product(db_session, "=cmd|' /C calc'!A0", price=0, sku="@x", tags=["-minus"], status="draft")
    await make_product(db_session, "Café crème ☕", price=350, is_digital=True, track_stock=False)
    await make_product(db_session, "Box", price=1000, is_subscription=True, stripe_price_id="price_123")
    before = await export_text()
    start_version = await version(db_session)
    product_entries = select(func.count()).select_from(AuditLog).where(AuditLog.action.like("shop.product.%"))
    entries_before = await db_session.scalar(product_entries)
    run = await check(db_session, before)
    assert run.status == "ready" and run.error_count == 0, run.errors
    assert run.summary["counts"] | {"rows": 0} == {
        "rows": 0,
        "products_create": 0,
        "products_update": 0,
        "products_unchanged": 4,
        "variants_create": 0,
        "variants_update": 0,
        "variants_remove": 0,
        "values_create": 0,
    }
    run = await apply(db_session, run)
    assert run.status == "done"
    assert await export_text() == before
    assert await db_session.scalar(product_entries) == entries_before  # no product was touched
    assert await version(db_session) == start_version + 1  # the import's one bump


# -- errors -------------------------------------------------------------------------------------


async def test_bad_rows_are_listed_by_row_and_column_and_nothing_is_written(db_session) -> None:
    await make_product(db_session, "Taken", sku="TAKEN")
    products_before = await count(db_session, Product)
    rows = [
        row(slug="good", name="Good", status="active", price="5.00"),  # 2: fine
        row(slug="money", name="Money", status="active", price="12.345"),  # 3
        row(slug="compare", name="Compare", status="active", price="10", compare_at_price="9"),  # 4
        row(slug="stock", name="Stock", status="active", price="1", stock="-1"),  # 5
        row(slug="status", name="Status", status="live", price="1"),  # 6
        row(slug="category", name="Category", status="active", price="1", category="nowhere"),  # 7
        row(slug="flag", name="Flag", status="active", price="1", track_stock="maybe"),  # 8
        row(slug="sku-a", name="A", status="active", price="1", sku="DUP"),  # 9
        row(slug="sku-b", name="B", status="active", price="1", sku="dup"),  # 10
        row(slug="sku-c", name="C", status="active", price="1", sku="taken"),  # 11
        row(slug="Bad-Slug", name="Bad", status="active", price="1"),  # 12
        row(slug="noname", name="", status="active", price="1"),  # 13
        row(slug="", name="No slug", status="active", price="1"),  # 14
        row(slug="opts", name="Opts", status="active", price="1", option1_name="Size"),  # 15
        row(
            slug="grid", name="Grid", status="active", price="1", option1_name="Size", option1_value="S"
        ),  # 16
        row(slug="grid", option1_name="Colour", option1_value="Red"),  # 17
        row(
            slug="dupe", name="Dupe", status="active", price="1", option1_name="Size", option1_value="S"
        ),  # 18
        row(slug="dupe", option1_name="size", option1_value="s"),  # 19
        row(
            slug="vstock",
            name="V",
            status="active",
            price="1",
            option1_name="Size",
            option1_value="S",
            variant_stock="lots",
        ),  # 20
        row(slug="vstock", price="6.00", option1_name="Size", option1_value="M"),  # 21: differs from row 20
        row(slug="sub", name="Sub", status="active", price="1", subscription="yes"),  # 22
        row(slug="long", name="L" * 201, status="active", price="1"),  # 23
        row(
            slug="Bad Slug",
            name="",
            status="live",
            price="12.345",
            stock="x",
            variant_stock="-1",
            option1_name="Size",
            option1_value="S",
        ),  # 24: every problem of the row at once
    ]
    run = await check(db_session, csv_text(rows))
    assert run.status == "invalid" and not run.can_apply
    found = {(e["row"], e["column"]) for e in run.errors}
    expected = {
        (3, "Price"),
        (4, "Compare-at price"),
        (5, "Stock"),
        (6, "Status"),
        (7, "Category"),
        (8, "Track stock"),
        (10, "SKU"),
        (11, "SKU"),
        (12, "Slug"),
        (13, "Name"),
        (14, "Slug"),
        (15, "Option1 value"),
        (17, "Option1 name"),
        (19, "Option1 value"),
        (20, "Variant stock"),
        (21, "Price"),
        (22, "Stripe price ID"),
        (23, "Name"),
        (24, "Slug"),
        (24, "Name"),
        (24, "Status"),
        (24, "Price"),
        (24, "Stock"),
        (24, "Variant stock"),
    }
    assert expected <= found, expected - found
    assert not any(e["row"] in (2, 9) for e in run.errors), run.errors  # the good rows are not blamed
    assert found == expected  # one problem, one place: nothing reported twice or elsewhere
    messages = {(e["row"], e["column"]): e["message"] for e in run.errors}
    assert messages[(3, "Price")] == "Use at most 2 decimal places."  # the staff form's words
    assert messages[(10, "SKU")] == "Row 9 already uses this SKU."
    assert messages[(11, "SKU")] == "Another product or variant already uses this SKU."
    assert messages[(19, "Option1 value")] == "Same options as row 18."
    assert run.error_count == len(run.errors)
    content = await db_session.scalar(select(ImportRun.content).where(ImportRun.id == run.id))
    assert content == ""  # a file that cannot be applied is not kept
    with pytest.raises(ProductError):
        await ImportRunService(session=db_session).start_apply(run, by=BY)
    await db_session.rollback()
    assert await count(db_session, Product) == products_before


async def test_unreadable_files_are_refused_at_upload(db_session) -> None:
    service = ImportRunService(session=db_session)

    async def refused(data: bytes) -> str:
        with pytest.raises(ProductError) as caught:
            await service.upload(data, "x.csv", currency="EUR", by=BY)
        return caught.value.errors["file"]

    assert await refused(b"") == "Choose a CSV file to upload."
    assert await refused(b" \r\n") == "The file is empty."
    assert "not UTF-8" in await refused("Slug,Name\nmug,Caf\u00e9\n".encode("latin-1"))
    assert "UTF-16" in await refused("Slug,Name\n".encode("utf-16"))
    assert "workbook" in await refused(b"PK\x03\x04 binary zip")
    assert "Missing required column: Name." in await refused(b"Slug,Price\nmug,1\n")
    assert "Unknown column: “Prcie”." in await refused(b"Slug,Name,Prcie\nmug,Mug,1\n")
    assert "needs a matching" in await refused(b"Slug,Name,Option1 name\nmug,Mug,Size\n")
    assert "appears twice" in await refused(b"Slug,Name,Name\n")
    assert await refused(b"Slug,Name\r\n\r\n") == "The file has no product rows under its header."
    assert "Row 2 is not valid CSV (unexpected end of data)" in await refused(b'Slug,Name\n"mug,Mug\n')
    assert await count(db_session, ImportRun) == 0


async def test_broken_csv_further_down_is_reported_at_its_row(db_session) -> None:
    run = await check(db_session, 'Slug,Name,Price\ncup,Cup,1\nmug,"Mug"x,2\n')
    assert run.status == "invalid"
    assert run.errors == [
        {
            "row": 3,
            "column": "",
            "message": "Row 3 is not valid CSV (',' expected after '\"'); check its quotes.",
        }
    ]
    assert await count(db_session, Product) == 0


async def test_semicolon_files_and_partial_columns_update_by_slug(db_session) -> None:
    category = Category(name="Kitchen", slug="kitchen")
    db_session.add(category)
    await db_session.commit()
    mug = await make_product(
        db_session, "Mug", price=1000, description="Keep me", tags=["gift"], category_id=category.id, stock=3
    )
    mug_id, category_id = mug.id, category.id
    start = await version(db_session)
    run = await check(db_session, "Slug;Name;Price\r\nmug;Big mug;12,50\r\nnew-cup;Cup;4\r\n")
    assert run.status == "ready", run.errors
    assert (run.summary["counts"]["products_update"], run.summary["counts"]["products_create"]) == (1, 1)
    assert [(p["slug"], p["action"]) for p in run.preview] == [("mug", "update"), ("new-cup", "create")]
    run = await apply(db_session, run)
    assert run.status == "done" and run.summary["counts"]["products_update"] == 1
    run_id = run.id
    content = await db_session.scalar(select(ImportRun.content).where(ImportRun.id == run_id))
    assert content == ""  # the file is dropped once applied
    db_session.expire_all()
    mug = await db_session.get_one(Product, mug_id)
    assert (mug.name, mug.price, mug.description, mug.category_id, mug.stock) == (
        "Big mug",
        1250,
        "Keep me",
        category_id,
        3,
    )
    cup = (await db_session.scalars(select(Product).where(Product.slug == "new-cup"))).one()
    assert (cup.status, cup.track_stock, cup.price) == ("draft", True, 400)  # a new product's defaults
    assert await version(db_session) == start + 1
    entries = (await db_session.scalars(select(AuditLog).order_by(AuditLog.id))).all()
    update = next(e for e in entries if e.action == "shop.product.updated")
    assert update.changes["price"] == [1000, 1250] and update.actor_label == BY.label
    imported = next(e for e in entries if e.action == "shop.products.imported")
    assert imported.target_id == str(run_id) and imported.changes["products_create"] == [None, 1]


# -- variants -----------------------------------------------------------------------------------


async def test_variants_are_matched_by_values_created_and_removed(db_session) -> None:
    tee = await tee_with_variants(db_session)
    tee_id = tee.id
    rows = [
        row(
            slug="tee",
            name="Tee",
            status="active",
            price="19.90",
            option1_name="Size",
            option1_value="S",
            option2_name="Colour",
            option2_value="Red",
            variant_sku="TEE-S-RED-2",
            variant_stock="9",
        ),
        row(
            slug="tee",
            option1_name="size",
            option1_value="l",
            option2_name="colour",
            option2_value="red",
            variant_stock="4",
            variant_price_adjustment="2.00",
        ),
        row(
            slug="hoodie",
            name="Hoodie",
            status="active",
            price="45",
            option1_name="Material",
            option1_value="Wool",
            variant_active="no",
        ),
    ]
    run = await check(db_session, csv_text(rows))
    assert run.status == "ready", run.errors
    counts = run.summary["counts"]
    # Tee: Size {S, l} x Colour {Red}: S/Red kept and changed, l/Red new; the Blue and M ones removed.
    assert (counts["variants_create"], counts["variants_update"], counts["variants_remove"]) == (2, 1, 3)
    assert run.summary["new_values"] == {"Size": ["l"], "Material": ["Wool"]}
    assert run.summary["new_attributes"] == ["Material"]
    run = await apply(db_session, run)
    assert run.status == "done", run.message
    db_session.expire_all()
    variants = {
        v.name: v
        for v in (
            await db_session.scalars(select(ProductVariant).where(ProductVariant.product_id == tee_id))
        ).all()
    }
    assert set(variants) == {"Red / S", "Red / l"}
    # An empty cell of a column the file has means the default (no price change), not "keep".
    assert (variants["Red / S"].sku, variants["Red / S"].stock, variants["Red / S"].price_adjustment) == (
        "TEE-S-RED-2",
        9,
        0,
    )
    assert (variants["Red / l"].stock, variants["Red / l"].price_adjustment) == (4, 200)
    assert variants["Red / l"].attributes == {"Colour": "Red", "Size": "l"}
    material = (await db_session.scalars(select(Attribute).where(Attribute.name == "Material"))).one()
    hoodie_variant = (
        await db_session.scalars(select(ProductVariant).join(Product).where(Product.slug == "hoodie"))
    ).one()
    assert (hoodie_variant.name, hoodie_variant.is_active) == ("Wool", False)
    links = (
        await db_session.scalars(select(ProductAttribute).where(ProductAttribute.product_id == tee_id))
    ).all()
    assert len(links) == 2 and all(len(link.value_ids) in (1, 2) for link in links)
    assert await count(db_session, AttributeValue) == 6  # S, M, l, Red, Blue, Wool
    wool = (await db_session.scalars(select(AttributeValue).where(AttributeValue.value == "Wool"))).one()
    assert (material.kind, wool.attribute_id) == ("select", material.id)
    # The grid the staff page regenerates from these attributes keeps the imported variants.
    axes = await VariantService(session=db_session).product_axes(tee_id)
    assert [(axis.attribute, [label for _id, label in axis.values]) for axis in axes] == [
        ("Colour", ["Red"]),
        ("Size", ["S", "l"]),
    ]


async def test_missing_combinations_are_added_and_reported(db_session) -> None:
    rows = [
        row(
            slug="tee",
            name="Tee",
            status="active",
            price="10",
            option1_name="Size",
            option1_value="S",
            option2_name="Colour",
            option2_value="Red",
            variant_stock="5",
        ),
        row(
            slug="tee",
            option1_name="Size",
            option1_value="M",
            option2_name="Colour",
            option2_value="Blue",
            variant_stock="6",
        ),
    ]
    run = await check(db_session, csv_text(rows))
    assert run.status == "ready", run.errors
    assert run.summary["counts"]["variants_create"] == 4
    assert "2 combinations not in the file will be added with no stock" in run.summary["warnings"][0]
    await apply(db_session, run)
    stocks = dict(
        (await db_session.execute(select(ProductVariant.name, ProductVariant.stock))).tuples().all()
    )
    assert stocks == {"Red / S": 5, "Red / M": 0, "Blue / S": 0, "Blue / M": 6}


# -- the jobs -----------------------------------------------------------------------------------


async def test_progress_is_committed_while_rows_are_checked(db_session, monkeypatch) -> None:
    monkeypatch.setattr(_csv_runs, "PROGRESS_SECONDS", 0)
    rows = [row(slug=f"p-{n}", name=f"P {n}", status="active", price="1") for n in range(30)]
    run_id = await upload(db_session, csv_text(rows))
    seen: list[tuple[str, int, int]] = []
    original = _csv_runs.ProgressReporter.update

    async def spy(self, **values: Any) -> None:
        await original(self, **values)
        async with session_factory()() as other:  # what the page would read meanwhile
            found = await other.get_one(ImportRun, run_id)
            seen.append((found.status, found.processed_rows, found.total_rows))

    monkeypatch.setattr(_csv_runs.ProgressReporter, "update", spy)
    await run_jobs()
    assert seen[0][0] == "validating"
    counts = [done for _status, done, _total in seen[1:]]
    assert counts == sorted(counts) and len(counts) == 30 and counts[-1] == 30
    run = await fresh_run(db_session, run_id)
    assert (run.status, run.processed_rows, run.total_rows, run.percent) == ("ready", 30, 30, 100)


async def test_apply_checks_again_and_refuses_when_the_catalogue_changed(db_session) -> None:
    run = await check(
        db_session, csv_text([row(slug="cup", name="Cup", status="active", price="4", sku="CUP")])
    )
    assert run.can_apply
    await make_product(db_session, "Other", sku="CUP")
    run = await apply(db_session, run)
    assert run.status == "invalid" and "catalogue changed" in run.message
    assert run.errors[0]["column"] == "SKU"
    assert await db_session.scalar(select(func.count()).where(Product.slug == "cup")) == 0


async def test_apply_is_all_or_nothing(db_session, monkeypatch) -> None:
    rows = [row(slug=f"p-{n}", name=f"P {n}", status="active", price="1") for n in range(5)]
    rows.append(row(slug="v", name="V", status="active", price="1", option1_name="Size", option1_value="XL"))
    run = await check(db_session, csv_text(rows))
    start = await version(db_session)

    async def broken(*args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(_csv_apply, "_write_variants", broken)
    run = await apply(db_session, run)
    assert run.status == "failed" and "nothing was changed" in run.message
    assert await count(db_session, Product) == 0
    assert await count(db_session, AttributeValue) == 0  # the new value went with the rest
    assert await version(db_session) == start


async def test_apply_runs_once(db_session) -> None:
    run = await check(db_session, csv_text([row(slug="cup", name="Cup", status="active", price="4")]))
    run_id = run.id
    run = await apply(db_session, run)
    assert run.status == "done"
    with pytest.raises(ProductError, match="already been applied"):
        await ImportRunService(session=db_session).start_apply(run, by=BY)
    await db_session.rollback()
    # A job delivered twice (a worker lost after the commit) finds the run done and does nothing.
    await jobs.enqueue(db_session, _csv_runs.APPLY_JOB, {"run_id": str(run_id)})
    await db_session.commit()
    assert await run_jobs() == 1
    assert await count(db_session, Product) == 1
