"""The demo business itself and a welcome email in the outbox. Idempotent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.ops.models import BusinessSettings
from verso.domains.ops.services import SETTINGS_ID
from verso.lib import clock, email
from verso.lib.modules import default_verified_actions, optional_keys

DEMO_BUSINESS = {
    "name": "Juniper & Co. Ceramics",
    "address": "12 Rue des Potiers\n69002 Lyon\nFrance",
    "currency": "EUR",
    "timezone": "Europe/Paris",
    "locale": "en_GB",
    "contact_email": "hello@juniper.example",
}


async def load(session: AsyncSession, *, admin_password: str) -> None:
    row = await session.get(BusinessSettings, SETTINGS_ID)
    if row is None:
        session.add(
            BusinessSettings(
                id=SETTINGS_ID,
                setup_completed_at=clock.utcnow(),
                enabled_modules=sorted(optional_keys()),
                verified_actions=default_verified_actions(),
                **DEMO_BUSINESS,
            )
        )
    exists = await session.scalar(
        select(email.OutboxEmail.id).where(email.OutboxEmail.template == "test_message")
    )
    if exists is None:
        await email.send_email(
            session,
            to="admin@demo.verso",
            subject="Your demo business is ready",
            template="test_message",
            context={"business_name": DEMO_BUSINESS["name"]},
            default_sender=DEMO_BUSINESS["contact_email"],
        )
