"""The figures under an order's lines, as rows for the one figures table the checkout, order and
invoice pages share: ``(label, amount, kind)`` where kind is "", "minus" or "total"."""

from __future__ import annotations

from dataclasses import dataclass

from verso.domains.orders.models import Order
from verso.domains.orders.services._pricing import PricedCart

Item = tuple[int, str, str, int]
Row = tuple[str, int, str]


@dataclass(frozen=True, slots=True)
class Figures:
    items: list[Item]
    rows: list[Row]


def checkout_figures(priced: PricedCart) -> Figures:
    totals = priced.totals
    items = [(line.quantity, line.name, line.variant_name, line.total) for line in priced.view.lines]
    rows: list[Row] = [("Subtotal", totals.subtotal, "")]
    rows += [(f"Discount {a.discount.label}", a.amount, "minus") for a in totals.discounts]
    if totals.needs_shipping and totals.shipping:
        rows.append((f"Shipping ({totals.shipping.name})", totals.shipping.amount, ""))
    included = " (included)" if totals.taxes.inclusive else ""
    rows += [(f"{tax.name}{included}", tax.amount, "") for tax in totals.taxes.lines]
    rows.append(("Total", totals.total, "total"))
    if totals.gift_cards:
        rows += [(f"Gift card …{r.card.code[-4:]}", r.amount, "minus") for r in totals.gift_cards]
        rows.append(("To pay", totals.amount_due, "total"))
    return Figures(items, rows)


def order_figures(order: Order) -> Figures:
    items = [(line.quantity, line.name, line.variant_name, line.total) for line in order.lines]
    rows: list[Row] = [("Subtotal", order.subtotal, "")]
    rows += [(f"Discount {d['label']}", d["amount"], "minus") for d in order.discounts or []]
    if order.shipping_method:
        rows.append((f"Shipping ({order.shipping_method})", order.shipping_total, ""))
    included = " (included)" if order.prices_include_tax else ""
    rows += [(f"{t['name']}{included}", t["amount"], "") for t in order.tax_lines or []]
    rows.append(("Total", order.total, "total"))
    if order.gift_cards:
        rows += [(f"Gift card …{g['code']}", g["amount"], "minus") for g in order.gift_cards]
        rows.append(("Paid by card or transfer", order.amount_due, "total"))
    if order.refunded_total:
        rows.append(("Refunded", order.refunded_total, "minus"))
    return Figures(items, rows)
