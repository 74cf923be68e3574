"""argon2id password hashing, run in a worker thread so hashing never blocks the event loop."""

from __future__ import annotations

from functools import lru_cache

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with argon2-cffi's current recommended parameters


def _hash_sync(password: str) -> str:
    return hasher().hash(password)


def _verify_sync(stored: str, password: str) -> bool:
    try:
        return hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hash_sync, password)


async def verify_password(stored: str | None, password: str) -> bool:
    """Check ``password``; with no stored hash, hash anyway so timing does not reveal the account."""
    if not stored:
        await anyio.to_thread.run_sync(_verify_sync, _DUMMY_HASH(), password)
        return False
    return await anyio.to_thread.run_sync(_verify_sync, stored, password)


def needs_rehash(stored: str) -> bool:
    return hasher().check_needs_rehash(stored)


@lru_cache(maxsize=1)
def _DUMMY_HASH() -> str:
    return _hash_sync("verso-timing-equaliser")
