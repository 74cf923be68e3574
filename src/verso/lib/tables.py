"""Data tables: parse search/sort/filter/page query parameters, run one page of a query, build URLs.

A staff list page does three things::

    query = TableQuery.from_params(request.query_params, sortable=["name", "created"],
                                   default_sort="created", default_direction="desc", filters=FILTERS)
    page = await paginate(session, select(Customer), query, base_url=request.url.path,
                          sort_columns={"name": Customer.name, "created": Customer.created_at},
                          search_columns=[Customer.name, Customer.email],
                          filter_columns={"status": Customer.status}, filters=FILTERS)

and renders ``components/table.html``'s ``data_table(page, columns)``. Parsing never raises: junk in
the URL falls back to the defaults, so a hand-edited or stale bookmark still renders a page.
``Page.url(**changes)`` builds the links for sorting, filtering and paging; values equal to their
defaults are left out so URLs stay short.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import urlencode

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

T = TypeVar("T")
Direction = Literal["asc", "desc"]

MAX_QUERY_LENGTH = 200
MAX_PAGE = 1_000_000
_RESERVED = frozenset({"q", "sort", "direction", "page", "per_page"})


@dataclass(frozen=True)
class Column:
    """A table column: ``key`` names the sort key (and is free-form for unsortable columns)."""

    key: str
    label: str
    sortable: bool = False
    numeric: bool = False


@dataclass(frozen=True)
class Filter:
    """A choice filter shown as a ``<select>``: ``choices`` are ``(value, label)``; ``""`` means all."""

    name: str
    label: str
    choices: list[tuple[str, str]]

    def allows(self, value: str) -> bool:
        return any(value == choice for choice, _label in self.choices)


def _param(params: Any, name: str) -> str:
    """One query parameter as a string ('' when missing or unusable)."""
    try:
        value = params.get(name)
    except Exception:  # a broken mapping must not turn a list page into a 500
        return ""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def int_param(text: str, default: int) -> int:
    """A whole number from a query parameter (ASCII digits, at most 9), else ``default``."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return default
    return int(text)


@dataclass(frozen=True)
class TableQuery:
    """What the person asked for: search text, sort, page, page size and filter values.

    ``default_*`` remember the table's defaults so :meth:`Page.url` can leave them out of links.
    """

    q: str = ""
    sort: str = ""
    direction: Direction = "asc"
    page: int = 1
    per_page: int = 25
    filters: dict[str, str] = field(default_factory=dict)
    default_sort: str = ""
    default_direction: Direction = "asc"
    default_per_page: int = 25

    @classmethod
    def from_params(
        cls,
        params: Any,
        *,
        sortable: Iterable[str],
        default_sort: str,
        default_direction: Direction = "asc",
        filters: Iterable[Filter] = (),
        per_page: int = 25,
        max_per_page: int = 100,
    ) -> TableQuery:
        """Parse ``params`` (a query multi-dict, a mapping, or a request); never raises on junk input."""
        if hasattr(params, "query_params"):
            params = params.query_params
        if default_direction not in ("asc", "desc"):
            default_direction = "asc"
        q = _param(params, "q").replace("\x00", "").strip()[:MAX_QUERY_LENGTH].strip()
        sort = _param(params, "sort").strip()
        if sort not in set(sortable):
            sort = default_sort
        direction_text = _param(params, "direction").strip().lower()
        direction: Direction = "desc" if direction_text == "desc" else "asc"
        if direction_text not in ("asc", "desc"):
            direction = default_direction
        page = min(max(int_param(_param(params, "page"), 1), 1), MAX_PAGE)
        size = int_param(_param(params, "per_page"), per_page)
        size = min(size if size >= 1 else per_page, max_per_page)
        chosen: dict[str, str] = {}
        for flt in filters:
            value = _param(params, flt.name).strip()
            if value and flt.allows(value):
                chosen[flt.name] = value
        return cls(
            q=q,
            sort=sort,
            direction=direction,
            page=page,
            per_page=size,
            filters=chosen,
            default_sort=default_sort,
            default_direction=default_direction,
            default_per_page=per_page,
        )


@dataclass
class Page(Generic[T]):
    """One page of results plus everything the table template needs to draw links."""

    items: list[T]
    total: int
    query: TableQuery
    base_url: str
    filters: list[Filter] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))

    @property
    def has_previous(self) -> bool:
        return self.query.page > 1

    @property
    def has_next(self) -> bool:
        return self.query.page < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the first row shown ("Showing 21-40 of 134"); 0 when empty."""
        first = (self.query.page - 1) * self.query.per_page + 1
        return first if self.total and first <= self.total else 0

    @property
    def last_index(self) -> int:
        if not self.first_index:
            return 0
        return min(self.query.page * self.query.per_page, self.total)

    @property
    def is_filtered(self) -> bool:
        return bool(self.query.q or self.query.filters)

    @property
    def clear_url(self) -> str:
        """This table without search text or filters (sort kept)."""
        return self.url(q="", **dict.fromkeys(self.query.filters, ""))

    def page_numbers(self, window: int = 1) -> list[int | None]:
        """Page links to show: first, last, and ``window`` either side of the current; None = gap."""
        current, last = self.query.page, self.pages
        shown = {1, last, *range(current - window, current + window + 1)}
        numbers: list[int | None] = []
        previous = 0
        for number in sorted(n for n in shown if 1 <= n <= last):
            if number - previous == 2:
                numbers.append(number - 1)  # a gap of one page: show it rather than "…"
            elif number - previous > 2:
                numbers.append(None)
            numbers.append(number)
            previous = number
        return numbers

    def sort_direction(self, key: str) -> Direction | None:
        """The current direction if the table is sorted by ``key``, else None."""
        return self.query.direction if self.query.sort == key else None

    def aria_sort(self, key: str) -> str:
        return {"asc": "ascending", "desc": "descending", None: "none"}[self.sort_direction(key)]

    def sort_url(self, key: str) -> str:
        """Link for a column header: sort by ``key``, flipping the direction if already sorted by it."""
        direction = "desc" if self.sort_direction(key) == "asc" else "asc"
        return self.url(sort=key, direction=direction)

    def url(self, **changes: Any) -> str:
        """``base_url`` plus the query string for this table with ``changes`` applied.

        Keys: ``q``, ``sort``, ``direction``, ``page``, ``per_page`` and filter names (``""`` or None
        removes a filter). Changing anything but ``page`` goes back to page 1.
        """
        names = {flt.name for flt in self.filters} | set(self.query.filters)
        unknown = set(changes) - _RESERVED - names
        if unknown:
            raise TypeError(f"unknown table parameter(s): {', '.join(sorted(unknown))}")
        query = self.query
        state: dict[str, Any] = {
            "q": query.q,
            "sort": query.sort,
            "direction": query.direction,
            "page": query.page,
            "per_page": query.per_page,
            **query.filters,
        }
        state.update(changes)
        if "page" not in changes and set(changes) - {"page"}:
            state["page"] = 1
        defaults = {
            "q": "",
            "sort": query.default_sort,
            "direction": query.default_direction,
            "page": 1,
            "per_page": query.default_per_page,
        }
        pairs: list[tuple[str, str]] = []
        for key in ("q", "sort", "direction", *sorted(names), "per_page", "page"):
            value = state.get(key)
            if value is None or value == "" or value == defaults.get(key, ""):
                continue
            pairs.append((key, str(value)))
        if not pairs:
            return self.base_url
        return self.base_url + ("&" if "?" in self.base_url else "?") + urlencode(pairs)


def escape_like(text: str, escape: str = "\\") -> str:
    """Escape LIKE wildcards so the person's ``%`` and ``_`` match themselves."""
    return text.replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")


FilterColumn = ColumnElement[Any] | Callable[[str], ColumnElement[bool]]


def _coerce(column: ColumnElement[Any], value: str) -> Any:
    """Convert a filter value (always text in the URL) to the column's Python type."""
    try:
        python_type = column.type.python_type
    except (NotImplementedError, AttributeError):
        return value
    if python_type is bool:
        return value.lower() in ("1", "true", "yes", "on")
    if python_type is str or issubclass(python_type, enum.Enum):
        return value
    return python_type(value)


def _expr(column: Any) -> Any:
    """A Core expression for a column or an ORM attribute (``Model.name``)."""
    return column.__clause_element__() if hasattr(column, "__clause_element__") else column


def _filter_clause(column: FilterColumn, value: str) -> ColumnElement[bool]:
    if hasattr(column, "__clause_element__") or isinstance(column, ColumnElement):
        return column == _coerce(_expr(column), value)  # type: ignore[return-value]
    return column(value)


def _tiebreaker(stmt: Select[Any]) -> list[ColumnElement[Any]]:
    """The primary key of the statement's main FROM, so equal sort values keep a stable order."""
    if getattr(stmt, "_group_by_clauses", ()) or getattr(stmt, "_distinct", False):
        return []  # ORDER BY a column outside GROUP BY / DISTINCT fails on PostgreSQL
    for source in stmt.get_final_froms():
        primary_key = getattr(source, "primary_key", None)
        if primary_key is not None and len(primary_key):
            return list(primary_key)
    return []


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    query: TableQuery,
    *,
    base_url: str,
    sort_columns: Mapping[str, ColumnElement[Any]],
    search_columns: Sequence[ColumnElement[Any]] = (),
    filter_columns: Mapping[str, FilterColumn] | None = None,
    filters: Sequence[Filter] = (),
    scalars: bool = True,
) -> Page[Any]:
    """Run one page of ``stmt`` with the search, filters and sort in ``query`` applied.

    Search is a case-insensitive substring match over ``search_columns`` (OR-ed). A filter column
    may also be a function ``value -> condition`` for filters that are not plain equality. A page past
    the end is clamped to the last page. ``scalars=False`` returns rows instead of ORM objects.
    """
    filter_columns = filter_columns or {}
    if query.q and search_columns:
        pattern = f"%{escape_like(query.q)}%"
        conditions = [
            (col if isinstance(_expr(col).type, String) else cast(col, String)).ilike(pattern, escape="\\")
            for col in search_columns
        ]
        stmt = stmt.where(or_(*conditions))
    for flt in filters:
        value = query.filters.get(flt.name)
        if value and flt.name in filter_columns:
            stmt = stmt.where(_filter_clause(filter_columns[flt.name], value))

    total = (
        await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    ).scalar_one()
    pages = max(1, math.ceil(total / query.per_page))
    if query.page > pages:
        query = replace(query, page=pages)

    items: list[Any] = []
    if total:
        order: list[Any] = []
        sort_column = sort_columns.get(query.sort)
        if sort_column is None:
            sort_column = sort_columns.get(query.default_sort)
        if sort_column is not None:
            ordered = sort_column.desc() if query.direction == "desc" else sort_column.asc()
            order.append(ordered.nulls_last())
        for column in _tiebreaker(stmt):
            if sort_column is None or not column.compare(_expr(sort_column)):
                order.append(column.desc() if query.direction == "desc" else column.asc())
        page_stmt = stmt.order_by(None).order_by(*order)
        page_stmt = page_stmt.limit(query.per_page).offset((query.page - 1) * query.per_page)
        if scalars:
            items = list((await session.scalars(page_stmt)).all())
        else:
            items = list((await session.execute(page_stmt)).all())
    return Page(items=items, total=total, query=query, base_url=base_url, filters=list(filters))
