"""Staff order management over HTTP: the table (page, htmx fragment, search, filters, date range),
the CSV export (same filters, formulas guarded), the order page with its full timeline, every action
(happy path and a refused transition answering 422 with the reason), bulk shipping, permissions,
and the printable invoice and packing slip."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from html import unescape

from sqlalchemy import select

from tests.factories import PASSWORD, make_user, pdf_text, post_form, sign_in
from verso.domains.orders.models import Order, OrderEvent, OrderLine, Payment, Refund, Shipment
from verso.lib.audit import AuditLog

ADDRESS = {"name": "Ann Example", "line1": "12 Rue des Lilas", "line2": "", "city": "Lyon", "state": "",
           "postcode": "69001", "country": "FR", "phone": ""}  # fmt: skip


async def _order(
    db_session,
    number: str = "VRS-2026-000001",
    *,
    status: str = "pending",
    provider: str = "bank_transfer",
    email: str = "ann@example.com",
    name: str = "Ann Example",
    created_at: datetime | None = None,
    customer_id=None,
    lines: tuple[tuple[str, int, int], ...] = (("Blue mug", 2, 1250), ("Teapot", 1, 3000)),
    shipped: bool = False,
    delivery: str = "ship",
) -> Order:
    """An order as placing leaves it (figures, lines, a pending offline payment), in ``status``."""
    subtotal = sum(quantity * price for _, quantity, price in lines)
    order = Order(
        number=number, customer_id=customer_id, email=email, name=name, phone="+33 4 00 00 00 00",
        status=status, fulfilment_status="shipped" if shipped else "unfulfilled", currency="EUR",
        prices_include_tax=True, subtotal=subtotal, shipping_total=490, tax_total=925,
        total=subtotal + 490, amount_due=subtotal + 490, shipping_address=ADDRESS, billing_address=ADDRESS,
        shipping_method="Colissimo", payment_provider=provider, delivery=delivery,
        tax_lines=[{"name": "VAT", "kind": "vat", "rate": 2000, "amount": 925}],
        paid_at=None if status == "pending" else datetime(2026, 3, 1, tzinfo=UTC),
    )  # fmt: skip
    if created_at is not None:
        order.created_at = created_at
    db_session.add(order)
    await db_session.flush()
    for position, (line_name, quantity, price) in enumerate(lines):
        db_session.add(
            OrderLine(
                order_id=order.id, position=position, name=line_name, sku=f"SKU-{position}",
                unit_price=price, quantity=quantity, subtotal=quantity * price, total=quantity * price,
                shipped_quantity=quantity if shipped else 0,
            )
        )  # fmt: skip
    db_session.add(
        Payment(
            order_id=order.id,
            provider=provider,
            reference=f"REF-{number}",
            amount=order.total,
            currency="EUR",
            state="pending",
        )
    )
    db_session.add(OrderEvent(order_id=order.id, kind="placed", message=f"Order placed by {name}."))
    await db_session.commit()
    return order


async def _fresh(db_session, order_id) -> Order:
    db_session.expire_all()
    order = await db_session.get(Order, order_id)
    assert order is not None
    return order


async def _lines(db_session, order_id) -> list[OrderLine]:
    return list(
        await db_session.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by("position"))
    )


async def _audited(db_session) -> list[str]:
    return list(await db_session.scalars(select(AuditLog.action).where(AuditLog.action.like("order.%"))))


def _toast(response) -> str:
    return json.loads(response.headers["hx-trigger"])["toast"]["message"]


# ---- the table ------------------------------------------------------------------------------
async def test_list_page_fragment_search_and_filters(admin_client, db_session) -> None:
    customer = await make_user("bob@example.com", ["user"])
    await _order(db_session, "VRS-2026-000001", created_at=datetime(2026, 3, 1, 10, tzinfo=UTC))
    await _order(
        db_session,
        "VRS-2026-000002",
        status="paid",
        provider="stripe",
        email="bob@example.com",
        name="Bob Buyer",
        customer_id=customer.id,
        created_at=datetime(2026, 3, 5, 10, tzinfo=UTC),
        delivery="pickup",
    )
    await _order(
        db_session,
        "VRS-2026-000003",
        status="shipped",
        shipped=True,
        name="Cy Shipped",
        email="cy@example.com",
        created_at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC),
    )
    page = await admin_client.get("/admin/orders")
    assert page.status_code == 200 and "<html" in page.text
    text = unescape(page.text)
    for number in ("VRS-2026-000001", "VRS-2026-000002", "VRS-2026-000003"):
        assert number in text
    assert text.index("VRS-2026-000003") < text.index("VRS-2026-000001")  # newest first
    assert "Guest" in text and 'href="/admin/orders/export.csv"' in text and "€59.90" in text
    assert 'aria-current="page"' in text and ">Orders<" in text  # the staff nav entry
    fragment = await admin_client.get("/admin/orders?q=bob", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="orders-table"' in fragment.text and "Bob Buyer" in fragment.text
    assert "VRS-2026-000001" not in fragment.text
    assert 'href="/admin/orders/export.csv?q=bob"' in fragment.text  # the export link follows (oob)
    by_number = await admin_client.get("/admin/orders?q=000003")
    assert "Cy Shipped" in by_number.text and "Bob Buyer" not in by_number.text
    paid = await admin_client.get("/admin/orders?status=paid&payment=stripe")
    assert "Bob Buyer" in paid.text and "Cy Shipped" not in paid.text
    shipped = await admin_client.get("/admin/orders?fulfilment=shipped")
    assert "Cy Shipped" in shipped.text and "Bob Buyer" not in shipped.text
    collected = await admin_client.get("/admin/orders?delivery=pickup")
    assert "Bob Buyer" in collected.text and "Pickup" in collected.text and "Cy Shipped" not in collected.text
    # Dates are the business's (Europe/Paris, UTC+1 in March): 23:30 UTC on the 9th is the 10th there.
    ranged = unescape(
        (await admin_client.get("/admin/orders?created_after=2026-03-02&created_before=2026-03-09")).text
    )
    assert "VRS-2026-000002" in ranged and "VRS-2026-000001" not in ranged and "VRS-2026-000003" not in ranged
    assert "created_after=2026-03-02" in ranged  # sort links keep the range
    tenth = unescape((await admin_client.get("/admin/orders?created_after=2026-03-10")).text)
    assert "VRS-2026-000003" in tenth and "VRS-2026-000002" not in tenth
    junk = await admin_client.get("/admin/orders?created_after=yesterday&status=nope&sort=evil")
    assert junk.status_code == 200 and "VRS-2026-000001" in junk.text
    by_total = unescape((await admin_client.get("/admin/orders?sort=total&direction=asc")).text)
    assert by_total.index("VRS-2026-000001") < by_total.index("VRS-2026-000003")


async def test_csv_export_honours_filters_and_guards_formulas(admin_client, db_session) -> None:
    await _order(
        db_session,
        "VRS-2026-000001",
        name='=HYPERLINK("http://evil")',
        email="@evil.example",
        lines=(("+Mug", 1, 1250),),
        created_at=datetime(2026, 3, 1, 10, 5, 7, tzinfo=UTC),
    )
    await _order(db_session, "VRS-2026-000002", status="paid", name="Bob")
    response = await admin_client.get("/admin/orders/export.csv?status=pending")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="orders-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["number", "created_at", "status", "fulfilment_status", "email", "name", "currency",
                       "subtotal", "discount_total", "shipping_total", "tax_total", "total", "refunded_total",
                       "payment_provider", "delivery", "items"]  # fmt: skip
    assert len(rows) == 2  # the paid order is filtered out
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["number"] == "VRS-2026-000001" and row["created_at"] == "2026-03-01T10:05:07Z"
    assert row["name"] == '\'=HYPERLINK("http://evil")' and row["email"] == "'@evil.example"
    assert row["items"] == "1 x +Mug"  # starts with a digit: nothing to guard
    assert (row["subtotal"], row["shipping_total"], row["total"], row["refunded_total"]) == (
        "12.50",
        "4.90",
        "17.40",
        "0.00",
    )
    assert row["payment_provider"] == "bank_transfer" and row["delivery"] == "ship"
    searched = await admin_client.get("/admin/orders/export.csv?q=bob")
    assert [r[0] for r in csv.reader(io.StringIO(searched.content.decode("utf-8-sig")))] == [
        "number", "VRS-2026-000002",
    ]  # fmt: skip


async def test_items_starting_with_a_formula_sign_are_guarded(admin_client, db_session) -> None:
    await _order(db_session, lines=(("Mug", 1, 100),), name="-1+1")
    response = await admin_client.get("/admin/orders/export.csv")
    row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1]
    assert row[5] == "'-1+1" and row[15] == "1 x Mug"


# ---- the order page and its actions ---------------------------------------------------------
async def test_detail_shows_everything_with_internal_notes(admin_client, db_session) -> None:
    order = await _order(db_session)
    db_session.add(OrderEvent(order_id=order.id, kind="note", message="Called the customer.", internal=True,
                              actor_label="owner@example.com"))  # fmt: skip
    await db_session.commit()
    page = await admin_client.get(f"/admin/orders/{order.id}")
    assert page.status_code == 200 and "<html" in page.text
    text = unescape(page.text)
    assert "Order VRS-2026-000001" in text and "ann@example.com" in text and "+33 4 00 00 00 00" in text
    assert "12 Rue des Lilas" in text and "69001 Lyon" in text and "Colissimo" in text
    assert "Bank transfer" in text and "REF-VRS-2026-000001" in text
    assert "Blue mug" in text and "SKU-0" in text and "€59.90" in text and "VAT (included)" in text
    assert "Called the customer." in text and "Internal" in text and "owner@example.com" in text
    assert "Order placed by Ann Example." in text
    for url in ("/paid", "/cancel", "/notes", "/invoice", "/packing-slip"):
        assert f"/admin/orders/{order.id}{url}" in text
    for absent in ("/ship", "/refund", "/delivered"):
        assert f'action="/admin/orders/{order.id}{absent}"' not in text
    missing = await admin_client.get("/admin/orders/0190a7a0-0000-7000-8000-000000000000")
    assert missing.status_code == 404


async def test_mark_paid_then_ship_in_two_parcels_then_deliver(admin_client, db_session) -> None:
    order = await _order(db_session)
    url = f"/admin/orders/{order.id}"
    paid = await post_form(admin_client, f"{url}/paid", htmx=True)
    assert paid.status_code == 200 and "<html" not in paid.text and 'id="order-admin"' in paid.text
    assert _toast(paid) == "VRS-2026-000001 marked as paid."
    stored = await _fresh(db_session, order.id)
    assert stored.status == "paid" and stored.paid_at is not None
    payment = await db_session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment.state == "paid"
    events = list(await db_session.scalars(select(OrderEvent).where(OrderEvent.kind == "paid")))
    assert "marked paid by staff" in events[0].message and events[0].actor_label == "owner@example.com"
    mug, teapot = await _lines(db_session, order.id)
    partial = await post_form(
        admin_client,
        f"{url}/ship",
        {"carrier": "La Poste", "tracking_number": "LP123", "tracking_url": "https://track.example/LP123",
         f"ship-{mug.id}": "1", f"ship-{teapot.id}": "0"},
        follow_redirects=False,
    )  # fmt: skip
    assert partial.status_code == 303 and partial.headers["location"] == url
    stored = await _fresh(db_session, order.id)
    assert (stored.status, stored.fulfilment_status) == ("processing", "partial")
    page = unescape((await admin_client.get(url)).text)
    assert "shipment recorded" in page and "LP123" in page and "1 \u00d7 Blue mug" in page
    rest = await post_form(admin_client, f"{url}/ship", {"carrier": "La Poste"}, htmx=True)
    assert rest.status_code == 200 and "Record the shipment" not in rest.text  # nothing left
    stored = await _fresh(db_session, order.id)
    assert (stored.status, stored.fulfilment_status) == ("shipped", "shipped")
    assert len(list(await db_session.scalars(select(Shipment)))) == 2
    delivered = await post_form(admin_client, f"{url}/delivered", htmx=True)
    assert _toast(delivered) == "VRS-2026-000001 marked as delivered."
    assert (await _fresh(db_session, order.id)).status == "delivered"
    assert sorted(await _audited(db_session)) == [
        "order.delivered", "order.paid", "order.shipped", "order.shipped",
    ]  # fmt: skip


async def test_refused_transitions_answer_422_with_the_reason(admin_client, db_session) -> None:
    order = await _order(db_session)
    url = f"/admin/orders/{order.id}"
    refused = await post_form(admin_client, f"{url}/delivered")
    assert refused.status_code == 422 and "<html" in refused.text
    assert "An order that is pending cannot become delivered." in unescape(refused.text)
    ship = await post_form(admin_client, f"{url}/ship", {"carrier": "UPS"}, htmx=True)
    assert ship.status_code == 422 and "<html" not in ship.text
    assert "cannot be shipped: it must be paid first." in unescape(ship.text)
    processing = await post_form(admin_client, f"{url}/processing")
    assert processing.status_code == 422 and "cannot become processing" in unescape(processing.text)
    assert (await _fresh(db_session, order.id)).status == "pending"
    assert await _audited(db_session) == []
    card = await _order(db_session, "VRS-2026-000002", provider="stripe")
    by_hand = await post_form(admin_client, f"/admin/orders/{card.id}/paid")
    assert by_hand.status_code == 422 and "marked paid by the card provider" in unescape(by_hand.text)


async def test_ship_form_errors_stay_inline(admin_client, db_session) -> None:
    order = await _order(db_session, status="paid")
    url = f"/admin/orders/{order.id}"
    mug, _teapot = await _lines(db_session, order.id)
    bad_link = await post_form(admin_client, f"{url}/ship", {"tracking_url": "javascript:alert(1)"})
    assert bad_link.status_code == 422 and "A tracking link starts with https://." in bad_link.text
    assert 'id="f-tracking_url-error"' in bad_link.text and "javascript:alert(1)" in bad_link.text
    too_many = await post_form(admin_client, f"{url}/ship", {f"ship-{mug.id}": "3"})
    assert too_many.status_code == 422 and "Blue mug: ship at most 2." in too_many.text
    junk = await post_form(admin_client, f"{url}/ship", {f"ship-{mug.id}": "two"})
    assert junk.status_code == 422 and "enter a whole number of units" in junk.text
    assert list(await db_session.scalars(select(Shipment))) == []


async def test_cancel_needs_the_confirmation(admin_client, db_session) -> None:
    order = await _order(db_session)
    url = f"/admin/orders/{order.id}"
    unconfirmed = await post_form(admin_client, f"{url}/cancel", {"cancel_reason": "Asked by phone"})
    assert unconfirmed.status_code == 422 and "Tick the box to confirm the cancellation." in unconfirmed.text
    assert (await _fresh(db_session, order.id)).status == "pending"
    done = await post_form(
        admin_client, f"{url}/cancel", {"cancel_reason": "Asked by phone", "confirm": "on"}, htmx=True
    )
    assert done.status_code == 200 and _toast(done) == "VRS-2026-000001 cancelled."
    assert (await _fresh(db_session, order.id)).status == "cancelled"
    assert "Cancelled: Asked by phone." in unescape(done.text)
    assert await _audited(db_session) == ["order.cancelled"]
    again = await post_form(admin_client, f"{url}/cancel", {"confirm": "on"})
    assert again.status_code == 422 and "An order that is cancelled cannot become cancelled." in again.text


async def test_refund_partial_with_returned_units_then_too_much(admin_client, db_session) -> None:
    order = await _order(db_session, status="shipped", shipped=True)
    url = f"/admin/orders/{order.id}"
    page = unescape((await admin_client.get(url)).text)
    assert "Up to <strong>€59.90</strong> can be refunded." in page and 'value="59.90"' in page
    mug, _teapot = await _lines(db_session, order.id)
    decimals = await post_form(admin_client, f"{url}/refund", {"amount": "12.345"})
    assert decimals.status_code == 422 and "Use at most 2 decimal places." in decimals.text
    refunded = await post_form(
        admin_client,
        f"{url}/refund",
        {"amount": "12,50", "refund_reason": "Chipped", f"return-{mug.id}": "1", "restock": "on"},
        htmx=True,
    )
    assert refunded.status_code == 200 and _toast(refunded) == "VRS-2026-000001: refund of €12.50 recorded."
    stored = await _fresh(db_session, order.id)
    assert (stored.status, stored.refunded_total) == ("shipped", 1250)
    row = await db_session.scalar(select(Refund))
    assert (row.amount, row.state, row.reason) == (1250, "manual", "Chipped")
    assert (await _lines(db_session, order.id))[0].refunded_quantity == 1
    assert "Returned: 1 \u00d7 Blue mug" in unescape(refunded.text)
    too_much = await post_form(admin_client, f"{url}/refund", {"amount": "50"})
    assert too_much.status_code == 422 and "Refund between €0.01 and €47.40." in unescape(too_much.text)
    assert await _audited(db_session) == ["order.refunded"]


async def test_internal_note(admin_client, db_session) -> None:
    order = await _order(db_session)
    url = f"/admin/orders/{order.id}"
    empty = await post_form(admin_client, f"{url}/notes", {"note": "  "}, htmx=True)
    assert empty.status_code == 422 and "Write the note first." in empty.text
    added = await post_form(admin_client, f"{url}/notes", {"note": "Ring twice."}, follow_redirects=False)
    assert added.status_code == 303
    note = await db_session.scalar(select(OrderEvent).where(OrderEvent.kind == "note"))
    assert note.internal and note.message == "Ring twice." and note.actor_label == "owner@example.com"
    assert await _audited(db_session) == ["order.note_added"]
    public = await admin_client.get(f"/admin/orders/{order.id}")
    assert "Ring twice." in public.text


async def test_bulk_ship_counts_shipped_and_skipped(admin_client, db_session) -> None:
    paid = await _order(db_session, "VRS-2026-000001", status="paid")
    pending = await _order(db_session, "VRS-2026-000002")
    done = await _order(db_session, "VRS-2026-000003", status="processing", shipped=True)
    paid_id, pending_id = paid.id, pending.id
    await admin_client.get("/admin/orders")
    response = await post_form(
        admin_client,
        "/admin/orders/bulk-ship",
        {
            "ids": [str(paid.id), str(pending.id), str(done.id), "not-an-id"],
            "back": "/admin/orders?status=paid",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/orders?status=paid"
    page = unescape((await admin_client.get(response.headers["location"])).text)
    assert (
        "1 order marked as shipped, 2 skipped (not paid, collected at the shop, or nothing left to ship)."
        in page
    )
    assert (await _fresh(db_session, paid_id)).status == "shipped"
    assert (await _fresh(db_session, pending_id)).status == "pending"
    assert await _audited(db_session) == ["order.shipped"]
    elsewhere = await post_form(
        admin_client, "/admin/orders/bulk-ship", {"ids": [], "back": "https://evil"}, follow_redirects=False
    )
    assert elsewhere.headers["location"] == "/admin/orders"


# ---- permissions ----------------------------------------------------------------------------
async def test_customers_are_refused_and_commercial_staff_only_read(client, admin, db_session) -> None:
    order = await _order(db_session)
    await make_user("sales@example.com", ["commercial"])
    await make_user("cust@example.com", ["user"])
    await sign_in(client, "sales@example.com", PASSWORD)
    assert (await client.get("/admin/orders")).status_code == 200
    page = await client.get(f"/admin/orders/{order.id}")
    assert page.status_code == 200 and f"/admin/orders/{order.id}/paid" not in page.text
    assert (await client.get(f"/admin/orders/{order.id}/invoice")).status_code == 200
    assert (await client.get("/admin/orders/export.csv")).status_code == 200
    for action in ("paid", "notes", "cancel"):
        assert (
            await post_form(client, f"/admin/orders/{order.id}/{action}", {"confirm": "on"})
        ).status_code == 403
    assert (await post_form(client, "/admin/orders/bulk-ship", {"ids": [str(order.id)]})).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await sign_in(client, "cust@example.com", PASSWORD)
    for url in ("/admin/orders", f"/admin/orders/{order.id}", "/admin/orders/export.csv",
                f"/admin/orders/{order.id}/packing-slip",
                f"/admin/orders/{order.id}/invoice.pdf"):  # fmt: skip
        assert (await client.get(url)).status_code == 403
    assert (await _fresh(db_session, order.id)).status == "pending"


# ---- print ----------------------------------------------------------------------------------
async def test_invoice_and_packing_slip(admin_client, db_session) -> None:
    order = await _order(db_session, status="paid")
    invoice = await admin_client.get(f"/admin/orders/{order.id}/invoice")
    assert invoice.status_code == 200
    text = unescape(invoice.text)
    assert "Invoice VRS-2026-000001" in text and "Test Bakery" in text and "css/print.css" in text
    assert 'class="topbar"' not in text and "sidebar" not in text  # no app shell
    assert "Bill to" in text and "12 Rue des Lilas" in text and "Total" in text and "€59.90" in text
    assert "VAT" in text and "20%" in text and "€9.25" in text
    slip = await admin_client.get(f"/admin/orders/{order.id}/packing-slip")
    assert slip.status_code == 200
    text = unescape(slip.text)
    assert "Packing slip VRS-2026-000001" in text and "SKU-0" in text and "Blue mug" in text
    assert "€" not in text and "Ship to" in text and "Bill to" not in text


async def test_the_invoice_as_a_pdf(admin_client, db_session) -> None:
    order = await _order(db_session, status="paid")
    pdf = await admin_client.get(f"/admin/orders/{order.id}/invoice.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="invoice-VRS-2026-000001.pdf"'
    assert pdf.headers["cache-control"] == "private, no-store"
    text = pdf_text(pdf.content)
    assert "Invoice" in text and "Order VRS-2026-000001" in text and "Test Bakery" in text
    assert "Bill to" in text and "12 Rue des Lilas" in text and "Blue mug" in text
    assert "Total" in text and "€59.90" in text and "VAT" in text and "20%" in text and "€9.25" in text
    page = await admin_client.get(f"/admin/orders/{order.id}")
    assert f'href="/admin/orders/{order.id}/invoice.pdf"' in page.text
