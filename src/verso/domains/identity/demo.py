"""Demo accounts: one per staff role, and a few customers. Idempotent."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.services import RoleService, UserService
from verso.lib.audit import Actor

DEMO_ACCOUNTS = [
    ("admin@demo.verso", "Ada", "Admin", ["admin"]),
    ("sales@demo.verso", "Sam", "Sales", ["commercial"]),
    ("editor@demo.verso", "Eve", "Editor", ["blogger"]),
    ("staff@demo.verso", "Stan", "Staff", ["employee"]),
    ("chloe@example.com", "Chloé", "Martin", ["user"]),
    ("ben@example.com", "Ben", "Okafor", ["user"]),
    ("mia@example.com", "Mia", "Schmidt", ["user"]),
]


async def load(session: AsyncSession, *, admin_password: str) -> None:
    await RoleService(session=session).ensure_defaults()
    users = UserService(session=session)
    actor = Actor(label="demo")
    for email, first, last, roles in DEMO_ACCOUNTS:
        if await users.find_by_login(email) is None:
            await users.create_account(
                email=email,
                password=admin_password,
                roles=roles,
                actor=actor,
                first_name=first,
                last_name=last,
                email_verified=True,
            )
