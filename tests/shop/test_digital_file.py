"""The download file of a digital product, attached by staff on the product page: stored under its
original name, never served on /media, delivered by a paid order's download link as an attachment,
too-big and empty uploads refused inline (422), audited, and closed to customers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import make_user, post_form, sign_in
from tests.shop.helpers import make_product
from verso.domains.orders.models import Order, OrderLine
from verso.domains.orders.services._downloads import issue_download_tokens
from verso.domains.shop.models import Product
from verso.domains.shop.services import _digital_file
from verso.lib.audit import AuditLog
from verso.lib.storage import PDF, StoredFile

GUIDE = b"%PDF-1.7\n" + b"birds " * 200 + b"\n%%EOF\n"


def _file_url(product: Product) -> str:
    return f"/admin/shop/products/{product.id}/file"


async def _upload(client, product: Product, name: str, data: bytes, content_type: str = PDF):
    await client.get(f"/admin/shop/products/{product.id}")
    return await post_form(
        client, _file_url(product), files={"file": (name, data, content_type)}, follow_redirects=False
    )


async def _digest(db_session, product: Product) -> str | None:
    db_session.expunge_all()
    return await db_session.scalar(select(Product.digital_file_digest).where(Product.id == product.id))


async def _actions(db_session) -> list[str]:
    return list(
        await db_session.scalars(select(AuditLog.action).where(AuditLog.action.like("shop.product.file_%")))
    )


async def _paid_order(db_session, digest: str) -> str:
    """A paid order of the digital product, and the secret of its download link."""
    order = Order(number="VRS-2026-000042", email="ann@example.com", status="paid", currency="EUR",
                  subtotal=900, total=900, amount_due=900)  # fmt: skip
    db_session.add(order)
    await db_session.flush()
    line = OrderLine(order_id=order.id, position=0, name="Field guide", unit_price=900, quantity=1,
                     subtotal=900, total=900, is_digital=True, is_shippable=False,
                     digital_file_digest=digest)  # fmt: skip
    db_session.add(line)
    [(_, raw)] = await issue_download_tokens(db_session, order, [line])
    await db_session.commit()
    return raw


async def test_attach_then_download_through_the_link_only(admin_client, db_session) -> None:
    product = await make_product(db_session, "Field guide", is_digital=True)
    page = await admin_client.get(f"/admin/shop/products/{product.id}")
    assert 'id="download-file"' in page.text and "No file yet" in page.text
    response = await _upload(admin_client, product, "C:\\fakepath\\Field guide, été.pdf", GUIDE, "text/html")
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/admin/shop/products/{product.id}#download-file")
    digest = await _digest(db_session, product)
    stored = (await db_session.scalars(select(StoredFile))).one()
    assert digest == stored.digest and (stored.content_type, stored.size) == (PDF, len(GUIDE))
    assert stored.filename == "Field guide, été.pdf"
    assert await _actions(db_session) == ["shop.product.file_attached"]
    page = await admin_client.get(f"/admin/shop/products/{product.id}")
    assert "Field guide, été.pdf" in page.text and "1.2 kB" in page.text and "Remove file" in page.text

    assert (await admin_client.get(f"/media/{digest}")).status_code == 404  # never public
    raw = await _paid_order(db_session, digest)
    download = await admin_client.get(f"/downloads/{raw}")
    assert download.status_code == 200 and download.content == GUIDE
    assert download.headers["content-type"] == PDF
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"Field guide, ete.pdf\"; filename*=UTF-8''Field%20guide%2C%20%C3%A9t%C3%A9.pdf"
    )


async def test_remove_keeps_links_already_sent(admin_client, db_session) -> None:
    product = await make_product(db_session, "Field guide", is_digital=True)
    await _upload(admin_client, product, "guide.pdf", GUIDE)
    raw = await _paid_order(db_session, await _digest(db_session, product))
    removed = await post_form(admin_client, f"{_file_url(product)}/delete", follow_redirects=False)
    assert removed.status_code == 303 and await _digest(db_session, product) is None
    assert await _actions(db_session) == ["shop.product.file_attached", "shop.product.file_removed"]
    page = await admin_client.get(f"/admin/shop/products/{product.id}")
    assert "No file yet" in page.text and "File removed." in page.text
    assert (await admin_client.get(f"/downloads/{raw}")).content == GUIDE


async def test_too_big_and_empty_uploads_are_refused_inline(
    admin_client, db_session, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = await make_product(db_session, "Field guide", is_digital=True)
    monkeypatch.setattr(_digital_file, "MAX_DIGITAL_FILE_BYTES", 1024)
    too_big = await _upload(admin_client, product, "guide.pdf", GUIDE)
    assert too_big.status_code == 422
    assert "The file must be 1 KB or smaller." in too_big.text and 'id="f-file-error"' in too_big.text
    empty = await _upload(admin_client, product, "guide.pdf", b"")
    assert empty.status_code == 422 and "The file is empty." in empty.text
    await admin_client.get(f"/admin/shop/products/{product.id}")
    nothing = await post_form(admin_client, _file_url(product), {"other": "x"})
    assert nothing.status_code == 422 and "Choose a file to upload." in nothing.text
    assert await _digest(db_session, product) is None and await _actions(db_session) == []
    assert (await db_session.scalars(select(StoredFile))).first() is None


async def test_a_product_that_is_not_digital_asks_to_tick_digital_first(admin_client, db_session) -> None:
    product = await make_product(db_session, "Mug")
    page = await admin_client.get(f"/admin/shop/products/{product.id}")
    assert "Tick “Digital product” above and save" in page.text and 'id="f-file"' not in page.text
    refused = await _upload(admin_client, product, "guide.pdf", GUIDE)
    assert (
        refused.status_code == 422
        and "Tick “Digital product” and save before attaching a file." in refused.text
    )
    assert await _digest(db_session, product) is None


async def test_the_request_size_limit_is_said_on_the_page(admin_client, db_session) -> None:
    product = await make_product(db_session, "Field guide", is_digital=True)
    page = await admin_client.get(f"/admin/shop/products/{product.id}")
    assert "up to 9 MB." in page.text and "VERSO_MAX_BODY_BYTES" in page.text  # the default 10 MB requests


async def test_customers_and_read_only_staff_cannot_attach(client, admin, db_session) -> None:
    product = await make_product(db_session, "Field guide", is_digital=True)
    await make_user("sales@example.com", ["commercial"])
    await make_user("cust@example.com", ["user"])
    await sign_in(client, "sales@example.com", "another long passphrase")
    page = await client.get(f"/admin/shop/products/{product.id}")
    assert page.status_code == 200 and 'id="download-file"' in page.text and 'id="f-file"' not in page.text
    assert (await _upload(client, product, "guide.pdf", GUIDE)).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await sign_in(client, "cust@example.com", "another long passphrase")
    assert (await _upload(client, product, "guide.pdf", GUIDE)).status_code == 403
    assert (await post_form(client, f"{_file_url(product)}/delete")).status_code == 403
    assert await _digest(db_session, product) is None
