"""Staff management rules: roles and their permissions, account status, sessions, IP blocks.

Every change is audited in the same transaction. A change to someone's roles or status ends their
sessions, so new privileges always start from a fresh sign-in (the session id rotates).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.models import IPBlock, Role, User, UserSession, user_role
from verso.domains.identity.permissions import CATALOGUE
from verso.domains.identity.services import IdentityError
from verso.lib import clock
from verso.lib.audit import Actor, audit, diff


@dataclass(frozen=True, slots=True)
class StaffChange:
    roles: frozenset[str]
    is_active: bool
    job_title: str
    department: str
    location: str
    manager_id: UUID | None


async def end_sessions(session: AsyncSession, user_id: UUID, *, keep: UUID | None = None) -> int:
    """End every session of ``user_id`` (but ``keep``); returns how many ended."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    return (await session.execute(stmt)).rowcount or 0  # type: ignore[attr-defined]


async def active_sessions(session: AsyncSession, user_id: UUID) -> list[UserSession]:
    now = clock.utcnow()
    rows = await session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.expires_at > now)
        .order_by(UserSession.last_seen_at.desc())
    )
    return list(rows)


async def end_one_session(session: AsyncSession, user_id: UUID, session_id: UUID) -> bool:
    """End one of the person's own sessions; another person's id matches nothing."""
    result = await session.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def update_staff(session: AsyncSession, user: User, change: StaffChange, *, actor: Actor) -> None:
    """Apply the staff edit form: roles, status, employee fields. Not committed."""
    roles = {role.name: role for role in await session.scalars(select(Role))}
    unknown = change.roles - roles.keys()
    if unknown:
        raise IdentityError(f"Unknown role: {', '.join(sorted(unknown))}.")
    if change.manager_id == user.id:
        raise IdentityError("A person cannot be their own manager.")
    if str(user.id) == actor.id and ("admin" not in change.roles or not change.is_active):
        raise IdentityError("You cannot remove your own administrator role or deactivate yourself.")
    before = _staff_fields(user)
    user.roles = [roles[name] for name in sorted(change.roles)]
    user.is_active = change.is_active
    user.job_title, user.department, user.location = change.job_title, change.department, change.location
    user.manager_id = change.manager_id
    changes = diff(before, _staff_fields(user))
    if not changes:
        return
    audit(
        session,
        actor,
        "user.updated",
        target_type="user",
        target_id=user.id,
        target_label=user.email,
        changes=changes,
    )
    if "roles" in changes or "is_active" in changes:
        ended = await end_sessions(session, user.id)
        if ended:
            audit(
                session,
                actor,
                "user.sessions_ended",
                target_type="user",
                target_id=user.id,
                target_label=user.email,
                changes={"sessions": [ended, 0]},
            )


def _staff_fields(user: User) -> dict[str, object]:
    return {
        "roles": user.role_names,
        "is_active": user.is_active,
        "job_title": user.job_title,
        "department": user.department,
        "location": user.location,
        "manager_id": str(user.manager_id) if user.manager_id else None,
    }


async def role_member_counts(session: AsyncSession) -> dict[UUID, int]:
    rows = await session.execute(select(user_role.c.role_id, func.count()).group_by(user_role.c.role_id))
    return {role_id: count for role_id, count in rows.all()}


async def save_role(
    session: AsyncSession,
    role: Role | None,
    *,
    name: str,
    description: str,
    permissions: frozenset[str],
    actor: Actor,
    require_mfa: bool = False,
) -> Role:
    """Create or edit a role. Permissions come from the catalogue; the admin role keeps ``*``.

    Holders of an edited role sign in again, so changed privileges start from a fresh session.
    """
    full_access = role is not None and "*" in role.permissions
    unknown = set() if full_access else permissions - CATALOGUE.keys()
    if unknown:
        raise IdentityError(f"Unknown permission: {', '.join(sorted(unknown))}.")
    name = name.strip().lower()
    clash = await session.scalar(select(Role.id).where(Role.name == name))
    if clash is not None and (role is None or clash != role.id):
        raise IdentityError("A role with this name already exists.")
    if role is not None and role.is_system and name != role.name:
        raise IdentityError("Built-in roles keep their name.")
    granted = ["*"] if full_access else sorted(permissions)
    before = {} if role is None else _role_fields(role)
    if role is None:
        role = Role(name=name, description=description, permissions=granted, require_mfa=require_mfa)
        session.add(role)
        await session.flush()
    else:
        role.name, role.description, role.permissions, role.require_mfa = (
            name,
            description,
            granted,
            require_mfa,
        )
    audit(
        session,
        actor,
        "role.updated" if before else "role.created",
        target_type="role",
        target_id=role.id,
        target_label=role.name,
        changes=diff(before, _role_fields(role)),
    )
    holders = (await session.scalars(select(user_role.c.user_id).where(user_role.c.role_id == role.id))).all()
    for user_id in holders:
        await end_sessions(session, user_id)
    return role


def _role_fields(role: Role) -> dict[str, object]:
    return {
        "name": role.name,
        "description": role.description,
        "permissions": sorted(role.permissions),
        "require_mfa": role.require_mfa,
    }


async def delete_role(session: AsyncSession, role: Role, *, actor: Actor) -> None:
    if role.is_system:
        raise IdentityError("Built-in roles cannot be deleted.")
    members = await session.scalar(select(func.count()).where(user_role.c.role_id == role.id))
    if members:
        raise IdentityError(f"This role is held by {members} account(s); remove it from them first.")
    audit(session, actor, "role.deleted", target_type="role", target_id=role.id, target_label=role.name)
    await session.delete(role)


def parse_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError as exc:
        raise IdentityError("Enter a valid IPv4 or IPv6 address.") from exc


async def block_ip(
    session: AsyncSession, *, ip: str, reason: str, expires_at: datetime | None, actor: Actor
) -> IPBlock:
    if expires_at is not None and expires_at <= clock.utcnow():
        raise IdentityError("The expiry must be in the future.")
    block = IPBlock(
        ip_address=parse_ip(ip),
        reason=reason.strip(),
        expires_at=expires_at,
        automatic=False,
        created_by=actor.label,
    )
    session.add(block)
    await session.flush()
    audit(
        session,
        actor,
        "security.ip_blocked",
        target_type="ip_block",
        target_id=block.id,
        target_label=block.ip_address,
        changes={"reason": [None, block.reason]},
    )
    return block


async def unblock_ip(session: AsyncSession, block: IPBlock, *, actor: Actor) -> None:
    audit(
        session,
        actor,
        "security.ip_unblocked",
        target_type="ip_block",
        target_id=block.id,
        target_label=block.ip_address,
    )
    await session.delete(block)
