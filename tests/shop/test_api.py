"""The products JSON API (/api/v1/products): keys and scopes, the list with its filters, sorts and
pages, create / read / change / delete with the staff form's rules, problem+json errors, OpenAPI, and
a page's query count that does not grow with its size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from tests.api.conftest import bearer, create_key
from verso.domains.ops.models import BusinessSettings
from verso.domains.ops.services import SETTINGS_ID, business_cache
from verso.domains.shop.models import Category, Product, ProductImage, ProductTag, ProductVariant
from verso.domains.shop.services import ProductService
from verso.lib import clock
from verso.lib.audit import AuditLog
from verso.lib.db import get_engine
from verso.lib.storage import StoredFile

PROBLEM = "application/problem+json"
URL = "/api/v1/products"
DIGEST = "ab" * 32
BASE = datetime(2025, 1, 1, tzinfo=UTC)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"] == "about:blank" and body["title"]
    return body


def _fields(body: dict[str, Any]) -> set[str]:
    return {error["field"] for error in body.get("errors") or []}


async def _set_modules(session_maker, modules: list[str]) -> None:
    async with session_maker() as db:
        await db.execute(
            update(BusinessSettings).where(BusinessSettings.id == SETTINGS_ID).values(enabled_modules=modules)
        )
        await db.commit()
        await business_cache.load(db)  # guards read the cache before the request refreshes it


@pytest.fixture
async def shop(admin, session_maker) -> None:
    """The shop module turned on (it is optional)."""
    await _set_modules(session_maker, ["shop"])


@pytest.fixture
async def key(shop, admin_client) -> str:
    return await create_key(admin_client, "Catalogue sync", ("read:products", "write:products"))


@pytest.fixture
async def read_key(shop, admin_client) -> str:
    return await create_key(admin_client, "Catalogue reader", ("read:products",))


@pytest.fixture
def api(admin_client, key):
    """Call the API with the read-write key: ``await api("get", "/api/v1/products")``."""

    async def call(method: str, url: str, **kwargs: Any) -> Any:
        return await admin_client.request(method, url, headers=bearer(key), **kwargs)

    return call


async def _category(session_maker, name: str, slug: str) -> Category:
    async with session_maker() as db:
        category = Category(name=name, slug=slug)
        db.add(category)
        await db.commit()
        return category


async def _product(
    session_maker,
    name: str,
    *,
    variants: list[dict[str, Any]] = (),  # type: ignore[assignment]
    tags: list[str] = (),  # type: ignore[assignment]
    image: bool = False,
    age: int = 0,
    **fields: Any,
) -> Product:
    """A product straight into the tables (no rules), ``age`` minutes after ``BASE``."""
    async with session_maker() as db:
        when = BASE + timedelta(minutes=age)
        fields.setdefault("slug", name.lower().replace(" ", "-"))
        fields.setdefault("price", 1000)
        product = Product(name=name, created_at=when, updated_at=when, **fields)
        db.add(product)
        await db.flush()
        for position, variant in enumerate(variants):
            db.add(ProductVariant(product_id=product.id, position=position, **variant))
        db.add_all(ProductTag(product_id=product.id, tag=tag) for tag in tags)
        if image:
            if await db.scalar(select(StoredFile.id).where(StoredFile.digest == DIGEST)) is None:
                db.add(
                    StoredFile(
                        digest=DIGEST, content_type="image/png", size=1, width=600, height=400, data=b""
                    )
                )
                await db.flush()
            db.add(
                ProductImage(product_id=product.id, digest=DIGEST, alt_text=f"{name} photo", is_primary=True)
            )
        await db.commit()
        return product


async def _names(api, query: str = "") -> list[str]:
    response = await api("get", f"{URL}?per_page=100&{query}")
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


# keys and scopes


async def test_a_missing_key_is_401(client, shop) -> None:
    for method in ("get", "post"):
        response = await client.request(method, URL)
        assert "Authorization" in _problem(response, 401)["detail"]
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_read_only_key_reads_and_cannot_write(admin_client, read_key, session_maker) -> None:
    product = await _product(session_maker, "Blue mug")
    headers = bearer(read_key)
    assert (await admin_client.get(URL, headers=headers)).status_code == 200
    assert (await admin_client.get(f"{URL}/{product.id}", headers=headers)).status_code == 200
    for method, url in (("post", URL), ("patch", f"{URL}/{product.id}"), ("delete", f"{URL}/{product.id}")):
        response = await admin_client.request(method, url, headers=headers, json={"name": "X", "price": 1})
        assert _problem(response, 403)["detail"] == "This key lacks the scope write:products."
        assert 'scope="write:products"' in response.headers["www-authenticate"]
    async with session_maker() as db:
        assert (await db.get(Product, product.id)).name == "Blue mug"


async def test_a_key_without_read_products_is_403(admin_client, shop) -> None:
    secret = await create_key(admin_client, "Users only", ("read:users",))
    response = await admin_client.get(URL, headers=bearer(secret))
    assert _problem(response, 403)["detail"] == "This key lacks the scope read:products."


async def test_the_api_is_closed_while_the_shop_module_is_off(admin_client, read_key, session_maker) -> None:
    assert (await admin_client.get(URL, headers=bearer(read_key))).status_code == 200
    await _set_modules(session_maker, [])
    _problem(await admin_client.get(URL, headers=bearer(read_key)), 404)


# the list


async def test_products_are_paginated(api, session_maker) -> None:
    for i in range(25):
        await _product(session_maker, f"Product {i:02d}", age=i)
    first = (await api("get", URL)).json()
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 20, 25, 2)
    assert len(first["items"]) == 20 and first["items"][0]["name"] == "Product 00"
    seen = []
    for number in (1, 2, 3):
        body = (await api("get", f"{URL}?page={number}&per_page=10")).json()
        assert (body["page"], body["per_page"], body["total"], body["pages"]) == (number, 10, 25, 3)
        seen += [item["id"] for item in body["items"]]
    assert len(seen) == 25 == len(set(seen))
    past = (await api("get", f"{URL}?page=9&per_page=100")).json()
    assert past["items"] == [] and past["total"] == 25 and past["pages"] == 1


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("sort=cost", "sort"),
        ("in_stock=maybe", "in_stock"),
        ("status=archived", "status"),
    ],
)
async def test_bad_list_parameters_are_a_problem_naming_them(api, query: str, name: str) -> None:
    body = _problem(await api("get", f"{URL}?{query}"), 400)
    assert [error["field"] for error in body["errors"]] == [name]


async def test_an_item_has_its_variants_images_category_and_tags(api, session_maker) -> None:
    mugs = await _category(session_maker, "Mugs", "mugs")
    product = await _product(
        session_maker,
        "Blue mug",
        price=1250,
        compare_at_price=1500,
        sku="MUG-1",
        category_id=mugs.id,
        tags=["gift", "blue"],
        image=True,
        variants=[
            {
                "name": "Large",
                "sku": "MUG-1-L",
                "price_adjustment": 300,
                "stock": 4,
                "attributes": {"Size": "L"},
            },
            {"name": "Small", "price_adjustment": -2000, "stock": 0, "is_active": False},
        ],
    )
    item = (await api("get", URL)).json()["items"][0]
    assert item["id"] == str(product.id) and item["currency"] == "EUR"
    assert (item["price"], item["compare_at_price"], item["sku"]) == (1250, 1500, "MUG-1")
    assert item["category"] == {"id": str(mugs.id), "slug": "mugs", "name": "Mugs"}
    assert item["tags"] == ["blue", "gift"] and item["in_stock"] is True
    large, small = item["variants"]
    assert large["name"] == "Large" and large["sku"] == "MUG-1-L" and large["attributes"] == {"Size": "L"}
    assert (large["price_adjustment"], large["price"], large["stock"], large["is_active"]) == (
        300,
        1550,
        4,
        True,
    )
    assert small["price"] == 0 and small["is_active"] is False and small["sku"] is None  # never below zero
    assert set(large) == {
        "id",
        "name",
        "sku",
        "price_adjustment",
        "price",
        "stock",
        "attributes",
        "is_active",
        "image_id",
    }
    (picture,) = item["images"]
    assert picture["url"] == f"http://testserver.local/media/{DIGEST}"
    assert picture["thumb_url"] == f"http://testserver.local/media/{DIGEST}/thumb"
    assert picture["card_url"].endswith("/card") and picture["full_url"].endswith("/full")
    assert picture["alt_text"] == "Blue mug photo" and picture["is_primary"] is True
    assert (await api("get", f"{URL}/{product.id}")).json() == item


async def test_filters(api, session_maker) -> None:
    mugs = await _category(session_maker, "Mugs", "mugs")
    books = await _category(session_maker, "Books", "books")
    await _product(session_maker, "Stocked mug", stock=3, category_id=mugs.id, sku="MUG-7")
    await _product(session_maker, "Empty mug", stock=0, category_id=mugs.id, description="A 100% ceramic mug")
    await _product(session_maker, "Untracked print", stock=0, track_stock=False, category_id=books.id)
    await _product(session_maker, "Ebook", is_digital=True, track_stock=False, category_id=books.id)
    await _product(
        session_maker,
        "Shirt",
        stock=0,
        variants=[{"name": "S", "stock": 0}, {"name": "M", "stock": 2, "sku": "SHIRT-M"}],
        status="active",
    )
    await _product(
        session_maker, "Old shirt", stock=0, variants=[{"name": "S", "stock": 5, "is_active": False}]
    )

    assert await _names(api, "is_digital=true") == ["Ebook"]
    assert "Ebook" not in await _names(api, "is_digital=false")
    assert len(await _names(api, "is_digital=false")) == 5
    assert sorted(await _names(api, "in_stock=true")) == ["Ebook", "Shirt", "Stocked mug", "Untracked print"]
    assert sorted(await _names(api, "in_stock=false")) == ["Empty mug", "Old shirt"]
    assert sorted(await _names(api, "category=mugs")) == ["Empty mug", "Stocked mug"]
    assert sorted(await _names(api, f"category={books.id}")) == ["Ebook", "Untracked print"]
    assert await _names(api, "category=nothing-here") == []
    assert sorted(await _names(api, "category=mugs&in_stock=true")) == ["Stocked mug"]
    assert await _names(api, "status=active") == ["Shirt"]
    # q: name, SKU (a variant's too) and description, any case; % and _ are plain characters
    assert sorted(await _names(api, "q=MUG")) == ["Empty mug", "Stocked mug"]
    assert await _names(api, "q=mug-7") == ["Stocked mug"]
    assert await _names(api, "q=shirt-m") == ["Shirt"]
    assert await _names(api, "q=ceramic") == ["Empty mug"]
    assert await _names(api, "q=100%25") == ["Empty mug"]
    assert await _names(api, "q=%25") == ["Empty mug"]
    assert await _names(api, "q=_") == []
    body = (await api("get", f"{URL}?category=mugs&per_page=1")).json()
    assert body["total"] == 2 and body["pages"] == 2 and len(body["items"]) == 1


async def test_sorts(api, session_maker) -> None:
    await _product(session_maker, "Banana", price=300, age=1)
    await _product(session_maker, "apple", price=500, age=3)
    await _product(session_maker, "Cherry", price=100, age=2)
    assert await _names(api) == ["Banana", "Cherry", "apple"]  # oldest first
    assert await _names(api, "sort=created") == ["Banana", "Cherry", "apple"]
    assert await _names(api, "sort=-created") == ["apple", "Cherry", "Banana"]
    assert await _names(api, "sort=price") == ["Cherry", "Banana", "apple"]
    assert await _names(api, "sort=-price") == ["apple", "Banana", "Cherry"]
    by_name = await _names(api, "sort=name")
    assert by_name[0] in ("Banana", "apple") and by_name.index("Banana") < by_name.index("Cherry")
    assert await _names(api, "sort=-name") == list(reversed(by_name))


async def test_a_page_costs_the_same_queries_whatever_its_size(api, session_maker) -> None:
    mugs = await _category(session_maker, "Mugs", "mugs")
    for i in range(30):
        await _product(
            session_maker,
            f"Product {i:02d}",
            age=i,
            category_id=mugs.id,
            tags=["a", "b"],
            image=True,
            variants=[{"name": "S", "stock": 1}, {"name": "M", "stock": 2}],
        )
    clock.freeze(clock.utcnow())  # the key's last use is written once, by the first call
    assert (await api("get", URL)).status_code == 200
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = get_engine().sync_engine
    counts = {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for per_page in (1, 5, 30):
            business_cache.set(business_cache.current())  # fresh: no settings reload in between
            statements.clear()
            response = await api("get", f"{URL}?per_page={per_page}")
            assert len(response.json()["items"]) == per_page
            assert all(len(item["variants"]) == 2 and item["images"] for item in response.json()["items"])
            counts[per_page] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[1] == counts[5] == counts[30], counts
    assert counts[30] <= 12, statements


# create


async def test_create_a_product(api, session_maker) -> None:
    mugs = await _category(session_maker, "Mugs", "mugs")
    body = {
        "name": "Blue mug",
        "price": 1250,
        "compare_at_price": 1500,
        "cost": 400,
        "sku": " MUG-1 ",
        "stock": 12,
        "weight_grams": 350,
        "status": "active",
        "description": "Holds **tea**.",
        "category_id": str(mugs.id),
        "tags": ["Summer, Gift", "gift"],
    }
    response = await api("post", URL, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{URL}/{created['id']}"
    assert created["slug"] == "blue-mug" and created["sku"] == "MUG-1" and created["status"] == "active"
    assert (created["price"], created["compare_at_price"], created["cost"]) == (1250, 1500, 400)
    assert created["currency"] == "EUR" and created["stock"] == 12 and created["weight_grams"] == 350
    assert created["tags"] == ["gift", "summer"] and created["category"]["slug"] == "mugs"
    assert "<strong>tea</strong>" in created["description_html"] and created["variants"] == []
    assert (await api("get", response.headers["location"])).json() == created
    async with session_maker() as db:
        stored = await db.get(Product, created["id"])
        assert stored.price == 1250 and stored.compare_at_price == 1500
        log = (await db.scalars(select(AuditLog).where(AuditLog.action == "shop.product.created"))).one()
        assert log.actor_label.startswith("owner@example.com (API key vso_")

    minimal = await api("post", URL, json={"name": "Gift card", "price": 0, "is_digital": True})
    assert minimal.status_code == 201
    assert minimal.json()["status"] == "draft" and minimal.json()["track_stock"] is False


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "Mug", "price": -1}, {"price"}),
        ({"name": "Mug", "price": 1000, "compare_at_price": 1000}, {"compare_at_price"}),
        ({"name": "Mug", "price": 1000, "compare_at_price": 900}, {"compare_at_price"}),
        ({"name": "Mug", "price": 1000, "sku": "taken-1"}, {"sku"}),
        ({"name": "Mug", "price": 1000, "is_subscription": True}, {"stripe_price_id"}),
        ({"name": " ", "price": 1000, "stock": -2, "status": "gone"}, {"name", "stock", "status"}),
        ({"name": "Mug", "price": 1000, "slug": "Not A Slug"}, {"slug"}),
        (
            {"name": "Mug", "price": 1000, "category_id": "0190c4a3-0000-7000-8000-000000000000"},
            {"category_id"},
        ),
        ({"name": "Mug", "price": 1000, "tags": [f"t{i}" for i in range(31)]}, {"tags"}),
    ],
)
async def test_create_refuses_what_the_staff_form_refuses(api, session_maker, body, fields) -> None:
    await _product(session_maker, "Existing", sku="TAKEN-1")
    problem = _problem(await api("post", URL, json=body), 422)
    assert _fields(problem) == fields
    assert all(error["message"] for error in problem["errors"])
    assert all(field in problem["detail"] for field in fields)
    async with session_maker() as db:
        assert [p.name for p in await db.scalars(select(Product))] == ["Existing"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": 100}, "name"),
        ({"name": "Mug", "price": "12.50"}, "price"),
        ({"name": "Mug", "price": 1.5}, "price"),
        ({"name": "Mug", "price": 2**31}, "price"),
        ({"name": "Mug", "price": 100, "colour": "blue"}, "colour"),
        ({"name": "Mug", "price": 100, "category_id": "nope"}, "category_id"),
    ],
)
async def test_a_body_of_the_wrong_shape_is_400(api, body, field) -> None:
    problem = _problem(await api("post", URL, json=body), 400)
    assert field in str(problem["errors"]), problem


# read, change, delete


async def test_an_unknown_product_is_404(api) -> None:
    unknown = "0190c4a3-0000-7000-8000-000000000000"
    for method in ("get", "patch", "delete"):
        response = await api(method, f"{URL}/{unknown}", json={"price": 1})
        assert _problem(response, 404)["detail"] == "No such product."
    _problem(await api("get", f"{URL}/not-a-uuid"), 404)


async def test_patch_changes_only_what_is_sent(api) -> None:
    created = (
        await api(
            "post",
            URL,
            json={
                "name": "Blue mug",
                "price": 1250,
                "compare_at_price": 1500,
                "sku": "MUG-1",
                "stock": 5,
                "description": "Holds tea.",
                "tags": ["gift"],
                "status": "active",
            },
        )
    ).json()
    response = await api("patch", f"{URL}/{created['id']}", json={"price": 1100})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["price"] == 1100
    unchanged = {k: v for k, v in changed.items() if k not in ("price", "updated_at")}
    assert unchanged == {k: v for k, v in created.items() if k not in ("price", "updated_at")}

    cleared = (
        await api("patch", f"{URL}/{created['id']}", json={"compare_at_price": None, "tags": []})
    ).json()
    assert cleared["compare_at_price"] is None and cleared["tags"] == [] and cleared["sku"] == "MUG-1"

    refused = await api("patch", f"{URL}/{created['id']}", json={"compare_at_price": 900, "stock": -1})
    assert _fields(_problem(refused, 422)) == {"compare_at_price", "stock"}
    still = (await api("get", f"{URL}/{created['id']}")).json()
    assert still["compare_at_price"] is None and still["stock"] == 5
    _problem(await api("patch", f"{URL}/{created['id']}", json={"name": None}), 400)
    _problem(await api("patch", f"{URL}/{created['id']}", json={"id": created["id"]}), 400)


async def test_patch_rules_see_the_whole_product(api, session_maker) -> None:
    await _product(session_maker, "Other", sku="OTHER")
    created = (await api("post", URL, json={"name": "Plan", "price": 900, "sku": "PLAN"})).json()
    # the price is checked against the stored compare-at price, the SKU against other products only
    assert (await api("patch", f"{URL}/{created['id']}", json={"compare_at_price": 1000})).status_code == 200
    assert _fields(_problem(await api("patch", f"{URL}/{created['id']}", json={"price": 1000}), 422)) == {
        "compare_at_price"
    }
    assert (await api("patch", f"{URL}/{created['id']}", json={"sku": "plan"})).status_code == 200
    assert _fields(_problem(await api("patch", f"{URL}/{created['id']}", json={"sku": "other"}), 422)) == {
        "sku"
    }
    refused = await api("patch", f"{URL}/{created['id']}", json={"is_subscription": True})
    assert _fields(_problem(refused, 422)) == {"stripe_price_id"}
    ok = await api(
        "patch", f"{URL}/{created['id']}", json={"is_subscription": True, "stripe_price_id": "price_1"}
    )
    assert ok.json()["is_subscription"] is True and ok.json()["stripe_price_id"] == "price_1"


async def test_a_new_slug_keeps_the_old_one_as_a_redirect(api, session_maker) -> None:
    created = (await api("post", URL, json={"name": "Blue mug", "price": 1250})).json()
    renamed = (await api("patch", f"{URL}/{created['id']}", json={"slug": "navy-mug"})).json()
    assert renamed["slug"] == "navy-mug" and renamed["name"] == "Blue mug"
    async with session_maker() as db:
        assert await ProductService(session=db).by_slug("blue-mug") == (None, "navy-mug")
        product, moved = await ProductService(session=db).by_slug("navy-mug")
        assert product is not None and str(product.id) == created["id"] and moved is None
    for slug in ("navy-mug", "blue-mug"):  # the current slug, and the former one, stay its own
        taken = await api("post", URL, json={"name": "Other", "price": 1, "slug": slug})
        assert _fields(_problem(taken, 422)) == {"slug"}
    back = (await api("patch", f"{URL}/{created['id']}", json={"slug": "blue-mug"})).json()
    assert back["slug"] == "blue-mug"


async def test_delete(api, session_maker) -> None:
    product = await _product(session_maker, "Blue mug", tags=["gift"], variants=[{"name": "S"}], image=True)
    response = await api("delete", f"{URL}/{product.id}")
    assert response.status_code == 204 and response.content == b""
    _problem(await api("get", f"{URL}/{product.id}"), 404)
    _problem(await api("delete", f"{URL}/{product.id}"), 404)
    async with session_maker() as db:
        assert await db.get(Product, product.id) is None
        assert (await db.scalars(select(ProductVariant))).all() == []
        assert (await db.scalars(select(AuditLog).where(AuditLog.action == "shop.product.deleted"))).one()


# the OpenAPI document


async def test_the_openapi_document_describes_the_products_api(client) -> None:
    document = (await client.get("/api/openapi.json")).json()
    collection = document["paths"]["/api/v1/products"]
    item = document["paths"]["/api/v1/products/{product_id}"]
    assert set(collection) == {"get", "post"} and set(item) == {"get", "patch", "delete"}
    for operation in (*collection.values(), *item.values()):
        assert operation["security"] == [{"bearerAuth": []}]
        assert {"401", "403"} <= set(operation["responses"])
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == [PROBLEM], (status, response)
    assert {"400", "422"} <= set(collection["post"]["responses"]) and "422" in item["patch"]["responses"]
    assert "404" in item["get"]["responses"] and "204" in item["delete"]["responses"]
    params = {p["name"]: p for p in collection["get"]["parameters"]}
    assert {"page", "per_page", "is_digital", "in_stock", "category", "q", "sort"} <= set(params)
    assert params["per_page"]["schema"]["maximum"] == 100
    assert set(params["sort"]["schema"]["enum"]) == {
        "name",
        "-name",
        "price",
        "-price",
        "created",
        "-created",
    }
    schemas = document["components"]["schemas"]
    out = schemas["ProductOut"]["properties"]
    assert {"id", "name", "slug", "price", "compare_at_price", "currency", "sku", "stock", "in_stock"} <= set(
        out
    )
    assert {"category", "tags", "images", "variants", "created_at"} <= set(out)
    variant = schemas["VariantOut"]["properties"]
    assert {
        "id",
        "name",
        "sku",
        "price_adjustment",
        "price",
        "stock",
        "attributes",
        "is_active",
        "image_id",
    } <= set(variant)
    for name in ("ProductOut", "VariantOut", "ProductCreate", "ProductPatch"):
        undocumented = [
            field
            for field, schema in schemas[name]["properties"].items()
            if not schema.get("description") and field not in ("id", "created_at", "updated_at")
        ]
        assert undocumented == [], (name, undocumented)
    assert schemas["ProductCreate"]["required"] == ["name", "price"]
    assert schemas["ProductPatch"].get("required", []) == []
    assert "minor units" in out["price"]["description"]


# nested variants


async def test_variants_are_created_and_replaced_by_their_options(api, session_maker) -> None:
    from tests.shop.helpers import make_attribute

    async with session_maker() as db:
        await make_attribute(db, "Size", ["S", "M", "L"])
        await make_attribute(db, "Colour", ["Red", "Blue"])
    body = {
        "name": "Tee",
        "price": 2000,
        "variants": [
            {"options": {"Size": "S", "Colour": "Red"}, "sku": "TEE-S-R", "stock": 3},
            {"options": {"size": "m", "colour": "red"}, "sku": "TEE-M-R", "price_adjustment": 250},
        ],
    }
    created = await api("post", URL, json=body)
    assert created.status_code == 201, created.text
    variants = {v["name"]: v for v in created.json()["variants"]}
    assert set(variants) == {"Red / S", "Red / M"}  # attributes in their own order (by name here)
    assert variants["Red / S"]["sku"] == "TEE-S-R" and variants["Red / S"]["stock"] == 3
    assert variants["Red / M"]["price"] == 2250 and variants["Red / M"]["attributes"] == {
        "Size": "M",
        "Colour": "Red",
    }
    product_id = created.json()["id"]

    # Blue joins the grid: the combinations not listed stay, inactive; SKUs may move between variants.
    changed = await api(
        "patch",
        f"{URL}/{product_id}",
        json={
            "variants": [
                {"options": {"Size": "S", "Colour": "Blue"}, "sku": "TEE-S-R", "stock": 1},
                {"options": {"Size": "S", "Colour": "Red"}, "sku": "TEE-S-R2"},
            ]
        },
    )
    assert changed.status_code == 200, changed.text
    variants = {v["name"]: v for v in changed.json()["variants"]}
    assert set(variants) == {"Red / S", "Blue / S"}
    assert variants["Blue / S"]["sku"] == "TEE-S-R" and variants["Red / S"]["sku"] == "TEE-S-R2"
    assert all(v["is_active"] for v in variants.values())

    # A change that leaves variants out keeps them as they are.
    renamed = await api("patch", f"{URL}/{product_id}", json={"name": "Tee shirt"})
    assert len(renamed.json()["variants"]) == 2

    # Sending the same variants again changes nothing, and the audit log says so.
    async with session_maker() as db:
        logged = await db.scalar(select(func.count()).where(AuditLog.action == "shop.variant.updated"))
    same = await api(
        "patch",
        f"{URL}/{product_id}",
        json={
            "variants": [
                {"options": {"Size": "S", "Colour": "Blue"}, "sku": "TEE-S-R", "stock": 1},
                {"options": {"Size": "S", "Colour": "Red"}, "sku": "TEE-S-R2"},
            ]
        },
    )
    assert same.status_code == 200
    async with session_maker() as db:
        entries = (
            await db.scalars(
                select(AuditLog)
                .where(AuditLog.action == "shop.variant.updated")
                .order_by(AuditLog.id)
                .offset(logged)
            )
        ).all()
        assert all(entry.changes == {} for entry in entries), [entry.changes for entry in entries]

    cleared = await api("patch", f"{URL}/{product_id}", json={"variants": []})
    assert cleared.status_code == 200 and cleared.json()["variants"] == []


@pytest.mark.parametrize(
    ("variants", "fields"),
    [
        ([{"options": {"Fabric": "Wool"}}], {"variants[0].options"}),
        ([{"options": {"Size": "XXL"}}], {"variants[0].options"}),
        ([{"options": {"Size": "S"}}, {"options": {"Size": "s"}}], {"variants[1].options"}),
        ([{"options": {"Size": "S"}}, {"options": {"Colour": "Red"}}], {"variants[1].options"}),
        ([{"options": {}}], {"variants[0].options"}),
        ([{"options": {"Size": "S"}, "stock": -1}], {"variants[0].stock"}),
        ([{"options": {"Size": "S"}, "sku": "TAKEN-1"}], {"variants[0].sku"}),
    ],
)
async def test_bad_variants_are_refused_by_entry_and_nothing_is_written(
    api, session_maker, variants, fields
) -> None:
    from tests.shop.helpers import make_attribute

    async with session_maker() as db:
        await make_attribute(db, "Size", ["S", "M"])
        await make_attribute(db, "Colour", ["Red"])
    await _product(session_maker, "Existing", sku="TAKEN-1")
    problem = _problem(await api("post", URL, json={"name": "Tee", "price": 100, "variants": variants}), 422)
    assert _fields(problem) == fields
    async with session_maker() as db:
        assert await db.scalar(select(Product).where(Product.name == "Tee")) is None
