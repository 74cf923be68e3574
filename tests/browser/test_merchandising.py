"""Staff build a smart collection with the rule editor (the match count follows the conditions live),
suggest a related product from the product page and put two products in a bundle with an optional
extra; a visitor finds the collection on the home page and prices the bundle, with and without
JavaScript. Every page passes axe and never trips the Content Security Policy."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import run_axe
from tests.browser.conftest import sign_in as _sign_in
from tests.browser.conftest import watch_console as _watch_console


def _product(page: Page, base: str, name: str, price: str, tags: str) -> str:
    page.goto(f"{base}/admin/shop/products/new")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Price", exact=True).fill(price)
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Tags").fill(tags)
    page.get_by_label("Stock", exact=True).fill("5")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_text("Product created.")).to_be_visible()
    return page.url


def test_staff_merchandise_and_a_visitor_buys_together(
    person, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    staff = person(viewport={"width": 1280, "height": 900}).new_page()
    errors = _watch_console(staff)
    _sign_in(staff, live_server, owner)
    hat_url = _product(staff, live_server, "Merch Sun Hat", "25", "merch-summer")
    _product(staff, live_server, "Merch Beach Towel", "40", "merch-summer, towel")
    _product(staff, live_server, "Merch Wool Scarf", "30", "merch-winter")

    # A smart collection: the count follows the conditions as they are typed (htmx), no saving needed.
    staff.goto(f"{live_server}/admin/shop/collections")
    staff.get_by_role("button", name="New collection").click()
    staff.get_by_label("Name").fill("Merch Summer")
    staff.get_by_label("Type").select_option("smart")
    staff.get_by_label("Condition 1").select_option(label="Tag is")
    staff.get_by_label("Tag or amount (EUR)").fill("merch-summer")
    expect(staff.locator("#rule-preview")).to_contain_text("2 products in the shop match")
    staff.get_by_role("button", name="Add a condition").click()
    staff.get_by_label("Condition 2").select_option(label="Price is at most")
    staff.locator("#f-rule-1").fill("30")
    expect(staff.locator("#rule-preview")).to_contain_text("1 product in the shop matches")
    expect(staff.locator("#rule-preview")).to_contain_text("Merch Sun Hat")
    staff.screenshot(path=str(screenshot_dir / "shop-collection-rules.png"), full_page=True)
    staff.get_by_label("Products sorted by").select_option("price_asc")
    staff.get_by_label("Show on the home page").check()
    staff.get_by_role("button", name="Create collection").click()
    expect(staff.get_by_text("“Merch Summer” saved.")).to_be_visible()

    # Related products, managed inside the product's page.
    staff.goto(hat_url)
    related = staff.locator("#related")
    expect(related.get_by_role("heading", name="Add a suggestion")).to_be_visible()
    related.get_by_label("Suggest as").select_option("accessory")
    related.get_by_label("Find products (name or SKU)").fill("towel")
    related.get_by_role("button", name="Add Merch Beach Towel").click()
    expect(staff.get_by_text("“Merch Beach Towel” added as accessory.")).to_be_visible()

    # A bundle: the hat and the towel, the towel optional.
    staff.goto(f"{live_server}/admin/shop/bundles/new")
    staff.get_by_label("Name").fill("Merch Beach Day")
    staff.get_by_label("Pricing").select_option("percentage")
    staff.get_by_label("Value").fill("10")
    staff.get_by_role("button", name="Create bundle").click()
    expect(staff.get_by_text("“Merch Beach Day” saved.")).to_be_visible()
    for query, name in (("hat", "Merch Sun Hat"), ("towel", "Merch Beach Towel")):
        staff.get_by_label("Find products (name or SKU)").fill(query)
        staff.get_by_role("button", name=f"Add {name}").click()
        expect(staff.get_by_text(f"“{name}” added.")).to_be_visible()
    staff.get_by_label("Merch Beach Towel is optional").check()
    staff.get_by_label("Merch Beach Towel is pre-selected").uncheck()
    staff.get_by_role("button", name="Save Merch Beach Towel").click()
    expect(staff.get_by_text("Item saved.")).to_be_visible()
    staff.screenshot(path=str(screenshot_dir / "shop-bundle-edit.png"), full_page=True)
    assert errors == [], errors

    visitor = person(viewport={"width": 1280, "height": 900}).new_page()
    problems = _watch_console(visitor)
    visitor.goto(f"{live_server}/")
    visitor.get_by_role("link", name="See all of Merch Summer").click()
    expect(visitor.get_by_role("heading", name="Merch Summer", level=1)).to_be_visible()
    expect(visitor.locator("#results")).to_contain_text("Merch Sun Hat")
    expect(visitor.locator("#results")).not_to_contain_text("Merch Beach Towel")
    visitor.get_by_role("link", name=re.compile("Merch Sun Hat")).click()
    expect(visitor.get_by_role("heading", name="Buy together")).to_be_visible()
    expect(visitor.get_by_role("heading", name="Accessories")).to_be_visible()
    visitor.get_by_role("link", name=re.compile("See the bundle and choose its extras")).click()
    expect(visitor.locator("#bundle-summary")).to_contain_text("€22.50")
    visitor.get_by_label("Include Merch Beach Towel (optional)").check()
    expect(visitor.locator("#bundle-summary")).to_contain_text("€58.50")
    expect(visitor.locator("#bundle-summary")).to_contain_text("Save €6.50")
    expect(visitor).to_have_url(re.compile(r"chosen=1&item="))
    visitor.screenshot(path=str(screenshot_dir / "shop-bundle.png"), full_page=True)
    visitor.goto(f"{live_server}/shop/p/merch-sun-hat")
    visitor.screenshot(path=str(screenshot_dir / "shop-product-merch.png"), full_page=True)
    assert problems == [], problems

    audit = person(bypass_csp=True, viewport={"width": 1280, "height": 900}).new_page()
    for path in (
        "/",
        "/shop/collections/merch-summer",
        "/shop/p/merch-sun-hat",
        "/shop/bundles/merch-beach-day",
    ):
        audit.goto(f"{live_server}{path}")
        assert run_axe(audit) == [], path
    _sign_in(audit, live_server, owner)
    for path in ("/admin/shop/collections", "/admin/shop/bundles"):
        audit.goto(f"{live_server}{path}")
        assert run_axe(audit) == [], path
    audit.goto(f"{live_server}/admin/shop/collections")
    audit.get_by_role("link", name="Merch Summer").click()
    assert run_axe(audit) == [], audit.url

    # Without JavaScript the bundle page is a GET form with a button that reprices the choice.
    plain = person(java_script_enabled=False).new_page()
    plain.goto(f"{live_server}/shop/bundles/merch-beach-day")
    plain.get_by_label("Include Merch Beach Towel (optional)").check()
    plain.get_by_role("button", name="Update the price").click()
    expect(plain.locator("#bundle-summary")).to_contain_text("€58.50")
