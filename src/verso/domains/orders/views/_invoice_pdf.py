"""An order's invoice as a PDF (fpdf2), beside the printable HTML page: the same parts in the same
order (the seller, the order's number and dates, who pays and where it goes, the lines and their
figures, the taxes). Text is set in DejaVu Sans, vendored under ``static/vendor`` (subset to the
Latin, Greek and Cyrillic scripts), so names and addresses print in full (fpdf2's built-in fonts
know Latin-1 only)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

import anyio.to_thread
from fontTools.ttLib import TTFont
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos
from fpdf.table import Table
from litestar import Response

from verso.domains.ops.services import Business
from verso.domains.orders.models import Order
from verso.domains.orders.services._figures import Figures
from verso.lib.countries import address_lines
from verso.server.templating import STATIC_DIR, format_date, money

FONTS = STATIC_DIR / "vendor" / "dejavu-fonts-2.37.3"
FONT = "DejaVu"
GREY = (90, 90, 90)
LINE = 5.0  # mm between lines of text
HEADINGS = FontFace(emphasis="BOLD")
MINUS = "\u2212"  # an amount taken off, as the HTML figures show it
MISSING = "\ufffd"  # drawn for a character the font has no glyph for
# PDFs drawn at once: each holds the GIL for ~0.1 s, so a burst of downloads must not starve the loop.
DRAWING = anyio.CapacityLimiter(2)


@lru_cache(maxsize=1)
def _drawable() -> frozenset[int]:
    """The characters the vendored font can draw (both weights are subset alike)."""
    return frozenset(TTFont(FONTS / "DejaVuSans.ttf", lazy=True).getBestCmap()) | {ord("\n")}


class _Invoice(FPDF):
    def __init__(self, seller: Business) -> None:
        super().__init__(format="A4", unit="mm")
        self.seller = seller
        self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()

    def normalize_text(self, text: str) -> str:
        """Every text drawn: a character beyond the font (a Chinese name, an emoji) prints as \ufffd,
        visibly, instead of vanishing (fpdf2 would drop it and log the customer's text)."""
        drawable = _drawable()
        if any(ord(char) not in drawable for char in text):
            text = "".join(char if ord(char) in drawable else MISSING for char in text)
        return super().normalize_text(text)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        contact = f" · {self.seller.contact_email}" if self.seller.contact_email else ""
        self.cell(self.epw / 2, LINE, f"{self.seller.name}{contact}")
        self.cell(self.epw / 2, LINE, f"Page {self.page_no()} of {{nb}}", align="R")

    def lines(
        self, texts: Sequence[str], width: float, *, size: float = 10, bold_first: bool = False
    ) -> None:
        """``texts`` one under the other in a column ``width`` wide, starting where the cursor is."""
        x = self.get_x()
        for index, text in enumerate(text for text in texts if text):
            self.set_font(FONT, "B" if bold_first and index == 0 else "", size)
            self.set_x(x)
            self.multi_cell(width, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str) -> None:
        self.set_font(FONT, "B", 11)
        self.cell(0, LINE + 2, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _meta(order: Order) -> list[str]:
    rows = [f"Order {order.number}", f"Date {format_date(order.created_at)}"]
    if order.paid_at:
        rows.append(f"Paid {format_date(order.paid_at)}")
    elif order.status == "pending":
        rows.append(f"To pay {money(order.amount_due, order.currency)}")
    if order.status == "cancelled":
        rows.append(f"Cancelled {format_date(order.cancelled_at)}")
    elif order.status == "refunded":
        rows.append("Refunded")
    if order.shipping_method:
        rows.append(f"Shipping {order.shipping_method}")
    return rows


def _parties(order: Order) -> tuple[list[str], list[str]]:
    """The "Bill to" and the "Ship to" (or "To collect") columns."""
    billing = _address(order.billing_address) if order.billing_address else [order.name or order.email]
    bill = ["Bill to", *billing, order.email]
    place = _address(order.shipping_address) if order.shipping_address else ["Nothing to ship."]
    if order.delivery == "pickup":
        who = f"By {order.name or order.email}{f', {order.phone}' if order.phone else ''}, at:"
        return bill, ["To collect", who, *place]
    return bill, ["Ship to", *place]


def _address(address: dict[str, str]) -> list[str]:
    """An address as the HTML invoice shows it: its lines, then the phone."""
    return [*address_lines(address), address.get("phone") or ""]


@contextmanager
def _table(pdf: _Invoice, widths: tuple[float, ...], headings: tuple[str, ...]) -> Iterator[Table]:
    """A full-width table, text left then numbers right, under a bold row of ``headings``."""
    with pdf.table(
        col_widths=widths,
        width=pdf.epw,
        text_align=("LEFT", *("RIGHT" for _ in widths[1:])),
        line_height=LINE + 1,
        borders_layout="HORIZONTAL_LINES",
        headings_style=HEADINGS,
    ) as table:
        table.row(headings)
        yield table


def _figures(pdf: _Invoice, order: Order, figures: Figures) -> None:
    pdf.heading("Items")
    widths = (pdf.epw - 55, 15, 40)
    pdf.set_font(FONT, "", 9)
    with _table(pdf, widths, ("Item", "Qty", "Amount")) as table:
        for quantity, name, detail, amount in figures.items:
            table.row((f"{name}\n{detail}" if detail else name, str(quantity), money(amount, order.currency)))
    pdf.ln(2)
    for label, amount, kind in figures.rows:
        pdf.set_font(FONT, "B" if kind == "total" else "", 10)
        shown = money(amount, order.currency)
        pdf.cell(widths[0] + widths[1], LINE + 1, label, align="R")
        pdf.cell(widths[2], LINE + 1, f"{MINUS}{shown}" if kind == "minus" else shown, align="R")
        pdf.ln(LINE + 1)


def _taxes(pdf: _Invoice, order: Order) -> None:
    if not order.tax_lines:
        return
    pdf.ln(4)
    pdf.heading("Taxes" + (" (included in the prices)" if order.prices_include_tax else ""))
    pdf.set_font(FONT, "", 9)
    with _table(pdf, (pdf.epw - 70, 30, 40), ("Tax", "Rate", "Amount")) as table:
        for tax in order.tax_lines:
            table.row((tax["name"], f"{tax['rate'] / 100:g}%", money(tax["amount"], order.currency)))


async def pdf_response(order: Order, figures: Figures, seller: Business) -> Response[bytes]:
    """The invoice as a download named after the order. Drawing it takes ~0.1 s of CPU (the font
    is parsed and subset for each document), so it runs on a worker thread: the event loop keeps
    serving other requests meanwhile. ``order``'s lines must be loaded (nothing is read there)."""
    content = await anyio.to_thread.run_sync(invoice_pdf, order, figures, seller, limiter=DRAWING)
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="invoice-{order.number}.pdf"',
            "Cache-Control": "private, no-store",  # personal data, on a URL without a secret for owners
            "X-Robots-Tag": "noindex",
        },
    )


def invoice_pdf(order: Order, figures: Figures, seller: Business) -> bytes:
    """The invoice of ``order`` (its lines loaded) from ``seller``, as the bytes of a PDF file."""
    pdf = _Invoice(seller)
    pdf.set_title(f"Invoice {order.number}")
    pdf.set_author(seller.name)
    pdf.add_page()
    column = pdf.epw / 2
    top = pdf.get_y()
    pdf.lines([seller.name, *seller.address.splitlines(), seller.contact_email], column, bold_first=True)
    below_seller = pdf.get_y()
    pdf.set_xy(pdf.l_margin + column, top)
    pdf.set_font(FONT, "B", 20)
    pdf.cell(column, 10, "Invoice", align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    for row in _meta(order):
        pdf.cell(column, LINE, row, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(pdf.l_margin, max(below_seller, pdf.get_y()) + 8)

    bill, ship = _parties(order)
    top = pdf.get_y()
    pdf.lines(bill, column - 4, bold_first=True)
    below_bill = pdf.get_y()
    pdf.set_xy(pdf.l_margin + column, top)
    pdf.lines(ship, column, bold_first=True)
    pdf.set_xy(pdf.l_margin, max(below_bill, pdf.get_y()) + 8)

    _figures(pdf, order, figures)
    _taxes(pdf, order)
    return bytes(pdf.output())
