"""The PDF invoice's parts for the orders the HTTP tests do not print: collected at the shop, paid
partly by gift card and partly refunded, with names beyond Latin-1, on more than one page."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import pdf_text
from verso.domains.ops.services import Business
from verso.domains.orders.models import Order, OrderLine
from verso.domains.orders.services._figures import order_figures
from verso.domains.orders.views._invoice_pdf import invoice_pdf

SELLER = Business(
    name="Atelier Céramique", address="4 place Bellecour\n69002 Lyon", contact_email="hi@atelier.example"
)
STUDIO = {
    "name": "The studio",
    "line1": "12 rue des Potiers",
    "city": "Lyon",
    "postcode": "69001",
    "country": "FR",
}


def _order(lines: int) -> Order:
    order = Order(
        number="VRS-2026-000042", email="zoe@example.com", name="Zoë Łukasiewicz", phone="+33 6 12 34 56 78",
        status="paid", currency="EUR", subtotal=3000 * lines, total=3000 * lines, discount_total=0,
        shipping_total=0, tax_total=0, amount_due=3000 * lines - 1000, refunded_total=500,
        prices_include_tax=True, shipping_method="Pick up at the shop", delivery="pickup",
        created_at=datetime(2026, 11, 20, 10, tzinfo=UTC), paid_at=datetime(2026, 11, 21, 9, tzinfo=UTC),
        billing_address=None, shipping_address=STUDIO, discounts=[], tax_lines=[],
        gift_cards=[{"code": "7XQ2", "amount": 1000}],
    )  # fmt: skip
    order.lines = [
        OrderLine(name=f"Ваза №{index}", variant_name="Αθήνα", quantity=1, total=3000, unit_price=3000)
        for index in range(lines)
    ]
    return order


def test_a_collected_order_paid_by_gift_card_and_partly_refunded() -> None:
    text = pdf_text(invoice_pdf(_order(2), order_figures(_order(2)), SELLER))
    assert "Bill to\nZoë Łukasiewicz\nzoe@example.com" in text
    assert "To collect" in text and "By Zoë Łukasiewicz, +33 6 12 34 56 78, at:" in text
    assert "12 rue des Potiers" in text and "Ваза №1" in text and "Αθήνα" in text
    assert "Gift card …7XQ2" in text and "Paid by card or transfer" in text and "Refunded" in text
    assert "Paid 21 Nov 2026" in text and "Page 1 of 1" in text


def test_what_the_font_cannot_draw_shows_as_a_mark_and_a_cancelled_order_says_so(caplog) -> None:
    order = _order(1)
    order.name, order.status = "山田太郎 Taro", "cancelled"
    order.cancelled_at = datetime(2026, 11, 22, 9, tzinfo=UTC)
    text = pdf_text(invoice_pdf(order, order_figures(order), SELLER))
    assert "By \ufffd\ufffd\ufffd\ufffd Taro, +33 6 12 34 56 78, at:" in text
    assert "Cancelled 22 Nov 2026" in text
    assert "山" not in caplog.text  # fpdf2 would have logged the customer's name


def test_a_long_order_runs_onto_more_pages() -> None:
    order = _order(60)
    text = pdf_text(invoice_pdf(order, order_figures(order), SELLER))
    assert "Page 1 of 4" in text and "Page 4 of 4" in text
    assert "Ваза №59" in text and text.count("Item Qty Amount") == 4  # the headings on every page
