"""Gift card screens over HTTP: the staff table (masked codes, page and htmx fragment), issuing with
an email through the outbox, the card page with its ledger, adjustments, deactivation and resending;
the public balance page with and without htmx; and who may do what."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy import func, select

from tests.factories import make_user, post_form, sign_in
from tests.shop.helpers import ACTOR
from verso.domains.shop.models import GiftCard, GiftCardEntry
from verso.domains.shop.services._gift_cards import issue_gift_card, redeem_gift_card
from verso.lib import clock
from verso.lib.email import OutboxEmail

BASE = "/admin/shop/gift-cards"


async def _card(db_session, amount: int = 5000, **fields) -> GiftCard:
    fields.setdefault("recipient_email", "ann@example.com")
    card = await issue_gift_card(
        db_session, amount=amount, currency="EUR", order_id=None, send=False, **fields
    )
    await db_session.commit()
    return card


async def test_table_masks_codes_page_and_fragment(admin_client, db_session) -> None:
    card = await _card(db_session, recipient_name="Ann")
    await _card(db_session, 2000, recipient_email="bob@example.com", actor=ACTOR)
    page = await admin_client.get(BASE)
    assert page.status_code == 200 and "<html" in page.text
    assert f"XXXX-XXXX-XXXX-{card.code[-4:]}" in page.text and card.code not in page.text
    assert "€50.00" in page.text and "Ann" in page.text and 'href="/admin/shop/gift-cards"' in page.text
    fragment = await admin_client.get(f"{BASE}?q=bob", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="gift-cards-table"' in fragment.text
    assert "bob@example.com" in fragment.text and "ann@example.com" not in fragment.text
    await redeem_gift_card(db_session, card_id=card.id, amount=5000, order_id=uuid4())
    await db_session.commit()
    empty = await admin_client.get(f"{BASE}?status=empty", headers={"HX-Request": "true"})
    assert "ann@example.com" in empty.text and "bob@example.com" not in empty.text


async def test_issue_emails_the_code(admin_client, db_session) -> None:
    form = await admin_client.get(f"{BASE}/new")
    assert form.status_code == 200 and 'value="EUR"' in form.text
    issued = await post_form(
        admin_client,
        BASE,
        {
            "amount": "25,50",
            "currency": "",
            "recipient_email": "Ann@Example.com",
            "recipient_name": "Ann",
            "sender_name": "Marie",
            "message": "Happy birthday!",
            "send": "on",
        },
        follow_redirects=False,
    )
    assert issued.status_code == 303, issued.text
    card = (await db_session.scalars(select(GiftCard))).one()
    assert (card.balance, card.initial_balance, card.currency, card.recipient_email) == (
        2550, 2550, "EUR", "ann@example.com",
    )  # fmt: skip
    assert card.delivered_at is not None and card.created_by_id is not None
    entry = (await db_session.scalars(select(GiftCardEntry))).one()
    assert (entry.kind, entry.amount, entry.balance_after) == ("issue", 2550, 2550)
    mail = (await db_session.scalars(select(OutboxEmail))).one()
    assert mail.to_address == "ann@example.com" and "Marie sent you" in mail.subject
    assert card.code in mail.text_body and card.code in mail.html_body and "Happy birthday!" in mail.text_body
    assert "€25.50" in mail.text_body and "/gift-cards/balance" in mail.text_body
    detail = await admin_client.get(issued.headers["location"])
    assert card.code in detail.text and "Issued" in detail.text


async def test_issue_errors_are_422(admin_client, db_session) -> None:
    await admin_client.get(f"{BASE}/new")
    bad = await post_form(
        admin_client,
        BASE,
        {
            "amount": "0",
            "currency": "XYZ",
            "recipient_email": "not-an-address",
            "expires_at": "2001-01-01T00:00",
        },
    )
    assert bad.status_code == 422
    for message in (
        "Enter a currency code such as EUR.",
        "Enter an amount above zero.",
        "Enter a valid email address, such as ann@example.com.",
        "Must be in the future.",
    ):
        assert message in bad.text, message
    missing = await post_form(admin_client, BASE, {"amount": "", "send": "on"}, htmx=True)
    assert missing.status_code == 422 and "<html" not in missing.text
    assert "Enter an amount such as 50.00." in missing.text and "Enter the recipient" in missing.text
    assert await db_session.scalar(select(func.count()).select_from(GiftCard)) == 0


async def test_adjust_deactivate_and_resend(admin_client, db_session) -> None:
    card = await _card(db_session, 1000)
    url = f"{BASE}/{card.id}"
    await admin_client.get(url)
    too_much = await post_form(admin_client, f"{url}/adjust", {"amount": "-12.00", "note": "Oops"})
    assert too_much.status_code == 422
    assert "A balance cannot go below zero: this card holds €10.00." in too_much.text
    no_note = await post_form(admin_client, f"{url}/adjust", {"amount": "5"}, htmx=True)
    assert no_note.status_code == 422 and "Say why, for the card&#39;s history." in no_note.text
    taken = await post_form(admin_client, f"{url}/adjust", {"amount": "-4.00", "note": "Damaged goods"})
    assert taken.status_code == 200 and "Balance adjusted." in taken.text
    added = await post_form(admin_client, f"{url}/adjust", {"amount": "+1.50", "note": "Goodwill"})
    assert added.status_code == 200
    await db_session.refresh(card)
    assert card.balance == 750
    entries = (await db_session.scalars(select(GiftCardEntry).order_by(GiftCardEntry.id))).all()
    assert [(e.kind, e.amount, e.balance_after, e.note) for e in entries] == [
        ("issue", 1000, 1000, ""),
        ("adjustment", -400, 600, "Damaged goods"),
        ("adjustment", 150, 750, "Goodwill"),
    ]
    assert all(e.actor_id is not None for e in entries[1:])
    history = await admin_client.get(url, headers={"HX-Request": "true"})
    assert (
        'id="ledger-table"' in history.text
        and "<html" not in history.text
        and "Damaged goods" in history.text
    )
    off = await post_form(admin_client, f"{url}/active", {"active": ""}, follow_redirects=False)
    assert off.status_code == 303
    await db_session.refresh(card)
    assert card.is_active is False
    assert not await redeem_gift_card(db_session, card_id=card.id, amount=100, order_id=uuid4())
    await db_session.rollback()  # end the transaction the refused UPDATE opened
    await post_form(admin_client, f"{url}/active", {"active": "on"})
    await db_session.refresh(card)
    assert card.is_active is True
    resent = await post_form(admin_client, f"{url}/resend")
    assert "Email sent again to ann@example.com." in resent.text
    assert await db_session.scalar(select(func.count()).select_from(OutboxEmail)) == 1


async def test_balance_page(client, admin, db_session) -> None:
    clock.freeze(datetime(2026, 6, 1, 12, tzinfo=UTC))
    good = await _card(db_session, 4200, expires_at=datetime(2027, 1, 1, tzinfo=UTC))
    spent = await _card(db_session, 100)
    await redeem_gift_card(db_session, card_id=spent.id, amount=100, order_id=uuid4())
    old = await _card(db_session, 100, expires_at=datetime(2026, 1, 1, tzinfo=UTC))
    off = await _card(db_session, 100)
    off.is_active = False
    await db_session.commit()
    page = await client.get("/gift-cards/balance")
    assert (
        page.status_code == 200
        and 'name="_csrf_token"' in page.text
        and 'action="/gift-cards/balance"' in page.text
    )
    typed = good.code.lower().replace("-", " ")
    shown = await post_form(client, "/gift-cards/balance", {"code": typed})
    assert shown.status_code == 200 and "<html" in shown.text
    assert "€42.00" in shown.text and "Use it before" in shown.text and "2027" in shown.text
    assert "ann@example.com" not in shown.text  # nothing but the balance and expiry
    for code, message in (
        ("ABCD-EFGH-JKLM-NPQR", "We don&#39;t recognise this gift card code."),
        (spent.code, "This gift card has no balance left."),
        (old.code, "This gift card expired on"),
        (off.code, "This gift card has been deactivated."),
    ):
        answer = await post_form(client, "/gift-cards/balance", {"code": code}, htmx=True)
        assert (
            answer.status_code == 200 and "<html" not in answer.text and 'id="balance-result"' in answer.text
        )
        assert message in answer.text, code
    blank = await post_form(client, "/gift-cards/balance", {"code": "  "}, htmx=True)
    assert blank.status_code == 422 and "Enter the code printed on your gift card." in blank.text


async def test_permissions(client, admin, db_session) -> None:
    card = await _card(db_session)
    await make_user("sales@example.com", ["commercial"])
    await make_user("cust@example.com", ["user"])
    await sign_in(client, "sales@example.com", "another long passphrase")
    assert (await client.get(BASE)).status_code == 200
    readonly = await client.get(f"{BASE}/{card.id}")
    assert (
        readonly.status_code == 200
        and card.code not in readonly.text
        and "Adjust the balance" not in readonly.text
    )
    assert (await client.get(f"{BASE}/new")).status_code == 403
    assert (
        await post_form(client, f"{BASE}/{card.id}/adjust", {"amount": "5", "note": "x"})
    ).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await sign_in(client, "cust@example.com", "another long passphrase")
    assert (await client.get(BASE)).status_code == 403
    assert (await client.get(f"{BASE}/{card.id}")).status_code == 403
    denied = await post_form(client, BASE, {"amount": "500"})
    assert denied.status_code == 403
    assert await db_session.scalar(select(func.count()).select_from(GiftCard)) == 1
    assert (await client.get("/gift-cards/balance")).status_code == 200  # public
