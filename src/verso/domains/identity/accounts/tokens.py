"""Single-use emailed links: a random token in the URL, only its SHA-256 in ``account_token``.

Why stored tokens rather than HMAC-signed ones: single use needs server-side state anyway (a signed
token stays valid until it expires), a stored row can carry the target of an email change without
putting the address in the URL, all of a user's links can be revoked at once (after a reset, when
the account closes), the same rows count requests for the rate limits across processes, and rotating
the secret key does not silently invalidate or resurrect links. A database leak exposes no usable
link: only hashes are stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.accounts.models import (
    CHANGE_EMAIL,
    RESET_PASSWORD,
    VERIFY_EMAIL,
    AccountToken,
)
from verso.lib import clock

LIFETIMES = {
    VERIFY_EMAIL: timedelta(hours=48),
    CHANGE_EMAIL: timedelta(hours=48),
    RESET_PASSWORD: timedelta(hours=1),
}
RATE_WINDOW = timedelta(hours=1)
MAX_TOKEN_LENGTH = 100


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def issue(session: AsyncSession, *, user_id: UUID, purpose: str, email: str) -> str:
    """Store a new token for ``purpose`` and return the raw value for the link (flushed)."""
    raw = secrets.token_urlsafe(32)
    now = clock.utcnow()
    session.add(
        AccountToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=hash_token(raw),
            email=email,
            expires_at=now + LIFETIMES[purpose],
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    return raw


async def count_recent(
    session: AsyncSession, purpose: str, *, user_id: UUID | None = None, email: str | None = None
) -> int:
    """Tokens issued for ``purpose`` within the rate-limit window, for one user or one address."""
    stmt = select(func.count(AccountToken.id)).where(
        AccountToken.purpose == purpose, AccountToken.created_at > clock.utcnow() - RATE_WINDOW
    )
    if user_id is not None:
        stmt = stmt.where(AccountToken.user_id == user_id)
    if email is not None:
        stmt = stmt.where(AccountToken.email == email)
    return int(await session.scalar(stmt) or 0)


async def find_valid(session: AsyncSession, raw: str, purposes: tuple[str, ...]) -> AccountToken | None:
    """The unused, unexpired token for ``raw`` with one of ``purposes``, else ``None``."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    token = await session.scalar(select(AccountToken).where(AccountToken.token_hash == hash_token(raw)))
    if token is None or token.purpose not in purposes or token.used_at is not None:
        return None
    if clock.as_utc(token.expires_at) <= clock.utcnow():
        return None
    return token


async def consume(session: AsyncSession, token: AccountToken) -> bool:
    """Mark ``token`` used, atomically (False if another request used it first), and retire the
    user's other outstanding tokens of the same purpose."""
    now = clock.utcnow()
    result = await session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await revoke(session, token.user_id, token.purpose)
    return True


async def revoke(session: AsyncSession, user_id: UUID, purpose: str | None = None) -> None:
    """Retire every outstanding token of ``user_id`` (of one ``purpose`` if given)."""
    stmt = update(AccountToken).where(AccountToken.user_id == user_id, AccountToken.used_at.is_(None))
    if purpose is not None:
        stmt = stmt.where(AccountToken.purpose == purpose)
    await session.execute(stmt.values(used_at=clock.utcnow()).execution_options(synchronize_session=False))
