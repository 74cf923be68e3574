"""Merchandising over HTTP: the staff screens for collections, bundles and related products (page,
htmx fragment, inline errors, permissions), the public collection and bundle pages, the home page's
featured collections, and the product page's "Buy together" and related sections."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from tests.factories import make_user, post_form, sign_in
from tests.shop.helpers import ACTOR, make_product
from verso.domains.shop.models import (
    Bundle,
    BundleItem,
    Category,
    Collection,
    CollectionProduct,
    Product,
    RelatedProduct,
)
from verso.domains.shop.services import (
    BundleInput,
    BundleService,
    CollectionInput,
    CollectionService,
    ItemChange,
    RelatedService,
)
from verso.lib import clock
from verso.lib.audit import AuditLog
from verso.lib.caches import reset_process_caches
from verso.lib.db import get_engine

SUMMER = [{"field": "tag", "op": "eq", "value": "summer"}]


def rule_form(**fields: object) -> dict[str, object]:
    base = {"name": "Summer", "kind": "smart", "match": "all", "sort": "name", "action": "save"}
    return {**base, **fields}


# ---- staff: collections ---------------------------------------------------------------------
async def test_collections_table_page_and_fragment(admin_client, db_session) -> None:
    service = CollectionService(session=db_session)
    await service.save_collection(
        None, CollectionInput(name="Gift Guide", show_on_homepage=True), actor=ACTOR
    )
    await service.save_collection(
        None, CollectionInput(name="Summer Edit", kind="smart", rules=SUMMER, sort="name"), actor=ACTOR
    )
    await db_session.commit()
    page = await admin_client.get("/admin/shop/collections")
    assert page.status_code == 200 and "<html" in page.text
    assert "Gift Guide" in page.text and "Summer Edit" in page.text and "1 condition (all)" in page.text
    assert 'href="/admin/shop/collections"' in page.text  # the Shop menu entry
    fragment = await admin_client.get("/admin/shop/collections?q=gift", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="collections-table"' in fragment.text and "Gift Guide" in fragment.text
    assert "Summer Edit" not in fragment.text
    smart = await admin_client.get("/admin/shop/collections?kind=smart")
    assert "Summer Edit" in smart.text and "Gift Guide" not in smart.text


async def test_smart_collection_rule_editor(admin_client, db_session) -> None:
    category = Category(name="Kitchen", slug="kitchen")
    db_session.add(category)
    await db_session.commit()
    await make_product(db_session, "Sun hat", 2500, tags=["summer"])
    await make_product(db_session, "Scarf", 3000, tags=["winter"])
    new = await admin_client.get("/admin/shop/collections/new")
    assert new.status_code == 200 and 'name="rule_condition"' in new.text
    # "Add a condition" re-renders the form with one more line and saves nothing (htmx: the fragment).
    added = await post_form(
        admin_client,
        "/admin/shop/collections",
        rule_form(
            name="", action="add_rule", rule_condition=["tag"], rule_value=["summer"], rule_category=[""]
        ),
        htmx=True,
    )
    assert added.status_code == 200 and "<html" not in added.text
    assert added.text.count('name="rule_condition"') == 2 and "This field is required." not in added.text
    assert "1 product</strong> in the shop matches" in added.text
    removed = await post_form(
        admin_client,
        "/admin/shop/collections",
        rule_form(action="remove_rule-0", rule_condition=["tag", "price_max"], rule_value=["summer", "10"],
                  rule_category=["", ""]),
    )  # fmt: skip
    assert removed.text.count('name="rule_condition"') == 1 and 'value="10"' in removed.text
    bad = await post_form(
        admin_client,
        "/admin/shop/collections",
        rule_form(rule_condition=["category", "price_min", "tag"], rule_value=["", "1.234", ""],
                  rule_category=["", "", ""]),
    )  # fmt: skip
    assert bad.status_code == 422
    assert "Choose a category." in bad.text and "Use at most 2 decimal places." in bad.text
    assert "Enter a tag." in bad.text and await db_session.scalar(select(Collection.id)) is None
    no_rules = await post_form(admin_client, "/admin/shop/collections", rule_form(sort="manual"))
    assert no_rules.status_code == 422 and "Add at least one condition." in no_rules.text
    assert "A smart collection has no manual order" in no_rules.text
    created = await post_form(
        admin_client,
        "/admin/shop/collections",
        rule_form(rule_condition=["tag", "category_tree", "price_max", ""],
                  rule_value=["Summer", "", "40", ""], rule_category=["", str(category.id), "", ""],
                  match="any", starts_at="2026-06-01T09:30"),
        follow_redirects=False,
    )  # fmt: skip
    assert created.status_code == 303
    collection = (await db_session.scalars(select(Collection))).one()
    assert collection.rules == [
        {"field": "tag", "op": "eq", "value": "summer"},
        {"field": "category", "op": "within", "value": str(category.id)},
        {"field": "price", "op": "lte", "value": 4000},
    ]
    assert collection.match == "any" and collection.slug == "summer"
    assert clock.as_utc(collection.starts_at) == datetime(2026, 6, 1, 7, 30, tzinfo=UTC)  # Paris summer time
    edit = await admin_client.get(f"/admin/shop/collections/{collection.id}")
    assert 'value="40.00"' in edit.text and 'value="2026-06-01T09:30"' in edit.text
    assert "2 products</strong> in the shop match" in edit.text
    preview = await post_form(
        admin_client,
        "/admin/shop/collections/preview",
        {"match": "all", "rule_condition": ["tag"], "rule_value": ["winter"], "rule_category": [""]},
        htmx=True,
    )
    assert preview.status_code == 200 and 'id="rule-preview"' in preview.text and "<html" not in preview.text
    assert "1 product</strong>" in preview.text and "Scarf" in preview.text
    incomplete = await post_form(
        admin_client,
        "/admin/shop/collections/preview",
        {"rule_condition": ["price_min"], "rule_value": ["x"], "rule_category": [""]},
        htmx=True,
    )
    assert "Complete every condition" in incomplete.text
    assert await db_session.scalar(select(AuditLog.id).where(AuditLog.action == "shop.collection.created"))


async def test_manual_collection_products_by_search(admin_client, db_session) -> None:
    await make_product(db_session, "Blue mug", sku="MUG-B")
    await make_product(db_session, "Red mug")
    await make_product(db_session, "Teapot")
    created = await post_form(
        admin_client,
        "/admin/shop/collections",
        {"name": "Mugs", "kind": "manual", "match": "all", "sort": "manual", "show_on_homepage": "on"},
        follow_redirects=False,
    )
    collection = (await db_session.scalars(select(Collection))).one()
    assert created.headers["location"] == f"/admin/shop/collections/{collection.id}"
    url = f"/admin/shop/collections/{collection.id}"
    found = await admin_client.get(f"{url}?q=mug", headers={"HX-Request": "true"})
    assert found.status_code == 200 and "<html" not in found.text and 'id="candidates"' in found.text
    assert "Blue mug" in found.text and "Red mug" in found.text and "Teapot" not in found.text
    ids = {p.name: p.id for p in (await db_session.scalars(select(Product))).all()}
    added = await post_form(admin_client, f"{url}/products", {"product_id": str(ids["Red mug"]), "q": "mug"})
    assert "“Red mug” added." in added.text and 'value="mug"' in added.text  # back to the search
    await post_form(admin_client, f"{url}/products", {"product_id": str(ids["Blue mug"])})
    bad = await post_form(admin_client, f"{url}/products", {"product_id": "not-an-id"})
    assert "Choose a product from the list." in bad.text
    page = await post_form(admin_client, f"{url}/products/{ids['Blue mug']}/move", {"direction": "up"})
    assert "Order saved." in page.text
    assert page.text.index("Blue mug") < page.text.index("Red mug")
    removed = await post_form(admin_client, f"{url}/products/{ids['Red mug']}/remove")
    assert "Product removed from the collection." in removed.text
    again = await post_form(admin_client, f"{url}/products/{ids['Red mug']}/remove")
    assert "This product is not in the collection." in again.text
    rows = (await db_session.scalars(select(CollectionProduct.product_id))).all()
    assert rows == [ids["Blue mug"]]
    deleted = await post_form(admin_client, f"{url}/delete", follow_redirects=False)
    assert deleted.status_code == 303 and await db_session.scalar(select(Collection.id)) is None


async def test_merchandising_permissions(client, admin, db_session) -> None:
    collection = await CollectionService(session=db_session).save_collection(
        None, CollectionInput(name="Gifts"), actor=ACTOR
    )
    product = await make_product(db_session, "Mug")
    await db_session.commit()
    await make_user("sales@example.com", ["commercial"])
    await make_user("cust@example.com", ["user"])
    await sign_in(client, "sales@example.com", "another long passphrase")
    assert (await client.get("/admin/shop/collections")).status_code == 200  # read
    assert (await client.get("/admin/shop/bundles")).status_code == 200
    assert (await client.get(f"/admin/shop/products/{product.id}/related")).status_code == 200
    assert (await client.get(f"/admin/shop/collections/{collection.id}")).status_code == 403
    assert (await post_form(client, f"/admin/shop/collections/{collection.id}/delete")).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await sign_in(client, "cust@example.com", "another long passphrase")
    for url in (
        "/admin/shop/collections",
        "/admin/shop/bundles/new",
        f"/admin/shop/products/{product.id}/related",
    ):
        assert (await client.get(url)).status_code == 403
    denied = await post_form(client, "/admin/shop/bundles", {"name": "X", "pricing": "fixed", "value": "1"})
    assert denied.status_code == 403 and await db_session.scalar(select(Bundle.id)) is None
    assert await db_session.get(Collection, collection.id) is not None


# ---- staff: bundles -------------------------------------------------------------------------
async def test_bundle_screens(admin_client, db_session) -> None:
    mug = await make_product(db_session, "Stoneware mug", 1800)
    towels = await make_product(db_session, "Tea towels", 2400)
    page = await admin_client.get("/admin/shop/bundles/new")
    assert page.status_code == 200 and 'name="pricing"' in page.text
    bad = await post_form(
        admin_client, "/admin/shop/bundles", {"name": "Set", "pricing": "percentage", "value": "150"}
    )
    assert bad.status_code == 422 and "Enter a percentage above 0 and at most 100." in bad.text
    bad = await post_form(
        admin_client, "/admin/shop/bundles", {"name": "Set", "pricing": "fixed", "value": "abc"}, htmx=True
    )
    assert bad.status_code == 422 and "<html" not in bad.text and "Enter an amount such as 12.50." in bad.text
    created = await post_form(
        admin_client,
        "/admin/shop/bundles",
        {"name": "Coffee set", "pricing": "percentage", "value": "12.5", "is_active": "on"},
        follow_redirects=False,
    )
    bundle = (await db_session.scalars(select(Bundle))).one()
    assert created.status_code == 303 and (bundle.value, bundle.slug, bundle.is_active) == (
        1250,
        "coffee-set",
        True,
    )
    url = f"/admin/shop/bundles/{bundle.id}"
    edit = await admin_client.get(url)
    assert 'value="12.5"' in edit.text
    found = await admin_client.get(f"{url}?q=towel", headers={"HX-Request": "true"})
    assert "Tea towels" in found.text and "<html" not in found.text
    for product in (mug, towels):
        await post_form(admin_client, f"{url}/items", {"product_id": str(product.id)})
    items = {i.product_id: i for i in (await db_session.scalars(select(BundleItem))).all()}
    saved = await post_form(admin_client, f"{url}/items/{items[mug.id].id}", {"quantity": "2"})
    assert "Item saved." in saved.text
    refused = await post_form(admin_client, f"{url}/items/{items[mug.id].id}", {"quantity": "0"})
    assert "Must be at least 1." in refused.text
    await post_form(
        admin_client, f"{url}/items/{items[towels.id].id}", {"quantity": "1", "is_optional": "on"}
    )
    page = await admin_client.get(url)
    # 2 x 18.00 required, the towels optional and not pre-selected: 36.00 - 12.5% = 31.50.
    assert "€36.00" in page.text and "€31.50" in page.text
    await post_form(admin_client, f"{url}/items/{items[towels.id].id}/move", {"direction": "up"})
    await post_form(admin_client, f"{url}/items/{items[mug.id].id}/remove")
    assert (await db_session.scalars(select(BundleItem.product_id))).all() == [towels.id]
    table = await admin_client.get("/admin/shop/bundles", headers={"HX-Request": "true"})
    assert "12.5% off" in table.text and 'id="bundles-table"' in table.text
    await post_form(admin_client, f"{url}/delete")
    assert await db_session.scalar(select(Bundle.id)) is None
    actions = set(
        (await db_session.scalars(select(AuditLog.action).where(AuditLog.target_type == "bundle"))).all()
    )
    assert {"shop.bundle.created", "shop.bundle.item_updated", "shop.bundle.deleted"} <= actions


# ---- staff: related products ----------------------------------------------------------------
async def test_related_products_screens(admin_client, db_session) -> None:
    mug = await make_product(db_session, "Mug")
    saucer = await make_product(db_session, "Saucer")
    spoon = await make_product(db_session, "Spoon")
    edit = await admin_client.get(f"/admin/shop/products/{mug.id}")
    assert f'hx-get="/admin/shop/products/{mug.id}/related?in=edit"' in edit.text
    assert f'href="/admin/shop/products/{mug.id}/related"' in edit.text  # works without JavaScript
    url = f"/admin/shop/products/{mug.id}/related"
    embedded = await admin_client.get(f"{url}?in=edit", headers={"HX-Request": "true"})
    assert embedded.status_code == 200 and "<html" not in embedded.text and 'id="related"' in embedded.text
    found = await admin_client.get(f"{url}?q=s&kind=accessory&in=edit", headers={"HX-Request": "true"})
    assert "Saucer" in found.text and "Spoon" in found.text and ">Mug" not in found.text
    assert 'name="kind" value="accessory"' in found.text
    added = await post_form(
        admin_client,
        url,
        {"product_id": str(saucer.id), "kind": "accessory", "in": "edit"},
        follow_redirects=False,
    )
    assert added.headers["location"] == f"/admin/shop/products/{mug.id}#related"
    await post_form(admin_client, url, {"product_id": str(spoon.id), "kind": "accessory"})
    twice = await post_form(admin_client, url, {"product_id": str(spoon.id), "kind": "accessory"})
    assert "Spoon is already suggested here." in twice.text
    itself = await post_form(admin_client, url, {"product_id": str(mug.id), "kind": "cross_sell"})
    assert "A product cannot suggest itself." in itself.text
    links = {link.related_id: link for link in (await db_session.scalars(select(RelatedProduct))).all()}
    page = await post_form(admin_client, f"{url}/{links[spoon.id].id}/move", {"direction": "up"})
    assert page.text.index("Spoon") < page.text.index("Saucer")
    await post_form(admin_client, f"{url}/{links[saucer.id].id}/remove")
    assert (await db_session.scalars(select(RelatedProduct.related_id))).all() == [spoon.id]
    assert await db_session.scalar(select(AuditLog.id).where(AuditLog.action == "shop.related.removed"))


# ---- public pages ---------------------------------------------------------------------------
async def test_public_collection_page(client, admin, db_session) -> None:
    await make_product(db_session, "Sun hat", 2500, tags=["summer"])
    await make_product(db_session, "Beach towel", 4000, tags=["summer"])
    await make_product(db_session, "Hidden hat", 1000, tags=["summer"], status="draft")
    await make_product(db_session, "Scarf", 3000, tags=["winter"])
    await CollectionService(session=db_session).save_collection(
        None,
        CollectionInput(name="Summer Edit", kind="smart", rules=SUMMER, sort="price_desc",
                        description="Long days outside.", seo_title="Summer things", seo_description="Hats."),
        actor=ACTOR,
    )  # fmt: skip
    await db_session.commit()
    page = await client.get("/shop/collections/summer-edit")
    assert page.status_code == 200
    assert "<title>Summer things" in page.text and '<meta name="description" content="Hats.">' in page.text
    assert '<link rel="canonical" href="http://testserver.local/shop/collections/summer-edit">' in page.text
    assert "<h1>Summer Edit</h1>" in page.text and "Long days outside." in page.text
    assert "2 products" in page.text and "Hidden hat" not in page.text and "Scarf" not in page.text
    assert page.text.index("Beach towel") < page.text.index("Sun hat")  # the collection's own sort
    assert re.search(r'<option value="price_desc" selected>', page.text)
    cheap = await client.get("/shop/collections/summer-edit?max=30&sort=name", headers={"HX-Request": "true"})
    assert "<html" not in cheap.text and "Sun hat" in cheap.text and "Beach towel" not in cheap.text
    assert (await client.get("/shop/collections/nothing-here")).status_code == 404


async def test_collection_outside_its_window_is_404_and_off_the_home_page(client, admin, db_session) -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    await make_product(db_session, "Sun hat", 2500, tags=["summer"])
    service = CollectionService(session=db_session)
    window = {"starts_at": now, "ends_at": now + timedelta(days=1), "show_on_homepage": True}
    await service.save_collection(
        None,
        CollectionInput(name="Summer Edit", kind="smart", rules=SUMMER, sort="name", **window),
        actor=ACTOR,
    )
    await db_session.commit()
    clock.freeze(now - timedelta(minutes=1))
    assert (await client.get("/shop/collections/summer-edit")).status_code == 404
    assert "Summer Edit" not in (await client.get("/")).text
    clock.freeze(now)
    assert (await client.get("/shop/collections/summer-edit")).status_code == 200
    home = await client.get("/")
    assert "Summer Edit" in home.text and 'href="/shop/collections/summer-edit"' in home.text
    assert "Sun hat" in home.text


async def test_home_page_featured_collections(client, admin, db_session) -> None:
    names = ["Mug", "Candle", "Journal", "Throw", "Pen", "Vase"]
    products = [await make_product(db_session, name) for name in names]
    service = CollectionService(session=db_session)
    gifts = await service.save_collection(
        None, CollectionInput(name="Gift Guide", show_on_homepage=True, position=1), actor=ACTOR
    )
    for product in reversed(products):
        await service.add_product(gifts, product.id, actor=ACTOR)
    await service.save_collection(
        None, CollectionInput(name="Not featured", kind="smart", rules=SUMMER, sort="name"), actor=ACTOR
    )
    await db_session.commit()
    home = await client.get("/")
    assert home.status_code == 200 and '<h2 id="featured-' in home.text
    assert "Gift Guide" in home.text and "Not featured" not in home.text
    shown = [name for name in names if f">{name}</h3>" in home.text]
    assert shown == ["Journal", "Throw", "Pen", "Vase"]  # four, in the collection's own order
    assert home.text.index(">Vase</h3>") < home.text.index(">Pen</h3>")


async def test_public_bundle_page(client, admin, db_session) -> None:
    dripper = await make_product(db_session, "Dripper", 2900)
    mug = await make_product(db_session, "Mug", 1800)
    towels = await make_product(db_session, "Towels", 2400)
    service = BundleService(session=db_session)
    created = await service.save_bundle(
        None, BundleInput(name="Coffee set", value=1500, description="Slow mornings."), actor=ACTOR
    )
    bundle = await service.with_items(created.id)
    for product in (dripper, mug, towels):
        await service.add_item(bundle, product.id, actor=ACTOR)
    await service.update_item(bundle, bundle.items[1], ItemChange(2, None, False, True), actor=ACTOR)
    await service.update_item(bundle, bundle.items[2], ItemChange(1, None, True, False), actor=ACTOR)
    towels_item = bundle.items[2].id
    await db_session.commit()
    page = await client.get("/shop/bundles/coffee-set")
    assert page.status_code == 200 and '<h1 id="bundle-title">Coffee set</h1>' in page.text
    assert "€55.25" in page.text and "Save €9.75" in page.text
    assert f'name="item" value="{towels_item}"' in page.text and "Include Towels (optional)" in page.text
    assert 'action="/cart/items"' in page.text and "Add the bundle to cart" in page.text
    chosen = await client.get(f"/shop/bundles/coffee-set?chosen=1&item={towels_item}")
    assert "€75.65" in chosen.text and "Save €13.35" in chosen.text
    assert re.search(rf'value="{towels_item}" checked', chosen.text)
    fragment = await client.get(
        f"/shop/bundles/coffee-set?chosen=1&item={towels_item}&item=junk", headers={"HX-Request": "true"}
    )
    assert (
        "<html" not in fragment.text and 'id="bundle-summary"' in fragment.text and "€75.65" in fragment.text
    )
    await service.save_bundle(
        bundle, BundleInput(name="Coffee set", value=1500, is_active=False), actor=ACTOR
    )
    await db_session.commit()
    assert (await client.get("/shop/bundles/coffee-set")).status_code == 404


async def test_product_page_bundles_and_related(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Mug", 1800)
    dripper = await make_product(db_session, "Dripper", 2900)
    saucer = await make_product(db_session, "Saucer", 900)
    draft = await make_product(db_session, "Secret saucer", 900, status="draft")
    related = RelatedService(session=db_session)
    await related.add(mug, saucer.id, "accessory", actor=ACTOR)
    await related.add(mug, draft.id, "accessory", actor=ACTOR)
    await related.add(mug, dripper.id, "frequently_bought_together", actor=ACTOR)
    service = BundleService(session=db_session)
    created = await service.save_bundle(
        None, BundleInput(name="Coffee set", pricing="amount", value=700), actor=ACTOR
    )
    bundle = await service.with_items(created.id)
    await service.add_item(bundle, mug.id, actor=ACTOR)
    await service.add_item(bundle, dripper.id, actor=ACTOR)
    await db_session.commit()
    page = await client.get("/shop/p/mug")
    assert page.status_code == 200
    assert '<h2 id="bundles-title">Buy together</h2>' in page.text
    assert (
        "€40.00" in page.text and "Save €7.00" in page.text and 'href="/shop/bundles/coffee-set"' in page.text
    )
    assert '<h2 id="related-accessory-title">Accessories</h2>' in page.text
    assert page.text.index("Frequently bought together") < page.text.index("Accessories")
    assert "Saucer" in page.text and "Secret saucer" not in page.text
    buy_box = await client.get("/shop/p/mug", headers={"HX-Request": "true"})
    assert "Buy together" not in buy_box.text  # the variant picker's fragment is the buy box only
    plain = await client.get("/shop/p/saucer")
    assert "Buy together" not in plain.text and "Accessories" not in plain.text


async def test_product_page_queries_do_not_grow_with_related_products(admin_client, db_session) -> None:
    """Signed in, so the page is rendered each time (anonymous visitors may get the cached page)."""
    client = admin_client
    main = await make_product(db_session, "Main")
    other = await make_product(db_session, "Other")
    service = RelatedService(session=db_session)
    bundles = BundleService(session=db_session)
    for owner in (main, other):
        created = await bundles.save_bundle(
            None, BundleInput(name=f"Set {owner.name}", value=1000), actor=ACTOR
        )
        bundle = await bundles.with_items(created.id)
        await bundles.add_item(bundle, owner.id, actor=ACTOR)
    await service.add(main, other.id, "cross_sell", actor=ACTOR)
    for i in range(8):
        extra = await make_product(db_session, f"Extra {i}")
        await service.add(other, extra.id, ("cross_sell", "up_sell", "accessory")[i % 3], actor=ACTOR)
        await bundles.add_item(bundle, extra.id, actor=ACTOR)
    await db_session.commit()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    async def queries(url: str) -> int:
        """A cold render's queries: the per-process caches (which would make a repeat cheaper) reset."""
        reset_process_caches()
        statements.clear()
        event.listen(get_engine().sync_engine, "before_cursor_execute", count)
        try:
            response = await client.get(url)
            assert response.status_code == 200 and response.headers.get("x-cache") is None
        finally:
            event.remove(get_engine().sync_engine, "before_cursor_execute", count)
        return len(statements)

    few = await queries("/shop/p/main")
    many = await queries("/shop/p/other")
    assert many == few, statements
    assert "Extra 7" in (await client.get("/shop/p/other")).text


async def test_demo_merchandising(client, db_session) -> None:
    """The demo shop features a smart and a manual collection on the home page, offers its coffee set
    with an optional extra, and suggests related products."""
    from verso.cli import load_demo_data

    await load_demo_data("demo password for the tests")
    collections = (await db_session.scalars(select(Collection).order_by(Collection.position))).all()
    assert [(c.kind, c.show_on_homepage) for c in collections] == [("smart", True), ("manual", True)]
    assert len({rule["field"] for rule in collections[0].rules}) >= 2
    home = await client.get("/")
    assert all(f'href="/shop/collections/{c.slug}"' in home.text for c in collections)
    smart = await client.get(f"/shop/collections/{collections[0].slug}")
    assert smart.status_code == 200 and "Linen Cushion Cover" in smart.text
    bundle = (await db_session.scalars(select(Bundle))).one()
    page = await client.get(f"/shop/bundles/{bundle.slug}")
    assert page.status_code == 200 and 'type="checkbox" name="item"' in page.text and "Save €" in page.text
    mug = await client.get("/shop/p/stoneware-mug")
    assert "Buy together" in mug.text and "Frequently bought together" in mug.text


async def test_a_rule_error_sits_on_its_own_line(admin_client) -> None:
    """An empty line before a bad one: the message is shown next to the bad condition."""
    bad = await post_form(
        admin_client,
        "/admin/shop/collections",
        rule_form(rule_condition=["", "tag"], rule_value=["", ""], rule_category=["", ""]),
    )
    assert bad.status_code == 422
    line = re.search(r'<li class="rule-row has-error">.*?</li>', bad.text, re.S)
    assert line is not None and "Enter a tag." in line.group(0)
    assert 'value="tag" data-input="text" selected' in line.group(0)
