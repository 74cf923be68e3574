"""Password sign-in as one business action: protection checks, verification, the attempt record."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity import protection
from verso.domains.identity.models import User
from verso.domains.identity.protection import LoginProtection, Refusal
from verso.domains.identity.services import UserService
from verso.lib.audit import Actor, audit

BAD_LOGIN = "The email, username or password is not correct."


@dataclass(frozen=True, slots=True)
class SignInOutcome:
    user: User | None
    error: str | None = None
    status_code: int = 200


async def sign_in(
    session: AsyncSession, *, login: str, password: str, ip: str | None, user_agent: str | None
) -> SignInOutcome:
    """Check ``login`` and ``password`` under the protection rules. A refusal or failure is recorded
    and committed here; a success is recorded and left for the caller to commit with the session."""
    users, guard = UserService(session=session), LoginProtection(session)
    candidate = await users.find_by_login(login)
    user_id = candidate.id if candidate else None
    attempt = {"login": login, "user_id": user_id, "ip": ip, "user_agent": user_agent}
    actor = Actor(label="anonymous", ip=ip, user_agent=user_agent)
    try:
        await guard.check(login=login, user_id=user_id, ip=ip)
    except Refusal as refusal:
        await guard.record(**attempt, success=False, reason=refusal.reason)
        audit(
            session,
            actor,
            "auth.login_refused",
            target_type="user",
            target_id=user_id,
            target_label=login[:254],
            changes={"reason": [None, refusal.reason]},
        )
        await session.commit()
        return SignInOutcome(None, refusal.message, refusal.status_code)
    user, reason = await users.authenticate(candidate, password)
    if user is None:
        await guard.record(**attempt, success=False, reason=reason)
        audit(
            session,
            actor,
            "auth.login_failed",
            target_type="user",
            target_id=user_id,
            target_label=login[:254],
            changes={"reason": [None, reason]},
        )
        if block := await guard.block_if_spraying(ip):
            audit(
                session,
                Actor(label="system", ip=ip),
                "security.ip_blocked",
                target_type="ip_block",
                target_id=block.id,
                target_label=ip,
                changes={"reason": [None, block.reason]},
            )
        delay = await guard.failure_delay(login=login, user_id=user_id, ip=ip)
        await session.commit()
        await protection.sleep(delay)
        return SignInOutcome(None, BAD_LOGIN, 422)
    await guard.record(**attempt, success=True, reason="ok")
    return SignInOutcome(user)
