"""Helpers for the API key tests: create keys the way a person does, call the API with them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories import post_form

SECRET = re.compile(r"vso_[A-Za-z0-9_-]{32,64}")


async def create_key(
    client: Any, name: str = "Sync", scopes: tuple[str, ...] = ("read:users",), **extra: Any
) -> str:
    """Create a key through /account/api-keys and return its secret (read from the page, once)."""
    response = await post_form(client, "/account/api-keys", {"name": name, "scopes": list(scopes), **extra})
    assert response.status_code == 201, response.text
    found = SECRET.findall(response.text)
    assert found, "the new key is shown on the page"
    return found[0]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def admin_key(admin_client) -> str:
    return await create_key(admin_client, "Admin key", ("read:users", "read:leads"))
