"""The product search index: one search document per *active* product, and the engine's index on it.

``shop_search_document`` is an ordinary table in the models (so migrations and ``create_all`` know
it): the words a visitor can find a product by, already flattened to text (name; keywords = SKUs,
tags, variant options and the category; body = the description as plain text). It is written only
by ``services/_search_index.py``. Each engine indexes it its own way, created by the DDL below
(attached to ``create_all`` here and repeated in migration ``a3c9e1f27b41``):

- SQLite: ``shop_search_fts``, an FTS5 table over the document table (external content, Porter
  stemming, accents folded, prefix indexes for as-you-type), kept in step by three triggers on the
  document table, so no writer of documents can forget it.
- PostgreSQL: a stored generated ``search_vector`` column (weights A name, B keywords, C body,
  ``english`` configuration) with a GIN index.

Those objects are outside the models, so migration checks skip them by name
(:func:`include_modelled_name`); everything else is still compared.
"""

from __future__ import annotations

from advanced_alchemy.base import orm_registry
from sqlalchemy import DDL, Column, ForeignKey, Integer, Table, Text, event

search_document = Table(
    "shop_search_document",
    orm_registry.metadata,
    Column("id", Integer, primary_key=True),  # the FTS5 rowid on SQLite
    Column(
        "product_id",
        ForeignKey("shop_product.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("name", Text, nullable=False, default=""),
    Column("keywords", Text, nullable=False, default=""),
    Column("body", Text, nullable=False, default=""),
)

FTS_TABLE = "shop_search_fts"
TEXT_CONFIG = "english"  # PostgreSQL text search configuration (SQLite: the porter tokenizer)

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE shop_search_fts USING fts5(name, keywords, body, "
    "content='shop_search_document', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER shop_search_document_ai AFTER INSERT ON shop_search_document BEGIN "
    "INSERT INTO shop_search_fts(rowid, name, keywords, body) "
    "VALUES (new.id, new.name, new.keywords, new.body); END",
    "CREATE TRIGGER shop_search_document_ad AFTER DELETE ON shop_search_document BEGIN "
    "INSERT INTO shop_search_fts(shop_search_fts, rowid, name, keywords, body) "
    "VALUES ('delete', old.id, old.name, old.keywords, old.body); END",
    "CREATE TRIGGER shop_search_document_au AFTER UPDATE ON shop_search_document BEGIN "
    "INSERT INTO shop_search_fts(shop_search_fts, rowid, name, keywords, body) "
    "VALUES ('delete', old.id, old.name, old.keywords, old.body); "
    "INSERT INTO shop_search_fts(rowid, name, keywords, body) "
    "VALUES (new.id, new.name, new.keywords, new.body); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS shop_search_document_au",
    "DROP TRIGGER IF EXISTS shop_search_document_ad",
    "DROP TRIGGER IF EXISTS shop_search_document_ai",
    "DROP TABLE IF EXISTS shop_search_fts",
)


def _words(column: str, weight: str) -> str:
    """A weighted tsvector of ``column`` split at every non-alphanumeric run, as the search box
    splits what is typed (PostgreSQL's parser would read ``TEE-001`` as ``tee`` and ``-001``)."""
    words = f"regexp_replace({column}, '[^[:alnum:]]+', ' ', 'g')"
    return f"setweight(to_tsvector('{TEXT_CONFIG}', {words}), '{weight}')"


POSTGRES_DDL = (
    "ALTER TABLE shop_search_document ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    f"{_words('name', 'A')} || {_words('keywords', 'B')} || {_words('body', 'C')}) STORED",
    "CREATE INDEX ix_shop_search_document_vector ON shop_search_document USING gin (search_vector)",
)
POSTGRES_DROP = (
    "DROP INDEX IF EXISTS ix_shop_search_document_vector",
    "ALTER TABLE shop_search_document DROP COLUMN IF EXISTS search_vector",
)

for _sql in SQLITE_DDL:
    event.listen(search_document, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in POSTGRES_DDL:
    event.listen(search_document, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
for _sql in SQLITE_DROP:
    event.listen(search_document, "before_drop", DDL(_sql).execute_if(dialect="sqlite"))

# What the DDL above makes besides the document table: FTS5's table and its shadow tables (SQLite),
# the generated column and its index (PostgreSQL).
_UNMODELLED_TABLES = frozenset(
    {FTS_TABLE, *(f"{FTS_TABLE}_{suffix}" for suffix in ("data", "idx", "docsize", "config"))}
)


def include_modelled_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Alembic ``include_name`` hook: ``False`` only for the search objects the models do not describe."""
    if type_ == "table":
        return name not in _UNMODELLED_TABLES
    if parent_names.get("table_name") == search_document.name:
        return not (
            (type_ == "column" and name == "search_vector")
            or (type_ == "index" and name == "ix_shop_search_document_vector")
        )
    return True
