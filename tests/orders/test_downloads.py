"""Digital downloads: links issued when an order is paid (hashed secret, limit, expiry, file name),
served with Content-Disposition through the emailed URL and through the customer's account, every
attempt logged, the limit counted atomically, and clear 410 pages for a used-up, expired or refunded
link. Unknown links and other people's downloads answer 404."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from io import BytesIO

from PIL import Image
from sqlalchemy import select, update

from tests.factories import ADMIN_EMAIL, PASSWORD, make_user, post_form, sign_in
from verso.domains.orders.models import DownloadLog, DownloadToken, Order, OrderLine
from verso.domains.orders.services._downloads import (
    LINK_LIFETIME,
    MAX_DOWNLOADS,
    content_disposition,
    deliver_download,
    issue_download_tokens,
)
from verso.lib import clock
from verso.lib.storage import store_image

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, "PNG")
    return buffer.getvalue()


async def _order(
    db_session, customer_id=None, *, status: str = "paid", stored_name: str = "Field guide.png"
) -> tuple[Order, list[tuple[DownloadToken, str]]]:
    """A paid order with a digital line (a stored file), a physical line and a digital line without a
    file, and the links issued for it."""
    stored = await store_image(db_session, _png(), filename=stored_name)
    order = Order(number="VRS-2026-000001", customer_id=customer_id, email="ann@example.com", status=status,
                  currency="EUR", subtotal=3000, total=3000, amount_due=3000)  # fmt: skip
    db_session.add(order)
    await db_session.flush()
    lines = [
        OrderLine(
            order_id=order.id,
            position=0,
            name="Birding field guide",
            unit_price=1500,
            quantity=1,
            subtotal=1500,
            total=1500,
            is_digital=True,
            is_shippable=False,
            digital_file_digest=stored.digest,
        ),
        OrderLine(
            order_id=order.id, position=1, name="Mug", unit_price=1000, quantity=1, subtotal=1000, total=1000
        ),
        OrderLine(
            order_id=order.id,
            position=2,
            name="Gift note",
            unit_price=500,
            quantity=1,
            subtotal=500,
            total=500,
            is_digital=True,
            is_shippable=False,
        ),
    ]
    db_session.add_all(lines)
    await db_session.flush()
    issued = await issue_download_tokens(db_session, order, lines)
    await db_session.commit()
    return order, issued


async def _logs(db_session) -> list[tuple[str, str, str]]:
    rows = await db_session.execute(select(DownloadLog.outcome, DownloadLog.ip, DownloadLog.user_agent)
                                    .order_by(DownloadLog.id))  # fmt: skip
    return [tuple(row) for row in rows]


async def _downloads(db_session, token_id) -> int:
    return await db_session.scalar(select(DownloadToken.downloads).where(DownloadToken.id == token_id))


async def test_one_link_per_digital_line_with_a_file(db_session) -> None:
    clock.freeze(NOW)
    order, issued = await _order(db_session)
    [(token, raw)] = issued
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest() and raw not in token.token_hash
    assert len(raw) >= 43 and token.filename == "Field guide.png"
    assert (token.downloads, token.max_downloads, MAX_DOWNLOADS) == (0, 5, 5)
    assert token.expires_at == NOW + LINK_LIFETIME and LINK_LIFETIME.days == 30
    # A replayed payment issues nothing new.
    lines = list(await db_session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)))
    assert await issue_download_tokens(db_session, order, lines) == []
    assert len(list(await db_session.scalars(select(DownloadToken)))) == 1


async def test_without_a_stored_name_the_file_is_named_after_the_line(db_session) -> None:
    _, [(token, _)] = await _order(db_session, stored_name="")
    assert token.filename == "Birding field guide.png"


async def test_the_link_serves_the_file_as_an_attachment_and_logs(client, admin, db_session) -> None:
    _, [(token, raw)] = await _order(db_session)
    agent = "Mozilla/5.0 " + "x" * 400
    response = await client.get(f"/downloads/{raw}", headers={"User-Agent": agent})
    assert response.status_code == 200 and response.content == _png()
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Field guide.png\"; filename*=UTF-8''Field%20guide.png"
    )
    assert "no-store" in response.headers["cache-control"]
    assert await _downloads(db_session, token.id) == 1
    [(outcome, ip, logged_agent)] = await _logs(db_session)
    assert outcome == "served" and ip and logged_agent == agent[:300]


async def test_the_limit_is_explained(client, admin, db_session) -> None:
    _, [(token, raw)] = await _order(db_session)
    for _ in range(MAX_DOWNLOADS):
        assert (await client.get(f"/downloads/{raw}")).status_code == 200
    refused = await client.get(f"/downloads/{raw}")
    assert refused.status_code == 410 and refused.headers["content-type"].startswith("text/html")
    assert "This download link has been used up" in refused.text
    assert "can be downloaded 5 times" in refused.text
    assert f"mailto:{ADMIN_EMAIL}" in refused.text and "VRS-2026-000001" in refused.text
    assert await _downloads(db_session, token.id) == MAX_DOWNLOADS
    assert [row[0] for row in await _logs(db_session)] == ["served"] * 5 + ["limit"]


async def test_the_count_cannot_pass_the_limit_in_a_race(db_session) -> None:
    """A token loaded before another request used the last download: the conditional UPDATE refuses."""
    _, [(token, _)] = await _order(db_session)
    assert token.downloads == 0
    await db_session.execute(update(DownloadToken).values(downloads=MAX_DOWNLOADS)
                             .execution_options(synchronize_session=False))  # fmt: skip
    result = await deliver_download(db_session, token, ip="203.0.113.9", user_agent=None)
    assert result.outcome == "limit" and result.media is None
    assert await _downloads(db_session, token.id) == MAX_DOWNLOADS
    assert await _logs(db_session) == [("limit", "203.0.113.9", "")]


async def test_an_expired_link_is_explained(client, admin, db_session) -> None:
    _, [(token, raw)] = await _order(db_session)
    await db_session.execute(update(DownloadToken).values(expires_at=datetime(2026, 1, 31, 12, tzinfo=UTC)))
    await db_session.commit()
    refused = await client.get(f"/downloads/{raw}")
    assert refused.status_code == 410 and "This download link has expired" in refused.text
    assert "31 Jan 2026" in refused.text and f"mailto:{ADMIN_EMAIL}" in refused.text
    assert await _downloads(db_session, token.id) == 0
    assert [row[0] for row in await _logs(db_session)] == ["expired"]


async def test_refunded_and_cancelled_orders_stop_their_links(client, admin, db_session) -> None:
    order, [(token, raw)] = await _order(db_session)
    for status in ("refunded", "cancelled"):
        await db_session.execute(update(Order).where(Order.id == order.id).values(status=status))
        await db_session.commit()
        refused = await client.get(f"/downloads/{raw}")
        assert refused.status_code == 410 and "This download is no longer available" in refused.text
        assert f"Order VRS-2026-000001 was {status}" in refused.text
    assert await _downloads(db_session, token.id) == 0
    assert [row[0] for row in await _logs(db_session)] == ["unavailable", "unavailable"]


async def test_an_unknown_link_answers_404(client, admin, db_session) -> None:
    await _order(db_session)
    assert (await client.get("/downloads/not-a-real-token")).status_code == 404
    assert await _logs(db_session) == []


def test_content_disposition_keeps_non_ascii_names() -> None:
    header = content_disposition("Café guide.pdf")
    assert header == "attachment; filename=\"Cafe guide.pdf\"; filename*=UTF-8''Caf%C3%A9%20guide.pdf"


async def _customer(client, email: str = "ann@example.com"):
    user = await make_user(email, ["user"], email_verified=True)
    await sign_in(client, email, PASSWORD)
    return user


async def test_the_account_lists_and_serves_downloads(client, admin, db_session) -> None:
    user = await _customer(client)
    _, [(token, _)] = await _order(db_session, user.id)
    page = await client.get("/account/downloads")
    assert page.status_code == 200 and "Birding field guide" in page.text and "Field guide.png" in page.text
    assert "0 of 5" in page.text and f'action="/account/downloads/{token.id}"' in page.text
    fragment = await client.get("/account/downloads", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and fragment.text.startswith('<div id="downloads">')
    served = await post_form(client, f"/account/downloads/{token.id}")
    assert served.status_code == 200 and served.content == _png()
    assert served.headers["content-disposition"].startswith('attachment; filename="Field guide.png"')
    assert await _downloads(db_session, token.id) == 1 and [r[0] for r in await _logs(db_session)] == [
        "served"
    ]
    assert "1 of 5" in (await client.get("/account/downloads")).text
    await db_session.execute(update(DownloadToken).values(downloads=MAX_DOWNLOADS))
    await db_session.commit()
    used_up = await client.get("/account/downloads")
    assert "Download limit reached" in used_up.text and f"/account/downloads/{token.id}" not in used_up.text
    refused = await post_form(client, f"/account/downloads/{token.id}")
    assert refused.status_code == 410 and "This download link has been used up" in refused.text


async def test_another_customers_download_answers_404(client, admin, db_session) -> None:
    other = await make_user("bob@example.com", ["user"])
    _, [(token, _)] = await _order(db_session, other.id)
    await _customer(client)
    assert "Birding field guide" not in (await client.get("/account/downloads")).text
    assert "No downloads yet" in (await client.get("/account/downloads")).text
    assert (await post_form(client, f"/account/downloads/{token.id}")).status_code == 404
    assert await _downloads(db_session, token.id) == 0 and await _logs(db_session) == []


async def test_the_account_page_needs_a_sign_in(client, admin) -> None:
    response = await client.get("/account/downloads", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
