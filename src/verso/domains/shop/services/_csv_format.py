"""The product CSV format, shared by export and import.

One row per variant, Shopify style: the first row of a product carries the product's columns, the
rows after it (same ``Slug``) leave them empty and describe more variants. A product without variants
is one row with empty option columns. ``Option1 name``/``Option1 value`` ... hold the attribute values
("Size"/"M"); as many pairs as the product with the most attributes needs.

Files are UTF-8 with a byte-order mark and CRLF line ends, so Excel and LibreOffice open them as
they are. Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) are written with a leading apostrophe, which the import strips again.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

BOM = "\ufeff"
MAX_FILE_BYTES = 20 * 1024 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
YES, NO = "yes", "no"
_TRUE = {"yes", "y", "true", "1", "on", "x"}
_FALSE = {"no", "n", "false", "0", "off"}
_OPTION = re.compile(r"^option\s*(\d{1,2})\s+(name|value)$")


@dataclass(frozen=True, slots=True)
class CsvColumn:
    header: str
    key: str
    kind: str = "text"  # text (guarded against formulas), number, bool
    help: str = ""


PRODUCT_COLUMNS = (
    CsvColumn("Slug", "slug", help="The product's address (/shop/p/slug); matches an existing product."),
    CsvColumn("Name", "name", help="Required for a new product."),
    CsvColumn("Status", "status", help="active or draft."),
    CsvColumn("Description", "description", help="Markdown."),
    CsvColumn("Price", "price", "number", "In the business currency, e.g. 12.50."),
    CsvColumn("Compare-at price", "compare_at_price", "number", "Empty for none."),
    CsvColumn("Cost", "cost", "number", "Empty for none."),
    CsvColumn("SKU", "sku"),
    CsvColumn("Track stock", "track_stock", "bool", "yes or no; empty means yes."),
    CsvColumn("Stock", "stock", "number", "Whole number; empty means 0."),
    CsvColumn("Weight (g)", "weight_grams", "number", "Whole grams; empty for none."),
    CsvColumn("Digital", "is_digital", "bool", "yes or no; empty means no."),
    CsvColumn("Subscription", "is_subscription", "bool", "yes or no; empty means no."),
    CsvColumn("Stripe price ID", "stripe_price_id", help="Needed for a subscription (price_...)."),
    CsvColumn("SEO title", "seo_title"),
    CsvColumn("SEO description", "seo_description"),
    CsvColumn("Category", "category", help="The category's slug; it must exist."),
    CsvColumn("Tags", "tags", help="Separated by commas."),
)
VARIANT_COLUMNS = (
    CsvColumn("Variant SKU", "sku"),
    CsvColumn("Variant price adjustment", "price_adjustment", "number", "Added to the price, e.g. -2.00."),
    CsvColumn("Variant stock", "stock", "number", "Whole number; empty means 0."),
    CsvColumn("Variant active", "is_active", "bool", "yes or no; empty means yes."),
)
REQUIRED = ("Slug", "Name")


def option_headers(number: int) -> tuple[str, str]:
    return f"Option{number} name", f"Option{number} value"


def header_row(option_count: int) -> list[str]:
    options = [h for n in range(1, option_count + 1) for h in option_headers(n)]
    return [c.header for c in PRODUCT_COLUMNS] + options + [c.header for c in VARIANT_COLUMNS]


def _needs_guard(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) or (text.startswith("'") and _needs_guard(text[1:]))


def guard(text: str) -> str:
    """A text cell safe to open in a spreadsheet: ``=SUM(A1)`` -> ``'=SUM(A1)``. A cell that already
    looks guarded gets one more apostrophe, so :func:`unguard` always gives back the original."""
    return "'" + text if _needs_guard(text) else text


def unguard(text: str) -> str:
    return text[1:] if text.startswith("'") and _needs_guard(text[1:]) else text


def yes_no(value: bool) -> str:
    return YES if value else NO


def parse_bool(text: str) -> bool | None:
    """``yes``/``no`` (also true/false, 1/0, y/n, on/off); ``None`` when it is neither."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def clean_label(text: str) -> str:
    """Option names and values as attribute labels are stored: single spaces, no ends."""
    return " ".join(text.split())


def rows_text(rows: list[list[str]]) -> str:
    """Rows as CSV text (CRLF line ends, quoting where needed)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


class FileProblem(ValueError):
    """A file that cannot be read as a product CSV at all, with a message fit to show the person
    (``row``: where reading stopped, the header being row 1)."""

    def __init__(self, message: str, row: int = 1) -> None:
        super().__init__(message)
        self.row = row


def decode(data: bytes) -> str:
    """The file's text; refuses workbooks, UTF-16 and anything that is not UTF-8 with a clear hint."""
    save_as = (
        "Save it as “CSV UTF-8 (Comma delimited)” in Excel, or as Text CSV with the UTF-8 character set "
        "in LibreOffice, and upload that."
    )
    if not data.strip():
        raise FileProblem("The file is empty.")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileProblem(f"This is a spreadsheet workbook, not a CSV file. {save_as}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise FileProblem(f"This file is not UTF-8 text (it looks like UTF-16 or a binary file). {save_as}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"This file is not UTF-8 text (the first character that is not UTF-8 is on line {line}). "
            + save_as
        ) from None


def _delimiter(text: str) -> str:
    """Comma, or the semicolon or tab some spreadsheets use instead (counted in the header line)."""
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count) if first.count(",") == 0 else ","


@dataclass(frozen=True)
class Layout:
    """Where each known column sits in a file (index by key); absent columns are missing here."""

    product: dict[str, int]
    variant: dict[str, int]
    options: tuple[tuple[int, int], ...]  # (name index, value index) for Option1, Option2, ...
    width: int
    delimiter: str = ","

    @property
    def has_options(self) -> bool:
        return bool(self.options)


def read_header(cells: list[str], delimiter: str = ",") -> Layout:
    """The layout of a header row, or :class:`FileProblem` listing every problem with it."""
    known = {c.header.lower(): ("product", c.key) for c in PRODUCT_COLUMNS}
    known |= {c.header.lower(): ("variant", c.key) for c in VARIANT_COLUMNS}
    product: dict[str, int] = {}
    variant: dict[str, int] = {}
    options: dict[int, dict[str, int]] = {}
    problems: list[str] = []
    seen: set[str] = set()
    unknown: list[str] = []
    for index, raw in enumerate(cells):
        name = " ".join(unguard(raw).split())
        lowered = name.lower()
        if not name:
            if any(cells[index + 1 :]):
                unknown.append(f"(empty header in column {index + 1})")
            continue
        if lowered in seen:
            problems.append(f"The column “{name}” appears twice.")
            continue
        seen.add(lowered)
        if lowered in known:
            level, key = known[lowered]
            (product if level == "product" else variant)[key] = index
        elif match := _OPTION.match(lowered):
            options.setdefault(int(match.group(1)), {})[match.group(2)] = index
        else:
            unknown.append(f"“{name}”")
    if unknown:
        problems.append(
            f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            "Use the column names of an export (listed below)."
        )
    missing = [h for h in REQUIRED if h.lower() not in seen]
    if missing:
        problems.append(f"Missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.")
    pairs: list[tuple[int, int]] = []
    for number in sorted(options):
        found = options[number]
        name_header, value_header = option_headers(number)
        if "name" not in found:
            problems.append(f"“{value_header}” needs a matching “{name_header}” column.")
        elif "value" not in found:
            problems.append(f"“{name_header}” needs a matching “{value_header}” column.")
        else:
            pairs.append((found["name"], found["value"]))
    if variant and not options:
        problems.append("Variant columns need option columns: add “Option1 name” and “Option1 value”.")
    if problems:
        raise FileProblem(" ".join(problems))
    return Layout(product, variant, tuple(pairs), len(cells), delimiter)


def read_rows(text: str) -> tuple[Layout, Iterator[tuple[int, list[str]]]]:
    """The header's layout and an iterator of ``(row number, cells)``: the header is row 1, as in a
    spreadsheet; blank rows are skipped; cells are unguarded and padded to the header's width.

    Raises :class:`FileProblem` for a bad header now, and while iterating for broken CSV."""
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FileProblem(f"Row 1 is not valid CSV ({exc}); check its quotes.") from None
    if not header or not any(cell.strip() for cell in header):
        raise FileProblem("The first row must name the columns (Slug, Name, ...).")
    layout = read_header(header, delimiter)

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileProblem(
                    f"Row {number + 1} is not valid CSV ({exc}); check its quotes.", number + 1
                ) from None
            number += 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > layout.width and any(c.strip() for c in cells[layout.width :]):
                raise FileProblem(
                    f"Row {number} has more cells than the header has columns; "
                    "check for an unquoted separator in a cell.",
                    number,
                )
            cells = [unguard(c) for c in cells[: layout.width]]
            yield number, cells + [""] * (layout.width - len(cells))

    return layout, rows()
