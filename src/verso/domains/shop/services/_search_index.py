"""Keeping the search index true whoever writes the catalogue, without any writer having to ask.

Design. A search document (``models/_search.py``) is a function of a product's own fields, its tags,
its active variants and its category's name. Instead of asking every writer (staff forms, bulk
actions, the JSON API, the demo loader, CSV imports, scripts) to remember a call, SQLAlchemy
session events watch the catalogue tables for every session in the process:

- ``after_flush`` reads what the ORM wrote: new, changed (only the columns a document is made of,
  so a stock or sales-count change costs nothing) and deleted products, tags, variants, categories.
- ``do_orm_execute`` reads statements run through a session, ORM or Core (``update(Product)...``,
  ``delete(ProductTag)...``, bulk inserts): before an UPDATE or DELETE runs, the product ids its
  WHERE clause reaches are selected; an INSERT names its products in its parameters (when it does
  not, products without a document, or the whole index, are redone).
- ``before_flush`` notes the products of a category about to be deleted (the database then empties
  their ``category_id``, and the ORM would not see it).

The ids collect in ``session.info`` and the documents are rebuilt once, set-based (a few statements
per 500 products), in ``before_commit``: inside the same transaction, so they commit or roll back
with the change, and a CSV import of thousands of rows pays once, not per row. A search run in a
session with changes not yet committed rebuilds first (:func:`apply_pending`). A rebuild also marks
the catalogue changed, so caches keyed on its version notice a writer that forgot to say so. On
SQLite the FTS5 index follows the document table through triggers, on PostgreSQL a generated column.

Deleting a product deletes its document by foreign key cascade too. What no session sees (raw SQL
strings, another program writing the database) is repaired by :func:`rebuild_search_index`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, delete, event, insert, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, attributes

from verso.domains.shop.models import Category, Product, ProductTag, ProductVariant, search_document
from verso.domains.shop.services._version import catalog_changed

_KEY = "verso_search_pending"
CHUNK = 500
MAX_BODY = 10_000
_product = Product.__table__
_variant = ProductVariant.__table__
_tag = ProductTag.__table__
_category = Category.__table__

# The columns a document is made of, per table: changes to other columns never touch the index.
WATCHED: dict[str, frozenset[str]] = {
    _product.name: frozenset(
        {"id", "name", "description", "description_html", "sku", "status", "category_id"}
    ),
    _variant.name: frozenset({"id", "product_id", "sku", "name", "is_active"}),
    _tag.name: frozenset({"id", "product_id", "tag"}),
    _category.name: frozenset({"id", "name"}),
}
_ORM_WATCHED = {Product: _product, ProductVariant: _variant, ProductTag: _tag, Category: _category}
_TABLES = {table.name: table for table in _ORM_WATCHED.values()}
_BLOCK_TAGS = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|blockquote|pre|table|tr|td|th)\b[^>]*>", re.I
)
_TAGS = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # \x01/\x02 mark highlights in results


@dataclass
class _Pending:
    products: set[UUID] = field(default_factory=set)
    categories: set[UUID] = field(default_factory=set)
    orphans: bool = False  # products inserted without visible ids: index those lacking a document
    everything: bool = False


def _pending(session: Session) -> _Pending:
    found = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = _Pending()
    return found


# ---------- Documents ----------


def clean_text(text: str | None) -> str:
    """One line of text, no control characters (the highlighter's markers cannot be forged)."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def plain_text(description_html: str) -> str:
    """The sanitised description as searchable, quotable plain text."""
    text = _TAGS.sub("", _BLOCK_TAGS.sub(" ", description_html or ""))  # "<em>a</em>." stays "a."
    return clean_text(html.unescape(text))[:MAX_BODY]


def _keywords(parts: Iterable[str | None]) -> str:
    seen: dict[str, str] = {}
    for part in parts:
        word = clean_text(part)
        if word:
            seen.setdefault(word.lower(), word)
    return " ".join(seen.values())


def _chunks(ids: Iterable[UUID]) -> Iterator[list[UUID]]:
    batch: list[UUID] = []
    for value in ids:
        batch.append(value)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _reindex(conn: Connection, ids: list[UUID]) -> None:
    """Rebuild the documents of ``ids`` (at most ``CHUNK``): drafts and deleted products lose theirs."""
    conn.execute(delete(search_document).where(search_document.c.product_id.in_(ids)))
    rows = conn.execute(
        select(_product.c.id, _product.c.name, _product.c.description_html, _product.c.sku, _category.c.name)
        .select_from(_product.outerjoin(_category, _category.c.id == _product.c.category_id))
        .where(_product.c.id.in_(ids), _product.c.status == "active")
    ).all()
    if not rows:
        return
    live = [row[0] for row in rows]
    extra: dict[UUID, list[str | None]] = {pid: [] for pid in live}
    for pid, sku, name in conn.execute(
        select(_variant.c.product_id, _variant.c.sku, _variant.c.name)
        .where(_variant.c.product_id.in_(live), _variant.c.is_active.is_(True))
        .order_by(_variant.c.position)
    ):
        extra[pid].append(sku)
        extra[pid].extend((name or "").split("/"))  # the options: "L / Blue" -> L, Blue
    for pid, tag in conn.execute(select(_tag.c.product_id, _tag.c.tag).where(_tag.c.product_id.in_(live))):
        extra[pid].append(tag)
    conn.execute(
        insert(search_document),
        [
            {
                "product_id": pid,
                "name": clean_text(name),
                "keywords": _keywords([sku, *extra[pid], category]),
                "body": plain_text(description_html),
            }
            for pid, name, description_html, sku, category in rows
        ],
    )


def reindex_all(conn: Connection) -> None:
    """Every document again, from the catalogue as it is now."""
    conn.execute(delete(search_document))
    ids = conn.scalars(select(_product.c.id).where(_product.c.status == "active").order_by(_product.c.id))
    for chunk in _chunks(list(ids)):
        _reindex(conn, chunk)


def _apply(session: Session) -> None:
    pending: _Pending | None = session.info.pop(_KEY, None)
    if pending is None or not (
        pending.products or pending.categories or pending.orphans or pending.everything
    ):
        return
    # What changed a document changed what the shop shows: storefront caches must see a new version
    # even when the writer (a script, a raw ORM change) did not say so itself.
    catalog_changed(session)
    conn = session.connection()
    if pending.everything:
        reindex_all(conn)
        return
    ids = set(pending.products)
    if pending.categories:
        ids.update(
            conn.scalars(select(_product.c.id).where(_product.c.category_id.in_(list(pending.categories))))
        )
    if pending.orphans:
        ids.update(
            conn.scalars(
                select(_product.c.id).where(
                    _product.c.status == "active",
                    _product.c.id.not_in(select(search_document.c.product_id)),
                )
            )
        )
    for chunk in _chunks(sorted(ids)):
        _reindex(conn, chunk)


async def apply_pending(session: AsyncSession) -> None:
    """Bring this session's uncommitted catalogue changes into the index now (searches call it)."""
    if session.info.get(_KEY) is not None or session.new or session.dirty or session.deleted:
        await session.flush()
        await session.run_sync(_apply)


async def rebuild_search_index(session: AsyncSession) -> None:
    """Rebuild the whole index (after writes no session saw, e.g. raw SQL); the caller commits."""
    await session.run_sync(lambda sync: reindex_all(sync.connection()))


# ---------- What the ORM flushes ----------


def _history_values(obj: Any, key: str) -> set[Any] | None:
    """The attribute's current value and, if it changed in this flush, its former one; ``None``
    when it cannot be read without the row (an expired object that was just deleted)."""
    try:
        history = attributes.get_history(obj, key)
    except InvalidRequestError:  # ObjectDeletedError and kin: the caller falls back to a full rebuild
        return None
    return {v for v in (*history.unchanged, *history.added, *history.deleted) if v is not None} or None


def _changed(obj: Any, table: Any) -> bool:
    watched = WATCHED[table.name]
    state = attributes.instance_state(obj)
    return any(
        attributes.get_history(obj, key).has_changes()
        for key in state.mapper.column_attrs.keys()
        if key in watched
    )


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    doomed = [obj.id for obj in session.deleted if isinstance(obj, Category)]
    if doomed:
        _pending(session).products.update(
            session.connection().scalars(select(_product.c.id).where(_product.c.category_id.in_(doomed)))
        )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    for group, is_dirty in ((session.new, False), (session.dirty, True), (session.deleted, False)):
        for obj in group:
            table = _ORM_WATCHED.get(type(obj))
            if table is None or (is_dirty and not _changed(obj, table)):
                continue
            pending = _pending(session)
            if isinstance(obj, Product):
                pending.products.add(obj.id)
            elif isinstance(obj, Category):
                pending.categories.add(obj.id)
            elif (owners := _history_values(obj, "product_id")) is not None:
                pending.products.update(owners)
            else:
                pending.everything = True


# ---------- What statements change ----------


def _name(key: Any) -> str:
    return str(getattr(key, "key", None) or getattr(key, "name", None) or key)


def _param_rows(params: Any) -> list[dict[str, Any]]:
    if isinstance(params, dict):
        return [params]
    return [row for row in params or () if isinstance(row, dict)]


def _touched(stmt: Any, rows: list[dict[str, Any]]) -> set[str] | None:
    """The column names an INSERT or UPDATE sets, or ``None`` when it cannot be told."""
    names = {_name(key) for key in (getattr(stmt, "_values", None) or {})}
    names.update(_name(key) for key, _value in getattr(stmt, "_ordered_values", None) or ())
    for row in rows:
        names.update(row)
    return names or None


def _given(stmt: Any, rows: list[dict[str, Any]], column: str) -> set[Any]:
    """Literal values of ``column`` in the statement's VALUES or its parameter rows."""
    found = {row[column] for row in rows if row.get(column) is not None}
    for key, value in (getattr(stmt, "_values", None) or {}).items():
        if _name(key) == column and getattr(value, "value", None) is not None:
            found.add(value.value)
    for values in getattr(stmt, "_multi_values", None) or ():
        for row in values:
            if isinstance(row, dict):
                found.update(v for k, v in row.items() if _name(k) == column and v is not None)
    return found


def _products_reached(
    conn: Connection, table: Any, where: Any, rows: list[dict[str, Any]]
) -> set[UUID] | None:
    """Products whose documents a change to ``table`` rows matching ``where`` (or the rows with the
    primary keys in ``rows``: an ORM bulk update) affects; ``None`` for all of them."""
    if where is None:
        keys = {row["id"] for row in rows if "id" in row}
        if not keys:
            return None
        where = table.c.id.in_(keys)
    if table is _product:
        query = select(_product.c.id).where(where)
    elif table is _category:
        query = select(_product.c.id).where(_product.c.category_id.in_(select(_category.c.id).where(where)))
    else:
        query = select(table.c.product_id).where(where)
    return set(conn.scalars(query))


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state: Any) -> None:
    if state.is_select or not (state.is_insert or state.is_update or state.is_delete):
        return
    stmt = state.statement
    table = getattr(stmt, "table", None)
    name = getattr(table, "name", None)
    if name not in WATCHED:
        return
    table = _TABLES[name]
    rows = _param_rows(state.parameters)
    pending = _pending(state.session)
    if state.is_insert:
        if table is _category:
            return  # a new category has no products yet
        ids = _given(stmt, rows, "id" if table is _product else "product_id")
        if ids:
            pending.products.update(ids)
        elif table is _product:
            pending.orphans = True
        else:
            pending.everything = True
        return
    if state.is_update:
        touched = _touched(stmt, rows)
        if touched is not None and not touched & (WATCHED[name] - {"id"}):
            return
        pending.products.update(_given(stmt, rows, "product_id") if table is not _product else ())
    reached = _products_reached(state.session.connection(), table, stmt.whereclause, rows)
    if reached is None:
        pending.everything = True
    else:
        pending.products.update(reached)


# ---------- Commit ----------


@event.listens_for(Session, "before_commit", insert=True)  # before the version bump reads its flag
def _before_commit(session: Session) -> None:
    if session.info.get(_KEY) is None and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # the commit would flush after this hook: collect what it will write first
    _apply(session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
