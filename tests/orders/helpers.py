"""Building blocks for checkout tests: a shop that ships to France and takes bank transfers (or
lets customers collect), a code, and a guest who has filled a cart and gone through checkout's steps
over HTTP."""

from __future__ import annotations

import json
from typing import Any

from tests.factories import post_form
from tests.lib.payments.stripe_standin import WEBHOOK_SECRET
from verso.domains.shop.models import Discount, ShippingRate, ShippingZone
from verso.domains.shop.services import CheckoutSettings, save_checkout_settings
from verso.lib.audit import Actor
from verso.lib.payments import sign_stripe_payload

ADDRESS = {
    "name": "Ann Guest",
    "line1": "1 rue de la Paix",
    "city": "Paris",
    "postcode": "75002",
    "country": "FR",
}


BANK = {"bank_account_holder": "Juniper & Co.", "bank_iban": "FR7630006000011234567890189"}
STUDIO = {
    "name": "The studio",
    "line1": "12 rue des Potiers",
    "city": "Lyon",
    "postcode": "69001",
    "country": "FR",
}


async def make_france_shipping(session: Any, price: int = 500) -> ShippingRate:
    """One rate to France, and bank transfer to pay by (as checkout tests pay)."""
    zone = ShippingZone(name="France", countries=["FR"], states=[], postcodes=[])
    rate = ShippingRate(name="Colissimo", kind="flat", price=price, bands=[], days_min=2, days_max=3)
    zone.rates = [rate]
    session.add(zone)
    await session.commit()
    await offer_payments(session)
    return rate


async def offer_payments(session: Any, **settings: Any) -> None:
    """The shop's checkout settings: bank transfer, and whatever ``settings`` add (pickup)."""
    await save_checkout_settings(session, CheckoutSettings(**BANK, **settings), actor=Actor(label="test"))
    await session.commit()


async def offer_pickup(session: Any, instructions: str = "Tuesday to Saturday, 10:00-18:00.") -> None:
    """Customers may collect at :data:`STUDIO` (and pay then)."""
    location = {
        **dict.fromkeys(("name", "line1", "line2", "city", "state", "postcode", "country"), ""),
        **STUDIO,
    }
    await offer_payments(
        session, pickup_enabled=True, pickup_location=location, pickup_instructions=instructions
    )


async def make_code(session: Any, code: str = "TEN", **fields: Any) -> Discount:
    fields.setdefault("kind", "percentage")
    fields.setdefault("value", 1000)
    discount = Discount(name=f"{code} offer", code=code, product_ids=[], collection_ids=[], **fields)
    session.add(discount)
    await session.commit()
    return discount


async def add_to_cart(client: Any, product: Any, quantity: int = 1) -> Any:
    data = {"product_id": str(product.id), "quantity": str(quantity)}
    return await post_form(client, "/cart/items", data, follow_redirects=False)


async def fill_checkout(
    client: Any, rate: ShippingRate, *, email: str = "ann@example.com", code: str | None = None
) -> None:
    """Contact, address, shipping (and a code): every step answers 303 back to /checkout."""
    steps = [
        ("/checkout/contact", {"email": email, "name": "Ann Guest"}),
        ("/checkout/address", ADDRESS),
        ("/checkout/shipping", {"rate": str(rate.id)}),
    ]
    if code:
        steps.append(("/checkout/codes", {"code": code}))
    for url, data in steps:
        answer = await post_form(client, url, data, follow_redirects=False)
        assert answer.status_code == 303, (url, answer.status_code, answer.text[:2000])


async def post_stripe_event(client: Any, event: dict[str, Any]) -> str:
    """Deliver ``event`` to the webhook, signed as Stripe signs it; what the app did with it."""
    body = json.dumps(event)
    answer = await client.post(
        "/webhooks/stripe",
        content=body,
        headers={
            "Stripe-Signature": sign_stripe_payload(body, WEBHOOK_SECRET),
            "Content-Type": "application/json",
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["outcome"]
