"""Staff discount screens over HTTP: the table (page, htmx fragment, search, filters), the form with
every field and its inline errors, the product picker, switching off, deletion, the uses list and
who may do what."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.factories import make_user, post_form, sign_in
from tests.shop.helpers import ACTOR, make_product
from verso.domains.ops.services import business_cache
from verso.domains.shop.models import Collection, Discount
from verso.domains.shop.services._discounts import DiscountInput, DiscountService, record_discount_use
from verso.lib import clock
from verso.lib.audit import AuditLog

BASE = "/admin/shop/discounts"


async def _discount(db_session, name: str = "Welcome", **fields) -> Discount:
    fields.setdefault("value", 1000)
    discount = await DiscountService(session=db_session).save_discount(
        None, DiscountInput(name=name, **fields), actor=ACTOR
    )
    await db_session.commit()
    return discount


async def test_table_page_fragment_search_and_filters(admin_client, db_session) -> None:
    clock.freeze(datetime(2026, 6, 1, 12, tzinfo=UTC))
    await _discount(db_session, "Welcome", code="welcome10")
    await _discount(
        db_session, "Summer sale", kind="fixed_amount", value=500, starts_at=datetime(2026, 7, 1, tzinfo=UTC)
    )
    await _discount(db_session, "Old", kind="free_shipping", ends_at=datetime(2026, 1, 1, tzinfo=UTC))
    await _discount(db_session, "Off", is_active=False)
    page = await admin_client.get(BASE)
    assert page.status_code == 200 and "<html" in page.text
    assert "WELCOME10" in page.text and "10% off" in page.text and "€5.00 off" in page.text
    assert 'href="/admin/shop/discounts"' in page.text  # the nav entry
    fragment = await admin_client.get(f"{BASE}?q=welcome", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="discounts-table"' in fragment.text
    assert "Welcome" in fragment.text and "Summer sale" not in fragment.text
    for status, name in (
        ("active", "Welcome"),
        ("scheduled", "Summer sale"),
        ("expired", "Old"),
        ("inactive", "Off"),
    ):
        listed = await admin_client.get(f"{BASE}?status={status}", headers={"HX-Request": "true"})
        names = [n for n in ("Welcome", "Summer sale", "Old", "Off") if f">{n}</a>" in listed.text]
        assert names == [name], (status, names)
    shipping = await admin_client.get(f"{BASE}?kind=free_shipping")
    assert ">Old</a>" in shipping.text and ">Welcome</a>" not in shipping.text
    by_name = await admin_client.get(f"{BASE}?sort=name&direction=asc", headers={"HX-Request": "true"})
    assert (
        by_name.text.index(">Off</a>")
        < by_name.text.index(">Summer sale</a>")
        < by_name.text.index(">Welcome</a>")
    )


async def test_create_with_every_field(admin_client, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", sku="MUG-1")
    collection = Collection(name="Gifts", slug="gifts")
    db_session.add(collection)
    await db_session.commit()
    form = await admin_client.get(f"{BASE}/new")
    assert form.status_code == 200 and 'name="percent"' in form.text and "Gifts" in form.text
    created = await post_form(
        admin_client,
        BASE,
        {
            "name": "Mugs  deal",
            "code": " mugs-2 ",
            "kind": "buy_x_get_y",
            "buy_quantity": "2",
            "get_quantity": "1",
            "get_percent": "50",
            "minimum_order": "20",
            "maximum_discount": "15.50",
            "maximum_uses": "100",
            "per_customer_limit": "1",
            "starts_at": "2026-07-01T09:00",
            "ends_at": "2026-07-31T18:00",
            "applies_to": "products",
            "product_ids": [str(mug.id)],
            "collection_ids": [str(collection.id)],
            "eligibility": "returning",
            "combinable": "on",
            "is_active": "on",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    discount = (await db_session.scalars(select(Discount))).one()
    assert (discount.name, discount.code, discount.kind, discount.value) == (
        "Mugs deal",
        "MUGS-2",
        "buy_x_get_y",
        5000,
    )
    assert (discount.buy_quantity, discount.get_quantity, discount.minimum_order) == (2, 1, 2000)
    assert (discount.maximum_discount, discount.maximum_uses, discount.per_customer_limit) == (1550, 100, 1)
    assert discount.product_ids == [str(mug.id)] and discount.collection_ids == []  # only what applies
    assert (discount.eligibility, discount.combinable, discount.is_active) == ("returning", True, True)
    # The form's wall-clock time is in the business's time zone; it is stored in UTC.
    zone = ZoneInfo(business_cache.current().timezone)
    assert clock.as_utc(discount.starts_at) == datetime(2026, 7, 1, 9, tzinfo=zone).astimezone(UTC)
    assert created.headers["location"] == f"{BASE}/{discount.id}"
    edit = await admin_client.get(created.headers["location"])
    assert 'value="MUGS-2"' in edit.text and 'value="50"' in edit.text and 'value="15.50"' in edit.text
    assert "Blue mug" in edit.text and "2026-07-01T09:00" in edit.text
    assert await db_session.scalar(select(AuditLog.id).where(AuditLog.action == "shop.discount.created"))


async def test_inline_errors_are_422_and_save_nothing(admin_client, db_session) -> None:
    await _discount(db_session, "Taken", code="SAVE5")
    await admin_client.get(f"{BASE}/new")
    bad = await post_form(
        admin_client,
        BASE,
        {"name": "", "kind": "percentage", "percent": "150", "minimum_order": "1.234", "maximum_uses": "0"},
    )
    assert bad.status_code == 422
    for message in (
        "This field is required.",
        "Must be at least 1.",
    ):
        assert message in bad.text
    bad = await post_form(
        admin_client,
        BASE,
        {"name": "X", "kind": "percentage", "percent": "150", "minimum_order": "1.234", "ends_at": "soon"},
    )
    assert bad.status_code == 422
    for message in (
        "Enter a percentage above 0 and at most 100.",
        "Use at most 2 decimal places.",
        "Enter a valid date and time.",
    ):
        assert message in bad.text
    rules = await post_form(
        admin_client,
        BASE,
        {
            "name": "X",
            "code": "save5",
            "kind": "fixed_amount",
            "amount": "",
            "starts_at": "2026-07-02T00:00",
            "ends_at": "2026-07-01T00:00",
            "applies_to": "collections",
        },
        headers={"HX-Request": "true"},
    )
    assert rules.status_code == 422 and "<html" not in rules.text
    assert "Enter an amount such as 5.00." in rules.text
    amount = await post_form(
        admin_client,
        BASE,
        {
            "name": "X",
            "code": "save5",
            "kind": "fixed_amount",
            "amount": "5",
            "starts_at": "2026-07-02T00:00",
            "ends_at": "2026-07-01T00:00",
            "applies_to": "collections",
        },
    )
    assert amount.status_code == 422
    for message in (
        "Another discount already uses the code SAVE5.",
        "Must be after the start.",
        "Choose at least one collection, or apply the discount to everything.",
    ):
        assert message in amount.text
    spaces = await post_form(admin_client, BASE, {"name": "X", "code": "two words", "percent": "5"})
    assert spaces.status_code == 422 and "Use letters, digits, - and _ only" in spaces.text
    assert len((await db_session.scalars(select(Discount))).all()) == 1


async def test_product_picker_with_and_without_javascript(admin_client, db_session) -> None:
    mug = await make_product(db_session, "Blue mug")
    await make_product(db_session, "Red mug")
    await make_product(db_session, "Teapot")
    await admin_client.get(f"{BASE}/new")
    fragment = await post_form(
        admin_client, f"{BASE}/products", {"product_q": "mug", "product_ids": [str(mug.id)]}, htmx=True
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="discount-products"' in fragment.text
    assert (
        f'value="{mug.id}" checked' in fragment.text
        and "Red mug" in fragment.text
        and "Teapot" not in fragment.text
    )
    plain = await post_form(
        admin_client,
        BASE,
        {
            "name": "Mugs",
            "percent": "10",
            "applies_to": "products",
            "product_q": "tea",
            "action": "find_products",
        },
    )
    assert plain.status_code == 200 and "<html" in plain.text and "Teapot" in plain.text
    assert await db_session.scalar(select(Discount.id)) is None  # searching saves nothing
    missing = await post_form(admin_client, BASE, {"name": "Mugs", "percent": "10", "applies_to": "products"})
    assert missing.status_code == 422 and "Choose at least one product" in missing.text
    gone = await post_form(
        admin_client,
        BASE,
        {"name": "Mugs", "percent": "10", "applies_to": "products", "product_ids": [str(uuid4())]},
    )
    assert gone.status_code == 422 and "Some of the chosen items no longer exist: choose again." in gone.text


async def test_switch_off_delete_and_uses(admin_client, db_session) -> None:
    used = await _discount(db_session, "Used", code="USED")
    unused = await _discount(db_session, "Unused", code="UNUSED")
    order_id = uuid4()
    assert await record_discount_use(
        db_session,
        discount_id=used.id,
        order_id=order_id,
        customer_id=None,
        email="Ann@Example.com",
        amount=250,
    )
    await db_session.commit()
    detail = await admin_client.get(f"{BASE}/{used.id}")
    assert "Used 1 time." in detail.text and str(order_id) in detail.text and "ann@example.com" in detail.text
    assert "€2.50" in detail.text
    uses = await admin_client.get(f"{BASE}/{used.id}?q=nobody", headers={"HX-Request": "true"})
    assert (
        "<html" not in uses.text and 'id="usages-table"' in uses.text and "ann@example.com" not in uses.text
    )
    off = await post_form(admin_client, f"{BASE}/{used.id}/active", {"active": ""}, follow_redirects=False)
    assert off.status_code == 303
    await db_session.refresh(used)
    assert used.is_active is False
    refused = await post_form(admin_client, f"{BASE}/{used.id}/delete")
    assert "This discount has been used, so it is kept: deactivate it instead." in refused.text
    assert await db_session.get(Discount, used.id) is not None
    deleted = await post_form(admin_client, f"{BASE}/{unused.id}/delete", follow_redirects=False)
    assert deleted.status_code == 303
    db_session.expunge_all()
    assert await db_session.get(Discount, unused.id) is None


async def test_permissions(client, admin, db_session) -> None:
    discount = await _discount(db_session, "Welcome", code="HELLO")
    await make_user("sales@example.com", ["commercial"])
    await make_user("cust@example.com", ["user"])
    await sign_in(client, "sales@example.com", "another long passphrase")
    assert (await client.get(BASE)).status_code == 200
    readonly = await client.get(f"{BASE}/{discount.id}")
    assert readonly.status_code == 200 and "<fieldset disabled>" in readonly.text
    assert (await client.get(f"{BASE}/new")).status_code == 403
    assert (await post_form(client, f"{BASE}/{discount.id}/delete")).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await sign_in(client, "cust@example.com", "another long passphrase")
    assert (await client.get(BASE)).status_code == 403
    assert (await client.get(f"{BASE}/{discount.id}")).status_code == 403
    denied = await post_form(client, BASE, {"name": "Mine", "percent": "90"})
    assert denied.status_code == 403
    assert len((await db_session.scalars(select(Discount))).all()) == 1
