"""Fixtures for the OpenID Connect tests: the fake provider on 127.0.0.1, configured in Verso as ``test``;
and the fake in its Apple mode, configured as ``apple`` with an EC key made for the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from joserfc.jwk import ECKey

from tests.identity.oidc.provider import APPLE_KEY_ID, APPLE_TEAM_ID, CLIENT_ID, CLIENT_SECRET, FakeProvider
from verso.domains.identity.oidc import protocol
from verso.domains.identity.oidc.crypto import encrypt_secret
from verso.domains.identity.oidc.models import APPLE_SCOPES, OIDCProvider


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    protocol.reset_cache()
    with FakeProvider() as provider:
        yield provider
    protocol.reset_cache()


@pytest.fixture
async def oidc_provider(fake_provider: FakeProvider, admin, db_session) -> OIDCProvider:
    provider = OIDCProvider(
        slug="test",
        name="TestID",
        preset="generic",
        issuer=fake_provider.issuer,
        client_id=CLIENT_ID,
        client_secret_encrypted=encrypt_secret(CLIENT_SECRET),
        enabled=True,
    )
    db_session.add(provider)
    await db_session.commit()
    return provider


@pytest.fixture(scope="session")
def apple_key() -> ECKey:
    """The developer's Sign in with Apple key (what Apple hands out as a .p8 file)."""
    return ECKey.generate_key("P-256", private=True)


@pytest.fixture
def fake_apple(apple_key: ECKey) -> Iterator[FakeProvider]:
    protocol.reset_cache()
    with FakeProvider(apple_key=ECKey.import_key(apple_key.as_pem(private=False))) as provider:
        yield provider
    protocol.reset_cache()


@pytest.fixture
async def apple_provider(fake_apple: FakeProvider, apple_key: ECKey, admin, db_session) -> OIDCProvider:
    provider = OIDCProvider(
        slug="apple",
        name="Apple",
        preset="apple",
        issuer=fake_apple.issuer,
        client_id=CLIENT_ID,
        client_secret_encrypted=encrypt_secret(apple_key.as_pem(private=True).decode()),
        team_id=APPLE_TEAM_ID,
        key_id=APPLE_KEY_ID,
        scopes=APPLE_SCOPES,
        enabled=True,
    )
    db_session.add(provider)
    await db_session.commit()
    return provider
