"""The crawl: every registered GET route, anonymous and as every default role, with demo data.

No route may answer 5xx, and each role reaches exactly what its permissions allow: a route it lacks
answers 403 (staff) or sends an anonymous visitor to sign in. Later modules are covered automatically.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import sign_in
from verso.domains.identity.models import User
from verso.domains.identity.permissions import AUTHENTICATED, DEFAULT_ROLES, PUBLIC, grants
from verso.domains.orders.models import Order
from verso.domains.scheduling.models import Appointment, Attendee, Resource
from verso.domains.shop.models import (
    Attribute,
    Bundle,
    Category,
    Collection,
    Discount,
    GiftCard,
    ImportRun,
    Product,
    ProductImage,
    ProductVariant,
    Review,
    ShippingRate,
)
from verso.domains.shop.services import ImportRunService, Uploader
from verso.domains.shop.services._csv_runs import validate_run
from verso.lib import email, jobs
from verso.lib.audit import AuditLog
from verso.server.routing import route_handlers
from verso.server.security import route_permission

DEMO_PASSWORD = "demo password for the crawl"
ROLE_LOGINS = {
    "admin": "admin@demo.verso",
    "commercial": "sales@demo.verso",
    "blogger": "editor@demo.verso",
    "employee": "staff@demo.verso",
    "user": "chloe@example.com",
}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@pytest.fixture
async def demo(db_session) -> dict[str, Any]:
    """The demo business plus one row of each kind that GET routes take ids of."""
    from verso.cli import load_demo_data

    await load_demo_data(DEMO_PASSWORD)
    job = await jobs.enqueue(db_session, "jobs.prune")
    await jobs.sync_cron(db_session)
    await db_session.commit()
    await jobs.Worker(worker_id="crawl-worker").heartbeat()  # a healthy system: /health answers 200
    admin_user = (await db_session.scalars(select(User).where(User.email == "admin@demo.verso"))).one()
    # The richest pages: a demo product with variants and pictures, and its category.
    variant = (
        await db_session.scalars(select(ProductVariant).where(ProductVariant.image_id.is_not(None)))
    ).first()
    assert variant is not None, "the demo shop has products with variants and pictures"
    product = await db_session.get_one(Product, variant.product_id)
    category = await db_session.get_one(Category, product.category_id)
    image = (
        await db_session.scalars(select(ProductImage).where(ProductImage.product_id == product.id))
    ).first()
    assert image is not None
    smart = (await db_session.scalars(select(Collection).where(Collection.kind == "smart"))).first()
    bundle = (await db_session.scalars(select(Bundle))).first()
    assert smart is not None and bundle is not None, "the demo shop has a smart collection and a bundle"
    # A checked product CSV import: its page shows the counts and the preview.
    run = await ImportRunService(session=db_session).upload(
        b"Slug,Name,Price\ndemo-import,Demo import,1\n",
        "demo.csv",
        currency="EUR",
        by=Uploader(admin_user.id, admin_user.email),
    )
    await db_session.commit()
    await validate_run(jobs.JobContext(0, "shop.import.validate", 1, 1, db_session), run.id)
    await db_session.commit()
    assert (await db_session.get_one(ImportRun, run.id)).status == "ready"
    booked = await db_session.scalar(select(Appointment).order_by(Appointment.start_at))
    assert booked is not None, "the demo has bookings"
    return {
        "user_id": admin_user.id,
        "role_id": admin_user.roles[0].id,
        "job_id": job.id,
        "outbox_id": await db_session.scalar(select(email.OutboxEmail.id)),
        "index": 0,  # its first attachment, if it has one (else 404)
        "entry_id": await db_session.scalar(select(AuditLog.id)),
        "name": "jobs.prune",
        "token": "not-a-real-token",
        "slug": "no-such-provider",
        "passkey_id": "00000000-0000-7000-8000-000000000000",
        "address_id": "00000000-0000-7000-8000-000000000000",
        # The demo's orders, discounts, gift card and shipping: their staff pages render. (One rate_id
        # serves the shipping rate and tax rate pages alike: the tax page answers 404 for it.)
        "number": await db_session.scalar(select(Order.number).order_by(Order.number)),
        "order_id": await db_session.scalar(select(Order.id).order_by(Order.number)),
        "discount_id": await db_session.scalar(select(Discount.id)),
        "card_id": await db_session.scalar(select(GiftCard.id)),
        "zone_id": (rate := await db_session.scalar(select(ShippingRate))).zone_id,
        "rate_id": rate.id,
        "digest": image.digest,  # a stored picture: the media routes answer with its bytes
        "kind": "thumb",
        "file_path": "css/app.css",
        "path": "openapi.json",
        "product_id": product.id,
        "product": product.slug,
        "variant_id": variant.id,
        "image_id": image.id,
        "category_id": category.id,
        "category": category.slug,
        "attribute_id": await db_session.scalar(select(Attribute.id)),
        "run_id": run.id,
        # The demo's smart collection and its bundle (with an optional item): their pages render.
        "collection_id": smart.id,
        "collection": smart.slug,
        "bundle_id": bundle.id,
        "bundle": bundle.slug,
        # The demo's scheduling: a booked appointment (and its first attendee, whose portal page answers
        # 404 to anyone but them), a type, a staff member and the room.
        "appointment_id": (
            booked := await db_session.scalar(select(Appointment).order_by(Appointment.start_at))
        ).id,
        "attendee_id": await db_session.scalar(
            select(Attendee.id).where(Attendee.appointment_id == booked.id)
        ),
        "type_id": booked.type_id,
        "staff_id": booked.staff_id,
        "resource_id": await db_session.scalar(select(Resource.id)),
        "feed_file": "not-a-real-token.ics",
        # A pending review (the demo has some): the moderation page shows the approve button.
        "review_id": await db_session.scalar(select(Review.id).where(Review.status == "pending")),
    }


def _get_routes(app) -> list[tuple[str, str]]:
    routes = []
    for path, handler in route_handlers(app):
        if "GET" in handler.http_methods:
            routes.append((path, route_permission(handler)))
    return sorted(set(routes))


def _url(path: str, values: dict[str, Any]) -> str:
    return PARAM.sub(lambda m: str(values[m.group(1)]), path)


async def _crawl(client, app, demo: dict[str, Any], role: str | None) -> list[str]:
    problems = []
    held = frozenset(DEFAULT_ROLES[role][1]) if role else frozenset()
    for path, permission in _get_routes(app):
        response = await client.get(_url(path, demo), follow_redirects=False)
        status = response.status_code
        if status >= 500:
            problems.append(f"{role}: {path} -> {status}")
            continue
        kind = response.headers.get("content-type", "")
        if "<html" in response.text[:200] and not kind.startswith("text/html"):
            problems.append(f"{role}: {path} is a page served as {kind}")
        if path.startswith("/api/v1/"):  # bearer-key API: the crawl holds no key
            if status != 401:
                problems.append(f"{role}: {path} -> {status}, expected 401 without an API key")
            continue
        allowed = permission == PUBLIC or (
            role is not None and (permission == AUTHENTICATED or grants(held, permission))
        )
        if not allowed:
            expected = 303 if role is None else 403
            if status != expected:
                problems.append(f"{role}: {path} ({permission}) -> {status}, expected {expected}")
        elif status in (401, 403):
            problems.append(f"{role}: {path} ({permission}) refused with {status}")
    return problems


async def test_crawl_anonymous(client, app, demo) -> None:
    assert await _crawl(client, app, demo, None) == []


@pytest.mark.parametrize("role", list(ROLE_LOGINS))
async def test_crawl_as_role(client, app, demo, role: str) -> None:
    await sign_in(client, ROLE_LOGINS[role], DEMO_PASSWORD)
    assert await _crawl(client, app, demo, role) == []


def test_every_route_declares_a_permission(app) -> None:
    assert all(route_permission(handler) for _path, handler in route_handlers(app))
