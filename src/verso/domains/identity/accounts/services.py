"""Account rules: registration, email verification, password policy, reset and change.

Each public method is one business action and commits it (see docs/decisions.md); emails are queued
in the same transaction through the outbox. Refusals raise :class:`AccountError` with the form field
they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity import passwords
from verso.domains.identity.accounts import tokens
from verso.domains.identity.accounts.models import (
    CHANGE_EMAIL,
    RESET_PASSWORD,
    VERIFY_EMAIL,
    AccountToken,
    PasswordHistory,
)
from verso.domains.identity.accounts.policy import password_problems
from verso.domains.identity.models import User, UserSession
from verso.domains.identity.services import UserService, normalise_email
from verso.lib import clock
from verso.lib.audit import Actor, audit
from verso.lib.email import OutboxEmail, send_email
from verso.lib.forms import NON_FIELD
from verso.settings import get_settings

MAX_PER_HOUR = 3  # verification emails per account, reset requests per address, email changes per account
INVALID_LINK = "This link is invalid, has expired or was already used."
RATE_LIMITED = "You can ask for at most 3 emails an hour. Try again later."


class AccountError(Exception):
    """A refused account action: messages fit to show, and the form field they belong to."""

    def __init__(self, *messages: str, field: str = NON_FIELD) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)
        self.field = field


@dataclass(frozen=True, slots=True)
class Registration:
    email: str
    password: str
    username: str | None = None
    first_name: str = ""
    last_name: str = ""


def _business() -> tuple[str, str]:
    from verso.domains.ops.services import business_cache  # the business name and sender for emails

    business = business_cache.current()
    return business.name, business.contact_email


async def send_account_email(
    session: AsyncSession, *, to: str, subject: str, template: str, context: dict[str, Any]
) -> OutboxEmail:
    name, sender = _business()
    return await send_email(
        session,
        to=to,
        subject=subject,
        template=f"identity/{template}",
        context={"business_name": name, **context},
        default_sender=sender or None,
    )


def link(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


async def end_sessions(session: AsyncSession, user_id: UUID, *, keep: UUID | None = None) -> None:
    """Sign ``user_id`` out everywhere (but the session ``keep``)."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    await session.execute(stmt)


class AccountService(SQLAlchemyAsyncRepositoryService[AccountToken]):
    class Repo(SQLAlchemyAsyncRepository[AccountToken]):
        model_type = AccountToken

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        return self.repository.session

    @property
    def users(self) -> UserService:
        return UserService(session=self.session)

    async def find_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == normalise_email(email)))

    # -- passwords ---------------------------------------------------------------------------

    async def recent_hashes(self, user: User) -> list[str]:
        """The current hash and the remembered ones, newest first (at most the history depth)."""
        depth = get_settings().password_history
        rows = await self.session.scalars(
            select(PasswordHistory.password_hash)
            .where(PasswordHistory.user_id == user.id)
            .order_by(PasswordHistory.id.desc())
            .limit(depth)
        )
        hashes = [h for h in [user.password_hash, *rows] if h]
        return list(dict.fromkeys(hashes))[:depth]

    async def check_password(
        self, password: str, *, user: User | None = None, email: str = "", username: str | None = None
    ) -> list[str]:
        """The policy for ``password`` (one message per failed rule), with ``user``'s history."""
        if user is not None:
            return await password_problems(
                password,
                email=user.email,
                username=user.username,
                previous_hashes=await self.recent_hashes(user),
            )
        return await password_problems(password, email=email, username=username)

    async def remember_password(self, user: User) -> None:
        """Add ``user``'s current hash to the history and forget the ones beyond its depth."""
        if not user.password_hash:
            return
        self.session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash))
        await self.session.flush()
        keep = (
            select(PasswordHistory.id)
            .where(PasswordHistory.user_id == user.id)
            .order_by(PasswordHistory.id.desc())
            .limit(get_settings().password_history)
        )
        await self.session.execute(
            delete(PasswordHistory).where(
                PasswordHistory.user_id == user.id, PasswordHistory.id.not_in(keep.scalar_subquery())
            )
        )

    async def _set_password(self, user: User, password: str) -> None:
        latest = await self.session.scalar(
            select(PasswordHistory.password_hash)
            .where(PasswordHistory.user_id == user.id)
            .order_by(PasswordHistory.id.desc())
            .limit(1)
        )
        if user.password_hash and latest != user.password_hash:  # set before history was kept
            await self.remember_password(user)
        user.password_hash = await passwords.hash_password(password)
        await self.remember_password(user)

    # -- registration and verification -------------------------------------------------------

    async def register(self, data: Registration, *, actor: Actor) -> User | None:
        """Create a customer account and send the verification link. For an address that already
        has an account, nothing is created: its owner gets a notice instead (same answer on screen)."""
        email = normalise_email(data.email)
        problems = await password_problems(data.password, email=email, username=data.username)
        if problems:
            raise AccountError(*problems, field="password")
        if data.username and await self.users.find_by_login(data.username):
            raise AccountError("This username is taken. Choose another.", field="username")
        if await self.find_by_email(email) is not None:
            await self._notify_existing(email)
            await self.session.commit()
            return None
        user = await self.users.create_account(
            email=email,
            password=data.password,
            roles=["user"],
            actor=actor,
            first_name=data.first_name,
            last_name=data.last_name,
        )
        user.username = data.username or None
        await self.remember_password(user)
        await self._send_verification(user)
        audit(
            self.session,
            actor,
            "account.registered",
            target_type="user",
            target_id=user.id,
            target_label=email,
        )
        await self.session.commit()
        return user

    async def _notify_existing(self, email: str) -> None:
        since = clock.utcnow() - tokens.RATE_WINDOW
        sent = await self.session.scalar(
            select(func.count(OutboxEmail.id)).where(
                OutboxEmail.to_address == email,
                OutboxEmail.template == "identity/account_exists",
                OutboxEmail.created_at > since,
            )
        )
        if (sent or 0) < MAX_PER_HOUR:
            await send_account_email(
                self.session,
                to=email,
                subject="You already have an account",
                template="account_exists",
                context={"login_url": link("/login"), "forgot_url": link("/password/forgot")},
            )

    async def _send_verification(self, user: User) -> None:
        raw = await tokens.issue(self.session, user_id=user.id, purpose=VERIFY_EMAIL, email=user.email)
        await send_account_email(
            self.session,
            to=user.email,
            subject="Confirm your email address",
            template="verify_email",
            context={
                "name": user.first_name or user.email,
                "verify_url": link(f"/verify/{raw}"),
                "hours": int(tokens.LIFETIMES[VERIFY_EMAIL] / timedelta(hours=1)),
            },
        )

    async def resend_verification(self, user_id: UUID, *, actor: Actor) -> None:
        """Send a fresh verification link (at most 3 verification emails an hour per account)."""
        user = await self.users.get(user_id)
        if user.email_verified:
            raise AccountError("Your email address is already verified.")
        if await tokens.count_recent(self.session, VERIFY_EMAIL, user_id=user.id) >= MAX_PER_HOUR:
            raise AccountError(RATE_LIMITED)
        await self._send_verification(user)
        audit(
            self.session,
            actor,
            "account.verification_sent",
            target_type="user",
            target_id=user.id,
            target_label=user.email,
        )
        await self.session.commit()

    async def verify(self, raw: str, *, actor: Actor) -> str:
        """Use a link from ``/verify/{token}``: returns ``"verified"`` or ``"email_changed"``."""
        token = await tokens.find_valid(self.session, raw, (VERIFY_EMAIL, CHANGE_EMAIL))
        user = await self.session.get(User, token.user_id) if token else None
        if token is None or user is None or not user.is_active:
            raise AccountError(INVALID_LINK)
        if token.purpose == VERIFY_EMAIL and token.email != user.email:
            raise AccountError(INVALID_LINK)  # the address changed since the link was sent
        if token.purpose == CHANGE_EMAIL:
            taken = await self.find_by_email(token.email)
            if taken is not None and taken.id != user.id:
                raise AccountError("This address now belongs to another account.")
        if not await tokens.consume(self.session, token):
            raise AccountError(INVALID_LINK)
        if token.purpose == VERIFY_EMAIL:
            user.email_verified = True
            audit(
                self.session,
                actor,
                "account.email_verified",
                target_type="user",
                target_id=user.id,
                target_label=user.email,
            )
            await self.session.commit()
            return "verified"
        old = user.email
        user.email, user.email_verified = token.email, True
        await tokens.revoke(self.session, user.id, VERIFY_EMAIL)
        await send_account_email(
            self.session,
            to=old,
            subject="Your email address was changed",
            template="email_changed",
            context={
                "name": user.first_name or old,
                "new_email": token.email,
                "forgot_url": link("/password/forgot"),
            },
        )
        audit(
            self.session,
            actor,
            "account.email_changed",
            target_type="user",
            target_id=user.id,
            target_label=token.email,
            changes={"email": [old, token.email]},
        )
        await self.session.commit()
        return "email_changed"

    # -- password reset and change ----------------------------------------------------------

    async def request_reset(self, email: str, *, actor: Actor) -> None:
        """Email a reset link if an active account has this address, at most 3 an hour per address.
        Nothing tells the caller which happened."""
        email = normalise_email(email)
        user = await self.find_by_email(email)
        if user is None or not user.is_active:
            return
        sent = await tokens.count_recent(self.session, RESET_PASSWORD, email=email) < MAX_PER_HOUR
        if sent:
            raw = await tokens.issue(self.session, user_id=user.id, purpose=RESET_PASSWORD, email=email)
            await send_account_email(
                self.session,
                to=email,
                subject="Reset your password",
                template="reset_password",
                context={
                    "name": user.first_name or email,
                    "reset_url": link(f"/password/reset/{raw}"),
                    "minutes": int(tokens.LIFETIMES[RESET_PASSWORD] / timedelta(minutes=1)),
                },
            )
        audit(
            self.session,
            actor,
            "password.reset_requested",
            target_type="user",
            target_id=user.id,
            target_label=email,
            changes={"sent": [None, sent]},
        )
        await self.session.commit()

    async def reset_token_valid(self, raw: str) -> bool:
        return await tokens.find_valid(self.session, raw, (RESET_PASSWORD,)) is not None

    async def reset_password(
        self, raw: str, password: str, *, keep_session: UUID | None, actor: Actor
    ) -> User:
        """Set a new password from a reset link; every other session of the account ends."""
        token = await tokens.find_valid(self.session, raw, (RESET_PASSWORD,))
        user = await self.session.get(User, token.user_id) if token else None
        if token is None or user is None or not user.is_active:
            raise AccountError(INVALID_LINK)
        problems = await self.check_password(password, user=user)
        if problems:
            raise AccountError(*problems, field="password")
        if not await tokens.consume(self.session, token):
            raise AccountError(INVALID_LINK)
        await self._set_password(user, password)
        await end_sessions(self.session, user.id, keep=keep_session)
        audit(
            self.session,
            actor,
            "password.reset",
            target_type="user",
            target_id=user.id,
            target_label=user.email,
        )
        await self.session.commit()
        return user

    async def change_password(
        self, user_id: UUID, current: str, new: str, *, keep_session: UUID, actor: Actor
    ) -> None:
        """Change the password (the current one is required); other sessions end."""
        user = await self.users.get(user_id)
        if not await passwords.verify_password(user.password_hash, current):
            raise AccountError("Your current password is not correct.", field="current_password")
        problems = await self.check_password(new, user=user)
        if problems:
            raise AccountError(*problems, field="password")
        await self._set_password(user, new)
        await tokens.revoke(self.session, user.id, RESET_PASSWORD)
        await end_sessions(self.session, user.id, keep=keep_session)
        audit(
            self.session,
            actor,
            "password.changed",
            target_type="user",
            target_id=user.id,
            target_label=user.email,
        )
        await self.session.commit()
