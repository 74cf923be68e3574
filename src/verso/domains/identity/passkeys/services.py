"""Passkey rules: the WebAuthn ceremonies (py_webauthn), the challenge store, naming and removal.

A ceremony starts with :meth:`PasskeyService.begin_*`, which stores a random challenge under the
SHA-256 of a random handle (the handle goes to the browser in an HttpOnly cookie) and returns the
options JSON. The matching ``finish``/``verify`` call consumes the challenge whatever the outcome, so a
challenge is used at most once; it expires after five minutes. The relying party id is the host of
``VERSO_BASE_URL`` and the expected origin its scheme, host and port. py_webauthn (and cryptography
under it) is imported inside the ceremonies so that start-up does not pay for it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import delete, select

from verso.domains.identity.models import User
from verso.domains.identity.passkeys.models import Passkey, WebAuthnChallenge
from verso.lib import clock
from verso.lib.audit import Actor, audit
from verso.settings import get_settings

if TYPE_CHECKING:
    from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

CHALLENGE_TTL = timedelta(minutes=5)
REGISTER, AUTHENTICATE, MFA = "register", "authenticate", "mfa"
MAX_PASSKEYS = 20
MAX_NAME = 100


class PasskeyError(Exception):
    """A refused passkey action, with a message fit to show the person."""


@dataclass(frozen=True, slots=True)
class RelyingParty:
    id: str
    origin: str
    name: str

    @classmethod
    def from_settings(cls, name: str) -> RelyingParty:
        url = urlsplit(get_settings().base_url)
        return cls(id=url.hostname or "localhost", origin=f"{url.scheme}://{url.netloc}", name=name)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _transports(values: Any) -> list[AuthenticatorTransport]:
    from webauthn.helpers.structs import AuthenticatorTransport

    known = {t.value: t for t in AuthenticatorTransport}
    return [known[v] for v in values or [] if v in known]


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    return [
        PublicKeyCredentialDescriptor(id=p.credential_id, transports=_transports(p.transports))
        for p in passkeys
    ]


def _credential_id(credential: dict[str, Any]) -> bytes | None:
    try:
        return _b64url(str(credential.get("rawId") or credential.get("id") or ""))
    except (ValueError, TypeError, binascii.Error):
        return None


class PasskeyService(SQLAlchemyAsyncRepositoryService[Passkey]):
    class Repo(SQLAlchemyAsyncRepository[Passkey]):
        model_type = Passkey

    repository_type = Repo

    @property
    def session(self) -> Any:
        return self.repository.session

    # ---- the person's own passkeys -------------------------------------------------------------
    async def for_user(self, user_id: UUID) -> list[Passkey]:
        rows = await self.session.scalars(
            select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.created_at)
        )
        return list(rows)

    async def has_any(self, user_id: UUID) -> bool:
        return (
            await self.session.scalar(select(Passkey.id).where(Passkey.user_id == user_id).limit(1))
        ) is not None

    async def owned(self, user_id: UUID, passkey_id: UUID) -> Passkey | None:
        """The passkey ``passkey_id`` if it belongs to ``user_id`` (anyone else's reads as missing)."""
        return await self.session.scalar(
            select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user_id)
        )

    async def rename(self, passkey: Passkey, name: str, actor: Actor) -> None:
        name = name.strip()[:MAX_NAME]
        if not name:
            raise PasskeyError("Give the passkey a name.")
        old, passkey.name = passkey.name, name
        audit(
            self.session,
            actor,
            "passkey.renamed",
            target_type="passkey",
            target_id=passkey.id,
            target_label=name,
            changes={"name": [old, name]},
        )

    async def remove(self, passkey: Passkey, actor: Actor) -> None:
        audit(
            self.session,
            actor,
            "passkey.removed",
            target_type="passkey",
            target_id=passkey.id,
            target_label=passkey.name,
            changes={"user_id": [str(passkey.user_id), None]},
        )
        await self.session.delete(passkey)

    # ---- the challenge store --------------------------------------------------------------------
    async def _store_challenge(self, challenge: bytes, purpose: str, user_id: UUID | None) -> str:
        now = clock.utcnow()
        await self.session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at <= now))
        handle = secrets.token_urlsafe(32)
        self.session.add(
            WebAuthnChallenge(
                token_hash=_sha256(handle),
                challenge=challenge,
                purpose=purpose,
                user_id=user_id,
                expires_at=now + CHALLENGE_TTL,
            )
        )
        await self.session.flush()
        return handle

    async def _take_challenge(self, handle: str | None, purpose: str, user_id: UUID | None) -> bytes:
        """The stored challenge for ``handle``, deleted now (single use); refused if expired, for
        another purpose or for another person."""
        if not handle or len(handle) > 100:
            raise PasskeyError("This passkey request has expired. Try again.")
        row = await self.session.scalar(
            select(WebAuthnChallenge).where(WebAuthnChallenge.token_hash == _sha256(handle))
        )
        if row is None:
            raise PasskeyError("This passkey request has expired. Try again.")
        await self.session.delete(row)
        await self.session.flush()
        if clock.as_utc(row.expires_at) <= clock.utcnow() or row.purpose != purpose or row.user_id != user_id:
            raise PasskeyError("This passkey request has expired. Try again.")
        return row.challenge

    # ---- registration ---------------------------------------------------------------------------
    async def begin_registration(self, user: User, rp: RelyingParty) -> tuple[str, str]:
        """``(options_json, handle)`` for ``navigator.credentials.create``."""
        existing = await self.for_user(user.id)
        if len(existing) >= MAX_PASSKEYS:
            raise PasskeyError(f"You can keep at most {MAX_PASSKEYS} passkeys. Remove one first.")
        import webauthn
        from webauthn.helpers.structs import (
            AuthenticatorSelectionCriteria,
            ResidentKeyRequirement,
            UserVerificationRequirement,
        )

        options = webauthn.generate_registration_options(
            rp_id=rp.id,
            rp_name=rp.name,
            user_id=user.id.bytes,
            user_name=user.email,
            user_display_name=user.display_name,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=_descriptors(existing),
        )
        handle = await self._store_challenge(options.challenge, REGISTER, user.id)
        return webauthn.options_to_json(options), handle

    async def finish_registration(
        self,
        user: User,
        rp: RelyingParty,
        handle: str | None,
        credential: dict[str, Any],
        name: str,
        actor: Actor,
    ) -> Passkey:
        """Verify the authenticator's answer and keep the new passkey (not committed)."""
        challenge = await self._take_challenge(handle, REGISTER, user.id)
        import webauthn
        from webauthn.helpers.exceptions import WebAuthnException

        try:
            verified = webauthn.verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp.id,
                expected_origin=rp.origin,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise PasskeyError("Your device's answer could not be verified. Try again.") from exc
        taken = await self.session.scalar(
            select(Passkey.id).where(Passkey.credential_id == verified.credential_id)
        )
        if taken is not None:
            raise PasskeyError("This passkey is already registered.")
        transports = (credential.get("response") or {}).get("transports") or []
        passkey = Passkey(
            user_id=user.id,
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            name=(name.strip() or "Passkey")[:MAX_NAME],
            transports=[t.value for t in _transports(transports)],
        )
        self.session.add(passkey)
        await self.session.flush()
        audit(
            self.session,
            actor,
            "passkey.added",
            target_type="passkey",
            target_id=passkey.id,
            target_label=passkey.name,
            changes={"user_id": [None, str(user.id)]},
        )
        return passkey

    # ---- authentication -------------------------------------------------------------------------
    async def begin_authentication(self, rp: RelyingParty, *, user_id: UUID | None = None) -> tuple[str, str]:
        """Options for ``navigator.credentials.get``: any discoverable passkey (sign-in without a
        password) or, with ``user_id``, one of that person's passkeys (the second factor)."""
        import webauthn
        from webauthn.helpers.structs import UserVerificationRequirement

        allow: list[PublicKeyCredentialDescriptor] = []
        if user_id is not None:
            allow = _descriptors(await self.for_user(user_id))
            if not allow:
                raise PasskeyError("You have no passkey on this account.")
        options = webauthn.generate_authentication_options(
            rp_id=rp.id,
            allow_credentials=allow,
            user_verification=UserVerificationRequirement.REQUIRED
            if user_id is None
            else UserVerificationRequirement.PREFERRED,
        )
        purpose = AUTHENTICATE if user_id is None else MFA
        handle = await self._store_challenge(options.challenge, purpose, user_id)
        return webauthn.options_to_json(options), handle

    async def authenticate(
        self, rp: RelyingParty, handle: str | None, credential: dict[str, Any], *, user_id: UUID | None = None
    ) -> Passkey:
        """The passkey that signed the challenge, its counter and last use updated (not committed).

        Without ``user_id`` (sign-in without a password) user verification is required, since the
        passkey stands for both factors; with it, the passkey must belong to that person."""
        purpose = AUTHENTICATE if user_id is None else MFA
        challenge = await self._take_challenge(handle, purpose, user_id)
        raw_id = _credential_id(credential)
        passkey = None
        if raw_id:
            passkey = await self.session.scalar(select(Passkey).where(Passkey.credential_id == raw_id))
        if passkey is None or (user_id is not None and passkey.user_id != user_id):
            raise PasskeyError("This passkey is not registered here.")
        handle_b64 = (credential.get("response") or {}).get("userHandle")
        if handle_b64:
            try:
                if _b64url(str(handle_b64)) != passkey.user_id.bytes:
                    raise PasskeyError("This passkey is not registered here.")
            except (ValueError, TypeError, binascii.Error) as exc:
                raise PasskeyError("This passkey is not registered here.") from exc
        import webauthn
        from webauthn.helpers.exceptions import WebAuthnException

        try:
            verified = webauthn.verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp.id,
                expected_origin=rp.origin,
                credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=user_id is None,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise PasskeyError("Your passkey's answer could not be verified.") from exc
        passkey.sign_count = verified.new_sign_count
        passkey.last_used_at = clock.utcnow()
        return passkey


def parse_json(body: bytes) -> dict[str, Any]:
    """A request body as a JSON object (``{}`` when it is not one)."""
    try:
        value = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}
