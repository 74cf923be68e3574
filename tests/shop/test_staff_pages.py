"""Staff catalogue screens over HTTP: the product table (page, htmx fragment, bulk actions), the
product form with inline errors, variants, pictures, categories and attributes."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_user, post_form, sign_in
from tests.shop.helpers import make_attribute, make_product, png
from verso.domains.shop.models import Category, Product, ProductImage, ProductVariant


async def test_product_table_page_fragment_and_search(admin_client, db_session) -> None:
    await make_product(db_session, "Blue mug", sku="MUG-B")
    await make_product(db_session, "Red teapot", status="draft")
    page = await admin_client.get("/admin/shop/products")
    assert page.status_code == 200
    assert "<html" in page.text and "Blue mug" in page.text and "Red teapot" in page.text
    fragment = await admin_client.get("/admin/shop/products?q=mug-b", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="products-table"' in fragment.text
    assert "Blue mug" in fragment.text and "Red teapot" not in fragment.text
    drafts = await admin_client.get("/admin/shop/products?status=draft")
    assert "Red teapot" in drafts.text and "Blue mug" not in drafts.text


async def test_create_product_with_money_and_inline_errors(admin_client, db_session) -> None:
    await admin_client.get("/admin/shop/products/new")
    bad = await post_form(
        admin_client,
        "/admin/shop/products",
        {"name": "Mug", "price": "12.345", "compare_at_price": "abc", "status": "active"},
    )
    assert bad.status_code == 422
    assert "Use at most 2 decimal places." in bad.text
    assert "Enter an amount such as 12.50." in bad.text
    assert await db_session.scalar(select(Product.id)) is None  # nothing half-written
    not_more = await post_form(
        admin_client, "/admin/shop/products", {"name": "Mug", "price": "12.50", "compare_at_price": "10"}
    )
    assert not_more.status_code == 422 and "Must be more than the price" in not_more.text
    created = await post_form(
        admin_client,
        "/admin/shop/products",
        {
            "name": "Mug",
            "price": "12,50",
            "compare_at_price": "15",
            "status": "active",
            "tags": "Kitchen, gift",
            "description": "**Stoneware** <script>alert(1)</script>",
            "track_stock": "on",
            "stock": "4",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    product = (await db_session.scalars(select(Product))).one()
    assert (product.price, product.compare_at_price, product.slug) == (1250, 1500, "mug")
    assert (
        "<strong>Stoneware</strong>" in product.description_html and "<script" not in product.description_html
    )


async def test_bulk_actions_activate_and_set_category(admin_client, db_session) -> None:
    a = await make_product(db_session, "A", status="draft")
    b = await make_product(db_session, "B", status="draft")
    category = Category(name="Kitchen", slug="kitchen")
    db_session.add(category)
    await db_session.commit()
    await admin_client.get("/admin/shop/products")
    response = await post_form(
        admin_client, "/admin/shop/products/bulk", {"action": "activate", "ids": [str(a.id), str(b.id)]}
    )
    assert response.status_code == 200 and "2 products: activate done." in response.text
    refused = await post_form(
        admin_client, "/admin/shop/products/bulk", {"action": "set_category", "ids": [str(a.id)]}
    )
    assert "Choose a category for the selected products." in refused.text
    await post_form(
        admin_client,
        "/admin/shop/products/bulk",
        {"action": "set_category", "ids": [str(a.id)], "category_id": str(category.id)},
    )
    category_id = category.id
    db_session.expire_all()
    rows = {p.name: p for p in (await db_session.scalars(select(Product))).all()}
    assert rows["A"].status == rows["B"].status == "active"
    assert rows["A"].category_id == category_id and rows["B"].category_id is None


async def test_variants_and_pictures_through_the_product_page(admin_client, db_session) -> None:
    product = await make_product(db_session, "Tee")
    size = await make_attribute(db_session, "Size", ["S", "M"])
    await admin_client.get(f"/admin/shop/products/{product.id}")
    values = [f"{size.id}:{v.id}" for v in size.values]
    generated = await post_form(
        admin_client, f"/admin/shop/products/{product.id}/variants/generate", {"values": values}
    )
    assert "2 variants." in generated.text
    variant = (await db_session.scalars(select(ProductVariant).where(ProductVariant.name == "M"))).one()
    saved = await post_form(
        admin_client,
        f"/admin/shop/variants/{variant.id}",
        {"price_adjustment": "-1.50", "stock": "3", "is_active": "on"},
    )
    assert "M saved." in saved.text
    variant_id, product_id = variant.id, product.id
    db_session.expire_all()
    assert (await db_session.get(ProductVariant, variant_id)).price_adjustment == -150
    renamed = await admin_client.post(
        f"/admin/shop/products/{product_id}/images",
        data={"alt_text": "A plain tee"},
        files={"image": ("tee.png", b"hello, I am text", "image/png")},
        headers={"x-csrftoken": admin_client.cookies.get("verso_csrf")},
    )
    assert "must be a PNG, JPEG, WebP or GIF" in renamed.text
    uploaded = await admin_client.post(
        f"/admin/shop/products/{product_id}/images",
        data={"alt_text": "A plain tee"},
        files={"image": ("tee.png", png(), "image/png")},
        headers={"x-csrftoken": admin_client.cookies.get("verso_csrf")},
    )
    assert "Picture added." in uploaded.text
    image = (await db_session.scalars(select(ProductImage))).one()
    assert image.is_primary and image.alt_text == "A plain tee"
    served = await admin_client.get(f"/media/{image.digest}/thumb")
    assert served.status_code == 200 and "immutable" in served.headers["cache-control"]


async def test_categories_and_attributes_screens(admin_client, db_session) -> None:
    await admin_client.get("/admin/shop/categories/new")
    missing = await post_form(admin_client, "/admin/shop/categories", {"name": ""})
    assert missing.status_code == 422 and "This field is required." in missing.text
    await post_form(admin_client, "/admin/shop/categories", {"name": "Home"})
    home = (await db_session.scalars(select(Category))).one()
    await post_form(admin_client, "/admin/shop/categories", {"name": "Kitchen", "parent_id": str(home.id)})
    listing = await admin_client.get("/admin/shop/categories")
    assert "Home" in listing.text and "Kitchen" in listing.text
    bad_swatch = await post_form(
        admin_client, "/admin/shop/attributes", {"name": "Colour", "kind": "color", "values": "Navy, blue"}
    )
    assert bad_swatch.status_code == 422 and "#1a2b3c" in bad_swatch.text
    good = await post_form(
        admin_client,
        "/admin/shop/attributes",
        {"name": "Colour", "kind": "color", "values": "Navy, #1f2a44\nRed, #cc0000"},
    )
    assert "“Colour” saved." in good.text


async def test_roles_and_csrf(client, admin, db_session) -> None:
    product = await make_product(db_session, "Mug")
    await make_user("sales@example.com", ["commercial"])
    await make_user("cust@example.com", ["user"])
    await sign_in(client, "sales@example.com", "another long passphrase")
    assert (await client.get("/admin/shop/products")).status_code == 200  # read
    denied = await post_form(client, f"/admin/shop/products/{product.id}/delete")
    assert denied.status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await sign_in(client, "cust@example.com", "another long passphrase")
    assert (await client.get("/admin/shop/products")).status_code == 403
    no_token = await client.post(f"/admin/shop/products/{product.id}/delete")
    assert no_token.status_code == 403
    assert await db_session.get(Product, product.id) is not None
