"""Data table helper: query parsing, page arithmetic, URL building and ``paginate`` on a real table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest
from litestar.datastructures import MultiDict
from sqlalchemy import Column as SAColumn
from sqlalchemy import Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import registry

from verso.lib.db import get_engine
from verso.lib.tables import Filter, Page, TableQuery, escape_like, paginate

STATUS = Filter("status", "Status", [("", "All"), ("active", "Active"), ("inactive", "Inactive")])
SORTABLE = ["name", "amount", "created"]


def parse(params: object, **kwargs: object) -> TableQuery:
    options: dict[str, object] = {"sortable": SORTABLE, "default_sort": "created", "filters": [STATUS]}
    options.update(kwargs)
    return TableQuery.from_params(params, **options)  # type: ignore[arg-type]


def params_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


# -- parsing -----------------------------------------------------------------------------------------


def test_defaults_when_nothing_given() -> None:
    query = parse({}, default_direction="desc")
    assert (query.q, query.sort, query.direction, query.page, query.per_page) == (
        "",
        "created",
        "desc",
        1,
        25,
    )
    assert query.filters == {}


def test_valid_values_are_kept() -> None:
    query = parse(
        MultiDict(
            [
                ("q", "  ada  "),
                ("sort", "name"),
                ("direction", "DESC"),
                ("page", "3"),
                ("per_page", "50"),
                ("status", "active"),
            ]
        )
    )
    assert (query.q, query.sort, query.direction, query.page, query.per_page) == (
        "ada",
        "name",
        "desc",
        3,
        50,
    )
    assert query.filters == {"status": "active"}


@pytest.mark.parametrize(
    "junk",
    [
        {"sort": "name; DROP TABLE users", "direction": "sideways", "page": "-3", "per_page": "lots"},
        {"sort": "", "direction": "", "page": "abc", "per_page": "0"},
        {"sort": "__class__", "page": "1e3", "per_page": "-5"},
        {"page": "²", "per_page": "²"},
        {"page": "9" * 5000, "per_page": "9" * 5000},
        {"page": ["2", "3"]},
        {"page": None, "sort": None, "q": None, "status": None},
    ],
)
def test_junk_falls_back_to_defaults(junk: dict[str, object]) -> None:
    query = parse(junk)
    assert query.sort == "created"
    assert query.direction == "asc"
    assert 1 <= query.page <= 1_000_000
    assert 1 <= query.per_page <= 100


def test_list_values_use_the_first() -> None:
    assert parse({"page": ["2", "3"]}).page == 2


def test_per_page_is_clamped() -> None:
    assert parse({"per_page": "1000"}).per_page == 100
    assert parse({"per_page": "1000"}, max_per_page=40).per_page == 40
    assert parse({"per_page": "0"}, per_page=10).per_page == 10


def test_huge_page_is_capped() -> None:
    assert parse({"page": "999999999"}).page == 1_000_000


def test_filter_values_outside_the_choices_are_ignored() -> None:
    assert parse({"status": "deleted"}).filters == {}
    assert parse({"status": ""}).filters == {}
    assert parse({"status": "inactive"}).filters == {"status": "inactive"}
    assert parse({"other": "x"}).filters == {}


def test_search_text_is_stripped_and_capped() -> None:
    assert parse({"q": "  hello\x00 world  "}).q == "hello world"
    assert len(parse({"q": "x" * 5000}).q) == 200


def test_accepts_a_request_like_object() -> None:
    request = SimpleNamespace(query_params=MultiDict([("sort", "amount")]), url=SimpleNamespace(path="/x"))
    assert parse(request).sort == "amount"


# -- page arithmetic and URLs ----------------------------------------------------------------------


def make_page(total: int, page: int = 1, per_page: int = 20, **query: object) -> Page[int]:
    tq = TableQuery(
        page=page, per_page=per_page, sort="created", default_sort="created", default_per_page=20, **query
    )  # type: ignore[arg-type]
    return Page(items=[], total=total, query=tq, base_url="/admin/things", filters=[STATUS])


def test_page_counts_and_indexes() -> None:
    page = make_page(134, page=2)
    assert page.pages == 7
    assert (page.first_index, page.last_index) == (21, 40)
    assert page.has_previous and page.has_next
    last = make_page(134, page=7)
    assert (last.first_index, last.last_index) == (121, 134)
    assert not last.has_next


def test_empty_page() -> None:
    page = make_page(0)
    assert page.pages == 1
    assert (page.first_index, page.last_index) == (0, 0)
    assert not page.has_previous and not page.has_next
    assert page.page_numbers() == [1]


@pytest.mark.parametrize(
    ("pages", "current", "expected"),
    [
        (1, 1, [1]),
        (2, 2, [1, 2]),
        (5, 1, [1, 2, None, 5]),
        (5, 3, [1, 2, 3, 4, 5]),
        (20, 10, [1, None, 9, 10, 11, None, 20]),
        (20, 3, [1, 2, 3, 4, None, 20]),
        (20, 20, [1, None, 19, 20]),
        (7, 4, [1, 2, 3, 4, 5, 6, 7]),
    ],
)
def test_page_numbers_with_ellipsis(pages: int, current: int, expected: list[int | None]) -> None:
    assert make_page(pages * 20, page=current).page_numbers() == expected


def test_url_omits_defaults() -> None:
    assert make_page(100).url() == "/admin/things"
    assert make_page(100, page=3).url() == "/admin/things?page=3"


def test_url_changes_reset_the_page() -> None:
    page = make_page(200, page=4, q="ada", filters={"status": "active"})
    assert params_of(page.url(page=5)) == {"q": "ada", "status": "active", "page": "5"}
    assert params_of(page.url(sort="name", direction="desc")) == {
        "q": "ada",
        "status": "active",
        "sort": "name",
        "direction": "desc",
    }
    assert params_of(page.url(q="bob")) == {"q": "bob", "status": "active"}
    assert params_of(page.url(status="")) == {"q": "ada"}
    assert page.clear_url == "/admin/things"
    assert page.is_filtered and not make_page(10).is_filtered


def test_url_escapes_values_and_keeps_existing_query() -> None:
    page = make_page(10, q="a&b=c")
    assert params_of(page.url()) == {"q": "a&b=c"}
    page.base_url = "/admin/things?tab=open"
    assert page.url(page=2).startswith("/admin/things?tab=open&")


def test_url_rejects_unknown_parameters() -> None:
    with pytest.raises(TypeError):
        make_page(10).url(colour="red")


def test_sort_links_flip_direction() -> None:
    page = make_page(10)
    assert page.aria_sort("created") == "ascending"
    assert page.aria_sort("name") == "none"
    assert params_of(page.sort_url("created")) == {"direction": "desc"}
    assert params_of(page.sort_url("name")) == {"sort": "name"}


def test_escape_like() -> None:
    assert escape_like("50%_off\\") == "50\\%\\_off\\\\"


# -- paginate against a real table -----------------------------------------------------------------

_meta = MetaData()
widgets = Table(
    "zz_test_tables_widget",
    _meta,
    SAColumn("id", Integer, primary_key=True),
    SAColumn("name", String(100), nullable=False),
    SAColumn("status", String(20), nullable=False),
    SAColumn("amount", Integer, nullable=True),
)


class Widget:
    """A throwaway ORM class on a private registry (the shared metadata is untouched)."""

    id: int
    name: str
    amount: int | None


registry(metadata=_meta).map_imperatively(Widget, widgets)
SORTS = {"name": widgets.c.name, "amount": widgets.c.amount, "id": widgets.c.id}
FILTERS = [STATUS]


@pytest.fixture
async def widget_rows(db_session) -> AsyncIterator[None]:
    engine = get_engine()
    async with engine.begin() as conn:
        await conn.run_sync(_meta.create_all)
    rows = [
        {"id": i, "name": f"Widget {i:02d}", "status": "active" if i % 2 else "inactive", "amount": i % 5}
        for i in range(1, 31)
    ]
    rows += [
        {"id": 31, "name": "50% off sale", "status": "active", "amount": None},
        {"id": 32, "name": "500 off sale", "status": "active", "amount": None},
        {"id": 33, "name": "snake_case thing", "status": "inactive", "amount": 7},
        {"id": 34, "name": "snakeXcase thing", "status": "inactive", "amount": 7},
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(widgets), rows)
    try:
        yield
    finally:
        await db_session.close()  # end its transaction, or DROP TABLE waits for it on PostgreSQL
        async with engine.begin() as conn:
            await conn.run_sync(_meta.drop_all)


async def run(session, params: dict[str, str], **kwargs: object) -> Page:
    query = TableQuery.from_params(
        params, sortable=list(SORTS), default_sort="id", filters=FILTERS, per_page=10
    )
    options: dict[str, object] = {
        "base_url": "/w",
        "sort_columns": SORTS,
        "search_columns": [widgets.c.name],
        "filter_columns": {"status": widgets.c.status},
        "filters": FILTERS,
        "scalars": False,
    }
    options.update(kwargs)
    return await paginate(session, select(widgets), query, **options)  # type: ignore[arg-type]


async def test_paginate_first_and_later_pages(db_session, widget_rows) -> None:
    page = await run(db_session, {})
    assert page.total == 34 and page.pages == 4
    assert [row.id for row in page.items] == list(range(1, 11))
    page = await run(db_session, {"page": "4"})
    assert [row.id for row in page.items] == [31, 32, 33, 34]
    assert (page.first_index, page.last_index) == (31, 34)


async def test_paginate_clamps_a_page_past_the_end(db_session, widget_rows) -> None:
    page = await run(db_session, {"page": "99"})
    assert page.query.page == 4
    assert len(page.items) == 4


async def test_search_is_case_insensitive(db_session, widget_rows) -> None:
    page = await run(db_session, {"q": "WIDGET 1"})
    assert {row.id for row in page.items} == set(range(10, 20))


async def test_search_escapes_wildcards(db_session, widget_rows) -> None:
    page = await run(db_session, {"q": "50%"})
    assert [row.name for row in page.items] == ["50% off sale"]
    page = await run(db_session, {"q": "snake_case"})
    assert [row.name for row in page.items] == ["snake_case thing"]
    page = await run(db_session, {"q": "\\"})
    assert page.total == 0 and page.items == []


async def test_search_over_a_non_text_column(db_session, widget_rows) -> None:
    page = await run(db_session, {"q": "7"}, search_columns=[widgets.c.amount])
    assert {row.id for row in page.items} == {33, 34}


async def test_sort_both_ways_with_stable_ties(db_session, widget_rows) -> None:
    ascending = await run(db_session, {"sort": "amount", "per_page": "100"})
    amounts = [row.amount for row in ascending.items]
    assert amounts[-2:] == [None, None]  # nulls last on every engine
    assert amounts[:-2] == sorted(amounts[:-2])
    zeros = [row.id for row in ascending.items if row.amount == 0]
    assert zeros == sorted(zeros)  # ties broken by the primary key

    descending = await run(db_session, {"sort": "amount", "direction": "desc", "per_page": "100"})
    amounts = [row.amount for row in descending.items]
    assert amounts[-2:] == [None, None]
    assert amounts[:-2] == sorted(amounts[:-2], reverse=True)

    by_name = await run(db_session, {"sort": "name", "direction": "desc"})
    names = [row.name for row in by_name.items]
    assert names == sorted(names, reverse=True)


async def test_filters_and_search_combine(db_session, widget_rows) -> None:
    page = await run(db_session, {"status": "inactive", "per_page": "100"})
    assert page.total == 17
    assert {row.status for row in page.items} == {"inactive"}
    page = await run(db_session, {"status": "active", "q": "off"})
    assert {row.id for row in page.items} == {31, 32}
    page = await run(db_session, {"status": "bogus"})
    assert page.total == 34


async def test_callable_filter_and_rows(db_session, widget_rows) -> None:
    page = await run(
        db_session,
        {"status": "active"},
        filter_columns={"status": lambda value: widgets.c.amount.is_(None)},
    )
    assert {row.id for row in page.items} == {31, 32}


async def test_empty_result(db_session, widget_rows) -> None:
    page = await run(db_session, {"q": "no such thing"})
    assert page.total == 0 and page.items == [] and page.first_index == 0
    assert page.is_filtered


async def test_orm_entities_with_attribute_columns(db_session, widget_rows) -> None:
    query = TableQuery.from_params(
        {"sort": "amount", "direction": "desc", "q": "WIDGET"}, sortable=["amount"], default_sort="amount"
    )
    page = await paginate(
        db_session,
        select(Widget),
        query,
        base_url="/w",
        sort_columns={"amount": Widget.amount},  # type: ignore[dict-item]
        search_columns=[Widget.name],  # type: ignore[list-item]
        filter_columns={"status": Widget.status},  # type: ignore[attr-defined,dict-item]
    )
    assert page.total == 30
    assert all(isinstance(item, Widget) for item in page.items)
    assert [item.amount for item in page.items[:6]] == [4] * 6
    assert [item.id for item in page.items[:6]] == [29, 24, 19, 14, 9, 4]  # tie-break follows direction
