"""The demo shop that ``verso demo`` loads: believable, complete and idempotent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from verso.domains.orders.models import CheckoutDraft, Order, OrderEvent, OrderLine, Payment, Shipment
from verso.domains.shop.models import (
    Attribute,
    AttributeValue,
    Bundle,
    BundleItem,
    Cart,
    CartItem,
    Category,
    Collection,
    CollectionProduct,
    Discount,
    DiscountUsage,
    GiftCard,
    GiftCardEntry,
    Product,
    ProductImage,
    ProductTag,
    ProductVariant,
    Review,
    ShippingRate,
    ShippingZone,
    ShopSettings,
    TaxRate,
)
from verso.domains.shop.services import catalog_version
from verso.domains.shop.services._shop_settings import checkout_settings
from verso.lib.audit import AuditLog
from verso.lib.email import OutboxEmail
from verso.lib.storage import StoredFile

COUNTED = [
    Category,
    Product,
    ProductTag,
    ProductVariant,
    ProductImage,
    Attribute,
    AttributeValue,
    Collection,
    CollectionProduct,
    Bundle,
    BundleItem,
    Review,
    StoredFile,
    AuditLog,
    ShippingZone,
    ShippingRate,
    TaxRate,
    ShopSettings,
    Discount,
    DiscountUsage,
    GiftCard,
    GiftCardEntry,
    Cart,
    CartItem,
    CheckoutDraft,
    Order,
    OrderLine,
    OrderEvent,
    Payment,
    Shipment,
    OutboxEmail,
]


async def _counts(session: Any) -> dict[str, Any]:
    counts: dict[str, Any] = {
        model.__name__: await session.scalar(select(func.count()).select_from(model)) for model in COUNTED
    }
    counts["catalog_version"] = await session.scalar(select(catalog_version.c.version))
    counts["ratings"] = sorted(
        (await session.execute(select(Product.slug, Product.rating_count, Product.rating_total))).all()
    )
    counts["stock"] = sorted((await session.execute(select(Product.slug, Product.stock))).all())
    counts["orders"] = sorted((await session.execute(select(Order.number, Order.status, Order.total))).all())
    return counts


async def test_demo_shop_is_complete_and_idempotent(db_session) -> None:
    from verso.cli import load_demo_data

    await load_demo_data("demo password for the tests")
    first = await _counts(db_session)
    await load_demo_data("demo password for the tests")
    db_session.expire_all()
    assert await _counts(db_session) == first

    assert first["Category"] >= 3
    assert first["Product"] >= 40
    assert first["ProductVariant"] > 0 and first["ProductImage"] >= first["Product"]
    collections = (await db_session.scalars(select(Collection))).all()
    assert len(collections) == 2 and {c.kind for c in collections} == {"manual", "smart"}
    smart = next(c for c in collections if c.kind == "smart")
    assert smart.rules and all({"field", "op", "value"} <= set(rule) for rule in smart.rules)
    assert first["Bundle"] == 1 and first["BundleItem"] >= 2
    approved = await db_session.scalar(
        select(func.count()).select_from(Review).where(Review.status == "approved")
    )
    assert approved and approved > 0


async def test_every_active_demo_product_has_a_described_picture(db_session) -> None:
    from verso.cli import load_demo_data

    await load_demo_data("demo password for the tests")
    products = (await db_session.scalars(select(Product).where(Product.status == "active"))).all()
    assert len(products) >= 40
    for product in products:
        images = (
            await db_session.scalars(select(ProductImage).where(ProductImage.product_id == product.id))
        ).all()
        assert images, f"{product.name} has no picture"
        assert all(image.alt_text.strip() for image in images), f"{product.name} has a picture without alt"
        assert sum(image.is_primary for image in images) == 1


async def test_demo_shop_details(db_session) -> None:
    """Variants carry the XL surcharge and own SKUs; ratings agree with the approved reviews."""
    from verso.cli import load_demo_data

    await load_demo_data("demo password for the tests")
    variants = (await db_session.scalars(select(ProductVariant))).all()
    assert {v.attributes["Size"] for v in variants} == {"S", "M", "L", "XL"}
    assert all(v.price_adjustment == (200 if v.attributes["Size"] == "XL" else 0) for v in variants)
    assert all(v.sku for v in variants) and any(v.image_id for v in variants)
    assert any(v.stock == 0 for v in variants) and any(v.stock > 0 for v in variants)
    products = (await db_session.scalars(select(Product))).all()
    assert any(p.is_digital and not p.track_stock for p in products)
    assert any(p.on_sale for p in products) and any(p.status == "draft" for p in products)
    assert any(p.track_stock and p.stock == 0 and p.status == "active" for p in products)
    for product in products:
        ratings = (
            await db_session.scalars(
                select(Review.rating).where(Review.product_id == product.id, Review.status == "approved")
            )
        ).all()
        assert (product.rating_count, product.rating_total) == (len(ratings), sum(ratings))


async def test_demo_shop_sells(db_session) -> None:
    """Shipping from Lyon, French VAT, checkout settings, discounts, gift cards, and one order per
    demo customer placed through checkout: one paid, one shipped, one awaiting its bank transfer."""
    from verso.cli import load_demo_data

    await load_demo_data("demo password for the tests")
    zones = {
        zone.name: zone
        for zone in (
            await db_session.scalars(select(ShippingZone).options(selectinload(ShippingZone.rates)))
        ).all()
    }
    assert set(zones) == {"France", "European Union", "Rest of world"}
    rates = {(zone, rate.name): rate for zone, z in zones.items() for rate in z.rates}
    colissimo, express = rates["France", "Colissimo"], rates["France", "Express"]
    assert (colissimo.kind, colissimo.price, colissimo.free_over) == ("flat", 490, 6000)
    assert (colissimo.days_min, colissimo.days_max, express.price, express.days_max) == (2, 3, 1200, 1)
    assert zones["France"].countries == ["FR"]
    eu = zones["European Union"]
    assert len(eu.countries) == 26 and "FR" not in eu.countries and {"DE", "GR", "IE"} <= set(eu.countries)
    (by_weight,) = eu.rates
    assert (by_weight.kind, by_weight.price, by_weight.price_per_kg) == ("weight", 800, 200)
    world = zones["Rest of world"]
    assert world.rest_of_world and not world.countries and [r.price for r in world.rates] == [2500]

    (vat,) = (await db_session.scalars(select(TaxRate))).all()
    assert (vat.kind, vat.rate, vat.countries, vat.applies_to_shipping) == ("vat", 2000, ["FR"], True)
    settings = await checkout_settings(db_session)
    assert settings.prices_include_tax and settings.hold_minutes == 15 and settings.pickup_enabled
    assert settings.bank_transfer_enabled and settings.bank_iban == "FR7630006000011234567890189"
    assert settings.pickup_offered and settings.pickup_location["line1"] == "12 rue des Potiers"

    discounts = {d.code or d.name: d for d in (await db_session.scalars(select(Discount))).all()}
    welcome, mugs = discounts["WELCOME10"], discounts["MUG2FOR1"]
    assert (welcome.kind, welcome.value, welcome.eligibility, welcome.per_customer_limit) == (
        "percentage",
        1000,
        "new",
        1,
    )
    free = discounts["Free shipping over €80"]
    assert (free.kind, free.minimum_order) == ("free_shipping", 8000)
    mug = await db_session.scalar(select(Product).where(Product.slug == "stoneware-mug"))
    assert (mugs.kind, mugs.buy_quantity, mugs.get_quantity, mugs.value) == ("buy_x_get_y", 2, 1, 10000)
    assert mugs.applies_to == "products" and mugs.product_ids == [str(mug.id)]

    gift_product = await db_session.scalar(select(Product).where(Product.is_gift_card.is_(True)))
    assert gift_product is not None and gift_product.price == 2500 and gift_product.status == "active"
    assert gift_product.is_digital and not gift_product.track_stock
    staff_card = await db_session.scalar(
        select(GiftCard).where(GiftCard.recipient_email == "ben@example.com")
    )
    assert (staff_card.initial_balance, staff_card.balance, staff_card.currency) == (2500, 2500, "EUR")
    assert staff_card.purchased_order_id is None and staff_card.delivered_at is None  # not emailed
    gift_emails = select(func.count()).where(OutboxEmail.template == "shop/gift_card")
    assert await db_session.scalar(gift_emails) == 0

    orders = {
        o.email: o for o in (await db_session.scalars(select(Order).options(selectinload(Order.lines)))).all()
    }
    assert set(orders) == {"chloe@example.com", "ben@example.com", "mia@example.com"}
    for order in orders.values():
        assert (
            order.currency == "EUR" and order.prices_include_tax and order.payment_provider == "bank_transfer"
        )
        assert order.total == order.subtotal - order.discount_total + order.shipping_total  # prices with VAT
        assert order.amount_due == order.total and sum(line.total for line in order.lines) == (
            order.subtotal - order.discount_total
        )
    chloe, ben, mia = orders["chloe@example.com"], orders["ben@example.com"], orders["mia@example.com"]
    assert (chloe.status, chloe.shipping_method, chloe.subtotal) == ("paid", "Express", 7600)
    assert (chloe.discount_total, chloe.shipping_total, chloe.total) == (760, 1200, 8040)
    assert [d["label"] for d in chloe.discounts] == ["WELCOME10"]
    assert chloe.tax_total == 1340 and [t["rate"] for t in chloe.tax_lines] == [2000]  # 20% within €80.40
    assert (ben.status, ben.fulfilment_status, ben.subtotal, ben.discount_total) == (
        "shipped",
        "shipped",
        8300,
        1800,
    )
    assert [d["label"] for d in ben.discounts] == ["MUG2FOR1"] and ben.shipping_total == 0  # free over €60
    shipment = await db_session.scalar(select(Shipment).where(Shipment.order_id == ben.id))
    assert (shipment.carrier, shipment.tracking_number) == ("Colissimo", "6A12345678901")
    assert (mia.status, mia.shipping_method, mia.shipping_address["country"]) == ("pending", "Standard", "DE")
    assert (mia.subtotal, mia.shipping_total, mia.tax_total) == (5800, 1000, 0)  # €8 + €2 for 890 g
    payment = await db_session.scalar(select(Payment).where(Payment.order_id == mia.id))
    assert payment.state == "pending" and "FR76 3000" in payment.instructions["text"]
    paid = await db_session.scalars(select(Payment.state).where(Payment.order_id.in_([chloe.id, ben.id])))
    assert set(paid) == {"paid"}
    assert mug.stock == 64 - 3
