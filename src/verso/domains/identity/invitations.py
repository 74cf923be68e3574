"""Staff invitations: an emailed, single-use link (7 days) that creates the account with its roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.accounts.policy import static_problems
from verso.domains.identity.models import Invitation, Role, User
from verso.domains.identity.services import IdentityError, UserService, normalise_email
from verso.lib import clock
from verso.lib.audit import Actor, audit
from verso.lib.email import send_email
from verso.settings import get_settings

VALID_FOR = timedelta(days=7)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite(
    session: AsyncSession,
    *,
    email: str,
    first_name: str,
    last_name: str,
    roles: list[str],
    actor: Actor,
    business_name: str,
) -> Invitation:
    """Create the invitation and queue its email (not committed)."""
    email = normalise_email(email)
    if await UserService(session=session).find_by_login(email):
        raise IdentityError("An account with this email already exists.")
    known = set((await session.scalars(select(Role.name))).all())
    if not roles or set(roles) - known:
        raise IdentityError("Choose at least one role from the list.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        roles=sorted(roles),
        token_hash=_hash(token),
        invited_by=actor.label,
        expires_at=clock.utcnow() + VALID_FOR,
    )
    session.add(invitation)
    await session.flush()
    await send_email(
        session,
        to=email,
        subject=f"You're invited to {business_name} on Verso",
        template="identity/invitation",
        context={
            "business_name": business_name,
            "invited_by": actor.label,
            "link": f"{get_settings().base_url}/invite/{token}",
            "days": VALID_FOR.days,
        },
    )
    audit(
        session,
        actor,
        "user.invited",
        target_type="invitation",
        target_id=invitation.id,
        target_label=email,
        changes={"roles": [None, sorted(roles)]},
    )
    return invitation


async def open_invitation(session: AsyncSession, token: str) -> Invitation | None:
    """The pending invitation for ``token``; used, expired or unknown tokens give ``None``."""
    if not token or len(token) > 100:
        return None
    found = await session.scalar(select(Invitation).where(Invitation.token_hash == _hash(token)))
    if found is None or found.accepted_at is not None or clock.as_utc(found.expires_at) <= clock.utcnow():
        return None
    return found


async def accept(session: AsyncSession, invitation: Invitation, password: str, *, ip: str | None) -> User:
    """Create the invited account with the chosen password (the password policy applies)."""
    problems = static_problems(password, email=invitation.email)
    if problems:
        raise IdentityError(" ".join(problems))
    user = await UserService(session=session).create_account(
        email=invitation.email,
        password=password,
        roles=list(invitation.roles),
        actor=Actor(label=invitation.email, ip=ip),
        first_name=invitation.first_name,
        last_name=invitation.last_name,
        email_verified=True,  # the link proved the address
    )
    invitation.accepted_at = clock.utcnow()
    audit(
        session,
        Actor(id=str(user.id), label=user.email, ip=ip),
        "user.invitation_accepted",
        target_type="invitation",
        target_id=invitation.id,
        target_label=user.email,
    )
    return user
