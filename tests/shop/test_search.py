"""Product search: safe query parsing, ranking, highlighting with correct escaping, "did you mean",
an index that follows every kind of catalogue change (services, bulk actions, raw ORM changes and
statements), a fixed number of queries per page, and the page itself (full, htmx fragment, empty)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import delete, event, select, update

from tests.migrations.test_migrations import empty_database_url  # noqa: F401  (a fixture)
from tests.shop.helpers import ACTOR, make_attribute, make_product
from verso.domains.shop.models import Category, Product, ProductTag, ProductVariant, search_document
from verso.domains.shop.services import (
    CategoryService,
    ProductInput,
    ProductService,
    SearchQuery,
    VariantService,
    catalog_changed,
    rebuild_search_index,
    search_products,
)
from verso.domains.shop.services._search import MAX_QUERY, MAX_TERMS, Vocabulary, load_cards, marked


async def names(session, text: str) -> list[str]:
    """The names of the products a search finds, best first."""
    results = await search_products(session, SearchQuery.parse(text))
    await load_cards(session, results.hits)
    return [hit.product.name for hit in results.hits]


# ---------- Parsing and marking (no database) ----------


def test_visitor_text_never_reaches_the_engine_as_syntax() -> None:
    query = SearchQuery.parse('  Hood"ie NEAR(a b) OR title:x* -mug ^"\x00\x01 ')
    assert query.terms == ("hood", "ie", "near", "a", "b", "or", "title", "x")
    assert query.fts5() == '"hood" "ie" "near" "a" "b" "or" "title" "x"'  # one letter: no prefix
    assert query.tsquery() == "'hood' & 'ie' & 'near' & 'a' & 'b' & 'or' & 'title' & 'x'"
    assert SearchQuery.parse("linen mu").fts5() == '"linen" "mu"*'
    assert SearchQuery.parse("linen mu").tsquery() == "'linen' & 'mu':*"
    assert "\x00" not in query.text and "\x01" not in query.text


def test_long_and_empty_queries() -> None:
    long = SearchQuery.parse("word " * 500)
    assert len(long.text) <= MAX_QUERY and len(long.terms) == MAX_TERMS
    assert SearchQuery.parse("   ").is_empty and SearchQuery.parse("!!! ---").is_empty
    assert SearchQuery.from_params({"q": ["not", "a string"], "page": "x"}) == SearchQuery()
    assert SearchQuery.from_params({"q": "mug", "page": "3"}).page == 3
    assert SearchQuery.parse("blue mug", 2).url(2) == "/shop/search?q=blue+mug&page=2"


def test_marked_escapes_everything_but_its_own_marks() -> None:
    assert marked("<script>\x01alert\x02</script> & \x01co\x02") == (
        "&lt;script&gt;<mark>alert</mark>&lt;/script&gt; &amp; <mark>co</mark>"
    )
    assert marked("\x01<b>\x02 stray\x01") == "&lt;b&gt; stray"  # unpaired marks are not trusted
    assert marked("\x02a\x01") == "a"
    assert marked(None) == ""


def test_vocabulary_corrects_unknown_words_only() -> None:
    words = Vocabulary(Counter({"hoodie": 5, "hoodies": 1, "linen": 3, "mug": 4, "moss": 1}))
    assert words.correct(("hoddie",)) == ("hoodie",)
    assert words.correct(("mug", "linnen")) == ("mug", "linen")
    assert words.correct(("mgu",)) == ("mug",)  # a swap is one edit
    assert words.correct(("mug", "lin")) is None  # the last word may be half typed: nothing to fix
    assert words.correct(("hoddie", "zebra")) is None  # no use suggesting what still finds nothing
    assert words.correct(("linen", "mug")) is None


# ---------- The index and the ranking ----------


async def test_ranking_prefers_the_name_and_finds_only_active_products(db_session) -> None:
    await make_product(db_session, "Zip jacket", description="Wear it over a hoodie. Hoodie weather!")
    await make_product(db_session, "Grey hoodie", description="Brushed cotton.")
    await make_product(db_session, "Draft hoodie", status="draft")
    await make_product(db_session, "Plain mug", tags=["hoodie-friendly"])
    assert await names(db_session, "hoodie") == ["Grey hoodie", "Plain mug", "Zip jacket"]
    assert await names(db_session, "HOODIES") == ["Grey hoodie", "Plain mug", "Zip jacket"]  # stemmed
    assert await names(db_session, "grey hood") == ["Grey hoodie"]  # the last word is a prefix
    assert await names(db_session, "grey cotton") == ["Grey hoodie"]  # every word must match
    assert await names(db_session, "grey mug") == []


async def test_sku_tag_option_and_category_find_the_product(db_session) -> None:
    kitchen = await CategoryService(session=db_session).save_category(
        None, name="Kitchenware", slug="", parent_id=None, description="", position=0,
        seo_title="", seo_description="", actor=ACTOR,
    )  # fmt: skip
    await db_session.commit()
    product = await make_product(db_session, "Tee", sku="TEE-001", tags=["Summer"], category_id=kitchen.id)
    size = await make_attribute(db_session, "Size", ["Small", "Large"])
    variants = VariantService(session=db_session)
    await variants.set_axes(product, {size.id: [v.id for v in size.values]}, actor=ACTOR)
    await db_session.commit()
    large = next(v for v in await variants.get_many() if v.name == "Large")
    await variants.update_variant(large, sku="TEE-LRG-9", price_adjustment=0, stock=1, is_active=True,
                                  image_id=None, actor=ACTOR)  # fmt: skip
    await db_session.commit()
    for text in ("TEE-001", "tee lrg 9", "summer", "large", "kitchenware"):
        assert await names(db_session, text) == ["Tee"], text


async def test_index_follows_the_services(db_session) -> None:
    service = ProductService(session=db_session)
    product = await make_product(db_session, "Linen apron", tags=["kitchen"])
    assert await names(db_session, "apron") == ["Linen apron"]
    await service.update_product(
        product, ProductInput(name="Canvas smock", price=100, tags=["studio"], status="active"), actor=ACTOR
    )
    await db_session.commit()
    assert await names(db_session, "apron") == [] and await names(db_session, "kitchen") == []
    assert await names(db_session, "smock studio") == ["Canvas smock"]
    await service.bulk("deactivate", [product.id], category_id=None, actor=ACTOR)
    await db_session.commit()
    assert await names(db_session, "smock") == []
    await service.bulk("activate", [product.id], category_id=None, actor=ACTOR)
    await db_session.commit()
    assert await names(db_session, "smock") == ["Canvas smock"]
    category = Category(name="Workwear", slug="workwear")
    db_session.add(category)
    await db_session.commit()
    await service.bulk("set_category", [product.id], category_id=category.id, actor=ACTOR)
    await db_session.commit()
    assert await names(db_session, "workwear") == ["Canvas smock"]
    await CategoryService(session=db_session).save_category(
        category, name="Aprons and smocks", slug="workwear", parent_id=None, description="", position=0,
        seo_title="", seo_description="", actor=ACTOR,
    )  # fmt: skip
    await db_session.commit()
    assert await names(db_session, "workwear") == [] and await names(db_session, "aprons") == ["Canvas smock"]
    await CategoryService(session=db_session).delete_category(category, actor=ACTOR)
    await db_session.commit()
    assert await names(db_session, "aprons") == []
    await service.delete_product(product, actor=ACTOR)
    await db_session.commit()
    assert await names(db_session, "smock") == []
    assert (await db_session.scalars(select(search_document.c.product_id))).all() == []


async def test_index_follows_raw_orm_changes_and_statements(db_session) -> None:
    product = await make_product(db_session, "Oak bowl", tags=["wood"])
    product_id = product.id
    product.name = "Walnut bowl"  # a plain attribute change, no service
    await db_session.commit()
    assert await names(db_session, "walnut") == ["Walnut bowl"] and await names(db_session, "oak") == []
    db_session.add(ProductTag(product_id=product_id, tag="serving"))
    await db_session.commit()
    assert await names(db_session, "serving") == ["Walnut bowl"]
    variant = ProductVariant(product_id=product_id, name="Large", sku="BOWL-XL")
    db_session.add(variant)
    await db_session.commit()
    assert await names(db_session, "bowl xl") == ["Walnut bowl"]
    await db_session.execute(
        update(ProductVariant).where(ProductVariant.id == variant.id).values(sku="BWL-9")
    )
    await db_session.commit()
    assert await names(db_session, "bwl") == ["Walnut bowl"] and await names(db_session, "bowl xl") == []
    await db_session.execute(delete(ProductTag).where(ProductTag.product_id == product_id))
    await db_session.commit()
    assert await names(db_session, "serving") == []
    # Uncommitted changes are searched in their own session (the search applies them first).
    await db_session.execute(update(Product).where(Product.id == product_id).values(name="Cedar bowl"))
    assert await names(db_session, "cedar") == ["Cedar bowl"]
    await db_session.rollback()
    assert await names(db_session, "cedar") == [] and await names(db_session, "walnut") == ["Walnut bowl"]
    # A stock change is not a search change: nothing is rebuilt.
    before = await db_session.scalar(
        select(search_document.c.id).where(search_document.c.product_id == product_id)
    )
    await db_session.execute(update(Product).where(Product.id == product_id).values(stock=7))
    await db_session.commit()
    after = await db_session.scalar(
        select(search_document.c.id).where(search_document.c.product_id == product_id)
    )
    assert before == after
    await db_session.execute(update(Product).where(Product.id == product_id).values(status="draft"))
    await db_session.commit()
    assert await names(db_session, "walnut") == []
    await db_session.execute(update(Product).where(Product.id == product_id).values(status="active"))
    await db_session.commit()
    assert await names(db_session, "walnut") == ["Walnut bowl"]
    await db_session.execute(delete(Product).where(Product.id == product_id))
    await db_session.commit()
    assert await names(db_session, "walnut") == []


async def test_index_follows_bulk_statements_like_an_importer_writes(db_session) -> None:
    """Executemany INSERTs without ids, UPDATEs by primary key, DELETE ... IN: what bulk writers
    (the CSV import) send, none of which passes through the ORM's flush."""
    from sqlalchemy import insert

    from verso.lib.richtext import render_markdown

    kept = await make_product(db_session, "Felt slippers", tags=["home"])
    kept_id = kept.id
    variant = ProductVariant(product_id=kept_id, name="Grey", sku="SLIP-G")
    db_session.add(variant)
    await db_session.commit()
    variant_id = variant.id
    await db_session.execute(
        insert(Product),
        [
            {"name": f"Cork coaster {n}", "slug": f"coaster-{n}", "status": "active", "price": 300,
             "description": "Set of four.", "description_html": render_markdown("Set of four.")}
            for n in range(3)
        ],
    )  # fmt: skip
    await db_session.execute(update(Product), [{"id": kept_id, "name": "Wool slippers"}])
    await db_session.execute(delete(ProductTag).where(ProductTag.product_id.in_([kept_id])))
    await db_session.execute(insert(ProductTag), [{"product_id": kept_id, "tag": "winter"}])
    await db_session.execute(update(ProductVariant), [{"id": variant_id, "sku": "SLIP-CHARCOAL"}])
    await db_session.commit()
    assert len(await names(db_session, "coaster four")) == 3
    assert await names(db_session, "wool winter charcoal") == ["Wool slippers"]
    assert await names(db_session, "felt") == [] and await names(db_session, "home") == []


async def test_a_csv_import_is_searchable(db_session) -> None:
    from verso.domains import shop
    from verso.domains.shop.services import ImportRunService, Uploader
    from verso.lib import jobs
    from verso.lib.db import session_factory

    jobs.register(shop.jobs)
    by = Uploader(None, "importer@example.com")

    async def run_jobs() -> None:
        worker = jobs.Worker(worker_id="search-tests", session_maker=session_factory())
        while await worker.run_once(cron=False):
            pass

    await make_product(db_session, "Mug", tags=["gift"])
    data = b"Slug,Name,Price,Status\r\nmug,Speckled mug,12.50,active\r\nbowl,Speckled bowl,9,active\r\n"
    run = await ImportRunService(session=db_session).upload(data, "products.csv", currency="EUR", by=by)
    run_id = run.id
    await db_session.commit()
    await run_jobs()
    db_session.expire_all()
    run = await ImportRunService(session=db_session).get(run_id)
    assert run.status == "ready", run.errors
    await ImportRunService(session=db_session).start_apply(run, by=by)
    await db_session.commit()
    await run_jobs()
    assert sorted(await names(db_session, "speckled")) == ["Speckled bowl", "Speckled mug"]  # a tie
    assert await names(db_session, "speckled gift") == ["Speckled mug"]


async def test_rebuild_repairs_what_no_session_saw(db_session) -> None:
    from sqlalchemy import text

    await make_product(db_session, "Brass candle holder")
    await db_session.execute(text("UPDATE shop_product SET name = 'Copper candle holder'"))  # unseen
    await db_session.commit()
    assert await names(db_session, "copper") == []
    await rebuild_search_index(db_session)
    await db_session.commit()
    assert await names(db_session, "copper") == ["Copper candle holder"]


async def test_suggestion_for_a_misspelling(db_session) -> None:
    await make_product(db_session, "Grey hoodie", description="Warm and soft.")
    await make_product(db_session, "Hooded towel")
    results = await search_products(db_session, SearchQuery.parse("grey hoddie"))
    assert results.hits == [] and results.suggestion is not None
    assert (
        results.suggestion.text == "grey hoodie" and results.suggestion.url() == "/shop/search?q=grey+hoodie"
    )
    assert (await search_products(db_session, SearchQuery.parse("hoodie"))).suggestion is None
    # The vocabulary follows the catalogue version: a new word is known at once.
    await make_product(db_session, "Hoddie the bear")
    assert (await search_products(db_session, SearchQuery.parse("hoddie"))).suggestion is None


# ---------- The page ----------


async def test_page_highlights_and_escapes(client, admin, db_session) -> None:
    await make_product(
        db_session,
        "Hoodie <script>alert(1)</script>",
        description="A *cosy* hoodie & a 3 < 4 claim, <b>bold</b>.",
    )
    page = await client.get("/shop/search", params={"q": "hoodie"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script>alert(1)" not in page.text and "<b>bold" not in page.text
    assert "<mark>Hoodie</mark> &lt;script&gt;alert(1)&lt;/script&gt;</h3>" in page.text  # the name
    assert "A cosy <mark>hoodie</mark> &amp; a 3 &lt; 4 claim, bold." in page.text  # the excerpt, as text
    typed = await client.get("/shop/search", params={"q": "<script>hoodie"})
    assert "<script>alert(1)" not in typed.text and "<script>hoodie" not in typed.text
    assert "1 result for “&lt;script&gt;hoodie”" in typed.text
    assert 'value="&lt;script&gt;hoodie"' in typed.text
    assert '<meta name="robots" content="noindex, follow">' in typed.text


async def test_page_empty_state_fragment_pages_and_suggestion(client, admin, db_session) -> None:
    empty = await client.get("/shop/search?q=%20%20")
    assert empty.status_code == 200 and "What are you looking for?" in empty.text
    assert 'role="search"' in empty.text and '<label for="search-q" class="search-label">' in empty.text
    for i in range(30):
        await make_product(db_session, f"Mug {i:02d}")
    first = await client.get("/shop/search?q=mug")
    assert "30 results" in first.text and "Page 1 of 2" in first.text
    assert 'href="/shop/search?q=mug&amp;page=2"' in first.text
    second = await client.get("/shop/search?q=mug&page=2", headers={"HX-Request": "true"})
    assert "<html" not in second.text and 'id="results"' in second.text and "Page 2 of 2" in second.text
    assert second.headers.get("hx-push-url", "").endswith("/shop/search?q=mug&page=2")
    past = await client.get("/shop/search?q=mug&page=99")
    assert past.status_code == 200 and "Page 2 of 2" in past.text
    typo = await client.get("/shop/search?q=mgu")
    assert 'Did you mean <a href="/shop/search?q=mug">mug</a>?' in typo.text
    assert "No products found" in typo.text
    shop = await client.get("/shop")
    assert 'action="/shop/search"' in shop.text and 'role="search"' in shop.text


async def test_queries_per_search_do_not_grow_with_the_results(client, admin, db_session) -> None:
    from verso.lib.db import _reader_engine, get_engine

    statements: list[str] = []
    # Searches read through lib.db.read_rows: on SQLite its own synchronous engine.
    engines = [get_engine().sync_engine] + [engine for engine in [_reader_engine()] if engine is not None]

    def count(*args: object) -> None:
        if "shop_catalog_version" not in str(args[2]):  # the page cache's key (PostgreSQL: a query)
            statements.append(str(args[2]))

    async def queries(url: str) -> int:
        statements.clear()
        for engine in engines:
            event.listen(engine, "before_cursor_execute", count)
        try:
            assert (await client.get(url, headers={"HX-Request": "true"})).status_code == 200
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    size = await make_attribute(db_session, "Size", ["S", "M"])
    for i in range(24):
        product = await make_product(db_session, f"Lamp {i}", tags=["light"])
        await VariantService(session=db_session).set_axes(
            product, {size.id: [v.id for v in size.values]}, actor=ACTOR
        )
    await db_session.commit()
    await client.get("/shop/search?q=warm")  # warm the per-process caches (settings, vocabulary)
    # The matches, then the 24 cards' pictures and stock; the cards are kept per catalogue version,
    # so another search showing the same products costs the one query.
    assert await queries("/shop/search?q=lamp&page=1") == 2
    assert await queries("/shop/search?q=lamp+light+s") == 1
    # Anonymous result pages are kept per catalogue version: the same search again costs nothing,
    # and a catalogue change shows at once.
    assert await queries("/shop/search?q=lamp&page=1") == 0
    await make_product(db_session, "Lamp shade")
    assert await queries("/shop/search?q=lamp&page=1") == 2


# ---------- The migration ----------


def test_migration_indexes_the_products_that_exist(empty_database_url: str) -> None:  # noqa: F811
    """Upgrading a shop that already has products backfills their documents; downgrading removes
    the index (and its engine objects) cleanly."""
    from datetime import UTC, datetime
    from uuid import uuid4

    import sqlalchemy as sa
    from advanced_alchemy.types import GUID, DateTimeUTC
    from alembic import command

    from tests.migrations.test_migrations import _inspect
    from verso.lib import migrate

    before, search = "c43256f7f032", "a3c9e1f27b41"
    config = migrate.alembic_config(empty_database_url)
    command.upgrade(config, before)
    now = datetime.now(UTC)
    columns = {
        "id": GUID(), "name": sa.String(), "slug": sa.String(), "description": sa.Text(),
        "description_html": sa.Text(), "price": sa.Integer(), "sku": sa.String(), "track_stock": sa.Boolean(),
        "stock": sa.Integer(), "is_digital": sa.Boolean(), "is_subscription": sa.Boolean(),
        "stripe_price_id": sa.String(), "status": sa.String(), "seo_title": sa.String(),
        "seo_description": sa.String(), "sold_count": sa.Integer(), "rating_count": sa.Integer(),
        "rating_total": sa.Integer(), "created_at": DateTimeUTC(timezone=True),
        "updated_at": DateTimeUTC(timezone=True),
    }  # fmt: skip
    products = sa.table("shop_product", *(sa.column(name, kind) for name, kind in columns.items()))

    def row(name: str, status: str, sku: str) -> dict:
        return {
            "id": uuid4(), "name": name, "slug": sku.lower(), "description": "", "price": 100, "sku": sku,
            "description_html": "<p>Thick <em>waxed</em> canvas.</p>", "track_stock": True, "stock": 1,
            "is_digital": False, "is_subscription": False, "stripe_price_id": "", "status": status,
            "seo_title": "", "seo_description": "", "sold_count": 0, "rating_count": 0, "rating_total": 0,
            "created_at": now, "updated_at": now,
        }  # fmt: skip

    def seed(conn: sa.Connection) -> None:
        conn.execute(
            sa.insert(products), [row("Field tote", "active", "TOTE-1"), row("Hidden", "draft", "H-1")]
        )
        conn.commit()

    def documents(conn: sa.Connection) -> list[tuple[str, str, str]]:
        return [
            tuple(r) for r in conn.execute(sa.text("SELECT name, keywords, body FROM shop_search_document"))
        ]

    def found(conn: sa.Connection) -> int:
        if conn.dialect.name == "postgresql":
            canvas = "to_tsquery('english', 'canvas')"
            sql = f"SELECT count(*) FROM shop_search_document WHERE search_vector @@ {canvas}"
        else:
            sql = "SELECT count(*) FROM shop_search_fts WHERE shop_search_fts MATCH 'canvas tote'"
        return conn.execute(sa.text(sql)).scalar()

    _inspect(empty_database_url, seed)
    command.upgrade(config, search)
    assert _inspect(empty_database_url, documents) == [("Field tote", "TOTE-1", "Thick waxed canvas.")]
    assert _inspect(empty_database_url, found) == 1
    command.downgrade(config, before)
    assert "shop_search_document" not in _inspect(
        empty_database_url, lambda c: sa.inspect(c).get_table_names()
    )
    assert "shop_search_fts" not in _inspect(empty_database_url, lambda c: sa.inspect(c).get_table_names())
    migrate.upgrade_head(empty_database_url)
    assert _inspect(empty_database_url, found) == 1


async def test_a_page_number_that_is_not_ascii_digits_reads_as_page_one(client, admin, db_session) -> None:
    await make_product(db_session, "Linen mug", status="active")
    for url in ("/shop/search?q=mug&page=%C2%B2", "/shop?page=%C2%B2", "/shop?page=99999999999"):
        response = await client.get(url)
        assert response.status_code == 200, url
        assert "/shop/p/linen-mug" in response.text, url


async def test_kept_result_cards_follow_the_catalogue(client, admin, db_session) -> None:
    """Cards are rendered once per catalogue version, each search filling in its own marked name
    and excerpt; a price change shows on the next search."""
    await make_product(db_session, "Linen mug", price=1250, description="A linen glaze.")
    await make_product(db_session, "Oak mug", price=900, description="Oak and linen.")
    linen = (await client.get("/shop/search?q=linen")).text
    assert "<mark>Linen</mark> mug</h3>" in linen and "A <mark>linen</mark> glaze." in linen
    mug = (await client.get("/shop/search?q=mug")).text  # the same two cards, kept
    assert "Linen <mark>mug</mark></h3>" in mug and "Oak <mark>mug</mark></h3>" in mug
    assert "12.50" in mug and "9.00" in mug and "<mark>linen</mark>" not in mug
    product = await db_session.scalar(select(Product).where(Product.slug == "linen-mug"))
    product.price = 1990
    catalog_changed(db_session)
    await db_session.commit()
    again = (await client.get("/shop/search?q=mug+linen")).text
    assert "19.90" in again and "12.50" not in again
