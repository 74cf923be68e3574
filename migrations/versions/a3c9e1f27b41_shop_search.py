"""shop search: full-text index over products (SQLite FTS5, PostgreSQL tsvector)

Revision ID: a3c9e1f27b41
Revises: c43256f7f032
Create Date: 2026-11-22 09:00:00

"""

import html
import re
import warnings
from typing import TYPE_CHECKING

import sqlalchemy as sa
from advanced_alchemy.types import (
    GUID,
    ORA_JSONB,
    Bool,
    DateTimeUTC,
    EncryptedString,
    EncryptedText,
    FernetBackend,
    JsonB,
    OneTimeCode,
    PasswordHash,
    StoredObject,
    TOTPSecret,
)
from advanced_alchemy.types.encrypted_string import PGCryptoBackend
from advanced_alchemy.types.password_hash.argon2 import Argon2Hasher
from advanced_alchemy.types.password_hash.passlib import PasslibHasher
from advanced_alchemy.types.password_hash.pwdlib import PwdlibHasher
from alembic import op

if TYPE_CHECKING:
    pass

__all__ = ("data_downgrades", "data_upgrades", "downgrade", "schema_downgrades", "schema_upgrades", "upgrade")

sa.GUID = GUID
sa.Bool = Bool
sa.DateTimeUTC = DateTimeUTC
sa.JsonB = JsonB
sa.ORA_JSONB = ORA_JSONB
sa.EncryptedString = EncryptedString
sa.EncryptedText = EncryptedText
sa.StoredObject = StoredObject
sa.PasswordHash = PasswordHash
sa.Argon2Hasher = Argon2Hasher
sa.PasslibHasher = PasslibHasher
sa.PwdlibHasher = PwdlibHasher
sa.FernetBackend = FernetBackend
sa.PGCryptoBackend = PGCryptoBackend
sa.TOTPSecret = TOTPSecret
sa.OneTimeCode = OneTimeCode

# revision identifiers, used by Alembic.
revision = "a3c9e1f27b41"
down_revision = "c43256f7f032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        with op.get_context().autocommit_block():
            schema_upgrades()
            data_upgrades()


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        with op.get_context().autocommit_block():
            data_downgrades()
            schema_downgrades()


# The engine-specific index (a snapshot of models/_search.py at this revision).
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
_WORDS = "setweight(to_tsvector('english', regexp_replace({}, '[^[:alnum:]]+', ' ', 'g')), '{}')"
POSTGRES_DDL = (
    "ALTER TABLE shop_search_document ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    + " || ".join(
        _WORDS.format(column, weight) for column, weight in (("name", "A"), ("keywords", "B"), ("body", "C"))
    )
    + ") STORED",
    "CREATE INDEX ix_shop_search_document_vector ON shop_search_document USING gin (search_vector)",
)
POSTGRES_DROP = (
    "DROP INDEX IF EXISTS ix_shop_search_document_vector",
    "ALTER TABLE shop_search_document DROP COLUMN IF EXISTS search_vector",
)


def _dialect_ddl(sqlite: tuple[str, ...], postgresql: tuple[str, ...]) -> None:
    statements = {"sqlite": sqlite, "postgresql": postgresql}.get(op.get_bind().dialect.name, ())
    for statement in statements:
        op.execute(statement)


def schema_upgrades() -> None:
    """schema upgrade migrations go here."""
    op.create_table(
        "shop_search_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.GUID(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["shop_product.id"],
            name=op.f("fk_shop_search_document_product_id_shop_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_search_document")),
        sa.UniqueConstraint("product_id", name=op.f("uq_shop_search_document_product_id")),
    )
    _dialect_ddl(SQLITE_DDL, POSTGRES_DDL)


def schema_downgrades() -> None:
    """schema downgrade migrations go here."""
    _dialect_ddl(SQLITE_DROP, POSTGRES_DROP)
    op.drop_table("shop_search_document")


_BLOCK_TAGS = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|blockquote|pre|table|tr|td|th)\b[^>]*>", re.I
)
_TAGS = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str | None) -> str:
    return " ".join(_CONTROL.sub(" ", text or "").split())


def _keywords(parts: list[str | None]) -> str:
    seen: dict[str, str] = {}
    for part in parts:
        word = _clean(part)
        if word:
            seen.setdefault(word.lower(), word)
    return " ".join(seen.values())


def data_upgrades() -> None:
    """Index the products that exist already: one document per active product (name; SKUs, active
    variants' SKUs and options, tags and category as keywords; the description as plain text).
    Untyped columns pass ids through exactly as stored."""
    bind = op.get_bind()
    product = sa.table(
        "shop_product",
        *(sa.column(c) for c in ("id", "name", "description_html", "sku", "status", "category_id")),
    )
    category = sa.table("shop_category", sa.column("id"), sa.column("name"))
    variant = sa.table(
        "shop_variant", *(sa.column(c) for c in ("product_id", "sku", "name", "is_active", "position"))
    )
    tag = sa.table("shop_product_tag", sa.column("product_id"), sa.column("tag"))
    document = sa.table(
        "shop_search_document", *(sa.column(c) for c in ("product_id", "name", "keywords", "body"))
    )
    rows = bind.execute(
        sa.select(product.c.id, product.c.name, product.c.description_html, product.c.sku, category.c.name)
        .select_from(product.outerjoin(category, category.c.id == product.c.category_id))
        .where(product.c.status == "active")
    ).all()
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        extra: dict = {row[0]: [] for row in chunk}
        for pid, sku, name in bind.execute(
            sa.select(variant.c.product_id, variant.c.sku, variant.c.name)
            .where(variant.c.product_id.in_(list(extra)), variant.c.is_active == sa.true())
            .order_by(variant.c.position)
        ):
            extra[pid] += [sku, *(name or "").split("/")]
        for pid, value in bind.execute(
            sa.select(tag.c.product_id, tag.c.tag).where(tag.c.product_id.in_(list(extra)))
        ):
            extra[pid].append(value)
        bind.execute(
            sa.insert(document),
            [
                {
                    "product_id": pid,
                    "name": _clean(name),
                    "keywords": _keywords([sku, *extra[pid], category_name]),
                    "body": _clean(
                        html.unescape(_TAGS.sub("", _BLOCK_TAGS.sub(" ", description_html or "")))
                    )[:10_000],
                }
                for pid, name, description_html, sku, category_name in chunk
            ],
        )


def data_downgrades() -> None:
    """Add any optional data downgrade migrations here!"""
