"""Multi-factor authentication: TOTP authenticator apps, backup codes, the challenge after the password.

The TOTP secret is encrypted (Fernet, with a key derived from the app secret); a code is accepted at
most once (``last_used_step``), within one 30-second step either side. Backup codes are random and
single-use, stored as SHA-256. The challenge is a random token in a short-lived cookie, stored hashed,
valid five minutes for five attempts.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import pyotp
from markupsafe import Markup
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity import passwords
from verso.domains.identity.models import BackupCode, MFAChallenge, TOTPDevice, TrustedDevice, User
from verso.domains.identity.passkeys.models import Passkey
from verso.lib import clock
from verso.lib.audit import Actor, audit
from verso.lib.crypto import fernet
from verso.lib.email import send_email

STEP_SECONDS = 30
CHALLENGE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
BACKUP_COUNT = 10
CHALLENGE_COOKIE = "verso_mfa"


class MFAError(Exception):
    """A refused MFA action, with a message fit to show the person."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: Markup


def _fernet() -> Any:
    return fernet("totp")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _normalise(code: str) -> str:
    return code.replace(" ", "").replace("-", "").strip().lower()


def qr_svg(uri: str) -> Markup:
    """The provisioning URI as an inline SVG QR code, drawn on the server."""
    import segno  # only enrolment needs it

    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=False)
    # segno draws the data as path geometry; no input text reaches the markup.
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1))  # noqa: S704


async def confirmed_device(session: AsyncSession, user_id: UUID) -> TOTPDevice | None:
    return await session.scalar(
        select(TOTPDevice).where(TOTPDevice.user_id == user_id, TOTPDevice.confirmed_at.is_not(None))
    )


async def start_enrolment(session: AsyncSession, user: User, issuer: str) -> Enrolment:
    """A new unconfirmed device (replacing any earlier unconfirmed one) and what to show for it."""
    if await confirmed_device(session, user.id):
        raise MFAError("An authenticator app is already set up. Turn it off first to replace it.")
    await session.execute(
        delete(TOTPDevice).where(TOTPDevice.user_id == user.id, TOTPDevice.confirmed_at.is_(None))
    )
    secret = pyotp.random_base32()
    session.add(TOTPDevice(user_id=user.id, secret_encrypted=_fernet().encrypt(secret.encode()).decode()))
    await session.flush()
    return enrolment_for(secret, user.email, issuer)


def enrolment_for(secret: str, email: str, issuer: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)
    return Enrolment(secret=secret, uri=uri, qr_svg=qr_svg(uri))


async def pending_enrolment(session: AsyncSession, user: User, issuer: str) -> Enrolment | None:
    device = await session.scalar(
        select(TOTPDevice).where(TOTPDevice.user_id == user.id, TOTPDevice.confirmed_at.is_(None))
    )
    if device is None:
        return None
    return enrolment_for(_fernet().decrypt(device.secret_encrypted.encode()).decode(), user.email, issuer)


def _matching_step(device: TOTPDevice, code: str) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), if not used before."""
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(_fernet().decrypt(device.secret_encrypted.encode()).decode())
    now_step = int(clock.utcnow().timestamp()) // STEP_SECONDS
    for step in (now_step, now_step - 1, now_step + 1):
        if step > device.last_used_step and secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


async def confirm_enrolment(session: AsyncSession, user: User, code: str, actor: Actor) -> list[str]:
    """Turn MFA on once the app shows a correct code; returns the backup codes (shown once)."""
    device = await session.scalar(
        select(TOTPDevice).where(TOTPDevice.user_id == user.id, TOTPDevice.confirmed_at.is_(None))
    )
    if device is None:
        raise MFAError("Start the set-up again: there is no authenticator waiting for confirmation.")
    step = _matching_step(device, _normalise(code))
    if step is None:
        raise MFAError("That code is not correct. Check the time on your phone and try the next code.")
    device.confirmed_at, device.last_used_step = clock.utcnow(), step
    codes = await replace_backup_codes(session, user.id)
    audit(session, actor, "mfa.enabled", target_type="user", target_id=user.id, target_label=user.email)
    return codes


async def replace_backup_codes(session: AsyncSession, user_id: UUID) -> list[str]:
    await session.execute(delete(BackupCode).where(BackupCode.user_id == user_id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(BACKUP_COUNT)]
    session.add_all(BackupCode(user_id=user_id, code_hash=_sha256(_normalise(code))) for code in codes)
    await session.flush()
    return codes


async def check_code(session: AsyncSession, user_id: UUID, code: str) -> str | None:
    """``"totp"`` or ``"backup"`` when ``code`` is a valid, unused second factor; the code is spent."""
    code = _normalise(code)
    device = await confirmed_device(session, user_id)
    if device is not None and (step := _matching_step(device, code)) is not None:
        device.last_used_step = step
        return "totp"
    spent = await session.execute(
        update(BackupCode)
        .where(
            BackupCode.user_id == user_id, BackupCode.code_hash == _sha256(code), BackupCode.used_at.is_(None)
        )
        .values(used_at=clock.utcnow())
    )
    return "backup" if spent.rowcount else None  # type: ignore[attr-defined]


async def remaining_backup_codes(session: AsyncSession, user_id: UUID) -> int:
    rows = await session.scalars(
        select(BackupCode.id).where(BackupCode.user_id == user_id, BackupCode.used_at.is_(None))
    )
    return len(rows.all())


async def disable(session: AsyncSession, user: User, proof: str, actor: Actor) -> None:
    """Turn MFA off: needs the account password or a current code."""
    if not (
        await passwords.verify_password(user.password_hash, proof)
        or await check_code(session, user.id, proof)
    ):
        raise MFAError("Enter your password or a current code to turn this off.")
    await session.execute(delete(TOTPDevice).where(TOTPDevice.user_id == user.id))
    await session.execute(delete(BackupCode).where(BackupCode.user_id == user.id))
    await session.execute(delete(TrustedDevice).where(TrustedDevice.user_id == user.id))
    audit(session, actor, "mfa.disabled", target_type="user", target_id=user.id, target_label=user.email)


async def start_challenge(session: AsyncSession, user: User, next_url: str) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        MFAChallenge(
            token_hash=_sha256(token),
            user_id=user.id,
            next_url=next_url[:500],
            expires_at=clock.utcnow() + CHALLENGE_TTL,
        )
    )
    await session.flush()
    return token


async def open_challenge(session: AsyncSession, token: str | None) -> MFAChallenge | None:
    if not token or len(token) > 100:
        return None
    challenge = await session.scalar(select(MFAChallenge).where(MFAChallenge.token_hash == _sha256(token)))
    if challenge is None or clock.as_utc(challenge.expires_at) <= clock.utcnow():
        return None
    return challenge


async def fail_challenge(session: AsyncSession, challenge: MFAChallenge) -> bool:
    """Count a wrong code; ``True`` when the attempts are used up (the challenge is gone)."""
    challenge.attempts += 1
    if challenge.attempts >= MAX_ATTEMPTS:
        await session.delete(challenge)
        return True
    return False


async def reset_for(session: AsyncSession, user: User, actor: Actor) -> bool:
    """Staff reset of someone's two-step verification (a lost phone); ``False`` if it was off."""
    had = await confirmed_device(session, user.id) is not None
    await session.execute(delete(TOTPDevice).where(TOTPDevice.user_id == user.id))
    await session.execute(delete(BackupCode).where(BackupCode.user_id == user.id))
    await session.execute(delete(TrustedDevice).where(TrustedDevice.user_id == user.id))
    passkeys = await session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    had = had or bool(passkeys.rowcount)  # type: ignore[attr-defined]
    if had:
        audit(session, actor, "mfa.reset", target_type="user", target_id=user.id, target_label=user.email)
    return had


TRUST_FOR = timedelta(days=30)
TRUST_COOKIE = "verso_trusted"


async def trust_browser(session: AsyncSession, user_id: UUID) -> str:
    """Remember this browser for 30 days: the /mfa step is skipped for this account here."""
    token = secrets.token_urlsafe(32)
    session.add(
        TrustedDevice(user_id=user_id, token_hash=_sha256(token), expires_at=clock.utcnow() + TRUST_FOR)
    )
    await session.flush()
    return token


async def is_trusted(session: AsyncSession, user_id: UUID, token: str | None) -> bool:
    if not token or len(token) > 100:
        return False
    found = await session.scalar(
        select(TrustedDevice.id).where(
            TrustedDevice.user_id == user_id,
            TrustedDevice.token_hash == _sha256(token),
            TrustedDevice.expires_at > clock.utcnow(),
        )
    )
    return found is not None


EMAIL_CODE_TTL = timedelta(minutes=10)
MAX_EMAILS = 3


async def email_code(session: AsyncSession, challenge: MFAChallenge, business_name: str) -> None:
    """Send a one-time code by email (the fallback channel), at most three per sign-in."""
    if challenge.emails_sent >= MAX_EMAILS:
        raise MFAError("We already sent three codes. Use one of them, or sign in again later.")
    user = await session.get(User, challenge.user_id)
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge.email_code_hash = _sha256(f"{challenge.id}:{code}")
    challenge.email_code_expires_at = clock.utcnow() + EMAIL_CODE_TTL
    challenge.emails_sent += 1
    await send_email(
        session,
        to=user.email,
        subject=f"Your {business_name} sign-in code",
        template="identity/mfa_code",
        context={"code": code, "business_name": business_name},
    )


def email_code_matches(challenge: MFAChallenge, code: str) -> bool:
    if not challenge.email_code_hash or challenge.email_code_expires_at is None:
        return False
    if clock.as_utc(challenge.email_code_expires_at) <= clock.utcnow():
        return False
    return secrets.compare_digest(challenge.email_code_hash, _sha256(f"{challenge.id}:{_normalise(code)}"))
