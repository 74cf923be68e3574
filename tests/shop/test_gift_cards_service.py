"""What checkout calls for gift cards: codes in one normal form, cards read as pricing values, and
redemptions and credits that keep the balance and the ledger in step, however many orders race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from verso.domains.shop import pricing
from verso.domains.shop.models import GiftCard, GiftCardEntry
from verso.domains.shop.services._gift_cards import (
    ALPHABET,
    credit_gift_card,
    issue_gift_card,
    masked_code,
    new_gift_card_code,
    normalise_gift_card_code,
    pricing_gift_cards,
    redeem_gift_card,
)
from verso.lib import clock


async def _card(db_session, amount: int = 5000, **fields) -> GiftCard:
    card = await issue_gift_card(
        db_session, amount=amount, currency="EUR", order_id=None, recipient_email="", send=False, **fields
    )
    await db_session.commit()
    return card


def test_codes_have_one_normal_form() -> None:
    assert normalise_gift_card_code(" abcd efgh-jkmn  pqrs ") == "ABCD-EFGH-JKMN-PQRS"
    assert normalise_gift_card_code("ABCDEFGHJKMNPQRS") == "ABCD-EFGH-JKMN-PQRS"
    assert normalise_gift_card_code("abcd--efgh") == "ABCD-EFGH"
    assert normalise_gift_card_code(" - ") == ""
    codes = {new_gift_card_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert normalise_gift_card_code(code) == code
        plain = code.replace("-", "")
        assert len(plain) == 16 and set(plain) <= set(ALPHABET) and not set(plain) & set("IO01")
    assert masked_code("ABCD-EFGH-JKMN-PQRS") == "XXXX-XXXX-XXXX-PQRS"


async def test_pricing_gift_cards_finds_cards_whatever_their_state(db_session) -> None:
    clock.freeze(datetime(2026, 6, 1, tzinfo=UTC))
    good = await _card(db_session, 2500, expires_at=datetime(2027, 1, 1, tzinfo=UTC))
    off = await _card(db_session, 100)
    off.is_active = False
    await db_session.commit()
    typed = [good.code.lower().replace("-", ""), "nope", off.code.replace("-", " "), good.code]
    found = await pricing_gift_cards(db_session, typed)
    assert [c.id for c in found] == [good.id, off.id]
    assert found[0] == pricing.GiftCard(
        good.id, good.code, 2500, True, datetime(2027, 1, 1, tzinfo=UTC), currency="EUR"
    )
    assert found[1].active is False
    assert await pricing_gift_cards(db_session, []) == ()
    # pricing matches what the customer typed against the stored code
    card = pricing.check_gift_card(typed[0], found, now=clock.utcnow())
    assert card == found[0]


async def test_issue_for_an_order_is_a_purchase(db_session) -> None:
    order_id = uuid4()
    card = await issue_gift_card(
        db_session,
        amount=3000,
        currency="eur",
        order_id=order_id,
        recipient_email="Ann@Example.com",
        send=True,
    )
    await db_session.commit()
    assert (card.currency, card.purchased_order_id, card.recipient_email) == (
        "EUR",
        order_id,
        "ann@example.com",
    )
    assert card.delivered_at is not None
    entry = (await db_session.scalars(select(GiftCardEntry))).one()
    assert (entry.kind, entry.amount, entry.balance_after, entry.order_id) == (
        "purchase",
        3000,
        3000,
        order_id,
    )


async def test_ledger_follows_every_change(db_session) -> None:
    card = await _card(db_session, 5000)
    order = uuid4()
    assert await redeem_gift_card(db_session, card_id=card.id, amount=1200, order_id=order)
    assert not await redeem_gift_card(db_session, card_id=card.id, amount=4000, order_id=uuid4())  # 3800 left
    await credit_gift_card(db_session, card_id=card.id, amount=500, order_id=order)
    assert await redeem_gift_card(db_session, card_id=card.id, amount=4300, order_id=uuid4())
    await db_session.commit()
    await db_session.refresh(card)
    assert card.balance == 0
    entries = (await db_session.scalars(select(GiftCardEntry).order_by(GiftCardEntry.id))).all()
    assert [(e.kind, e.amount, e.balance_after) for e in entries] == [
        ("issue", 5000, 5000),
        ("redemption", -1200, 3800),
        ("refund", 500, 4300),
        ("redemption", -4300, 0),
    ]
    assert entries[1].order_id == order and entries[2].order_id == order
    # the ledger adds up to the balance, and each line's balance_after follows from the one before
    assert sum(e.amount for e in entries) == card.balance
    running = 0
    for entry in entries:
        running += entry.amount
        assert entry.balance_after == running
    with pytest.raises(ValueError):
        await redeem_gift_card(db_session, card_id=card.id, amount=0, order_id=order)
    with pytest.raises(LookupError):
        await credit_gift_card(db_session, card_id=uuid4(), amount=100, order_id=None)


async def test_expired_or_inactive_cards_cannot_pay(db_session) -> None:
    clock.freeze(datetime(2026, 6, 1, tzinfo=UTC))
    old = await _card(db_session, 1000, expires_at=datetime(2026, 5, 1, tzinfo=UTC))
    off = await _card(db_session, 1000)
    off.is_active = False
    await db_session.commit()
    assert not await redeem_gift_card(db_session, card_id=old.id, amount=100, order_id=uuid4())
    assert not await redeem_gift_card(db_session, card_id=off.id, amount=100, order_id=uuid4())
    await credit_gift_card(
        db_session, card_id=off.id, amount=100, order_id=None, kind="adjustment", note="goodwill"
    )
    await db_session.commit()
    assert await db_session.scalar(select(func.count()).where(GiftCardEntry.kind == "redemption")) == 0
    await db_session.refresh(off)
    assert off.balance == 1100


async def test_concurrent_redemptions_never_overdraw(db_session, session_maker) -> None:
    card = await _card(db_session, 1000)  # affords exactly 4 redemptions of 250 out of 20

    async def pay(_n: int) -> bool:
        async with session_maker() as session:
            paid = await redeem_gift_card(session, card_id=card.id, amount=250, order_id=uuid4())
            await session.commit()
            return paid

    results = await asyncio.gather(*(pay(n) for n in range(20)))
    assert results.count(True) == 4
    await db_session.refresh(card)
    assert card.balance == 0
    redemptions = (
        await db_session.scalars(select(GiftCardEntry).where(GiftCardEntry.kind == "redemption"))
    ).all()
    assert len(redemptions) == 4
    assert sorted(e.balance_after for e in redemptions) == [0, 250, 500, 750]
