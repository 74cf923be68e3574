"""Gift cards: the staff table, the issue form (optionally emailing the code), a card's page with its
ledger, balance adjustments, deactivation and resending; and the public balance check, a plain form
that htmx only enhances."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from msgspec import Meta
from sqlalchemy import ColumnElement, and_, or_, select

from verso.domains.identity.deps import actor
from verso.domains.identity.models import User
from verso.domains.identity.permissions import PUBLIC
from verso.domains.ops.services import business_cache
from verso.domains.shop.forms import add_errors, local_time, signed_money
from verso.domains.shop.models import GiftCard, GiftCardEntry
from verso.domains.shop.services import ProductError
from verso.domains.shop.services._gift_cards import (
    adjust_gift_card,
    check_balance,
    gift_card_status,
    issue_gift_card,
    masked_code,
    send_gift_card_email,
    set_gift_card_active,
)
from verso.domains.shop.views._products import STAFF
from verso.domains.shop.views._store import PUBLIC_SHOP
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.email import EmailAddressError, check_address
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.money import MoneyError, is_currency, parse_money
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry

READ, WRITE = "shop.products.read", "shop.promotions.write"
BASE = "/admin/shop/gift-cards"
COLUMNS = [
    Column("code", "Code"),
    Column("balance", "Balance", sortable=True, numeric=True),
    Column("initial_balance", "Initial", sortable=True, numeric=True),
    Column("expires_at", "Expires", sortable=True),
    Column("status", "Status"),
    Column("recipient", "Recipient"),
    Column("created_at", "Issued", sortable=True),
]
LEDGER_COLUMNS = [
    Column("created_at", "Date", sortable=True),
    Column("kind", "Entry"),
    Column("amount", "Amount", numeric=True),
    Column("balance_after", "Balance after", numeric=True),
    Column("details", "Details"),
]
STATUS_FILTER = Filter(
    "status",
    "Status",
    [
        ("", "Any status"),
        ("active", "Active"),
        ("empty", "Empty"),
        ("expired", "Expired"),
        ("inactive", "Inactive"),
    ],
)
Text = Annotated[str, Meta(max_length=100)]


class IssueForm(msgspec.Struct):
    amount: Annotated[str, Meta(max_length=20)] = ""
    currency: Annotated[str, Meta(max_length=3)] = ""
    expires_at: Annotated[str, Meta(max_length=30)] = ""
    recipient_email: Annotated[str, Meta(max_length=254)] = ""
    recipient_name: Text = ""
    sender_name: Text = ""
    message: Annotated[str, Meta(max_length=1000)] = ""
    send: bool = False


class AdjustForm(msgspec.Struct):
    amount: Annotated[str, Meta(max_length=21)] = ""
    note: Annotated[str, Meta(max_length=200)] = ""


def _status_clause(status: str) -> ColumnElement[bool]:
    """:func:`gift_card_status` as a SQL condition, for the table's filter."""
    now = clock.utcnow()
    current = or_(GiftCard.expires_at.is_(None), GiftCard.expires_at > now)
    on = GiftCard.is_active.is_(True)
    return {
        "inactive": GiftCard.is_active.is_(False),
        "expired": and_(on, ~current),
        "empty": and_(on, current, GiftCard.balance <= 0),
        "active": and_(on, current, GiftCard.balance > 0),
    }[status]


@get(BASE, permission=READ, nav=NavEntry("Shop", "Gift cards", 75, "card"), **STAFF)
async def gift_cards_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    query = TableQuery.from_params(
        request.query_params,
        sortable=["balance", "initial_balance", "expires_at", "created_at"],
        default_sort="created_at",
        default_direction="desc",
        filters=[STATUS_FILTER],
    )
    page = await paginate(
        db_session,
        select(GiftCard),
        query,
        base_url=BASE,
        filters=[STATUS_FILTER],
        sort_columns={
            "balance": GiftCard.balance,
            "initial_balance": GiftCard.initial_balance,
            "expires_at": GiftCard.expires_at,
            "created_at": GiftCard.created_at,
        },
        search_columns=[GiftCard.code, GiftCard.recipient_email, GiftCard.recipient_name],
        filter_columns={"status": _status_clause},
    )
    now = clock.utcnow()
    return render(
        request,
        "shop/gift_cards/index.html",
        {
            "page": page,
            "columns": COLUMNS,
            "statuses": {c.id: gift_card_status(c, now) for c in page.items},
            "masked": {c.id: masked_code(c.code) for c in page.items},
        },
        block="table",
    )


def _issue_page(request: Request[Any, Any, Any], form: FormState, *, status: int = 200) -> Any:
    return render(request, "shop/gift_cards/new.html", {"form": form}, status_code=status)


@get(f"{BASE}/new", permission=WRITE, **STAFF)
async def gift_card_new(request: Request[Any, Any, Any]) -> Any:
    return _issue_page(request, form_from({"currency": business_cache.current().currency, "send": True}))


def _issue_values(data: IssueForm, form: FormState) -> dict[str, Any] | None:
    """The issue form's typed values for :func:`issue_gift_card`, or None with errors in ``form``."""
    business = business_cache.current()
    currency = data.currency.strip().upper() or business.currency
    if not is_currency(currency):
        form.add_error("currency", "Enter a currency code such as EUR.")
    amount = None
    try:
        amount = parse_money(data.amount or "x", currency if is_currency(currency) else business.currency)
        if amount <= 0:
            form.add_error("amount", "Enter an amount above zero.")
    except MoneyError as exc:
        form.add_error("amount", str(exc) if data.amount.strip() else "Enter an amount such as 50.00.")
    expires_at = local_time(form, "expires_at", data.expires_at, business.timezone)
    if expires_at is not None and expires_at <= clock.utcnow():
        form.add_error("expires_at", "Must be in the future.")
    email = data.recipient_email.strip()
    if email:
        try:
            check_address(email, field="email address")
        except EmailAddressError:
            form.add_error("recipient_email", "Enter a valid email address, such as ann@example.com.")
    elif data.send:
        form.add_error("recipient_email", "Enter the recipient's email address, or untick “Email the code”.")
    if not form.valid:
        return None
    return {
        "amount": amount,
        "currency": currency,
        "expires_at": expires_at,
        "recipient_email": email,
        "recipient_name": data.recipient_name,
        "sender_name": data.sender_name,
        "message": data.message,
        "send": data.send,
    }


@post(BASE, permission=WRITE, **STAFF)
async def gift_card_issue(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), IssueForm)
    values = _issue_values(data, form) if data else None
    if values is not None:
        try:
            card = await issue_gift_card(db_session, order_id=None, actor=actor(request), **values)
            await db_session.commit()
            sent = f" and emailed to {card.recipient_email}" if values["send"] else ""
            return redirect(request, f"{BASE}/{card.id}", message=f"Gift card issued{sent}.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    return _issue_page(request, form, status=HTTP_422_UNPROCESSABLE_ENTITY)


async def _card(db_session: DbSession, card_id: UUID) -> GiftCard:
    card = await db_session.get(GiftCard, card_id)
    if card is None:
        raise NotFoundException("No such gift card.")
    return card


async def _detail_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    card: GiftCard,
    form: FormState,
    *,
    status: int = 200,
    block: str = "content",
) -> Any:
    query = TableQuery.from_params(
        request.query_params, sortable=["created_at"], default_sort="created_at", default_direction="desc"
    )
    ledger = await paginate(
        db_session,
        select(GiftCardEntry).where(GiftCardEntry.gift_card_id == card.id),
        query,
        base_url=f"{BASE}/{card.id}",
        sort_columns={"created_at": GiftCardEntry.id},
    )
    actor_ids = {e.actor_id for e in ledger.items if e.actor_id} | ({card.created_by_id} - {None})
    people = (
        dict((await db_session.execute(select(User.id, User.email).where(User.id.in_(actor_ids)))).all())
        if actor_ids
        else {}
    )
    context = {
        "card": card,
        "form": form,
        "ledger": ledger,
        "ledger_columns": LEDGER_COLUMNS,
        "people": people,
        "status": gift_card_status(card, clock.utcnow()),
        "masked": masked_code(card.code),
    }
    return render(request, "shop/gift_cards/detail.html", context, status_code=status, block=block)


@get(f"{BASE}/{{card_id:uuid}}", permission=READ, **STAFF)
async def gift_card_detail(
    request: Request[Any, Any, Any], db_session: DbSession, card_id: FromPath[UUID]
) -> Any:
    """The card, its ledger (htmx: only the ledger, for its pages) and the staff actions."""
    return await _detail_page(
        request, db_session, await _card(db_session, card_id), FormState(), block="ledger"
    )


@post(f"{BASE}/{{card_id:uuid}}/adjust", permission=WRITE, **STAFF)
async def gift_card_adjust(
    request: Request[Any, Any, Any], db_session: DbSession, card_id: FromPath[UUID]
) -> Any:
    card = await _card(db_session, card_id)
    data, form = parse_form(await request.form(), AdjustForm)
    amount = signed_money(form, "amount", data.amount, card.currency) if data else None
    if data and amount is not None:
        try:
            await adjust_gift_card(db_session, card, amount, data.note, actor=actor(request))
            await db_session.commit()
            return redirect(request, f"{BASE}/{card.id}", message="Balance adjusted.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
        card = await _card(db_session, card_id)
    return await _detail_page(request, db_session, card, form, status=HTTP_422_UNPROCESSABLE_ENTITY)


@post(f"{BASE}/{{card_id:uuid}}/active", permission=WRITE, **STAFF)
async def gift_card_active(
    request: Request[Any, Any, Any], db_session: DbSession, card_id: FromPath[UUID]
) -> Any:
    card = await _card(db_session, card_id)
    active = (await request.form()).get("active") == "on"
    await set_gift_card_active(db_session, card, active, actor=actor(request))
    await db_session.commit()
    return redirect(
        request, f"{BASE}/{card.id}", message="Gift card reactivated." if active else "Gift card deactivated."
    )


@post(f"{BASE}/{{card_id:uuid}}/resend", permission=WRITE, **STAFF)
async def gift_card_resend(
    request: Request[Any, Any, Any], db_session: DbSession, card_id: FromPath[UUID]
) -> Any:
    card = await _card(db_session, card_id)
    if not card.recipient_email:
        return redirect(
            request, f"{BASE}/{card.id}", message="This card has no recipient address.", level="error"
        )
    await send_gift_card_email(db_session, card)
    await db_session.commit()
    return redirect(request, f"{BASE}/{card.id}", message=f"Email sent again to {card.recipient_email}.")


# ---- public: what is left on my card? -------------------------------------------------------------
@get("/gift-cards/balance", permission=PUBLIC, **PUBLIC_SHOP)
async def gift_card_balance_form(request: Request[Any, Any, Any]) -> Any:
    return render(request, "shop/gift_cards/balance.html", {"code": "", "result": None}, block="result")


@post("/gift-cards/balance", permission=PUBLIC, **PUBLIC_SHOP)
async def gift_card_balance(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    """The balance and expiry of a typed code, or why it cannot pay; nothing else about the card."""
    code = str((await request.form()).get("code") or "").strip()[:40]
    if not code:
        context = {"code": "", "result": None, "error": "Enter the code printed on your gift card."}
        return render(
            request,
            "shop/gift_cards/balance.html",
            context,
            block="result",
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    result = await check_balance(db_session, code)
    return render(request, "shop/gift_cards/balance.html", {"code": code, "result": result}, block="result")


routes = [
    gift_cards_index,
    gift_card_new,
    gift_card_issue,
    gift_card_detail,
    gift_card_adjust,
    gift_card_active,
    gift_card_resend,
    gift_card_balance_form,
    gift_card_balance,
]
