"""Fixtures for the OpenID Connect tests: the fake provider on 127.0.0.1, configured in Verso as ``test``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.identity.oidc.provider import CLIENT_ID, CLIENT_SECRET, FakeProvider
from verso.domains.identity.oidc import protocol
from verso.domains.identity.oidc.crypto import encrypt_secret
from verso.domains.identity.oidc.models import OIDCProvider


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
