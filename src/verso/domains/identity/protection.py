"""Sign-in protection: lockout, per-IP rate limit, progressive delay, IP blocklist.

Every rule counts ``login_attempt`` rows, so it holds across processes. Lockout follows the account
when the login names one and the attempted login otherwise, so the answer after five failures is the
same whether or not the account exists: no message reveals an account.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.models import IPBlock, LoginAttempt
from verso.lib import clock

LOCK_AFTER = 5
LOCK_WINDOW = timedelta(minutes=30)
LOCK_FOR = timedelta(minutes=15)
IP_LIMIT = 5
IP_WINDOW = timedelta(minutes=1)
AUTO_BLOCK_LOGINS = 10
AUTO_BLOCK_WINDOW = timedelta(hours=1)
AUTO_BLOCK_FOR = timedelta(hours=24)
MAX_DELAY = 4.0
REFUSED = ("rate_limited", "locked", "blocked_ip")

sleep = asyncio.sleep  # tests replace it to observe the delay without waiting


@dataclass(frozen=True, slots=True)
class Refusal(Exception):
    """A sign-in refused before the password is even checked."""

    reason: str
    message: str
    status_code: int


def delay_for(failures: int) -> float:
    """Seconds to wait before answering a failed attempt: 0.25 s, doubling, capped at 4 s."""
    return 0.0 if failures <= 0 else min(0.25 * 2 ** (failures - 1), MAX_DELAY)


def normalise_login(login: str) -> str:
    return login.strip().lower()[:254]


class LoginProtection:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _subject(self, login: str, user_id: UUID | None) -> object:
        """Failures counted against the account if there is one, else against the attempted login."""
        return LoginAttempt.user_id == user_id if user_id else LoginAttempt.login == normalise_login(login)

    async def check(self, *, login: str, user_id: UUID | None, ip: str | None) -> None:
        """Raise :class:`Refusal` when this attempt must not even be tried."""
        now = clock.utcnow()
        if ip and await self.is_blocked(ip):
            raise Refusal(
                "blocked_ip", "Sign-in from your network is blocked. Contact us if this is a mistake.", 403
            )
        if ip:
            recent = await self.session.scalar(
                select(func.count()).where(
                    LoginAttempt.ip_address == ip,
                    LoginAttempt.created_at > now - IP_WINDOW,
                    LoginAttempt.reason.not_in(REFUSED),
                )
            )
            if recent >= IP_LIMIT:
                raise Refusal("rate_limited", "Too many sign-in attempts. Wait a minute and try again.", 429)
        failures = (
            await self.session.execute(
                select(func.count(), func.max(LoginAttempt.created_at)).where(
                    self._subject(login, user_id),
                    LoginAttempt.success.is_(False),
                    LoginAttempt.reason.not_in(REFUSED),
                    LoginAttempt.created_at > now - LOCK_WINDOW,
                )
            )
        ).one()
        if failures[0] >= LOCK_AFTER and clock.as_utc(failures[1]) + LOCK_FOR > now:
            raise Refusal("locked", "Too many failed sign-ins: this account is locked for 15 minutes.", 429)

    async def record(
        self,
        *,
        login: str,
        user_id: UUID | None,
        ip: str | None,
        user_agent: str | None,
        success: bool,
        reason: str,
    ) -> None:
        self.session.add(
            LoginAttempt(
                created_at=clock.utcnow(),  # the rules compare against the (injectable) clock
                login=normalise_login(login),
                user_id=user_id,
                ip_address=ip,
                user_agent=(user_agent or "")[:500] or None,
                success=success,
                reason=reason,
            )
        )
        await self.session.flush()

    async def failure_delay(self, *, login: str, user_id: UUID | None, ip: str | None) -> float:
        """The progressive delay after a failure, by the worse of the account's and the IP's record."""
        since = clock.utcnow() - LOCK_WINDOW
        failed = (
            LoginAttempt.success.is_(False),
            LoginAttempt.reason.not_in(REFUSED),
            LoginAttempt.created_at > since,
        )
        by_subject = await self.session.scalar(
            select(func.count()).where(self._subject(login, user_id), *failed)
        )
        by_ip = (
            await self.session.scalar(select(func.count()).where(LoginAttempt.ip_address == ip, *failed))
            if ip
            else 0
        )
        return delay_for(max(by_subject or 0, by_ip or 0))

    async def block_if_spraying(self, ip: str | None) -> IPBlock | None:
        """Block an address that failed against many different logins within the hour."""
        if not ip or await self.is_blocked(ip):
            return None
        since = clock.utcnow() - AUTO_BLOCK_WINDOW
        logins = await self.session.scalar(
            select(func.count(func.distinct(LoginAttempt.login))).where(
                LoginAttempt.ip_address == ip,
                LoginAttempt.success.is_(False),
                LoginAttempt.created_at > since,
            )
        )
        if logins < AUTO_BLOCK_LOGINS:
            return None
        block = IPBlock(
            ip_address=ip,
            automatic=True,
            expires_at=clock.utcnow() + AUTO_BLOCK_FOR,
            reason=f"Failed sign-ins for {logins} different accounts within an hour",
        )
        self.session.add(block)
        await self.session.flush()
        return block

    async def is_blocked(self, ip: str) -> bool:
        now = clock.utcnow()
        found = await self.session.scalar(
            select(IPBlock.id)
            .where(IPBlock.ip_address == ip, or_(IPBlock.expires_at.is_(None), IPBlock.expires_at > now))
            .limit(1)
        )
        return found is not None
