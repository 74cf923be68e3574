"""Who is signed in, without the ORM's round trips on every request.

The full check (:meth:`SessionService.resolve_until`) loads the session, the person and their roles
through the async engine: on SQLite that is two thread hops per request, most of a light page's
cost. So on SQLite each process remembers the answer together with a *fingerprint*: one synchronous
read of every column the answer depends on (the session's times, the person's names, email,
zone, verification and activity, their roles' names, permissions and MFA rule, how many second
factors they have). While the fingerprint is unchanged and the answer's deadline (expiry, idle
limit, next last-seen write) has not passed, the remembered person is the right one, exactly as the
full check would say, in every process: a sign-out, a role change or a deactivation anywhere
changes the fingerprint, so the next request sees it. PostgreSQL always runs the full check.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from verso.domains.identity.services import CurrentUser, SessionService, hash_token
from verso.lib import clock
from verso.lib.caches import on_reset
from verso.lib.db import has_local_reads, read_row, session_factory

MAX_REMEMBERED = 10_000
FINGERPRINT = """
SELECT s.id, s.expires_at, s.last_seen_at,
       u.email, u.username, u.first_name, u.last_name, u.timezone, u.is_active, u.email_verified,
       (SELECT group_concat(r.name || ':' || r.require_mfa || ':' || r.permissions, '|')
          FROM role r JOIN user_role ur ON ur.role_id = r.id WHERE ur.user_id = u.id),
       (SELECT count(*) FROM totp_device t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL),
       (SELECT count(*) FROM passkey p WHERE p.user_id = u.id)
  FROM user_session s JOIN user_account u ON u.id = s.user_id
 WHERE s.token_hash = :digest
"""


@dataclass(frozen=True, slots=True)
class _Known:
    fingerprint: tuple[Any, ...]
    user: CurrentUser
    fresh_until: datetime


_known: OrderedDict[str, _Known] = OrderedDict()
_checking: dict[str, asyncio.Future[CurrentUser | None]] = {}
on_reset(_known.clear)
on_reset(_checking.clear)


async def _full_check(token: str) -> tuple[CurrentUser | None, datetime | None]:
    async with session_factory()() as db:
        return await SessionService(session=db).resolve_until(token)


async def signed_in(token: str) -> CurrentUser | None:
    """The person a session cookie's token belongs to, or None (unknown, expired, idle, inactive)."""
    if not token or len(token) > 100:
        return None
    if not has_local_reads():
        return (await _full_check(token))[0]
    digest = hash_token(token)
    fingerprint = await read_row(FINGERPRINT, digest=digest)
    if fingerprint is None:
        _known.pop(digest, None)
        return None
    known = _known.get(digest)
    if known is not None and known.fingerprint == fingerprint and clock.utcnow() < known.fresh_until:
        _known.move_to_end(digest)
        return known.user
    checking = _checking.get(digest)
    if checking is None:  # one full check per session at a time: a tab's burst of requests waits for it
        checking = _checking[digest] = asyncio.ensure_future(_check_and_remember(token, digest))
        checking.add_done_callback(lambda _done: _checking.pop(digest, None))
    return await asyncio.shield(checking)


async def _check_and_remember(token: str, digest: str) -> CurrentUser | None:
    user, fresh_until = await _full_check(token)
    fingerprint = await read_row(FINGERPRINT, digest=digest)  # after the check's own writes
    if user is None or fresh_until is None or fingerprint is None:
        _known.pop(digest, None)
        return None
    _known[digest] = _Known(fingerprint, user, fresh_until)
    _known.move_to_end(digest)
    while len(_known) > MAX_REMEMBERED:
        _known.popitem(last=False)
    return user
