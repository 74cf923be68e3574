"""The audit helper records who, what, when, where and a JSON diff, inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy import select

from verso.lib.audit import Actor, AuditLog, audit, diff


def test_diff_lists_only_changed_fields_and_masks_secrets() -> None:
    before = {"name": "Old", "price": 100, "password": "a", "same": 1}
    after = {
        "name": "New",
        "price": 100,
        "password": "b",
        "same": 1,
        "added": datetime(2026, 1, 2, tzinfo=UTC),
    }
    assert diff(before, after, secret=("password",)) == {
        "added": [None, "2026-01-02T00:00:00+00:00"],
        "name": ["Old", "New"],
        "password": ["***", "***"],
    }


async def test_audit_writes_actor_target_and_changes(db_session) -> None:
    actor = Actor(id=str(uuid4()), label="owner@example.com", ip="203.0.113.9", user_agent="Firefox/140")
    audit(
        db_session,
        actor,
        "product.updated",
        target_type="product",
        target_id=42,
        target_label="Mug",
        changes={"price": [1000, 1200], "seen": datetime(2026, 3, 1, tzinfo=UTC)},
    )
    await db_session.commit()
    row = (await db_session.scalars(select(AuditLog))).one()
    assert (row.actor_id, row.actor_label, row.ip_address, row.user_agent) == (
        actor.id,
        "owner@example.com",
        "203.0.113.9",
        "Firefox/140",
    )
    assert (row.action, row.target_type, row.target_id, row.target_label) == (
        "product.updated",
        "product",
        "42",
        "Mug",
    )
    assert row.changes == {"price": [1000, 1200], "seen": "2026-03-01T00:00:00+00:00"}
    assert row.created_at is not None


async def test_audit_rolls_back_with_the_change(db_session) -> None:
    audit(db_session, Actor(label="x"), "thing.deleted")
    await db_session.rollback()
    assert (await db_session.scalars(select(AuditLog))).all() == []
