"""Email outbox and delivery, against a real SMTP server (aiosmtpd) on 127.0.0.1.

Settings pattern: ``verso.settings.Settings`` is a frozen dataclass returned by the lru-cached
``get_settings()``. The email and jobs modules always call it through the module
(``from verso import settings as settings_module; settings_module.get_settings()``), so a test swaps
the settings in one place: ``monkeypatch.setattr(verso.settings, "get_settings", lambda: replaced)``
with ``replaced = dataclasses.replace(get_settings(), smtp_host=...)`` (see ``use_settings``).
monkeypatch restores the original after the test.

Runs on SQLite and PostgreSQL; the registry is emptied, given ``verso.lib.email.jobs`` and restored.
"""

from __future__ import annotations

import dataclasses
import email
import email.message
import email.policy
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

import verso.settings as settings_module
from verso.lib import clock, jobs
from verso.lib import email as outbox
from verso.lib.email import (
    EmailAddressError,
    EmailNotConfiguredError,
    EmailStateError,
    OutboxEmail,
    queue_for_delivery,
    send_email,
)
from verso.lib.jobs import Job, JobRegistry, Worker

T0 = datetime(2030, 1, 2, 10, 15, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class Refuser:
    """An aiosmtpd handler that rejects every recipient."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return "550 5.1.1 No such user here"


def start_server(handler: Any) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


@pytest.fixture
def reg() -> Iterator[JobRegistry]:
    saved = jobs.registry.snapshot()
    jobs.registry.clear()
    jobs.register(outbox.jobs)
    yield jobs.registry
    jobs.registry.restore(saved)


def use_settings(monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    replaced = dataclasses.replace(settings_module.get_settings(), **changes)
    monkeypatch.setattr(settings_module, "get_settings", lambda: replaced)


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch, reg: JobRegistry) -> Iterator[Collector]:
    collector = Collector()
    controller = start_server(collector)
    use_settings(
        monkeypatch,
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
        smtp_security="none",
        smtp_timeout=5.0,
        mail_from="Acme Shop <shop@acme.test>",
    )
    yield collector
    controller.stop()


@pytest.fixture
def no_smtp(monkeypatch: pytest.MonkeyPatch, reg: JobRegistry) -> None:
    use_settings(monkeypatch, smtp_host="", mail_from="")


def worker(session_maker: Any) -> Worker:
    return Worker("mailer", concurrency=2, lease_seconds=60, session_maker=session_maker)


async def queue_test_email(session_maker: Any, **overrides: Any) -> OutboxEmail:
    arguments: dict[str, Any] = {
        "to": "customer@example.com",
        "subject": "Hello from Acme",
        "template": "test_message",
        "context": {"business_name": "Acme", "note": "<b>bold</b> & co"},
    }
    arguments.update(overrides)
    async with session_maker() as session:
        row = await send_email(session, **arguments)
        await session.commit()
        return row


async def load(session_maker: Any, model: Any, row_id: int) -> Any:
    async with session_maker() as session:
        return (await session.execute(select(model).where(model.id == row_id))).scalar_one()


async def count(session_maker: Any, model: Any) -> int:
    async with session_maker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# -- delivery ---------------------------------------------------------------------------------------------


async def test_an_email_is_delivered_over_smtp(smtp_server: Collector, session_maker: Any) -> None:
    clock.freeze(T0)
    row = await queue_test_email(session_maker, reply_to="help@acme.test")
    assert row.status == "queued" and row.job_id is not None
    assert smtp_server.envelopes == []  # nothing leaves before the job runs

    assert await worker(session_maker).run_once() == 1
    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.mail_from == "shop@acme.test"
    assert envelope.rcpt_tos == ["customer@example.com"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "Hello from Acme"
    assert message["From"] == "Acme Shop <shop@acme.test>"
    assert message["To"] == "customer@example.com"
    assert message["Reply-To"] == "help@acme.test"
    assert message["Message-ID"] == row.message_id and row.message_id.endswith("@acme.test>")
    assert message["Date"].datetime == T0
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "This is a test message from Acme." in text and "<b>bold</b> & co" in text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html and "<h1" in html
    assert message.get_content_type() == "multipart/alternative"

    sent = await load(session_maker, OutboxEmail, row.id)
    assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == ("sent", 1, T0, None)
    assert (await load(session_maker, Job, row.job_id)).status == "completed"


async def test_a_repeated_delivery_job_does_not_send_twice(
    smtp_server: Collector, session_maker: Any
) -> None:
    row = await queue_test_email(session_maker)
    assert await worker(session_maker).run_once() == 1
    async with session_maker() as session:
        await jobs.enqueue(session, "email.deliver", {"outbox_id": row.id})
        await session.commit()
    assert await worker(session_maker).run_once() == 1
    assert len(smtp_server.envelopes) == 1


async def test_an_unreachable_server_records_the_error_and_retries(
    monkeypatch: pytest.MonkeyPatch, reg: JobRegistry, session_maker: Any
) -> None:
    use_settings(
        monkeypatch, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none", smtp_timeout=2.0
    )
    clock.freeze(T0)
    row = await queue_test_email(session_maker)
    assert await worker(session_maker).run_once() == 1

    failed = await load(session_maker, OutboxEmail, row.id)
    assert (failed.status, failed.attempts) == ("queued", 1)
    assert failed.last_error.startswith("ConnectionRefusedError")
    delivery = await load(session_maker, Job, row.job_id)
    assert delivery.status == "failed" and delivery.run_at > T0
    assert delivery.last_error.startswith("ConnectionRefusedError")

    # Make the next attempt the last one: the row is then marked failed and the job dead-lettered.
    async with session_maker() as session:
        await session.execute(update(Job).where(Job.id == row.job_id).values(max_attempts=2))
        await session.commit()
    clock.freeze(delivery.run_at)
    assert await worker(session_maker).run_once() == 1
    gave_up = await load(session_maker, OutboxEmail, row.id)
    assert (gave_up.status, gave_up.attempts) == ("failed", 2)
    assert gave_up.last_error.startswith("ConnectionRefusedError")
    assert (await load(session_maker, Job, row.job_id)).status == "dead_letter"


async def test_a_refused_recipient_is_recorded(
    monkeypatch: pytest.MonkeyPatch, reg: JobRegistry, session_maker: Any
) -> None:
    controller = start_server(Refuser())
    try:
        use_settings(monkeypatch, smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none")
        row = await queue_test_email(session_maker)
        assert await worker(session_maker).run_once() == 1
    finally:
        controller.stop()
    refused = await load(session_maker, OutboxEmail, row.id)
    assert refused.status == "queued" and refused.attempts == 1
    assert refused.last_error.startswith("SMTPRecipientsRefused") and "No such user" in refused.last_error
    assert (await load(session_maker, Job, row.job_id)).status == "failed"


def test_an_unknown_security_mode_is_refused() -> None:
    settings = dataclasses.replace(
        settings_module.get_settings(), smtp_host="127.0.0.1", smtp_security="ssl3"
    )
    with pytest.raises(EmailNotConfiguredError, match="VERSO_SMTP_SECURITY"):
        outbox.smtp_send(email.message.EmailMessage(), settings)


# -- without SMTP, and the admin "send now" ------------------------------------------------------------


async def test_without_smtp_the_email_is_held(no_smtp: None, session_maker: Any) -> None:
    row = await queue_test_email(session_maker)
    assert (row.status, row.job_id, row.from_address) == ("held", None, "verso@localhost")
    assert await count(session_maker, Job) == 0
    async with session_maker() as session:
        with pytest.raises(EmailNotConfiguredError, match="VERSO_SMTP_HOST"):
            await queue_for_delivery(session, row.id)


async def test_a_held_email_can_be_sent_once_smtp_is_configured(
    monkeypatch: pytest.MonkeyPatch, reg: JobRegistry, session_maker: Any
) -> None:
    use_settings(monkeypatch, smtp_host="")
    row = await queue_test_email(session_maker)
    collector = Collector()
    controller = start_server(collector)
    try:
        use_settings(monkeypatch, smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none")
        async with session_maker() as session:
            queued = await queue_for_delivery(session, row.id)
            await session.commit()
        assert queued.status == "queued" and queued.job_id is not None
        assert await worker(session_maker).run_once() == 1
    finally:
        controller.stop()
    assert len(collector.envelopes) == 1
    assert (await load(session_maker, OutboxEmail, row.id)).status == "sent"
    async with session_maker() as session:
        with pytest.raises(EmailStateError, match="already sent"):
            await queue_for_delivery(session, row.id)


async def test_send_now_replaces_a_delivery_waiting_for_its_retry(
    monkeypatch: pytest.MonkeyPatch, reg: JobRegistry, session_maker: Any
) -> None:
    use_settings(monkeypatch, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none")
    clock.freeze(T0)
    row = await queue_test_email(session_maker)
    assert await worker(session_maker).run_once() == 1  # refused: waits for its backoff
    first_job = row.job_id
    async with session_maker() as session:
        again = await queue_for_delivery(session, row.id)
        await session.commit()
    assert again.job_id != first_job
    assert (await load(session_maker, Job, first_job)).status == "cancelled"
    replacement = await load(session_maker, Job, again.job_id)
    assert (replacement.status, replacement.run_at) == ("pending", T0)


# -- addresses, headers, senders and rendering ---------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        {"subject": "Hi\r\nBcc: victim@example.com"},
        {"subject": "Hi\nthere"},
        {"to": "customer@example.com\r\nBcc: victim@example.com"},
        {"to": "customer@example.com\n"},
        {"to": "customer@example.com, victim@example.com"},
        {"to": "Customer <customer@example.com>"},
        {"to": "not-an-address"},
        {"to": "a@b@example.com"},
        {"reply_to": "help@acme.test\r\nBcc: victim@example.com"},
        {"reply_to": "a@x.test, b@y.test"},
    ],
)
async def test_malformed_addresses_and_header_injection_are_refused(
    smtp_server: Collector, session_maker: Any, arguments: dict[str, Any]
) -> None:
    with pytest.raises(EmailAddressError):
        await queue_test_email(session_maker, **arguments)
    assert await count(session_maker, OutboxEmail) == 0
    assert await count(session_maker, Job) == 0


async def test_a_sender_with_a_line_break_is_refused(
    monkeypatch: pytest.MonkeyPatch, reg: JobRegistry, session_maker: Any
) -> None:
    use_settings(monkeypatch, smtp_host="", mail_from="shop@acme.test\r\nBcc: victim@example.com")
    with pytest.raises(EmailAddressError, match="line breaks"):
        await queue_test_email(session_maker)


async def test_the_sender_falls_back_to_the_callers_default(
    monkeypatch: pytest.MonkeyPatch, reg: JobRegistry, session_maker: Any
) -> None:
    use_settings(monkeypatch, smtp_host="", mail_from="")
    row = await queue_test_email(session_maker, default_sender="hello@business.test")
    assert row.from_address == "hello@business.test"
    use_settings(monkeypatch, smtp_host="", mail_from="Configured <mail@verso.test>")
    row = await queue_test_email(session_maker, default_sender="hello@business.test")
    assert row.from_address == "Configured <mail@verso.test>"


async def test_the_outbox_row_is_part_of_the_callers_transaction(
    smtp_server: Collector, session_maker: Any
) -> None:
    async with session_maker() as session:
        await send_email(session, to="a@example.com", subject="S", template="test_message", context={})
        await session.rollback()
    assert await count(session_maker, OutboxEmail) == 0
    assert await count(session_maker, Job) == 0


async def test_the_row_records_template_and_context_keys_not_values(
    no_smtp: None, session_maker: Any
) -> None:
    row = await queue_test_email(
        session_maker, context={"requested_by": "Ann", "secret_link": "x"}, metadata={"kind": "test"}
    )
    assert row.template == "test_message"
    assert row.meta == {"kind": "test", "context_keys": ["requested_by", "secret_link"]}
    assert "Requested by Ann." in row.text_body and "Requested by Ann." in row.html_body
    assert "Verso" in row.text_body  # base layout default business name


def test_templates_must_exist_in_both_formats() -> None:
    with pytest.raises(ValueError, match="needs both"):
        outbox.render("no_such_template", {"subject": "x"})
    with pytest.raises(ValueError, match="template names"):
        outbox.render("../layouts/base", {"subject": "x"})


def test_a_missing_variable_fails_loudly() -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        outbox.render("test_message", {})  # the layout needs ``subject``


def test_the_deliver_job_definition() -> None:
    assert outbox.deliver.name == "email.deliver"
    assert outbox.deliver.max_attempts >= 3
    assert timedelta(seconds=outbox.deliver.timeout_seconds) > timedelta(seconds=20)


async def test_a_calendar_attachment_travels_with_the_email(no_smtp: None, session_maker: Any) -> None:
    invite = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    row = await queue_test_email(
        session_maker,
        attachments=[outbox.Attachment("appointment.ics", "text/calendar; method=REQUEST", invite)],
    )
    message = outbox.build_message(row)
    (part,) = list(message.iter_attachments())
    assert part.get_filename() == "appointment.ics"
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert "METHOD:REQUEST" in part.get_content()
