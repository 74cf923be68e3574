"""The CSV import and export pages over HTTP: the download, the upload with its inline errors, the
run page (full page, the htmx poll fragment, the refresh without JavaScript), applying, discarding and
who may do what."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.factories import csrf_token, make_user, post_form, sign_in
from tests.shop.helpers import make_product
from tests.shop.test_transfer import HEADER, csv_text, read_csv, row, run_jobs
from verso.domains.shop.models import ImportRun, Product

IMPORTS = "/admin/shop/products/import"


async def upload(client, data: bytes, filename: str = "products.csv", **kwargs):
    if not client.cookies.get("verso_csrf"):
        await client.get(IMPORTS)
    return await client.post(
        IMPORTS,
        files={"file": (filename, data, "text/csv")},
        headers={"x-csrftoken": csrf_token(client)},
        **kwargs,
    )


async def test_products_page_offers_import_and_export(admin_client) -> None:
    page = await admin_client.get("/admin/shop/products?status=draft")
    assert 'href="/admin/shop/products/import"' in page.text
    assert 'href="/admin/shop/products/export?status=draft"' in page.text
    fragment = await admin_client.get("/admin/shop/products?status=active", headers={"HX-Request": "true"})
    assert 'hx-swap-oob="true" href="/admin/shop/products/export?status=active"' in fragment.text


async def test_export_downloads_the_filtered_products(admin_client, db_session) -> None:
    await make_product(db_session, "Blue mug", sku="MUG-B")
    await make_product(db_session, "Red teapot", status="draft")
    response = await admin_client.get("/admin/shop/products/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert re.match(
        r'attachment; filename="products-\d{4}-\d{2}-\d{2}\.csv"', response.headers["content-disposition"]
    )
    assert response.content.startswith("\ufeff".encode())
    assert [cells[0] for cells in read_csv(response.text)[1:]] == ["blue-mug", "red-teapot"]
    searched = await admin_client.get("/admin/shop/products/export?q=mug-b&sort=name")
    assert [cells[0] for cells in read_csv(searched.text)[1:]] == ["blue-mug"]


async def test_upload_check_preview_apply_through_the_pages(admin_client, db_session) -> None:
    await make_product(db_session, "Blue mug", price=1000)
    page = await admin_client.get(IMPORTS)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert "Option1 name" in page.text  # the column reference
    text = csv_text(
        [
            row(slug="blue-mug", name="Blue mug", status="active", price="11.00"),
            row(slug="tee", name="Tee", status="active", price="20", option1_name="Size", option1_value="S"),
            row(slug="tee", option1_name="Size", option1_value="M", variant_stock="3"),
        ]
    )
    uploaded = await upload(admin_client, text.encode(), follow_redirects=False)
    assert uploaded.status_code == 303
    run_url = uploaded.headers["location"]
    assert run_url.startswith(IMPORTS + "/")

    waiting = await admin_client.get(run_url)
    assert waiting.status_code == 200 and "<html" in waiting.text
    assert "Waiting for the background worker" in waiting.text
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in waiting.text
    assert 'hx-trigger="every 1s"' in waiting.text and ">Refresh</a>" in waiting.text
    poll = await admin_client.get(run_url, headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "<html" not in poll.text
    assert 'id="import-run"' in poll.text and 'hx-trigger="every 1s"' in poll.text
    assert "HX-Request" in poll.headers["vary"]

    await run_jobs()
    checked = await admin_client.get(run_url, headers={"HX-Request": "true"})
    assert "hx-trigger" not in checked.text and "noscript" not in checked.text  # polling stops
    assert "Ready to apply" in checked.text and "Apply import" in checked.text
    assert "Products to create" in checked.text and "Attribute values this file creates" in checked.text
    assert "<strong>Size</strong> (new attribute): S, M" in checked.text
    full = await admin_client.get(run_url)
    assert "<noscript>" not in full.text and "First rows as they will be read" in full.text

    applied = await post_form(admin_client, f"{run_url}/apply", follow_redirects=False)
    assert applied.status_code == 303 and applied.headers["location"] == run_url
    again = await post_form(admin_client, f"{run_url}/apply")
    assert "it is being applied now" in again.text
    applying = await admin_client.get(run_url)
    assert "Applying" in applying.text and 'hx-trigger="every 1s"' in applying.text
    await run_jobs()
    done = await admin_client.get(run_url)
    assert "Applied" in done.text and "Products created" in done.text and "Apply import" not in done.text
    db_session.expire_all()
    prices = dict((await db_session.execute(select(Product.slug, Product.price))).tuples().all())
    assert prices == {"blue-mug": 1100, "tee": 2000}
    listing = await admin_client.get(IMPORTS)
    assert "products.csv" in listing.text and "Applied" in listing.text


async def test_upload_problems_are_shown_inline(admin_client, db_session) -> None:
    empty = await upload(admin_client, b"", filename="")
    assert empty.status_code == 422 and "Choose a CSV file to upload." in empty.text
    assert 'aria-invalid="true"' in empty.text
    latin = await upload(admin_client, "Slug,Name\nmug,Caf\u00e9\n".encode("latin-1"))
    assert latin.status_code == 422 and "not UTF-8 text" in latin.text
    missing = await upload(admin_client, b"Slug,Price\nmug,1\n")
    assert missing.status_code == 422 and "Missing required column: Name." in missing.text
    assert await db_session.scalar(select(func.count()).select_from(ImportRun)) == 0


async def test_row_errors_are_listed_and_nothing_can_be_applied(admin_client, db_session) -> None:
    text = csv_text([row(slug="cup", name="Cup", status="active", price="abc")])
    run_url = (await upload(admin_client, text.encode(), follow_redirects=False)).headers["location"]
    await run_jobs()
    page = await admin_client.get(run_url)
    assert "1 problem: nothing can be applied" in page.text
    assert '<td class="numeric">2</td><td>Price</td><td>Enter an amount such as 12.50.</td>' in page.text
    assert "Apply import" not in page.text and "Upload a corrected file" in page.text
    refused = await post_form(admin_client, f"{run_url}/apply")
    assert "its rows have errors" in refused.text
    discarded = await post_form(admin_client, f"{run_url}/delete", follow_redirects=False)
    assert discarded.status_code == 303 and discarded.headers["location"] == IMPORTS
    assert (await admin_client.get(run_url)).status_code == 404
    assert await db_session.scalar(select(func.count()).select_from(Product)) == 0


async def test_who_may_import_and_export(client, admin, db_session) -> None:
    anonymous = await client.get(IMPORTS, follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    await make_user("chloe@example.com", ["user"])
    await sign_in(client, "chloe@example.com", "another long passphrase")
    assert (await client.get(IMPORTS)).status_code == 403
    assert (await client.get("/admin/shop/products/export")).status_code == 403
    assert (await upload(client, b"Slug,Name\n")).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": csrf_token(client)})
    await make_user("sales@example.com", ["commercial"])  # may read products, not change them
    await sign_in(client, "sales@example.com", "another long passphrase")
    assert (await client.get("/admin/shop/products/export")).status_code == 200
    assert (await client.get(IMPORTS)).status_code == 403
    assert (await upload(client, csv_text([]).encode())).status_code == 403
    assert await db_session.scalar(select(func.count()).select_from(ImportRun)) == 0


async def test_forms_need_the_csrf_token(admin_client, db_session) -> None:
    await admin_client.get(IMPORTS)
    refused = await admin_client.post(
        IMPORTS, files={"file": ("p.csv", ",".join(HEADER).encode(), "text/csv")}
    )
    assert refused.status_code == 403
    missing = await post_form(admin_client, f"{IMPORTS}/00000000-0000-7000-8000-000000000000/apply")
    assert missing.status_code == 404
    assert await db_session.scalar(select(func.count()).select_from(ImportRun)) == 0
