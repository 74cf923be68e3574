"""A customer saves a product, is asked to verify their email before reviewing it, writes a review
(a refused one first, inline), staff approve it and reply, another person finds it helpful, an
anonymous visitor reads it with the reply, the wishlist page lists and removes the saved product, and
recently viewed products follow the visitor. Debian's Chromium against ``verso run``; no CSP trips."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import run_axe, sign_in, watch_console
from tests.browser.test_identity_journey import _outbox_link

EMAIL = "rita.reviewer@example.com"
PASSWORD = "a reviewer's long passphrase"


def _product(staff: Page, base: str, name: str, price: str) -> None:
    staff.goto(f"{base}/admin/shop/products/new")
    staff.get_by_label("Name").fill(name)
    staff.get_by_label("Price", exact=True).fill(price)
    staff.get_by_label("Status").select_option("active")
    staff.get_by_role("button", name="Create product").click()
    expect(staff.get_by_text("Product created.")).to_be_visible()


def test_wishlist_review_moderation_votes_and_recently_viewed(
    person, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    staff = person(viewport={"width": 1280, "height": 900}).new_page()
    staff_problems = watch_console(staff)
    sign_in(staff, live_server, owner)
    _product(staff, live_server, "Review Mug", "18")
    _product(staff, live_server, "Review Bowl", "32")

    customer = person(viewport={"width": 1280, "height": 900}).new_page()
    problems = watch_console(customer)
    customer.goto(f"{live_server}/register")
    customer.get_by_label("First name (optional)").fill("Rita")
    customer.get_by_label("Last name (optional)").fill("Reyes")
    customer.get_by_label("Email").fill(EMAIL)
    customer.get_by_label("Password", exact=True).fill(PASSWORD)
    customer.get_by_label("Repeat the password").fill(PASSWORD)
    customer.get_by_role("button", name=re.compile("Create")).click()
    expect(customer.get_by_text("Check your inbox")).to_be_visible()
    customer.get_by_label("Email or username").fill(EMAIL)
    customer.get_by_label("Password").fill(PASSWORD)
    customer.get_by_role("button", name="Sign in", exact=True).click()
    expect(customer).to_have_url(f"{live_server}/account")

    # Not verified yet: the wishlist is open, writing a review waits for the email.
    with customer.expect_response(re.compile("/shop/recently-viewed")):  # the page records the view
        customer.goto(f"{live_server}/shop/p/review-bowl")
    customer.goto(f"{live_server}/shop/p/review-mug")
    recent = customer.locator("#recently-viewed")
    expect(recent.get_by_role("link", name=re.compile("Review Bowl"))).to_be_visible()
    expect(recent.get_by_role("link", name=re.compile("Review Mug"))).to_have_count(0)
    reviews = customer.locator("#reviews")
    expect(reviews).to_contain_text("Verify your email address to write a review")
    customer.get_by_role("button", name="Add to your wishlist").click()
    expect(customer.get_by_role("button", name="Saved: remove from your wishlist")).to_be_visible()

    link = _outbox_link(staff, live_server, EMAIL, rf"{re.escape(live_server)}/verify/\S+")
    customer.goto(link)
    expect(customer.locator("main")).to_contain_text("confirmed")

    customer.goto(f"{live_server}/shop/p/review-mug")
    expect(reviews.get_by_label("Name shown with your review")).to_have_value("Rita Reyes")
    reviews.get_by_label("Your review", exact=True).fill("Too short")
    reviews.get_by_role("button", name="Submit review").click()
    expect(reviews.get_by_text("Choose from 1 to 5 stars.")).to_be_visible()
    customer.screenshot(path=str(screenshot_dir / "shop-review-form.png"), full_page=True, caret="initial")
    reviews.get_by_label(re.compile(r"\b4 stars")).check()
    reviews.get_by_label("Title").fill("My new favourite mug")
    reviews.get_by_label("Your review", exact=True).fill(
        "Heavy, warm and the glaze is lovely.\nWould buy again."
    )
    reviews.get_by_role("button", name="Submit review").click()
    expect(reviews.get_by_text("Thanks — your review will appear once approved.").first).to_be_visible()
    expect(reviews.get_by_text("Waiting for approval")).to_be_visible()

    staff.goto(f"{live_server}/admin/shop/reviews")
    row = staff.locator("#reviews-table tr", has_text="My new favourite mug")
    expect(row).to_contain_text("Pending")
    row.get_by_role("button", name=re.compile("^Approve")).click()
    expect(staff.get_by_text("1 review approved.")).to_be_visible()
    staff.screenshot(path=str(screenshot_dir / "shop-review-moderation.png"), full_page=True)
    staff.get_by_role("link", name="My new favourite mug").click()
    staff.get_by_label("Reply", exact=True).fill("Thank you, Rita!")
    staff.get_by_role("button", name="Save reply").click()
    expect(staff.get_by_text("Reply saved.")).to_be_visible()

    staff.goto(f"{live_server}/shop/p/review-mug")
    staff_reviews = staff.locator("#reviews")
    staff_reviews.get_by_role("button", name=re.compile("^Yes")).click()
    expect(staff_reviews.get_by_role("button", name=re.compile(r"^Yes \(1\)"))).to_have_attribute(
        "aria-pressed", "true"
    )
    assert staff_problems == [], staff_problems

    visitor = person(viewport={"width": 1280, "height": 900}).new_page()
    visitor_problems = watch_console(visitor)
    visitor.goto(f"{live_server}/shop/p/review-mug")
    public = visitor.locator("#reviews")
    expect(public.get_by_role("heading", name="My new favourite mug")).to_be_visible()
    expect(public).to_contain_text("Reply from Juniper Ceramics")
    expect(public).to_contain_text("1 person found this helpful.")
    expect(public.get_by_role("button", name="Sign in to write a review")).to_be_visible()
    visitor.screenshot(path=str(screenshot_dir / "shop-reviews.png"), full_page=True)
    assert visitor_problems == [], visitor_problems

    customer.goto(f"{live_server}/account/wishlist")
    item = customer.locator(".wishlist-item", has_text="Review Mug")
    expect(item).to_contain_text("€18.00")
    expect(item).to_contain_text("Out of stock")  # created with no stock
    item.get_by_role("button", name=re.compile("^Remove")).click()
    expect(customer.get_by_text("Your wishlist is empty")).to_be_visible()
    assert problems == [], problems

    audit = person(bypass_csp=True, viewport={"width": 1280, "height": 900}).new_page()
    audit.goto(f"{live_server}/shop/p/review-mug")
    assert run_axe(audit) == []
    sign_in(audit, live_server, owner)
    for path in ("/shop/p/review-mug", "/admin/shop/reviews", "/account/wishlist"):
        audit.goto(f"{live_server}{path}")
        assert run_axe(audit) == [], path
