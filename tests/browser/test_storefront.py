"""Staff puts a product with two attributes and pictures in the shop; a visitor finds it with a
filter, picks a variant (price and picture change, with and without JavaScript) and the shop pages
pass axe. Debian's Chromium
against ``verso run``; the page must never trip the Content Security Policy."""

from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import run_axe
from tests.browser.conftest import sign_in as _sign_in
from tests.browser.conftest import watch_console as _watch_console


def _png(path: Path, colour: str) -> Path:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 640), colour).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _attribute(page, base: str, name: str, kind: str, values: str) -> None:
    page.goto(f"{base}/admin/shop/attributes/new")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Shown as").select_option(kind)
    page.get_by_label("Values").fill(values)
    page.get_by_role("button", name="Save attribute").click()
    expect(page.get_by_text(f"“{name}” saved.")).to_be_visible()


def test_staff_lists_a_product_and_a_visitor_picks_a_variant(
    person, live_server: str, owner: dict[str, str], tmp_path: Path, screenshot_dir: Path
) -> None:
    staff = person(viewport={"width": 1280, "height": 900}).new_page()
    errors = _watch_console(staff)
    _sign_in(staff, live_server, owner)
    _attribute(staff, live_server, "Size", "size", "S\nM")
    _attribute(staff, live_server, "Colour", "color", "Red, #cc2222\nBlue, #2233cc")

    staff.goto(f"{live_server}/admin/shop/categories/new")
    staff.get_by_label("Name").fill("Tees")
    staff.get_by_role("button", name="Save category").click()
    expect(staff.get_by_text("“Tees” saved.")).to_be_visible()

    staff.goto(f"{live_server}/admin/shop/products/new")
    staff.get_by_label("Name").fill("Journey Tee")
    staff.get_by_label("Price", exact=True).fill("20")
    staff.get_by_label("Status").select_option("active")
    staff.get_by_label("Category").select_option(label="Tees")
    staff.get_by_role("button", name="Create product").click()
    expect(staff.get_by_text("Product created.")).to_be_visible()

    for colour, alt in (("#cc2222", "The tee in red"), ("#2233cc", "The tee in blue")):
        staff.get_by_label("Picture (PNG, JPEG, WebP or GIF)").set_input_files(
            _png(tmp_path / f"{alt}.png", colour)
        )
        staff.get_by_label("Alt text", exact=True).last.fill(alt)
        staff.get_by_role("button", name="Upload picture").click()
        expect(staff.get_by_text("Picture added.")).to_be_visible()

    for label in ("S", "M", "Red", "Blue"):
        staff.locator("#variants").get_by_label(label, exact=True).check()
    staff.get_by_role("button", name="Generate variants").click()
    expect(staff.get_by_text("4 variants.")).to_be_visible()
    row = staff.locator("#variants tr", has_text="Blue / M")
    row.get_by_label("Price change of Blue / M").fill("2.50")
    row.get_by_label("Stock of Blue / M").fill("3")
    row.get_by_label("Picture of Blue / M").select_option(label="2. The tee in blue")
    row.get_by_role("button", name="Save").click()
    expect(staff.get_by_text("Blue / M saved.")).to_be_visible()
    staff.screenshot(path=str(screenshot_dir / "shop-product-edit.png"), full_page=True)
    assert errors == [], errors

    visitor = person(viewport={"width": 1280, "height": 900}).new_page()
    problems = _watch_console(visitor)
    visitor.goto(f"{live_server}/shop")
    visitor.get_by_label("Blue").check()
    expect(visitor).to_have_url(re.compile(r"v="))
    visitor.get_by_role("link", name=re.compile("Journey Tee")).click()
    expect(visitor.get_by_role("heading", name="Journey Tee")).to_be_visible()
    expect(visitor.locator("#price")).to_contain_text("€20.00")
    visitor.locator(".variant-picker").get_by_label("Blue").check()
    visitor.locator(".variant-picker").get_by_label("M", exact=True).check()
    expect(visitor.locator("#price")).to_contain_text("€22.50")
    expect(visitor.locator(".gallery-main")).to_have_attribute("alt", "The tee in blue")
    expect(visitor.locator("#stock")).to_contain_text("Only 3 left")
    expect(visitor).to_have_url(re.compile(r"/shop/p/journey-tee\?v-"))
    visitor.screenshot(path=str(screenshot_dir / "shop-product.png"), full_page=True)

    # A search from the header, misspelt: "Did you mean" leads to the tee, its name marked.
    header_search = visitor.get_by_role("search").get_by_role("searchbox")
    header_search.fill("jurney")
    header_search.press("Enter")
    expect(visitor).to_have_url(re.compile(r"/shop/search\?q=jurney"))
    visitor.locator(".search-suggestion").get_by_role("link").click()
    expect(visitor).to_have_url(re.compile(r"q=journey"))
    expect(visitor.locator("mark").first).to_have_text(re.compile("journey", re.IGNORECASE))
    expect(visitor.get_by_role("link", name=re.compile("Journey Tee"))).to_be_visible()
    assert problems == [], problems

    # axe is injected as a script, so it runs in a context that bypasses the CSP.
    audit = person(bypass_csp=True, viewport={"width": 1280, "height": 900}).new_page()
    for path in (
        "/",
        "/shop",
        "/shop/c/tees",
        "/shop/p/journey-tee",
        "/shop?stock=1&sort=price_asc",
        "/shop/search?q=journey",
        "/shop/search?q=jurney",
    ):
        audit.goto(f"{live_server}{path}")
        assert run_axe(audit) == [], path
    audit.goto(f"{live_server}/shop")
    audit.screenshot(path=str(screenshot_dir / "shop-listing.png"), full_page=True)

    # Without JavaScript the picker is a plain GET form with a submit button.
    plain = person(java_script_enabled=False).new_page()
    plain.goto(f"{live_server}/shop/p/journey-tee")
    plain.locator(".variant-picker").get_by_label("Blue").check()
    plain.locator(".variant-picker").get_by_label("M", exact=True).check()
    plain.get_by_role("button", name="Show this option").click()
    expect(plain.locator("#price")).to_contain_text("€22.50")
