"""Builders for test data, and HTTP helpers that act as a person would (CSRF included)."""

from __future__ import annotations

import io
from typing import Any

from verso.domains.identity.models import User
from verso.domains.identity.services import UserService
from verso.domains.ops.services import SetupRequest
from verso.domains.ops.services import complete_setup as _complete_setup
from verso.lib.audit import Actor
from verso.lib.db import session_factory

ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
PASSWORD = "another long passphrase"


async def complete_setup(email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> User:
    async with session_factory()() as db:
        return await _complete_setup(
            db,
            SetupRequest(
                business_name="Test Bakery",
                timezone="Europe/Paris",
                currency="EUR",
                first_name="Olive",
                last_name="Owner",
                email=email,
                password=password,
            ),
            ip="127.0.0.1",
        )


async def make_user(email: str, roles: list[str], password: str = PASSWORD, **fields: Any) -> User:
    async with session_factory()() as db:
        user = await UserService(session=db).create_account(
            email=email, password=password, roles=roles, actor=Actor(label="tests"), **fields
        )
        await db.commit()
        return user


def csrf_token(client: Any) -> str:
    token = client.cookies.get("verso_csrf")
    assert token, "GET a page first: the CSRF cookie is set on safe requests"
    return token


async def post_form(
    client: Any, url: str, data: dict[str, Any] | None = None, *, htmx: bool = False, **kwargs: Any
) -> Any:
    """POST a form the way the browser does, with the CSRF token from the cookie."""
    if not client.cookies.get("verso_csrf"):
        await client.get("/health")
    headers = {"x-csrftoken": csrf_token(client), **kwargs.pop("headers", {})}
    if htmx:
        headers["HX-Request"] = "true"
    return await client.post(url, data=data or {}, headers=headers, **kwargs)


async def sign_in(client: Any, login: str, password: str) -> Any:
    await client.get("/login")
    response = await post_form(
        client, "/login", {"login": login, "password": password}, follow_redirects=False
    )
    assert response.status_code in (302, 303), response.text
    return response


async def post_json(client: Any, url: str, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST JSON the way passkeys.js does, with the CSRF header from the cookie."""
    if not client.cookies.get("verso_csrf"):
        await client.get("/health")
    headers = {"x-csrftoken": csrf_token(client), **kwargs.pop("headers", {})}
    return await client.post(url, json=body or {}, headers=headers, **kwargs)


def pdf_text(content: bytes) -> str:
    """The text of every page of a PDF, to assert on what a person would read."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
