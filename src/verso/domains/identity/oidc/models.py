"""Sign-in providers configured by an admin, and the provider identities linked to accounts.

Imported by ``identity/models.py`` so ``create_all`` and migrations see the tables.
"""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

PRESETS: dict[str, tuple[str, str]] = {
    # preset: (label, issuer)
    "google": ("Google", "https://accounts.google.com"),
    "microsoft": ("Microsoft", "https://login.microsoftonline.com/common/v2.0"),
    "apple": ("Apple", "https://appleid.apple.com"),
    "generic": ("Other OpenID Connect provider", ""),
}
DEFAULT_SCOPES = "openid email profile"
APPLE_SCOPES = "openid email name"  # Apple knows no "profile"; "name" asks for the name on first sign-in


class OIDCProvider(UUIDv7AuditBase):
    """One OpenID Connect provider. The client secret is encrypted (Fernet, key from the app secret).

    ``slug`` appears in the redirect URI registered at the provider, so it never changes after creation.
    For Apple the stored secret is the developer's private key (PEM): Apple's client secret is a JWT
    signed with it, made afresh at each code exchange from ``team_id`` and ``key_id``.
    """

    __tablename__ = "oidc_provider"

    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    preset: Mapped[str] = mapped_column(String(20), default="generic")
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[str] = mapped_column(String(20), default="", server_default="")
    key_id: Mapped[str] = mapped_column(String(20), default="", server_default="")
    scopes: Mapped[str] = mapped_column(String(255), default=DEFAULT_SCOPES)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def is_apple(self) -> bool:
        """Apple answers with a cross-site form POST and wants a signed JWT as the client secret."""
        return self.preset == "apple"


class OIDCIdentity(UUIDv7AuditBase):
    """A provider account (``provider`` slug + ``subject``) linked to a Verso account."""

    __tablename__ = "oidc_identity"
    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_oidc_identity_provider_subject"),)

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(254), default="")

    __personal_data__ = ("subject", "email")
