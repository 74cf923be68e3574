"""The demo shop's selling set-up and its first orders: shipping from Lyon, French VAT, checkout
settings, three discounts, a gift card product and a staff-issued card, and one order per demo
customer (one paid, one shipped, one waiting for its bank transfer). Idempotent.

Everything goes through the services a person would use (staff's shipping, tax, settings, discount
and gift card actions; the customer's cart and checkout; staff's order actions), so every figure is
the one the shop itself would compute. Each thing is keyed by its name or code, each order by its
customer: a second run finds them in place and changes nothing. The set-up is committed before the
first order, since checkout reads it as committed; checkout then commits as it goes (the order, then
its payment), as it does for a real customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.services import UserService
from verso.domains.ops.services import business_cache
from verso.domains.orders.models import Order
from verso.domains.orders.services._checkout import (
    Paid,
    apply_code,
    choose_rate,
    load_checkout,
    pay,
    save_delivery_address,
)
from verso.domains.orders.services._lifecycle import ShipmentInput, load_order
from verso.domains.orders.services._staff import staff_mark_paid, staff_ship
from verso.domains.shop.demo._catalogue import Item
from verso.domains.shop.demo._pictures import draw_product
from verso.domains.shop.models import Discount, GiftCard, Product, ShippingZone, ShopSettings, TaxRate
from verso.domains.shop.models._shipping import SHOP_SETTINGS_ID
from verso.domains.shop.services import ImageService, ProductInput, ProductService
from verso.domains.shop.services._cart import AddRequest, CartOwner, add_to_cart, empty_cart, ensure_cart
from verso.domains.shop.services._discounts import DiscountInput, DiscountService
from verso.domains.shop.services._gift_cards import issue_gift_card
from verso.domains.shop.services._shipping import Places, RateInput, ShippingService, ZoneInput
from verso.domains.shop.services._shop_settings import CheckoutSettings, save_checkout_settings
from verso.domains.shop.services._tax_rates import TaxRateInput, TaxRateService
from verso.lib.audit import Actor
from verso.lib.slugs import slugify

ACTOR = Actor(label="demo")
EU_WITHOUT_FR = (
    "AT BE BG HR CY CZ DK EE FI DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)  # fmt: skip
# (zone, countries, rest of world, rates); money in euro cents
ZONES = [
    ("France", ["FR"], False, [
        RateInput("Colissimo", "flat", price=490, free_over=6000, days_min=2, days_max=3),
        RateInput("Express", "flat", price=1200, days_min=1, days_max=1),
    ]),
    ("European Union", EU_WITHOUT_FR, False, [
        RateInput("Standard", "weight", price=800, price_per_kg=200, days_min=3, days_max=6),
    ]),
    ("Rest of world", [], True, [
        RateInput("International", "flat", price=2500, days_min=5, days_max=10),
    ]),
]  # fmt: skip
VAT = TaxRateInput("French VAT", 2000, "vat", Places(countries=["FR"]), applies_to_shipping=True)
SETTINGS = CheckoutSettings(
    prices_include_tax=True,  # French shops show prices with VAT (TTC)
    hold_minutes=15,
    bank_account_holder="Juniper & Co. Ceramics",
    bank_iban="FR76 3000 6000 0112 3456 7890 189",  # a well-formed test IBAN: no such account
    bank_name="Demo Bank (not a real account)",
    pickup_enabled=True,
    pickup_instructions="Tuesday to Saturday, 10:00–18:00: bring your order number.",  # noqa: RUF001
    pickup_location={
        "name": "Juniper & Co. studio",
        "line1": "12 rue des Potiers",
        "line2": "",
        "city": "Lyon",
        "state": "",
        "postcode": "69001",
        "country": "FR",
    },
)
MUG = "Stoneware Mug"
GIFT_CARD = Item(
    "Gift cards", "Gift Card", 2500, 0, "gift",
    "Let them choose: a €25 card for anything in the studio, sent by email with its code.",
    ("Sent by email to the person you choose, with your message", "Spend it in one go or bit by bit",
     "Check the balance any time on the gift card page"),
)  # fmt: skip
STAFF_CARD = (  # (recipient, name, amount in cents, message)
    "ben@example.com",
    "Ben Okafor",
    2500,
    "Sorry one of your mugs arrived chipped: here is €25 towards your next order. The studio",
)


@dataclass(frozen=True)
class DemoOrder:
    email: str
    address: dict[str, str]
    items: tuple[tuple[str, int], ...]  # (product name, quantity)
    rate: str
    codes: tuple[str, ...] = ()
    then: str = "pending"  # "pending" (awaiting the transfer), "paid" or "shipped"


ORDERS = [
    DemoOrder(
        "chloe@example.com",
        {"name": "Chloé Martin", "line1": "21 rue Sainte-Catherine", "postcode": "33000",
         "city": "Bordeaux", "country": "FR", "phone": "+33 6 12 34 56 78"},
        (("Fig and Cedar Soy Candle", 2), ("Linen Tea Towel Set", 1)),
        "Express",
        codes=("WELCOME10",),
        then="paid",
    ),
    DemoOrder(
        "ben@example.com",
        {"name": "Ben Okafor", "line1": "14 rue de la Roquette", "postcode": "75011", "city": "Paris",
         "country": "FR"},
        ((MUG, 3), ("Ceramic Pour-Over Dripper", 1)),
        "Colissimo",
        codes=("MUG2FOR1",),
        then="shipped",
    ),
    DemoOrder(
        "mia@example.com",
        {"name": "Mia Schmidt", "line1": "Kastanienallee 32", "postcode": "10435", "city": "Berlin",
         "country": "DE"},
        (("Dot Grid Notebook A5", 1), ("Linen-bound Journal", 1), ("Recycled Notecards", 1)),
        "Standard",
    ),
]  # fmt: skip
SHIPMENT = ShipmentInput(
    carrier="Colissimo",
    tracking_number="6A12345678901",
    tracking_url="https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
)


async def load_commerce(session: AsyncSession, products: dict[str, Product]) -> None:
    """Set the shop up to sell and place the demo customers' orders (``products`` by name)."""
    await business_cache.load(session)  # orders take the business's currency, year and name
    await _shipping(session)
    await _tax(session)
    await _settings(session)
    await _discounts(session, products)
    await _gift_cards(session)
    await session.commit()  # checkout reads the shop's set-up as committed, as for any customer
    for order in ORDERS:
        await _order(session, order, products)


async def _shipping(session: AsyncSession) -> None:
    service = ShippingService(session=session)
    for position, (name, codes, rest_of_world, rates) in enumerate(ZONES):
        found = select(ShippingZone.id).where(
            ShippingZone.rest_of_world.is_(True) if rest_of_world else ShippingZone.name == name
        )
        zone_id = await session.scalar(found)
        if zone_id is None:
            data = ZoneInput(name, Places(countries=codes), rest_of_world=rest_of_world, position=position)
            zone_id = (await service.save_zone(None, data, actor=ACTOR)).id
        zone = await service.zone(zone_id)
        assert zone is not None
        existing = {rate.name for rate in zone.rates}
        for rate in rates:
            if rate.name not in existing:
                await service.save_rate(zone, None, rate, actor=ACTOR)


async def _tax(session: AsyncSession) -> None:
    if await session.scalar(select(TaxRate.id).where(TaxRate.name == VAT.name)) is None:
        await TaxRateService(session=session).save_rate(None, VAT, actor=ACTOR)


async def _settings(session: AsyncSession) -> None:
    """The checkout settings, once: what staff changed since is theirs."""
    if await session.get(ShopSettings, SHOP_SETTINGS_ID) is None:
        await save_checkout_settings(session, SETTINGS, actor=ACTOR)


async def _discounts(session: AsyncSession, products: dict[str, Product]) -> None:
    wanted = [
        DiscountInput("Welcome: 10% off a first order", "percentage", 1000, code="WELCOME10",
                      eligibility="new", per_customer_limit=1, combinable=True),
        DiscountInput("Free shipping over €80", "free_shipping", minimum_order=8000, combinable=True),
        DiscountInput("Mugs: buy 2, get 1 free", "buy_x_get_y", 10000, code="MUG2FOR1", buy_quantity=2,
                      get_quantity=1, applies_to="products", product_ids=[products[MUG].id]),
    ]  # fmt: skip
    service = DiscountService(session=session)
    for data in wanted:
        key = Discount.code == data.code if data.code else Discount.name == data.name
        if await session.scalar(select(Discount.id).where(key)) is None:
            await service.save_discount(None, data, actor=ACTOR)


async def _gift_cards(session: AsyncSession) -> None:
    """A gift card product for the shop and a card staff gave a customer (not emailed: it is a demo)."""
    await _gift_card_product(session)
    email, name, amount, message = STAFF_CARD
    issued = select(GiftCard.id).where(
        GiftCard.recipient_email == email, GiftCard.purchased_order_id.is_(None)
    )
    if await session.scalar(issued) is None:
        business = business_cache.current()
        await issue_gift_card(
            session,
            amount=amount,
            currency=business.currency,
            order_id=None,
            recipient_email=email,
            recipient_name=name,
            sender_name=business.name,
            message=message,
            actor=ACTOR,
            send=False,
        )


async def _gift_card_product(session: AsyncSession) -> None:
    service = ProductService(session=session)
    slug = slugify(GIFT_CARD.name, 200)
    product, moved = await service.by_slug(slug)
    if product is not None or moved is not None:
        return
    product = await service.create_product(
        ProductInput(
            name=GIFT_CARD.name,
            price=GIFT_CARD.price,
            description=GIFT_CARD.blurb + "\n\n" + "\n".join(f"- {d}" for d in GIFT_CARD.details) + "\n",
            sku="GIFT-025",
            track_stock=False,
            is_digital=True,
            status="active",
            seo_description=GIFT_CARD.blurb,
            tags=[GIFT_CARD.tags],
        ),
        actor=ACTOR,
    )
    product.is_gift_card = True  # ProductInput has no such field: staff cannot set it yet either
    await ImageService(session=session).add_image(
        product,
        draw_product(product.slug, GIFT_CARD, None),
        filename=f"{product.slug}.png",
        alt_text="A Juniper & Co. gift card, illustrated on a plain background",
        actor=ACTOR,
    )


async def _order(session: AsyncSession, wanted: DemoOrder, products: dict[str, Product]) -> None:
    """One customer's order, placed through their cart and checkout, then moved on by staff. A
    customer who already has an order (from an earlier run, or from trying the shop) is left alone."""
    user = await UserService(session=session).find_by_login(wanted.email)
    if user is None:
        return
    ordered = select(func.count()).select_from(Order).where(Order.customer_id == user.id)
    if await session.scalar(ordered):
        return
    owner = CartOwner(customer_id=user.id)
    cart, _ = await ensure_cart(session, owner)
    await empty_cart(session, cart.id)  # whatever was left in it is not part of the demo order
    await session.refresh(cart, ["items"])
    for name, quantity in wanted.items:
        await add_to_cart(session, cart, AddRequest(product_id=products[name].id, quantity=quantity))
    for code in wanted.codes:
        if problem := await apply_code(session, cart, code):
            raise RuntimeError(f"demo order for {wanted.email}: {problem}")
    form = await save_delivery_address(session, owner, wanted.address)
    if form is None:
        raise RuntimeError(f"demo order for {wanted.email}: the customer has no cart")
    if not form.valid:
        raise RuntimeError(f"demo order for {wanted.email}: {form.errors}")
    state = await load_checkout(session, owner, customer_email=user.email)
    assert state is not None
    options = {o.name: o.rate_id for o in state.priced.totals.shipping_options}
    if problem := choose_rate(state, str(options.get(wanted.rate, ""))):
        raise RuntimeError(f"demo order for {wanted.email}: {problem} ({', '.join(options)})")
    state = await load_checkout(session, owner, customer_email=user.email)  # priced with the rate
    assert state is not None
    placed = await pay(session, state, "bank_transfer")
    assert isinstance(placed, Paid)
    await _move_on(session, placed.order.id, wanted.then)


async def _move_on(session: AsyncSession, order_id: UUID, then: str) -> None:
    """What staff did next: the transfer arrived (paid), and for one order the parcel left too."""
    if then == "pending":
        return
    order = await load_order(session, order_id)
    assert order is not None
    await staff_mark_paid(session, order, actor=ACTOR)
    if then == "shipped":
        await staff_ship(session, order, SHIPMENT, actor=ACTOR)
    await session.flush()


__all__ = ["load_commerce"]
