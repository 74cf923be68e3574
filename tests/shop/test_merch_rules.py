"""Collection rules as SQL (each field, all or any), the date window, sorts, the staff's validation,
the preview count and the home page's featured collections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.shop.helpers import ACTOR, make_product
from verso.domains.shop import storefront
from verso.domains.shop.models import Category, Collection, Product
from verso.domains.shop.services import (
    CollectionInput,
    CollectionService,
    ProductError,
    collection_clause,
    rules_clause,
)
from verso.lib import clock
from verso.lib.audit import AuditLog

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def catalogue(db_session) -> dict[str, Any]:
    """Home > Kitchen; a mug (kitchen, summer, in stock), a teapot (home, on sale, sold out), a lamp
    (no category, untracked stock), a draft."""
    home = Category(name="Home", slug="home")
    db_session.add(home)
    await db_session.flush()
    kitchen = Category(name="Kitchen", slug="kitchen", parent_id=home.id)
    db_session.add(kitchen)
    await db_session.commit()
    await make_product(db_session, "Mug", 1000, category_id=kitchen.id, tags=["Summer"], stock=5)
    await make_product(
        db_session, "Teapot", 3000, category_id=home.id, tags=["gift"], compare_at_price=4000, stock=0
    )
    await make_product(db_session, "Lamp", 5000, tags=["summer, gift"], track_stock=False)
    await make_product(db_session, "Draft", 500, tags=["summer"], status="draft", stock=3)
    return {"home": str(home.id), "kitchen": str(kitchen.id)}


async def names(session: Any, match: str, *rules: dict[str, Any]) -> set[str]:
    rows = await session.scalars(
        select(Product.name).where(Product.status == "active", rules_clause(match, list(rules)))
    )
    return set(rows.all())


def rule(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


async def test_each_field(db_session, catalogue) -> None:
    assert await names(db_session, "all", rule("category", "eq", catalogue["home"])) == {"Teapot"}
    assert await names(db_session, "all", rule("category", "within", catalogue["home"])) == {"Mug", "Teapot"}
    assert await names(db_session, "all", rule("category", "within", catalogue["kitchen"])) == {"Mug"}
    assert await names(db_session, "all", rule("tag", "eq", "summer")) == {"Mug", "Lamp"}
    assert await names(db_session, "all", rule("tag", "ne", "summer")) == {"Teapot"}
    assert await names(db_session, "all", rule("price", "gte", 3000)) == {"Teapot", "Lamp"}
    assert await names(db_session, "all", rule("price", "lte", 3000)) == {"Mug", "Teapot"}
    assert await names(db_session, "all", rule("in_stock", "eq", True)) == {"Mug", "Lamp"}
    assert await names(db_session, "all", rule("in_stock", "eq", False)) == {"Teapot"}
    assert await names(db_session, "all", rule("on_sale", "eq", True)) == {"Teapot"}
    assert await names(db_session, "all", rule("on_sale", "eq", False)) == {"Mug", "Lamp"}


async def test_a_category_rule_in_a_listing(db_session, catalogue) -> None:
    """The subtree query survives the listing's count, page and facet queries."""
    smart = await CollectionService(session=db_session).save_collection(
        None,
        CollectionInput(name="Home", kind="smart", sort="name", match="all",
                        rules=[rule("category", "within", catalogue["home"]), rule("tag", "ne", "winter")]),
        actor=ACTOR,
    )  # fmt: skip
    listing = await storefront.list_products(
        db_session,
        storefront.ListingQuery(sort="name"),
        base_url="/shop/collections/home",
        scope=storefront.collection_scope(smart),
    )
    assert listing.total == 2 and [p.name for p in listing.products] == ["Mug", "Teapot"]
    assert listing.stock == {listing.products[0].id: True}


async def test_all_any_and_malformed_rules(db_session, catalogue) -> None:
    summer, dear = rule("tag", "eq", "summer"), rule("price", "gte", 3000)
    assert await names(db_session, "all", summer, dear) == {"Lamp"}
    assert await names(db_session, "any", summer, dear) == {"Mug", "Teapot", "Lamp"}
    # A price range is two bounds that must both hold.
    assert await names(db_session, "all", rule("price", "gte", 1000), rule("price", "lte", 3000)) == {
        "Mug",
        "Teapot",
    }
    assert await names(db_session, "all") == set()  # no rules: nothing, not everything
    for bad in (rule("price", "gte", "10"), rule("category", "eq", "nope"), rule("colour", "eq", "red")):
        assert await names(db_session, "any", bad) == set()
    assert await names(db_session, "any", bad, summer) == {"Mug", "Lamp"}


async def test_manual_collection_clause_and_position(db_session, catalogue) -> None:
    service = CollectionService(session=db_session)
    gifts = await service.save_collection(None, CollectionInput(name="Gifts"), actor=ACTOR)
    by_name = {p.name: p for p in (await db_session.scalars(select(Product))).all()}
    for name in ("Lamp", "Mug", "Draft"):
        await service.add_product(gifts, by_name[name].id, actor=ACTOR)
    await service.add_product(gifts, by_name["Mug"].id, actor=ACTOR)  # twice: still once
    await service.move_product(gifts, by_name["Mug"].id, -1, actor=ACTOR)
    await db_session.commit()
    inside = set((await db_session.scalars(select(Product.name).where(collection_clause(gifts)))).all())
    assert inside == {"Lamp", "Mug", "Draft"}
    assert [p.name for p in await service.members(gifts)] == ["Mug", "Lamp", "Draft"]
    listing = await storefront.list_products(
        db_session,
        storefront.ListingQuery(sort="manual", default_sort="manual"),
        base_url="/shop/collections/gifts",
        scope=storefront.collection_scope(gifts),
    )
    assert [p.name for p in listing.products] == ["Mug", "Lamp"]  # the draft stays hidden
    await service.remove_product(gifts, by_name["Mug"].id, actor=ACTOR)
    await db_session.commit()
    assert [p.name for p in await service.members(gifts)] == ["Lamp", "Draft"]
    actions = (await db_session.scalars(select(AuditLog.action))).all()
    assert "shop.collection.product_moved" in actions and "shop.collection.product_removed" in actions


async def test_sorts_default_and_chosen(db_session, catalogue) -> None:
    smart = await CollectionService(session=db_session).save_collection(
        None,
        CollectionInput(name="Cheap first", kind="smart", rules=[rule("price", "gte", 0)], sort="price_asc"),
        actor=ACTOR,
    )
    await db_session.commit()
    scope = storefront.collection_scope(smart)
    assert scope.default_sort == "price_asc" and "manual" not in scope.sorts

    async def order(params: dict[str, str]) -> list[str]:
        query = storefront.ListingQuery.from_params(params, "EUR", scope.sorts, scope.default_sort)
        listing = await storefront.list_products(db_session, query, base_url="/c", scope=scope)
        return [p.name for p in listing.products]

    assert await order({}) == ["Mug", "Teapot", "Lamp"]
    assert await order({"sort": "price_desc"}) == ["Lamp", "Teapot", "Mug"]
    assert await order({"sort": "name"}) == ["Lamp", "Mug", "Teapot"]
    assert await order({"sort": "nonsense"}) == ["Mug", "Teapot", "Lamp"]
    filtered = storefront.ListingQuery.from_params(
        {"max": "20", "sort": "price_asc"}, "EUR", scope.sorts, "price_asc"
    )
    assert filtered.url("/c") == "/c?max=20"  # the collection's own default is left out of links


async def test_validation(db_session, catalogue) -> None:
    service = CollectionService(session=db_session)
    with pytest.raises(ProductError) as caught:
        await service.save_collection(
            None,
            CollectionInput(
                name=" ",
                slug="Bad Slug",
                kind="smart",
                sort="manual",
                starts_at=NOW,
                ends_at=NOW - timedelta(days=1),
            ),
            actor=ACTOR,
        )
    assert set(caught.value.errors) == {"name", "slug", "sort", "ends_at", "rules"}
    unknown = "00000000-0000-7000-8000-000000000000"
    with pytest.raises(ProductError) as caught:
        await service.save_collection(
            None,
            CollectionInput(
                name="X",
                kind="smart",
                sort="name",
                rules=[rule("tag", "eq", "a"), rule("category", "eq", unknown)],
            ),
            actor=ACTOR,
        )
    assert caught.value.errors == {"rule-1": "Choose a category from the list."}
    first = await service.save_collection(None, CollectionInput(name="Summer"), actor=ACTOR)
    second = await service.save_collection(None, CollectionInput(name="Summer"), actor=ACTOR)
    assert (first.slug, second.slug) == ("summer", "summer-2")
    with pytest.raises(ProductError) as caught:
        await service.save_collection(second, CollectionInput(name="Summer", slug="summer"), actor=ACTOR)
    assert "slug" in caught.value.errors


async def test_tags_are_cleaned_and_preview_counts_active_products(db_session, catalogue) -> None:
    service = CollectionService(session=db_session)
    saved = await service.save_collection(
        None,
        CollectionInput(name="Sun", kind="smart", sort="name", rules=[rule("tag", "eq", "  SUMMER ")]),
        actor=ACTOR,
    )
    assert saved.rules == [rule("tag", "eq", "summer")]
    preview = await service.preview("all", saved.rules)
    assert preview.count == 2 and [p.name for p in preview.sample] == ["Lamp", "Mug"]
    assert (await service.preview("all", [rule("tag", "eq", "none")])).count == 0


async def test_date_window(db_session, catalogue) -> None:
    clock.freeze(NOW)
    service = CollectionService(session=db_session)
    window = CollectionInput(name="Sale", starts_at=NOW + timedelta(hours=1), ends_at=NOW + timedelta(days=7))
    await service.save_collection(None, window, actor=ACTOR)
    await db_session.commit()
    assert await service.live_by_slug("sale") is None  # not yet
    clock.freeze(NOW + timedelta(hours=1))
    assert await service.live_by_slug("sale") is not None
    clock.freeze(NOW + timedelta(days=7))
    assert await service.live_by_slug("sale") is None  # ended (the end is exclusive)
    assert await service.live_by_slug("nope") is None


async def test_featured_collections(db_session, catalogue) -> None:
    clock.freeze(NOW)
    service = CollectionService(session=db_session)
    everything = [rule("price", "gte", 0)]
    at_home = [rule("category", "within", catalogue["home"])]  # a recursive query inside the union
    await service.save_collection(
        None,
        CollectionInput(name="Dear first", kind="smart", rules=at_home, sort="price_desc",
                        show_on_homepage=True, position=2),
        actor=ACTOR,
    )  # fmt: skip
    picks = await service.save_collection(
        None, CollectionInput(name="Picks", show_on_homepage=True, position=1), actor=ACTOR
    )
    lamp = await db_session.scalar(select(Product).where(Product.name == "Lamp"))
    await service.add_product(picks, lamp.id, actor=ACTOR)
    await service.save_collection(
        None,
        CollectionInput(name="Later", kind="smart", rules=everything, sort="name", show_on_homepage=True,
                        starts_at=NOW + timedelta(days=1)),
        actor=ACTOR,
    )  # fmt: skip
    await service.save_collection(
        None, CollectionInput(name="Hidden", kind="smart", rules=everything, sort="name"), actor=ACTOR
    )
    await service.save_collection(None, CollectionInput(name="Empty", show_on_homepage=True), actor=ACTOR)
    await db_session.commit()
    featured = await storefront.featured_collections(db_session, per_collection=2)
    shelves = [(s.collection.name, [p.name for p in s.products]) for s in featured.shelves]
    assert shelves == [("Picks", ["Lamp"]), ("Dear first", ["Teapot", "Mug"])]
    mug = await db_session.scalar(select(Product.id).where(Product.name == "Mug"))
    assert featured.stock == {lamp.id: True, mug: True}  # the teapot is sold out
    assert await db_session.scalar(select(Collection.id).where(Collection.name == "Later"))
