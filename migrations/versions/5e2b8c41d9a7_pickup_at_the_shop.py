"""pickup at the shop

Revision ID: 5e2b8c41d9a7
Revises: 75803a366cfd
Create Date: 2026-11-23 05:50:00.000000

"""

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
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

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
revision = "5e2b8c41d9a7"
down_revision = "75803a366cfd"
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


def schema_upgrades() -> None:
    """A delivery choice on checkout drafts and orders (ship, or pick up at the shop) and the shop's
    pickup location."""
    with op.batch_alter_table("order_checkout_draft", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("delivery", sa.String(length=10), server_default="ship", nullable=False)
        )
    with op.batch_alter_table("order_order", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("delivery", sa.String(length=10), server_default="ship", nullable=False)
        )
    with op.batch_alter_table("shop_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "pickup_location",
                sa.JSON()
                .with_variant(postgresql.JSONB(astext_type=Text()), "cockroachdb")
                .with_variant(sa.ORA_JSONB(), "oracle")
                .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=True,
            )
        )


def schema_downgrades() -> None:
    with op.batch_alter_table("shop_settings", schema=None) as batch_op:
        batch_op.drop_column("pickup_location")
    with op.batch_alter_table("order_order", schema=None) as batch_op:
        batch_op.drop_column("delivery")
    with op.batch_alter_table("order_checkout_draft", schema=None) as batch_op:
        batch_op.drop_column("delivery")


def data_upgrades() -> None:
    """Pickup is offered only with a place to collect from, which no shop has given yet: switch it
    off, so the settings save until staff give one (and switch it on again)."""
    op.execute(sa.text("UPDATE shop_settings SET pickup_enabled = false WHERE pickup_location IS NULL"))


def data_downgrades() -> None:
    """Add any optional data downgrade migrations here!"""
