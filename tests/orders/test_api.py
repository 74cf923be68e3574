"""The orders and cart JSON API: the list with its filters and pages (per_page above 100 is a 422),
one order with its lines, changes through the lifecycle (a value that is not a status answers 422
listing the valid ones, a refused transition 409 and nothing changes), scopes enforced, and the
caller's cart round trip with its refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select, update

from tests.api.conftest import bearer, create_key
from tests.shop.helpers import make_product
from verso.domains.orders.models import STATUSES, Order, OrderEvent, OrderLine, Shipment
from verso.domains.orders.services._history import OrderFilter, find_orders
from verso.domains.shop.models import Product
from verso.lib.audit import AuditLog
from verso.lib.email import OutboxEmail

PROBLEM = "application/problem+json"
URL = "/api/v1/orders"
CART = "/api/v1/cart"


async def make_order(
    session: Any,
    seq: int,
    *,
    customer_id: UUID | None = None,
    status: str = "pending",
    created_at: datetime | None = None,
    lines: list[tuple[Product | None, int]] | None = None,
    provider: str = "bank_transfer",
    email: str = "ann@example.com",
    delivery: str = "ship",
) -> Order:
    """An order straight into the tables (no checkout): ``lines`` are (product or None, quantity)."""
    lines = lines if lines is not None else [(None, 1)]
    order = Order(
        number=f"VRS-2026-{seq:06d}",
        customer_id=customer_id,
        email=email,
        status=status,
        currency="EUR",
        subtotal=0,
        total=0,
        amount_due=0,
        payment_provider=provider,
        delivery=delivery,
        shipping_method="Standard" if delivery == "ship" else "Pick up at the shop",
        created_at=created_at or datetime(2026, 1, seq % 28 + 1, 12, tzinfo=UTC),
    )
    session.add(order)
    await session.flush()
    total = 0
    for position, (product, quantity) in enumerate(lines):
        price = product.price if product is not None else 500
        total += price * quantity
        session.add(
            OrderLine(
                order_id=order.id,
                position=position,
                product_id=product.id if product is not None else None,
                name=product.name if product is not None else "Retired mug",
                unit_price=price,
                quantity=quantity,
                subtotal=price * quantity,
                total=price * quantity,
            )
        )
    order.subtotal = order.total = order.amount_due = total
    await session.commit()
    return order


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


@pytest.fixture
async def key(admin_client) -> str:
    return await create_key(admin_client, "Fulfilment", ("read:orders", "write:orders"))


@pytest.fixture
def api(admin_client, key):
    async def call(method: str, url: str, **kwargs: Any) -> Any:
        return await admin_client.request(method, url, headers=bearer(key), **kwargs)

    return call


async def _numbers(api, query: str = "") -> list[str]:
    response = await api("get", f"{URL}?{query}")
    assert response.status_code == 200, response.text
    return [item["number"] for item in response.json()["items"]]


# ---- reading ----------------------------------------------------------------------------------
async def test_list_is_newest_first_with_filters_and_pages(api, db_session) -> None:
    await make_order(db_session, 1, created_at=datetime(2026, 1, 10, 12, tzinfo=UTC))
    await make_order(db_session, 2, status="paid", created_at=datetime(2026, 2, 10, 12, tzinfo=UTC))
    await make_order(db_session, 3, status="shipped", created_at=datetime(2026, 3, 10, 12, tzinfo=UTC))
    one, two, three = (f"VRS-2026-{n:06d}" for n in (1, 2, 3))
    body = (await api("get", URL)).json()
    assert [i["number"] for i in body["items"]] == [three, two, one]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 20, 3, 1)
    assert await _numbers(api, "status=paid") == [two]
    assert await _numbers(api, "created_after=2026-02-01") == [three, two]
    # A date is a day in the business time zone (Paris): "before 10 February" leaves out that day.
    assert await _numbers(api, "created_before=2026-02-10") == [one]
    assert await _numbers(api, "created_after=2026-02-10T12:00:00Z&created_before=2026-03-10T12:00:00Z") == [
        two
    ]
    paged = (await api("get", f"{URL}?per_page=2&page=2")).json()
    assert [i["number"] for i in paged["items"]] == [one] and (paged["total"], paged["pages"]) == (3, 2)
    assert len((await api("get", f"{URL}?per_page=100")).json()["items"]) == 3


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("per_page=101", "per_page", "per_page must be from 1 to 100."),
        ("per_page=0", "per_page", "per_page must be from 1 to 100."),
        ("status=lost", "status", "status must be one of: " + ", ".join(STATUSES) + "."),
        ("created_after=yesterday", "created_after", "created_after must be an ISO 8601 date"),
    ],
)
async def test_bad_list_parameters_are_422_problems(api, query: str, field: str, message: str) -> None:
    body = _problem(await api("get", f"{URL}?{query}"), 422)
    [error] = body["errors"]
    assert error["field"] == field and error["message"].startswith(message)


async def test_an_order_with_its_lines(api, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    order = await make_order(db_session, 7, lines=[(mug, 2), (None, 1)])
    body = (await api("get", f"{URL}/{order.id}")).json()
    assert body["number"] == "VRS-2026-000007" and body["status"] == "pending" and body["delivery"] == "ship"
    assert body["fulfillment_status"] == "unfulfilled" and body["currency"] == "EUR"
    assert body["total"] == 3000 and body["tracking_number"] is None and body["shipments"] == []
    assert [
        (line["name"], line["quantity"], line["unit_price"], line["total"]) for line in body["lines"]
    ] == [
        ("Blue mug", 2, 1250, 2500),
        ("Retired mug", 1, 500, 500),
    ]
    assert body["lines"][0]["product_id"] == str(mug.id)
    missing = _problem(await api("get", f"{URL}/{uuid4()}"), 404)
    assert missing["detail"] == "No such order."


async def test_the_list_query_keeps_a_customer_to_their_own_orders(db_session, admin) -> None:
    """Keys whose owner lacks orders.read are given this filter: only their own orders."""
    await make_order(db_session, 1, customer_id=admin.id)
    await make_order(db_session, 2)
    mine, total = await find_orders(db_session, OrderFilter(customer_id=admin.id), page=1, per_page=10)
    assert [o.number for o in mine] == ["VRS-2026-000001"] and total == 1
    everyone, total = await find_orders(db_session, OrderFilter(), page=1, per_page=10)
    assert total == 2 and len(everyone) == 2


# ---- changing ---------------------------------------------------------------------------------
async def _fresh(db_session, order: Order) -> Order:
    order_id = order.id
    db_session.expire_all()
    return await db_session.get_one(Order, order_id)


async def test_status_changes_go_through_the_lifecycle(api, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    order = await make_order(db_session, 1, lines=[(mug, 1)])
    paid = await api("patch", f"{URL}/{order.id}", json={"status": "paid"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid" and paid.json()["paid_at"]
    shipped = await api(
        "patch", f"{URL}/{order.id}", json={"status": "shipped", "tracking_number": "1Z999", "carrier": "UPS"}
    )
    body = shipped.json()
    assert (body["status"], body["fulfillment_status"], body["tracking_number"]) == (
        "shipped",
        "shipped",
        "1Z999",
    )
    assert [(s["carrier"], s["tracking_number"]) for s in body["shipments"]] == [("UPS", "1Z999")]
    # A tracking number alone corrects the latest shipment; the same status again changes nothing.
    fixed = await api("patch", f"{URL}/{order.id}", json={"status": "shipped", "tracking_number": "1Z1000"})
    assert fixed.status_code == 200 and fixed.json()["tracking_number"] == "1Z1000"
    assert len(fixed.json()["shipments"]) == 1
    delivered = await api("patch", f"{URL}/{order.id}", json={"status": "delivered"})
    assert delivered.json()["status"] == "delivered" and delivered.json()["fulfillment_status"] == "delivered"
    returned = await api("patch", f"{URL}/{order.id}", json={"fulfillment_status": "returned"})
    assert returned.json()["fulfillment_status"] == "returned"
    events = (await db_session.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == order.id))).all()
    assert {"paid", "shipped", "tracking", "delivered", "fulfilment"} <= set(events)
    labels = (
        await db_session.scalars(select(OrderEvent.actor_label).where(OrderEvent.kind == "tracking"))
    ).all()
    assert labels and "(API key vso_" in labels[0]
    audited = set((await db_session.scalars(select(AuditLog.action))).all())
    assert {"order.paid", "order.shipped", "order.tracking_changed", "order.fulfilment_changed"} <= audited


async def test_a_value_that_is_not_a_status_lists_the_valid_ones(api, db_session) -> None:
    order = await make_order(db_session, 1)
    body = _problem(await api("patch", f"{URL}/{order.id}", json={"status": "teleported"}), 422)
    assert (
        body["detail"]
        == "status must be one of: pending, paid, processing, shipped, delivered, cancelled, refunded."
    )
    assert body["errors"] == [{"field": "status", "message": body["detail"]}]
    bad = _problem(await api("patch", f"{URL}/{order.id}", json={"fulfillment_status": "lost"}), 422)
    assert bad["errors"][0]["field"] == "fulfillment_status"
    assert "unfulfilled, partial, shipped, ready, delivered, returned" in bad["detail"]
    _problem(await api("patch", f"{URL}/{order.id}", json={"state": "paid"}), 400)  # unknown field
    assert (await _fresh(db_session, order)).status == "pending"


async def test_a_refused_transition_is_a_409_and_changes_nothing(api, db_session) -> None:
    order = await make_order(db_session, 1)
    body = _problem(await api("patch", f"{URL}/{order.id}", json={"status": "delivered"}), 409)
    assert body["detail"] == "An order that is pending cannot become delivered."
    ship = _problem(
        await api("patch", f"{URL}/{order.id}", json={"status": "shipped", "tracking_number": "X1"}), 409
    )
    assert "must be paid first" in ship["detail"]
    retrack = _problem(await api("patch", f"{URL}/{order.id}", json={"tracking_number": "X1"}), 409)
    assert "no shipment yet" in retrack["detail"]
    refund = _problem(await api("patch", f"{URL}/{order.id}", json={"status": "refunded"}), 409)
    assert "refund it from the staff order page" in refund["detail"]
    card = await make_order(db_session, 2, provider="stripe")
    by_hand = _problem(await api("patch", f"{URL}/{card.id}", json={"status": "paid"}), 409)
    assert "card provider" in by_hand["detail"]
    fresh = await _fresh(db_session, order)
    assert (fresh.status, fresh.fulfilment_status) == ("pending", "unfulfilled")
    assert await db_session.scalar(select(Shipment.id)) is None
    # Cancelling a pending order is allowed.
    cancelled = await api("patch", f"{URL}/{order.id}", json={"status": "cancelled"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    missing = _problem(await api("patch", f"{URL}/{uuid4()}", json={"status": "paid"}), 404)
    assert missing["status"] == 404


async def test_an_order_collected_at_the_shop_is_handed_over_not_shipped(api, db_session) -> None:
    order = await make_order(db_session, 1, status="paid", delivery="pickup")
    assert (await api("get", f"{URL}/{order.id}")).json()["delivery"] == "pickup"
    ship = _problem(await api("patch", f"{URL}/{order.id}", json={"status": "shipped"}), 409)
    assert ship["detail"] == "The customer collects this order at the shop: mark it delivered once collected."
    label = _problem(await api("patch", f"{URL}/{order.id}", json={"fulfillment_status": "shipped"}), 409)
    assert label["detail"] == "The customer collects this order at the shop: it is never shipped."
    handed = await api("patch", f"{URL}/{order.id}", json={"status": "delivered"})
    assert handed.status_code == 200 and handed.json()["status"] == "delivered"


async def test_ready_for_pickup_tells_the_customer_and_is_only_for_pickup(api, db_session) -> None:
    counter = await make_order(db_session, 1, delivery="pickup", provider="pay_on_pickup")
    shipped = await make_order(db_session, 2, status="paid")
    counter_url = f"{URL}/{counter.id}"
    ready = await api("patch", counter_url, json={"fulfillment_status": "ready"})
    assert ready.status_code == 200, ready.text
    assert (ready.json()["status"], ready.json()["fulfillment_status"]) == ("pending", "ready")
    mail = await db_session.scalar(select(OutboxEmail).where(OutboxEmail.template == "orders/ready"))
    assert mail is not None and mail.to_address == "ann@example.com"
    # PATCH is idempotent: asking again changes nothing and sends no second email.
    again = await api("patch", counter_url, json={"fulfillment_status": "ready"})
    assert again.status_code == 200 and again.json()["fulfillment_status"] == "ready"
    assert len((await db_session.scalars(select(OutboxEmail.id))).all()) == 1
    refused = _problem(await api("patch", f"{URL}/{shipped.id}", json={"fulfillment_status": "ready"}), 409)
    assert refused["detail"] == "Only an order collected at the shop is made ready for pickup."
    assert refused["errors"][0]["field"] == "fulfillment_status"
    assert (await _fresh(db_session, shipped)).fulfilment_status == "unfulfilled"
    # A ready order's label changes by collecting or cancelling it, not by hand.
    relabel = _problem(await api("patch", counter_url, json={"fulfillment_status": "unfulfilled"}), 409)
    assert relabel["detail"].startswith("This order is ready for pickup: set status delivered")
    # Cancelled before it was collected: no longer waiting at the counter.
    cancelled = await api("patch", counter_url, json={"status": "cancelled"})
    assert cancelled.status_code == 200
    answer = cancelled.json()
    assert (answer["status"], answer["fulfillment_status"]) == ("cancelled", "unfulfilled")


# ---- keys and scopes --------------------------------------------------------------------------
async def test_scopes_are_enforced(admin_client, db_session) -> None:
    order = await make_order(db_session, 1)
    reader = bearer(await create_key(admin_client, "Reader", ("read:orders",)))
    products = bearer(await create_key(admin_client, "Catalogue", ("read:products",)))
    assert (await admin_client.get(URL, headers=reader)).status_code == 200
    assert (await admin_client.get(CART, headers=reader)).status_code == 200
    refused = _problem(
        await admin_client.patch(f"{URL}/{order.id}", json={"status": "paid"}, headers=reader), 403
    )
    assert "write:orders" in refused["detail"]
    _problem(await admin_client.post(CART, json={"product_id": str(uuid4())}, headers=reader), 403)
    _problem(await admin_client.delete(CART, headers=reader), 403)
    _problem(await admin_client.get(URL, headers=products), 403)
    _problem(await admin_client.get(f"{URL}/{order.id}", headers=products), 403)
    _problem(await admin_client.get(URL), 401)
    assert (await _fresh(db_session, order)).status == "pending"


# ---- the cart ---------------------------------------------------------------------------------
async def test_cart_round_trip_with_refusals(api, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=3)
    gone = await make_product(db_session, "Sold out mug", price=900, stock=0)
    empty = (await api("get", CART)).json()
    assert (empty["lines"], empty["subtotal"], empty["count"], empty["problems"]) == ([], 0, 0, [])
    added = await api("post", CART, json={"product_id": str(mug.id), "quantity": 2})
    assert added.status_code == 200, added.text
    body = added.json()
    [line] = body["lines"]
    assert (line["name"], line["unit_price"], line["quantity"], line["total"]) == ("Blue mug", 1250, 2, 2500)
    assert body["subtotal"] == 2500 and body["currency"] == "EUR" and body["notice"]["level"] == "success"
    clamped = (await api("post", CART, json={"product_id": str(mug.id), "quantity": 5})).json()
    assert clamped["lines"][0]["quantity"] == 3
    assert clamped["notice"] == {"message": "Only 3 available.", "level": "warning"}
    refused = _problem(await api("post", CART, json={"product_id": str(gone.id)}), 422)
    assert refused["detail"] == "Sorry, Sold out mug is out of stock."
    zero = _problem(await api("post", CART, json={"product_id": str(mug.id), "quantity": 0}), 422)
    assert zero["detail"] == "Choose a quantity of at least 1."
    item_id = line["id"]
    changed = (await api("patch", CART, json={"item_id": item_id, "quantity": 1})).json()
    assert changed["lines"][0]["quantity"] == 1 and changed["subtotal"] == 1250
    unknown = _problem(await api("patch", CART, json={"item_id": str(uuid4()), "quantity": 1}), 422)
    assert unknown["detail"] == "That item is no longer in your cart."
    # The stock runs out meanwhile: the line says so.
    await db_session.execute(update(Product).where(Product.id == mug.id).values(stock=0))
    await db_session.commit()
    problems = (await api("get", CART)).json()
    assert problems["problems"] == [{"item_id": item_id, "message": "Out of stock: remove it to check out."}]
    assert problems["lines"][0]["problem"] == "Out of stock: remove it to check out."
    removed = (await api("patch", CART, json={"item_id": item_id, "quantity": 0})).json()
    assert removed["lines"] == [] and removed["notice"]["message"] == "Removed from your cart."
    await api("post", CART, json={"product_id": str(gone.id)})  # refused: nothing added
    await db_session.execute(update(Product).where(Product.id == mug.id).values(stock=5))
    await db_session.commit()
    await api("post", CART, json={"product_id": str(mug.id)})
    emptied = await api("delete", CART)
    assert emptied.status_code == 204
    assert (await api("get", CART)).json()["lines"] == []


async def test_the_openapi_document_describes_the_orders_api(client) -> None:
    document = (await client.get("/api/openapi.json")).json()
    collection, item, cart = (document["paths"][p] for p in (URL, URL + "/{order_id}", CART))
    assert set(collection) == {"get"} and set(item) == {"get", "patch"}
    assert set(cart) == {"get", "post", "patch", "delete"}
    for operation in (*collection.values(), *item.values(), *cart.values()):
        assert operation["security"] == [{"bearerAuth": []}]
        assert {"401", "403"} <= set(operation["responses"])
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                assert list(response["content"]) == [PROBLEM], (status, response)
    assert {"409", "422", "404"} <= set(item["patch"]["responses"])
    params = {p["name"] for p in collection["get"]["parameters"]}
    assert {"status", "created_after", "created_before", "page", "per_page"} <= params
    schemas = document["components"]["schemas"]
    assert {"number", "status", "fulfillment_status", "lines", "tracking_number"} <= set(
        schemas["OrderOut"]["properties"]
    )
    assert {"lines", "subtotal", "problems"} <= set(schemas["CartOut"]["properties"])
