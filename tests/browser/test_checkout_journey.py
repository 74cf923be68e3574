"""The checkout journeys (issue 5). Staff set up two products, a shipping zone, a discount code and
the checkout settings (bank transfer, pickup at the studio); a guest adds both products to the cart
(the drawer opens), applies the code, chooses shipping, pays by bank transfer and sees the
confirmation; staff mark the order paid and ship it with a tracking number; the guest's confirmation
page then shows the tracking. Another guest collects at the shop instead (the address fields go
away), pays on pickup, and staff hand the order over. The pages pass axe and never trip the CSP."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import run_axe
from tests.browser.conftest import sign_in as _sign_in
from tests.browser.conftest import watch_console as _watch_console


def _product(page, base: str, name: str, price: str) -> None:
    page.goto(f"{base}/admin/shop/products/new")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Price", exact=True).fill(price)
    page.get_by_label("Stock", exact=True).fill("10")
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_text("Product created.")).to_be_visible()


def _shipping_and_code(page, base: str) -> None:
    page.goto(f"{base}/admin/shop/shipping/new")
    page.get_by_label("Name").fill("France")
    page.get_by_label("Countries").fill("FR")
    page.get_by_role("button", name="Create zone").click()
    expect(page.get_by_text("“France” saved.")).to_be_visible()
    page.get_by_role("button", name="Add a rate").or_(page.get_by_role("link", name="Add a rate")).click()
    page.get_by_label("Name").fill("Colissimo")
    page.get_by_label("Price (", exact=False).first.fill("5")
    page.get_by_role("button", name="Add rate").click()
    expect(page.get_by_text("“Colissimo” saved.")).to_be_visible()
    page.goto(f"{base}/admin/shop/discounts/new")
    page.get_by_label("Name", exact=True).fill("Ten percent")
    page.get_by_label("Code", exact=True).fill("TEN")
    page.get_by_label("Type").select_option("percentage")
    page.get_by_label("Percentage off", exact=True).fill("10")
    page.get_by_role("button", name="Create discount").click()
    expect(page.get_by_text("“Ten percent” saved.")).to_be_visible()


def _checkout_settings(page, base: str) -> None:
    page.goto(f"{base}/admin/shop/settings")
    page.get_by_label("Account holder").fill("Checkout Studio")
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label("Offer pickup at the shop").check()
    page.get_by_label("Place name").fill("The studio")
    page.get_by_label("Address", exact=True).fill("12 rue des Potiers")
    page.get_by_label("Town or city").fill("Lyon")
    page.get_by_label("Postcode").fill("69001")
    page.get_by_label("Country").select_option("FR")
    page.get_by_label("Pickup instructions").fill("Tuesday to Saturday, 10:00 to 18:00.")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Checkout settings saved.")).to_be_visible()


def test_a_guest_checks_out_and_staff_ship_the_order(
    person, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    staff = person(viewport={"width": 1280, "height": 900}).new_page()
    staff_errors = _watch_console(staff)
    _sign_in(staff, live_server, owner)
    _product(staff, live_server, "Checkout Mug", "12.50")
    _product(staff, live_server, "Checkout Bowl", "9")
    _shipping_and_code(staff, live_server)
    _checkout_settings(staff, live_server)

    guest = person(viewport={"width": 1280, "height": 900}).new_page()
    errors = _watch_console(guest)
    for slug in ("checkout-mug", "checkout-bowl"):
        guest.goto(f"{live_server}/shop/p/{slug}")
        guest.get_by_role("button", name="Add to cart").click()
        expect(guest.locator("#cart-drawer")).to_contain_text("Subtotal")
    expect(guest.locator("#cart-count")).to_have_text("2")
    guest.locator("#cart-drawer").get_by_role("button", name="Check out").click()

    expect(guest.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    guest.get_by_label("Email").fill("guest@example.com")
    guest.get_by_label("Full name").fill("Gail Guest")
    guest.get_by_role("button", name="Continue").click()
    expect(guest.get_by_text("guest@example.com · Gail Guest")).to_be_visible()
    expect(guest.get_by_label("Ship it to me")).to_be_checked()
    guest.get_by_label("Address", exact=True).fill("1 rue de la Paix")
    guest.get_by_label("Town or city").fill("Paris")
    guest.get_by_label("Postcode").fill("75002")
    guest.get_by_label("Country").select_option("FR")
    guest.get_by_role("button", name="Continue").click()
    expect(guest.get_by_label("Colissimo")).to_be_visible()
    guest.get_by_role("button", name="Continue").click()
    expect(guest.get_by_text("Colissimo: €5.00")).to_be_visible()
    guest.get_by_label("Code", exact=True).fill("ten")
    guest.get_by_role("button", name="Apply").click()
    expect(guest.locator(".applied-codes")).to_contain_text("TEN")
    # 12.50 + 9.00 = 21.50, 10% off = 2.15, shipping 5.00: 24.35.
    expect(guest.locator(".checkout-summary")).to_contain_text("Discount TEN")
    expect(guest.locator(".checkout-summary")).to_contain_text("€24.35")
    audit_context = person(bypass_csp=True, viewport={"width": 1280, "height": 900})
    audit_context.add_cookies(guest.context.cookies())  # the same guest, with axe allowed in
    audit = audit_context.new_page()
    audit.goto(f"{live_server}/checkout")
    assert run_axe(audit) == []
    guest.screenshot(path=str(screenshot_dir / "shop-checkout.png"), full_page=True)
    expect(guest.get_by_label("Pay on pickup")).to_have_count(0)  # only when collecting
    guest.get_by_label("Bank transfer").check()
    guest.get_by_role("button", name="Pay €24.35").click()
    expect(guest.get_by_role("heading", name="Order VRS-")).to_be_visible()
    expect(guest.get_by_text("How to pay €24.35")).to_be_visible()
    confirmation = guest.url
    audit.goto(confirmation)
    assert run_axe(audit) == []

    staff.goto(f"{live_server}/admin/orders")
    staff.get_by_role("link", name="VRS-").first.click()
    staff.get_by_role("button", name="Mark as paid").click()
    expect(staff.get_by_text("Paid", exact=True).first).to_be_visible()
    staff.locator("summary", has_text="Ship").click()
    staff.get_by_label("Carrier").fill("Colissimo")
    staff.get_by_label("Tracking number").fill("6A12345678901")
    staff.get_by_role("button", name="Record the shipment").click()
    expect(staff.locator("body")).to_contain_text("6A12345678901")
    staff.screenshot(path=str(screenshot_dir / "orders-detail.png"), full_page=True)
    with staff.expect_download() as download:
        staff.get_by_role("button", name="Invoice (PDF)").click()
    assert re.fullmatch(r"invoice-VRS-\d{4}-\d{6}\.pdf", download.value.suggested_filename)
    with guest.expect_download() as download:  # the guest's copy, through the signed link
        guest.get_by_role("link", name="Download the invoice (PDF)").click()
    assert download.value.suggested_filename.startswith("invoice-VRS-")

    guest.goto(confirmation)
    expect(guest.get_by_text("6A12345678901", exact=True)).to_be_visible()
    expect(guest.locator(".order-status")).to_contain_text("Shipped")
    assert errors == [], errors
    assert staff_errors == [], staff_errors


def test_a_guest_collects_at_the_shop_and_staff_hand_it_over(
    person, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    staff = person(viewport={"width": 1280, "height": 900}).new_page()
    staff_errors = _watch_console(staff)
    _sign_in(staff, live_server, owner)
    _product(staff, live_server, "Pickup Vase", "30")
    _checkout_settings(staff, live_server)

    guest = person(viewport={"width": 1280, "height": 900}).new_page()
    errors = _watch_console(guest)
    guest.goto(f"{live_server}/shop/p/pickup-vase")
    guest.get_by_role("button", name="Add to cart").click()
    guest.locator("#cart-drawer").get_by_role("button", name="Check out").click()
    guest.get_by_label("Email").fill("collector@example.com")
    guest.get_by_label("Full name").fill("Cole Lector")
    guest.get_by_role("button", name="Continue").click()
    guest.get_by_label("Pick up at the shop, free").check()
    expect(guest.get_by_label("Town or city")).to_be_hidden()  # no address to give
    guest.get_by_role("button", name="Continue").click()
    expect(guest.get_by_text("You will pick up your order at:")).to_be_visible()
    expect(guest.get_by_text("Pick up at the shop: Free")).to_be_visible()
    guest.get_by_label("Pay on pickup").check()
    guest.get_by_role("button", name="Pay €30.00").click()
    expect(guest.get_by_role("heading", name="Order VRS-")).to_be_visible()
    expect(guest.get_by_role("heading", name="Pick up at")).to_be_visible()
    expect(guest.locator(".order-detail")).to_contain_text("12 rue des Potiers")
    expect(guest.get_by_text("Please pay €30.00 when you collect your order")).to_be_visible()
    confirmation = guest.url

    staff.goto(f"{live_server}/admin/orders")
    staff.get_by_role("link", name="VRS-").first.click()
    expect(staff.locator("summary", has_text="Ship")).to_have_count(0)
    staff.get_by_role("button", name="Mark as ready for pickup").click()
    expect(staff.locator(".order-status")).to_contain_text("Ready for pickup")
    guest.goto(confirmation)
    expect(guest.locator(".order-status")).to_contain_text("Ready for pickup")
    staff.get_by_role("button", name="Mark as paid").click()
    staff.get_by_role("button", name="Mark as collected").click()
    expect(staff.locator("body")).to_contain_text("Collected by the customer.")

    guest.goto(confirmation)
    expect(guest.locator(".order-status")).to_contain_text("Delivered")
    assert errors == [], errors
    assert staff_errors == [], staff_errors
