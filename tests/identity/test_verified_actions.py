"""Actions reserved for verified accounts: modules declare them, the business settings choose them,
the permission guard refuses them to a signed-in person whose email is not verified (a 403 page that
offers the verification email again), templates ask ``must_verify``; and the migration that adds the
setting."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from alembic import command
from litestar import Router, post
from sqlalchemy import inspect, select, text

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.identity.accounts.helpers import emails
from tests.migrations.test_migrations import _inspect, empty_database_url  # noqa: F401 (fixture)
from tests.shop.helpers import make_product
from verso.domains.identity.permissions import AUTHENTICATED
from verso.domains.ops.models import BusinessSettings
from verso.domains.ops.services import SETTINGS_ID, business_cache
from verso.lib import migrate
from verso.lib.audit import AuditLog
from verso.lib.db import session_factory
from verso.lib.modules import Module, declared_actions, known_actions, register_module
from verso.server.routing import route_handlers
from verso.server.templating import build_environment

SETTINGS = {
    "name": "Test Bakery",
    "address": "",
    "currency": "EUR",
    "timezone": "Europe/Paris",
    "locale": "en",
    "contact_email": "owner@example.com",
}
REVIEW = {"rating": "5", "title": "Lovely", "body": "A lovely mug, I use it every day.", "author_name": "Ann"}


async def _settings(admin_client, **changes) -> object:
    """Save the settings page with the shop on and ``changes``."""
    return await post_form(
        admin_client, "/admin/settings", {**SETTINGS, "enabled_modules": ["shop"], **changes}
    )


@asynccontextmanager
async def _settings_row() -> AsyncIterator[BusinessSettings]:
    """Edit the settings row directly, then have the cache reload it."""
    async with session_factory()() as db:
        row = await db.get_one(BusinessSettings, SETTINGS_ID)
        yield row
        await db.commit()
        await business_cache.load(db)


async def _unverified(client, email: str = "ann@example.com") -> None:
    await make_user(email, ["user"])
    await sign_in(client, email, PASSWORD)


async def test_new_businesses_reserve_review_writing(client, admin) -> None:
    await client.get("/")
    assert business_cache.current().verified_actions == frozenset({"shop.reviews.write"})
    assert "shop.reviews.write" in known_actions() and "shop.wishlist" in known_actions()


async def test_unverified_person_is_refused_with_a_way_to_verify(client, admin, db_session) -> None:
    product = await make_product(db_session, "Blue mug")
    await _unverified(client)
    page = await client.get("/shop/p/blue-mug")
    assert "Verify your email address to write a review" in page.text
    assert 'action="/shop/p/blue-mug/reviews"' not in page.text  # no form the server would refuse
    refused = await post_form(
        client,
        "/shop/p/blue-mug/reviews",
        REVIEW,
        headers={"referer": "http://testserver.local/shop/p/blue-mug"},
    )
    assert refused.status_code == 403
    assert "Verify your email address to write reviews." in refused.text
    assert 'action="/verify/resend"' in refused.text and 'value="/shop/p/blue-mug"' in refused.text
    assert refused.text.count('action="/verify/resend"') == 1  # the page's form, not the banner too
    htmx = await post_form(client, "/shop/p/blue-mug/reviews", REVIEW, htmx=True)
    assert htmx.status_code == 403 and "Verify your email address to write reviews." in htmx.text
    assert "<html" not in htmx.text
    resent = await post_form(client, "/verify/resend", {"next": "/shop/p/blue-mug"}, follow_redirects=False)
    assert resent.status_code == 303 and resent.headers["location"] == "/shop/p/blue-mug"
    assert len(await emails("ann@example.com", "verify_email")) == 1
    # Voting and the wishlist are not reserved by default.
    saved = await post_form(client, "/shop/wishlist", {"product_id": str(product.id)}, follow_redirects=False)
    assert saved.status_code == 303


async def test_verified_people_and_unreserved_actions_pass(client, admin_client, db_session) -> None:
    await make_product(db_session, "Blue mug")
    assert (await _settings(admin_client, verified_actions=[])).status_code in (200, 303)
    assert business_cache.current().verified_actions == frozenset()
    await post_form(admin_client, "/logout")
    await _unverified(client)
    written = await post_form(client, "/shop/p/blue-mug/reviews", REVIEW, follow_redirects=False)
    assert written.status_code == 303


async def test_a_verified_person_may_do_reserved_actions(client, admin, db_session) -> None:
    await make_product(db_session, "Blue mug")
    await make_user("bo@example.com", ["user"], email_verified=True)
    await sign_in(client, "bo@example.com", PASSWORD)
    written = await post_form(client, "/shop/p/blue-mug/reviews", REVIEW, follow_redirects=False)
    assert written.status_code == 303


async def test_the_guard_reads_any_route_option(app, client, admin) -> None:
    register_module(
        Module("orchard", "Orchard", "Only in this test", actions={"orchard.plant": "Plant trees"})
    )

    @post("/orchard/plant", permission=AUTHENTICATED, verified_action="orchard.plant", sync_to_thread=False)
    def plant() -> str:
        return "planted"

    app.register(Router(path="/", route_handlers=[plant], opt={"module": "orchard"}))
    async with _settings_row() as row:
        row.enabled_modules = [*row.enabled_modules, "orchard"]
        row.verified_actions = ["orchard.plant"]
    await _unverified(client)
    refused = await post_form(client, "/orchard/plant")
    assert refused.status_code == 403 and "Verify your email address to plant trees." in refused.text
    async with _settings_row() as row:
        row.verified_actions = []
    assert (await post_form(client, "/orchard/plant")).text == "planted"


def test_every_route_names_a_declared_action(app) -> None:
    named = {h.opt["verified_action"] for _p, h in route_handlers(app) if h.opt.get("verified_action")}
    assert named >= {"shop.reviews.write", "shop.reviews.vote", "shop.wishlist"}
    assert named <= known_actions()


async def test_settings_page_lists_and_saves_the_reservations(admin_client, db_session) -> None:
    page = await admin_client.get("/admin/settings")
    assert "Reserve for verified accounts" in page.text
    for key, label in (("shop.reviews.write", "Write reviews"), ("shop.wishlist", "Keep a wishlist")):
        assert f'name="verified_actions" value="{key}"' in page.text and label in page.text
    assert 'value="shop.reviews.write" aria-describedby="verified-actions-help" checked' in page.text
    chosen = ["shop.reviews.vote", "shop.wishlist"]
    saved = await _settings(admin_client, verified_actions=chosen)
    assert saved.status_code in (200, 303)
    assert business_cache.current().verified_actions == frozenset(chosen)
    entry = (await db_session.scalars(select(AuditLog).where(AuditLog.action == "settings.updated"))).one()
    assert entry.changes["verified_actions"] == [["shop.reviews.write"], chosen]
    again = await admin_client.get("/admin/settings")
    assert 'value="shop.wishlist" aria-describedby="verified-actions-help" checked' in again.text
    assert 'value="shop.reviews.write" aria-describedby="verified-actions-help">' in again.text


async def test_unknown_actions_are_refused(admin_client) -> None:
    refused = await _settings(admin_client, verified_actions=["shop.nonsense"])
    assert refused.status_code == 422 and "Unknown action: shop.nonsense." in refused.text
    assert business_cache.current().verified_actions == frozenset({"shop.reviews.write"})


async def test_a_module_turned_off_keeps_its_reservations(admin_client) -> None:
    # The browser sends the boxes the page showed: the shop's, ticked, as the shop is turned off.
    await _settings(admin_client, enabled_modules=[], verified_actions=["shop.wishlist"])
    assert "shop" not in business_cache.current().enabled_modules
    page = await admin_client.get("/admin/settings")
    assert 'name="verified_actions" value="shop.wishlist"' not in page.text  # not offered while off
    await post_form(admin_client, "/admin/settings", {**SETTINGS, "enabled_modules": []})
    assert business_cache.current().verified_actions == frozenset({"shop.wishlist"})  # but kept
    await _settings(admin_client)  # the shop back on: the page had no boxes for it, nothing changes
    assert business_cache.current().verified_actions == frozenset({"shop.wishlist"})
    await _settings(admin_client, verified_actions=[])  # now its boxes showed, unticked
    assert business_cache.current().verified_actions == frozenset()
    assert all(module.key != "shop" for module, _key, _label in declared_actions(frozenset()))


async def test_must_verify_helper(client, admin) -> None:
    await client.get("/")
    env = build_environment(False)
    template = env.from_string('{{ "yes" if must_verify("shop.reviews.write") else "no" }}')

    class Person:
        def __init__(self, verified: bool) -> None:
            self.email_verified = verified

    assert template.render(current_user=Person(False)) == "yes"
    assert template.render(current_user=Person(True)) == "no"
    assert template.render(current_user=None) == "no"
    assert env.from_string('{{ must_verify("shop.wishlist") }}').render(current_user=Person(False)) == "False"


def test_migration_adds_the_column_with_a_default_for_existing_rows(empty_database_url: str) -> None:  # noqa: F811
    config = migrate.alembic_config(empty_database_url)
    command.upgrade(config, "a3c9e1f27b41")

    def seed(connection) -> None:
        connection.execute(
            text(
                "INSERT INTO business_settings (id, name, address, currency, timezone, locale, contact_email,"
                " enabled_modules, created_at, updated_at) VALUES (1, 'Old shop', '', 'EUR', 'UTC', 'en', '',"
                " '[\"shop\"]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.commit()

    _inspect(empty_database_url, seed)
    command.upgrade(config, "b7d24e8c5a12")

    def read(connection) -> object:
        return connection.execute(text("SELECT verified_actions FROM business_settings")).scalar_one()

    value = _inspect(empty_database_url, read)
    assert (json.loads(value) if isinstance(value, str) else value) == []
    command.downgrade(config, "a3c9e1f27b41")

    def columns(connection) -> set[str]:
        return {c["name"] for c in inspect(connection).get_columns("business_settings")}

    found = _inspect(empty_database_url, columns)
    assert "verified_actions" not in found and "enabled_modules" in found


async def test_reserved_wishlist_and_votes(client, admin, db_session) -> None:
    from verso.domains.shop.services import ReviewInput, ReviewService, WishlistService
    from verso.lib.audit import Actor

    product = await make_product(db_session, "Blue mug")
    author = await make_user("au@example.com", ["user"], email_verified=True)
    ann = await make_user("ann@example.com", ["user"])
    review, _ = await ReviewService(session=db_session).submit(
        product, author.id, ReviewInput(5, "Great", "A very good mug indeed.", "Au")
    )
    await ReviewService(session=db_session).set_status([review.id], "approved", actor=Actor(label="test"))
    await WishlistService(session=db_session).add(ann.id, product.id, None)  # saved before the change
    await db_session.commit()
    async with _settings_row() as row:
        row.verified_actions = ["shop.wishlist", "shop.reviews.vote"]
    await sign_in(client, "ann@example.com", PASSWORD)
    page = await client.get("/shop/p/blue-mug")
    assert "to vote." in page.text and f'action="/shop/reviews/{review.id}/vote"' not in page.text
    assert "Saved: remove from your wishlist" in page.text  # removing is never reserved
    assert (
        await post_form(client, f"/shop/reviews/{review.id}/vote", {"vote": "helpful"})
    ).status_code == 403
    removed = await post_form(
        client, "/shop/wishlist/remove", {"product_id": str(product.id)}, follow_redirects=False
    )
    assert removed.status_code == 303
    page = await client.get("/shop/p/blue-mug")
    assert "to keep a wishlist." in page.text and 'action="/shop/wishlist"' not in page.text
    refused = await post_form(client, "/shop/wishlist", {"product_id": str(product.id)})
    assert refused.status_code == 403 and "Verify your email address to keep a wishlist." in refused.text


async def test_the_demo_business_reserves_review_writing(app, db_session) -> None:
    from verso.domains.ops import demo

    await demo.load(db_session, admin_password="demo password for the tests")
    await db_session.commit()
    row = await db_session.get_one(BusinessSettings, SETTINGS_ID)
    assert row.verified_actions == ["shop.reviews.write"]
