"""Helpers for the self-service account tests: emails from the outbox, links, registration."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from tests.factories import post_form
from verso.domains.identity.models import User
from verso.lib.db import session_factory
from verso.lib.email import OutboxEmail

NEW_PASSWORD = "a fresh and long passphrase"
LINK = re.compile(r"http://testserver\.local(/\S+)")


async def emails(to: str | None = None, template: str | None = None) -> list[OutboxEmail]:
    async with session_factory()() as db:
        stmt = select(OutboxEmail).order_by(OutboxEmail.id)
        if to is not None:
            stmt = stmt.where(OutboxEmail.to_address == to)
        if template is not None:
            stmt = stmt.where(OutboxEmail.template == f"identity/{template}")
        return list((await db.scalars(stmt)).all())


async def last_link(to: str, template: str) -> str:
    """The path of the link in the newest ``template`` email to ``to``."""
    found = await emails(to, template)
    assert found, f"no {template} email to {to}"
    assert found[-1].status == "held"
    match = LINK.search(found[-1].text_body)
    assert match, found[-1].text_body
    return match.group(1)


async def user_by_email(email: str) -> User | None:
    async with session_factory()() as db:
        return await db.scalar(select(User).where(User.email == email))


async def register(client: Any, email: str, password: str = NEW_PASSWORD, **fields: Any) -> Any:
    await client.get("/register")
    data = {"email": email, "password": password, "confirm": password, **fields}
    return await post_form(client, "/register", data, follow_redirects=False)
