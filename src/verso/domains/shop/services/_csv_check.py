"""Reading a product CSV into a plan: every row checked with the staff forms' rules, matched to the
catalogue, and turned into the changes an apply would make. Checking only reads.

Rules come from where the staff forms get them: ``ProductForm``/``VariantForm`` (lengths, whole
numbers), ``product_input``/``signed_money`` (money in the business currency),
``ProductInput.rule_errors`` and ``clean_tags``, the variant grid of ``variant_grid``/``variant_name``
and its ``MAX_VARIANTS``. The checks that need the database (``ProductService._check``: SKU and
address taken, category exists) run here against the whole catalogue loaded once, with the same
messages, so the preview can list every row's problems without a query per row; the apply then goes
through the same check again in its own transaction.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import Product, ProductVariant
from verso.domains.shop.services._csv_export import signed_text
from verso.domains.shop.services._csv_format import (
    PRODUCT_COLUMNS,
    VARIANT_COLUMNS,
    FileProblem,
    Layout,
    clean_label,
    option_headers,
    parse_bool,
    read_rows,
)
from verso.domains.shop.services._csv_plan import (
    AttrRef,
    Catalogue,
    ImportPlan,
    PlannedAxis,
    PlannedVariant,
    ProductPlan,
    Progress,
    Row,
    ValueRef,
    VariantPlan,
    load_catalogue,
)
from verso.domains.shop.services._csv_values import (
    BOOL_DEFAULTS,
    NEW_PRODUCT_FORM,
    SAFE_VALUES,
    current_form,
    current_input,
    parse_all,
    same_cell,
    state,
    to_form_flag,
)
from verso.domains.shop.services._products import ProductInput, clean_tags
from verso.domains.shop.services._variants import MAX_VARIANTS, Axis, variant_grid, variant_name
from verso.lib.forms import NON_FIELD, FormState
from verso.lib.money import to_decimal_text

PREVIEW_ROWS = 10
LABEL_LENGTH = 80
PRODUCT_HEADERS = {c.key: c.header for c in PRODUCT_COLUMNS} | {"category_id": "Category", NON_FIELD: ""}
VARIANT_HEADERS = {c.key: c.header for c in VARIANT_COLUMNS} | {NON_FIELD: ""}
SKU_TAKEN = "Another product or variant already uses this SKU."


def _kept(variant: ProductVariant | None) -> dict[str, Any]:
    """The values of a grid combination the file has no row for: the variant's own, or a new one's."""
    return {
        "sku": variant.sku if variant else None,
        "price_adjustment": variant.price_adjustment if variant else 0,
        "stock": variant.stock if variant else 0,
        "is_active": variant.is_active if variant else True,
    }


class Planner:
    """Turns the rows of one file into an :class:`ImportPlan` against one :class:`Catalogue`."""

    def __init__(self, layout: Layout, catalogue: Catalogue, currency: str, plan: ImportPlan) -> None:
        from verso.domains.shop import forms  # the staff forms import this package: import them late

        self.forms = forms
        self.layout = layout
        self.catalogue = catalogue
        self.currency = currency
        self.plan = plan
        self.sku_rows: dict[str, int] = {}  # lower SKU -> row that sets it in this file

    def cell(self, row: Row, key: str, *, variant: bool = False) -> str | None:
        """The cell of column ``key`` in ``row``; ``None`` when the file has no such column."""
        index = (self.layout.variant if variant else self.layout.product).get(key)
        return None if index is None else row.cells[index]

    def error(self, row: int, column: str, message: str) -> None:
        self.plan.add_error(row, column, message)

    # The product's own columns ------------------------------------------------------------------

    def _product_input(self, rows: list[Row], current: ProductInput | None) -> ProductInput | None:
        first = rows[0]
        for later in rows[1:]:
            for column in PRODUCT_COLUMNS[1:]:
                text, original = self.cell(later, column.key), self.cell(first, column.key) or ""
                if text and not same_cell(column, text, original):
                    self.error(
                        later.number,
                        column.header,
                        f"Differs from row {first.number}, the product's first row; "
                        "leave product columns empty on its other rows.",
                    )
        values = current_form(current, self.currency) if current else dict(NEW_PRODUCT_FORM)
        ok = True
        for column in PRODUCT_COLUMNS:
            text = self.cell(first, column.key)
            if text is None:
                continue
            if column.kind == "bool":
                flag = BOOL_DEFAULTS[column.key] if not text.strip() else parse_bool(text)
                if flag is None:
                    self.error(first.number, column.header, "Write yes or no.")
                    ok = False
                values[column.key] = to_form_flag(bool(flag))
            elif column.key == "category":
                slug = text.strip().lower()
                category_id = self.catalogue.categories.get(slug) if slug else None
                if slug and category_id is None:
                    self.error(
                        first.number,
                        column.header,
                        f"No category has the address “{text.strip()}”; "
                        "create it first or leave the cell empty.",
                    )
                    ok = False
                values["category_id"] = str(category_id or "")
            elif column.key == "status":
                values["status"] = text.strip().lower()
            else:
                values[column.key] = text
        errors: dict[str, list[str]] = {}
        form_data = parse_all(values, self.forms.ProductForm, errors)
        data = None
        if form_data is not None:
            money = FormState()
            data = self.forms.product_input(form_data, money, self.currency)
            if data is None:  # check the other rules with the amounts that failed set aside
                errors |= money.errors
                stand_in = {name: SAFE_VALUES.get(name, "") for name in money.errors}
                data = self.forms.product_input(
                    msgspec.structs.replace(form_data, **stand_in), FormState(), self.currency
                )
            for name, message in (data.rule_errors() if data else {}).items():
                errors.setdefault(name, [message])
        for name, messages in errors.items():
            self.error(first.number, PRODUCT_HEADERS.get(name, name), " ".join(messages))
        return data if ok and not errors else None

    def _check_slug(self, row: int, slug: str, existing: Product | None) -> bool:
        owner = self.catalogue.former_slugs.get(slug)
        if owner is not None and (existing is None or owner != existing.id):
            self.error(row, "Slug", "Another product uses (or used) this address.")
            return False
        return True

    def _check_sku(self, row: int, column: str, sku: str | None, allowed: set[tuple[str, UUID]]) -> None:
        """The SKU rule of the staff forms, across the catalogue and this file: unique whatever the
        case, among products and variants alike (``allowed``: the owner itself, removed variants)."""
        if not sku:
            return
        key = sku.lower()
        if key in self.sku_rows:
            self.error(row, column, f"Row {self.sku_rows[key]} already uses this SKU.")
            return
        self.sku_rows[key] = row
        if self.catalogue.sku_owners.get(key, set()) - allowed:
            self.error(row, column, SKU_TAKEN)

    # Variants -----------------------------------------------------------------------------------

    def _options(self, row: Row) -> list[tuple[str, str]] | None:
        options: list[tuple[str, str]] = []
        ok = True
        for number, (name_index, value_index) in enumerate(self.layout.options, start=1):
            name, value = clean_label(row.cells[name_index]), clean_label(row.cells[value_index])
            name_header, value_header = option_headers(number)
            if not name and not value:
                continue
            if not name:
                self.error(row.number, name_header, "Name the option (e.g. Size) or clear its value.")
                ok = False
            elif not value:
                self.error(row.number, value_header, "Give this option a value or clear its name.")
                ok = False
            elif len(name) > LABEL_LENGTH:
                self.error(row.number, name_header, f"Must be at most {LABEL_LENGTH} characters.")
                ok = False
            elif len(value) > LABEL_LENGTH:
                self.error(row.number, value_header, f"Must be at most {LABEL_LENGTH} characters.")
                ok = False
            elif any(name.lower() == other.lower() for other, _v in options):
                self.error(row.number, name_header, f"“{name}” appears twice in this row.")
                ok = False
            else:
                options.append((name, value))
        return options if ok else None

    def _variant_values(self, row: Row, existing: ProductVariant | None) -> dict[str, Any] | None:
        """The variant columns of ``row`` checked with the variant form's rules; missing columns keep
        the current values (or the defaults of a new variant)."""
        base = {
            "sku": (existing.sku or "") if existing else "",
            "price_adjustment": signed_text(existing.price_adjustment, self.currency) if existing else "0",
            "stock": str(existing.stock) if existing else "0",
            "is_active": to_form_flag(existing.is_active if existing else True),
        }
        ok = True
        for column in VARIANT_COLUMNS:
            text = self.cell(row, column.key, variant=True)
            if text is None:
                continue
            if column.kind == "bool":
                flag = BOOL_DEFAULTS[column.key] if not text.strip() else parse_bool(text)
                if flag is None:
                    self.error(row.number, column.header, "Write yes or no.")
                    ok = False
                base[column.key] = to_form_flag(bool(flag))
            else:
                base[column.key] = text
        errors: dict[str, list[str]] = {}
        data = parse_all(base, self.forms.VariantForm, errors)
        money = FormState()
        adjustment = (
            self.forms.signed_money(money, "price_adjustment", data.price_adjustment, self.currency)
            if data
            else None
        )
        for name, messages in (errors | money.errors).items():
            self.error(row.number, VARIANT_HEADERS.get(name, name), " ".join(messages))
        if data is None or adjustment is None or errors or not ok:
            return None
        return {
            "sku": data.sku.strip() or None,
            "price_adjustment": adjustment,
            "stock": data.stock,
            "is_active": data.is_active,
        }

    def _option_rows(
        self, rows: list[Row]
    ) -> tuple[dict[frozenset[ValueRef], Row], dict[AttrRef, set[ValueRef]]] | None:
        """Each row's combination of attribute values (``None`` after reporting a problem), and the
        values each attribute takes across the product's rows."""
        book = self.catalogue.book
        written: dict[frozenset[ValueRef], Row] = {}
        chosen: dict[AttrRef, set[ValueRef]] = {}
        first: list[tuple[str, str]] | None = None
        ok = True
        for row in rows:
            options = self._options(row)
            if options is None:
                ok = False
            elif not options:
                if len(rows) > 1:
                    self.error(
                        row.number,
                        "Option1 value",
                        "A product with several rows needs options on each (each row is a variant).",
                    )
                    ok = False
                elif any(self.cell(row, c.key, variant=True) for c in VARIANT_COLUMNS):
                    self.error(
                        row.number,
                        VARIANT_COLUMNS[0].header,
                        "This row has no options, so it is not a variant: leave the variant columns empty.",
                    )
                    ok = False
            elif first is not None and sorted(n.lower() for n, _v in options) != sorted(
                n.lower() for n, _v in first
            ):
                self.error(
                    row.number,
                    "Option1 name",
                    f"Uses the options {', '.join(n for n, _v in options)}; the product's first row uses "
                    f"{', '.join(n for n, _v in first)}. Every row of a product needs the same options.",
                )
                ok = False
            else:
                first = first or options
                refs = []
                for name, label in options:
                    attribute = book.attribute(name)
                    refs.append(book.value(attribute, label))
                    chosen.setdefault(attribute, set()).add(refs[-1])
                key = frozenset(refs)
                if key in written:
                    self.error(row.number, "Option1 value", f"Same options as row {written[key].number}.")
                    ok = False
                else:
                    written[key] = row
        return (written, chosen) if ok else None

    def _variant_plan(self, rows: list[Row], existing: Product | None) -> VariantPlan | None:
        """The product's grid after the import, as ``VariantService.set_axes`` would make it from the
        values the rows use: variants matched by their values keep what the file does not say."""
        found = self._option_rows(rows)
        if found is None:
            return None
        written, chosen = found
        book = self.catalogue.book
        axes = [
            PlannedAxis(attribute, book.name(attribute), book.ordered(attribute, values))
            for attribute, values in sorted(chosen.items(), key=lambda item: book.sort_key(item[0]))
        ]
        grid = variant_grid(
            [Axis(axis.name, tuple((v, book.label(v)) for v in axis.values)) for axis in axes]
        )
        if len(grid) > MAX_VARIANTS:
            self.error(
                rows[0].number,
                "Option1 value",
                f"That makes {len(grid)} variants; the limit is {MAX_VARIANTS}.",
            )
            return None
        current = self.catalogue.variants.get(existing.id, []) if existing else []
        by_key = {self.catalogue.variant_values.get(variant.id, frozenset()): variant for variant in current}
        links = self.catalogue.axes.get(existing.id, []) if existing else []
        axes_changed = [(link.attribute_id, {str(v) for v in link.value_ids}) for link in links] != [
            (axis.attribute, {str(v) for v in axis.values}) for axis in axes
        ]
        planned: list[tuple[PlannedVariant, Row]] = []
        missing: list[str] = []
        ok = True
        for position, combo in enumerate(grid):
            key = frozenset(ref for ref, _label in combo)
            variant, row = by_key.pop(key, None), written.get(key)
            values = self._variant_values(row, variant) if row else _kept(variant)
            if values is None:
                ok = False
                continue
            if row is None and variant is None:
                missing.append(variant_name(combo))
            name = variant_name(combo)
            attributes = {axis.name: label for axis, (_ref, label) in zip(axes, combo, strict=True)}
            changed = variant is None or (
                (variant.sku, variant.price_adjustment, variant.stock, variant.is_active)
                != (values["sku"], values["price_adjustment"], values["stock"], values["is_active"])
                or (variant.name, variant.position, variant.attributes) != (name, position, attributes)
            )
            refs = tuple(ref for ref, _label in combo)
            planned.append(
                (
                    PlannedVariant(variant, refs, name, position, attributes, changed=changed, **values),
                    row or rows[0],
                )
            )
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            self.plan.warnings.append(
                f"Row {rows[0].number} ({rows[0].cells[self.layout.product['slug']].strip()}): "
                f"{len(missing)} combination{'s' if len(missing) > 1 else ''} not in the file will be "
                f"added with no stock ({shown})."
            )
        if not ok:
            return None
        removed = list(by_key.values())
        self._check_variant_skus(planned, removed)
        return VariantPlan(axes, axes_changed, [variant for variant, _row in planned], removed)

    def _check_variant_skus(
        self, planned: list[tuple[PlannedVariant, Row]], removed: list[ProductVariant]
    ) -> None:
        """New and changed variants' SKUs are checked; unchanged ones only claim theirs in the file."""
        freed = {("variant", variant.id) for variant in removed}
        for variant, row in planned:
            if not variant.sku:
                continue
            if variant.existing is None or variant.changed:
                own = {("variant", variant.existing.id)} if variant.existing else set()
                self._check_sku(row.number, "Variant SKU", variant.sku, freed | own)
            else:
                self.sku_rows.setdefault(variant.sku.lower(), row.number)

    # The product as a whole -----------------------------------------------------------------------

    def product(self, slug: str, rows: list[Row]) -> None:
        existing = self.catalogue.products.get(slug)
        old_tags = self.catalogue.tags.get(existing.id, []) if existing else []
        current = current_input(existing, old_tags) if existing else None
        errors_before = self.plan.error_count
        data = self._product_input(rows, current)
        variants = self._variant_plan(rows, existing) if self.layout.has_options else None
        if data is not None:
            data.slug = slug
            self._check_slug(rows[0].number, slug, existing)
            allowed = {("product", existing.id)} if existing else set()
            if variants:
                allowed |= {("variant", v.id) for v in variants.removed}
            self._check_sku(rows[0].number, "SKU", (data.sku or "").strip() or None, allowed)
        if current is not None and data is not None:
            fields_changed = state(data) != state(current)
            tags_changed = clean_tags(data.tags) != old_tags
        else:
            fields_changed = tags_changed = True
        plan = None
        if data is not None and self.plan.error_count == errors_before:
            plan = ProductPlan(rows[0].number, slug, data, existing, fields_changed, tags_changed, variants)
            plan.old_tags = old_tags
            plan.old_variant_count = len(self.catalogue.variants.get(existing.id, [])) if existing else 0
            self.plan.products.append(plan)
        self._preview(rows, data, plan)

    def _preview(self, rows: list[Row], data: ProductInput | None, plan: ProductPlan | None) -> None:
        for row in rows:
            if len(self.plan.preview) >= PREVIEW_ROWS:
                return
            options = []
            for name_index, value_index in self.layout.options:
                name, value = clean_label(row.cells[name_index]), clean_label(row.cells[value_index])
                if name or value:
                    options.append(f"{name}: {value}")
            self.plan.preview.append(
                {
                    "row": row.number,
                    "slug": row.cells[self.layout.product["slug"]].strip(),
                    "name": data.name.strip() if data else row.cells[self.layout.product["name"]].strip(),
                    "options": " / ".join(options),
                    "price": to_decimal_text(data.price, self.currency) if data else "",
                    "action": plan.action if plan else "error",
                }
            )


async def plan_import(
    session: AsyncSession, text: str, currency: str, *, progress: Progress | None = None
) -> ImportPlan:
    """Read ``text`` (a whole CSV file) and plan it against the catalogue; see :class:`ImportPlan`."""
    plan = ImportPlan()
    try:
        layout, records = read_rows(text)
        groups: dict[str, list[Row]] = {}
        for number, cells in records:
            plan.rows += 1
            slug = cells[layout.product["slug"]].strip()
            if not slug:
                plan.add_error(number, "Slug", "Give every row the product's address (slug).")
                continue
            groups.setdefault(slug, []).append(Row(number, cells))
    except FileProblem as exc:
        plan.add_error(exc.row, "", str(exc))
        return plan
    if not plan.rows:
        plan.add_error(2, "", "The file has no product rows.")
        return plan
    catalogue = await load_catalogue(session, list(groups))
    plan.book = catalogue.book
    planner = Planner(layout, catalogue, currency, plan)
    done = 0
    for slug, rows in groups.items():
        planner.product(slug, rows)
        done += len(rows)
        if progress is not None:
            await progress(done, plan.rows)
    plan.new_attributes = list(catalogue.book.new_attributes.values())
    plan.new_values = catalogue.book.additions()
    plan.errors.sort(key=lambda e: e.row)
    return plan
