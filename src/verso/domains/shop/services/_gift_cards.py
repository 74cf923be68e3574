"""Gift cards: issued by staff or bought in the shop, redeemed at checkout, every change in a ledger.

A card's ``balance`` changes only through one conditional UPDATE that also writes a
:class:`GiftCardEntry` with the balance it left, so concurrent redemptions can never take a card below
zero nor lose an entry. Codes have one normal form, used for storing and for looking up: upper case,
16 characters from an alphabet without look-alikes, grouped in fours with dashes
(``ABCD-EFGH-JKMN-PQRS``). Whatever people type (lower case, spaces, no dashes) is brought to that
form by :func:`normalise_gift_card_code`. Nothing here commits: the caller's business action does.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.ops.services import business_cache
from verso.domains.shop import pricing
from verso.domains.shop.models._promotions import GIFT_CARD_ENTRIES, GiftCard, GiftCardEntry
from verso.domains.shop.services._products import ProductError
from verso.lib import clock
from verso.lib.audit import Actor, audit
from verso.lib.email import send_email
from verso.lib.money import format_money
from verso.settings import get_settings

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0 or 1
CODE_LENGTH = 16
MAX_AMOUNT = 2**31 - 1


def normalise_gift_card_code(code: str) -> str:
    """The stored form of a typed code: upper case, spaces and dashes dropped, then grouped in fours
    with dashes (``" abcd efgh-jkmn pqrs "`` -> ``"ABCD-EFGH-JKMN-PQRS"``)."""
    plain = "".join(code.split()).replace("-", "").upper()
    return "-".join(plain[i : i + 4] for i in range(0, len(plain), 4))


def new_gift_card_code() -> str:
    """A fresh random code in the normal form (80 bits of randomness)."""
    return normalise_gift_card_code("".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)))


def masked_code(code: str) -> str:
    """What lists show: only the last four characters (``XXXX-XXXX-XXXX-PQRS``)."""
    return "XXXX-XXXX-XXXX-" + code[-4:]


def gift_card_status(card: GiftCard, now: datetime) -> str:
    """``inactive``, ``expired``, ``empty`` or ``active``, in the order checkout refuses them."""
    if not card.is_active:
        return "inactive"
    if card.expires_at is not None and clock.as_utc(card.expires_at) <= now:
        return "expired"
    return "active" if card.balance > 0 else "empty"


def local_date(moment: datetime) -> str:
    """A date as the business writes it (``3 Mar 2027``), in its time zone."""
    from babel.dates import format_date

    business = business_cache.current()
    return format_date(clock.to_zone(moment, business.timezone), "d MMM y", locale=business.locale)


def as_pricing(card: GiftCard) -> pricing.GiftCard:
    return pricing.GiftCard(
        id=card.id,
        code=card.code,
        balance=card.balance,
        active=card.is_active,
        expires_at=clock.as_utc(card.expires_at) if card.expires_at else None,
        currency=card.currency,
    )


# ---- what checkout calls ----------------------------------------------------------------------
async def pricing_gift_cards(session: AsyncSession, codes: Sequence[str]) -> tuple[pricing.GiftCard, ...]:
    """The cards named by ``codes`` (any case, spaces or dashes), whatever their state, so pricing can
    say why an expired, empty or inactive card is refused."""
    wanted = list(dict.fromkeys(c for c in map(normalise_gift_card_code, codes) if c))
    if not wanted:
        return ()
    rows = {
        c.code: c for c in (await session.scalars(select(GiftCard).where(GiftCard.code.in_(wanted)))).all()
    }
    return tuple(as_pricing(rows[c]) for c in wanted if c in rows)


async def _change_balance(
    session: AsyncSession,
    card_id: UUID,
    amount: int,
    kind: str,
    *,
    order_id: UUID | None = None,
    actor_id: UUID | None = None,
    note: str = "",
    spendable: bool = False,
) -> int | None:
    """Add ``amount`` (signed) to the balance in one conditional UPDATE, never below zero (and, for a
    redemption, only on an active, unexpired card), and write the ledger entry; None when refused."""
    if kind not in GIFT_CARD_ENTRIES:
        raise ValueError(f"unknown gift card entry kind {kind!r}")
    conditions = [GiftCard.id == card_id, GiftCard.balance + amount >= 0]
    if spendable:
        now = clock.utcnow()
        conditions += [
            GiftCard.is_active.is_(True),
            or_(GiftCard.expires_at.is_(None), GiftCard.expires_at > now),
        ]
    changed = await session.execute(
        update(GiftCard)
        .where(*conditions)
        .values(balance=GiftCard.balance + amount)
        .returning(GiftCard.balance)
        .execution_options(synchronize_session="fetch")
    )
    balance = changed.scalar_one_or_none()
    if balance is None:
        return None
    session.add(
        GiftCardEntry(
            gift_card_id=card_id,
            kind=kind,
            amount=amount,
            balance_after=balance,
            order_id=order_id,
            actor_id=actor_id,
            note=note.strip()[:200],
        )
    )
    await session.flush()
    return balance


async def redeem_gift_card(session: AsyncSession, *, card_id: UUID, amount: int, order_id: UUID) -> bool:
    """Take ``amount`` from a card for an order; False when the card cannot pay it any more (spent
    meanwhile, deactivated or expired). Concurrent redemptions never take it below zero."""
    if amount <= 0:
        raise ValueError("a redemption takes a positive amount")
    taken = await _change_balance(session, card_id, -amount, "redemption", order_id=order_id, spendable=True)
    return taken is not None


async def credit_gift_card(
    session: AsyncSession,
    *,
    card_id: UUID,
    amount: int,
    order_id: UUID | None,
    kind: str = "refund",
    actor_id: UUID | None = None,
    note: str = "",
) -> None:
    """Put ``amount`` back on a card (a refund of an order paid with it, or a staff adjustment)."""
    if amount <= 0:
        raise ValueError("a credit adds a positive amount")
    if (
        await _change_balance(session, card_id, amount, kind, order_id=order_id, actor_id=actor_id, note=note)
        is None
    ):
        raise LookupError(f"no gift card {card_id}")


async def issue_gift_card(
    session: AsyncSession,
    *,
    amount: int,
    currency: str,
    order_id: UUID | None,
    recipient_email: str,
    recipient_name: str = "",
    sender_name: str = "",
    message: str = "",
    expires_at: datetime | None = None,
    actor: Actor | None = None,
    send: bool = True,
) -> GiftCard:
    """Create a card with a fresh code and its first ledger entry ("purchase" for an order, else
    "issue"), and email the recipient its code when ``send`` and there is an address."""
    if not 0 < amount <= MAX_AMOUNT:
        raise ProductError({"amount": "Enter an amount above zero."})
    code = new_gift_card_code()
    while await session.scalar(select(GiftCard.id).where(GiftCard.code == code)):
        code = new_gift_card_code()  # 80 random bits: practically never
    actor_id = UUID(actor.id) if actor and actor.id else None
    card = GiftCard(
        code=code,
        initial_balance=amount,
        balance=amount,
        currency=currency.upper(),
        expires_at=expires_at,
        is_active=True,
        recipient_email=recipient_email.strip().lower(),
        recipient_name=recipient_name.strip(),
        sender_name=sender_name.strip(),
        message=message.strip(),
        created_by_id=actor_id,
        purchased_order_id=order_id,
    )
    session.add(card)
    await session.flush()
    kind = "purchase" if order_id else "issue"
    session.add(
        GiftCardEntry(
            gift_card_id=card.id,
            kind=kind,
            amount=amount,
            balance_after=amount,
            order_id=order_id,
            actor_id=actor_id,
        )
    )
    if send and card.recipient_email:
        await send_gift_card_email(session, card)
    if actor is not None:
        audit(
            session,
            actor,
            "shop.gift_card.issued",
            target_type="gift_card",
            target_id=card.id,
            target_label=masked_code(card.code),
            changes={"amount": [None, amount], "currency": [None, card.currency]},
        )
    await session.flush()
    return card


async def send_gift_card_email(session: AsyncSession, card: GiftCard) -> None:
    """Queue the email that gives the recipient the code (through the outbox) and note the delivery."""
    business = business_cache.current()
    sender = card.sender_name or business.name
    await send_email(
        session,
        to=card.recipient_email,
        subject=f"{sender} sent you a {business.name} gift card",
        template="shop/gift_card",
        context={
            "business_name": business.name,
            "recipient_name": card.recipient_name,
            "sender_name": card.sender_name,
            "message": card.message,
            "code": card.code,
            "amount": format_money(card.balance, card.currency, business.locale),
            "expires": local_date(card.expires_at) if card.expires_at else "",
            "balance_url": f"{get_settings().base_url.rstrip('/')}/gift-cards/balance",
        },
        default_sender=business.contact_email or None,
    )
    card.delivered_at = clock.utcnow()


# ---- staff actions ----------------------------------------------------------------------------
async def adjust_gift_card(
    session: AsyncSession, card: GiftCard, amount: int, note: str, *, actor: Actor
) -> int:
    """Add or take (``amount`` signed) from a card by hand, with the reason; the new balance.
    Refused, with a message, when it would take the card below zero."""
    errors: dict[str, str] = {}
    if amount == 0:
        errors["amount"] = "Enter an amount to add, or a negative amount (such as -5.00) to take off."
    if not note.strip():
        errors["note"] = "Say why, for the card's history."
    if errors:
        raise ProductError(errors)
    actor_id = UUID(actor.id) if actor.id else None
    balance = await _change_balance(session, card.id, amount, "adjustment", actor_id=actor_id, note=note)
    if balance is None:
        await session.refresh(card)
        held = format_money(card.balance, card.currency, business_cache.current().locale)
        raise ProductError({"amount": f"A balance cannot go below zero: this card holds {held}."})
    audit(
        session,
        actor,
        "shop.gift_card.adjusted",
        target_type="gift_card",
        target_id=card.id,
        target_label=masked_code(card.code),
        changes={"balance": [balance - amount, balance], "note": [None, note.strip()[:200]]},
    )
    return balance


async def set_gift_card_active(session: AsyncSession, card: GiftCard, active: bool, *, actor: Actor) -> None:
    """Deactivate a card (checkout and the balance page then refuse it) or reactivate it."""
    if card.is_active == active:
        return
    card.is_active = active
    audit(
        session,
        actor,
        "shop.gift_card.activated" if active else "shop.gift_card.deactivated",
        target_type="gift_card",
        target_id=card.id,
        target_label=masked_code(card.code),
        changes={"is_active": [not active, active]},
    )


# ---- the public balance page ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BalanceCheck:
    """What the balance page may tell about a typed code: the balance and expiry, or why not."""

    balance: int = 0
    currency: str = ""
    expires_at: datetime | None = None
    refusal: pricing.Refusal | None = None


async def check_balance(
    session: AsyncSession, code: str, *, format_date: Callable[[datetime], str] = local_date
) -> BalanceCheck:
    """The balance of the card a visitor typed, or the same refusal checkout would give. Nothing else
    about the card (recipient, history) is revealed."""
    typed = normalise_gift_card_code(code)
    card = await session.scalar(select(GiftCard).where(GiftCard.code == typed)) if typed else None
    found = pricing.check_gift_card(
        code, [as_pricing(card)] if card else [], now=clock.utcnow(), format_date=format_date
    )
    if isinstance(found, pricing.Refusal):
        return BalanceCheck(refusal=found)
    assert card is not None
    return BalanceCheck(card.balance, card.currency, found.expires_at)
