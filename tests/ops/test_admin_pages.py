"""Staff pages for jobs and the outbox: lists, details, retry, cancel, run now, send, permissions."""

from __future__ import annotations

from email import message_from_bytes, policy

from sqlalchemy import select, update

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.lib.test_email import Collector, start_server, use_settings
from verso.lib import email, jobs
from verso.lib.audit import AuditLog


async def _dead_job(db_session) -> jobs.Job:
    job = await jobs.enqueue(db_session, "jobs.prune")
    await db_session.flush()
    await db_session.execute(
        update(jobs.Job)
        .where(jobs.Job.id == job.id)
        .values(status=jobs.DEAD_LETTER, attempts=5, last_error="RuntimeError: disk full")
    )
    await db_session.commit()
    return job


async def test_jobs_page_lists_filters_and_shows_errors(admin_client, db_session) -> None:
    dead = await _dead_job(db_session)
    await jobs.enqueue(db_session, "jobs.prune", idempotency_key="second")
    await db_session.commit()
    page = await admin_client.get("/admin/jobs")
    assert page.status_code == 200 and f'href="/admin/jobs/{dead.id}"' in page.text
    only_dead = await admin_client.get(
        "/admin/jobs", params={"status": "dead_letter"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in only_dead.text and only_dead.text.count('href="/admin/jobs/') == 1
    detail = await admin_client.get(f"/admin/jobs/{dead.id}")
    assert "RuntimeError: disk full" in detail.text and "Retry now" in detail.text
    assert (await admin_client.get("/admin/jobs/999999")).status_code == 404


async def test_retry_then_cancel_are_audited_and_refusals_explained(admin_client, db_session) -> None:
    dead = await _dead_job(db_session)
    response = await post_form(admin_client, f"/admin/jobs/{dead.id}/retry")
    assert response.status_code == 200 and f"Job {dead.id} queued again." in response.text
    await db_session.refresh(dead)
    assert dead.status == jobs.PENDING and dead.attempts == 0
    again = await post_form(admin_client, f"/admin/jobs/{dead.id}/retry")
    assert "is already waiting to run" in again.text
    cancelled = await post_form(admin_client, f"/admin/jobs/{dead.id}/cancel")
    assert f"Job {dead.id} cancelled." in cancelled.text
    actions = (
        await db_session.scalars(
            select(AuditLog.action).where(AuditLog.target_type == "job", AuditLog.target_id == str(dead.id))
        )
    ).all()
    assert sorted(actions) == ["job.cancel", "job.retry"]


async def test_run_scheduled_task_now(admin_client, db_session) -> None:
    await jobs.sync_cron(db_session)
    page = await admin_client.get("/admin/jobs/scheduled")
    assert "jobs.prune" in page.text and "@daily" in page.text
    response = await post_form(admin_client, "/admin/jobs/scheduled/jobs.prune/run")
    assert "jobs.prune queued as job" in response.text
    assert (await db_session.scalars(select(jobs.Job).where(jobs.Job.name == "jobs.prune"))).one()
    assert (await post_form(admin_client, "/admin/jobs/scheduled/nope/run")).status_code == 404


async def test_job_actions_need_the_write_permission(client, admin, db_session) -> None:
    dead = await _dead_job(db_session)
    await make_user("viewer@example.com", ["commercial"])
    await sign_in(client, "viewer@example.com", PASSWORD)
    assert (await post_form(client, f"/admin/jobs/{dead.id}/retry")).status_code == 403


async def test_outbox_without_smtp_keeps_mail_readable(admin_client, db_session) -> None:
    sent = await post_form(
        admin_client, "/admin/outbox/test", {"to": "friend@example.com"}, follow_redirects=False
    )
    assert sent.status_code == 303
    row = (await db_session.scalars(select(email.OutboxEmail))).one()
    assert row.status == email.HELD and row.to_address == "friend@example.com"
    detail = await admin_client.get(sent.headers["location"])
    assert (
        "Test email written to the outbox (SMTP is off)." in detail.text
        and "Test email from Test Bakery" in detail.text
    )
    body = await admin_client.get(f"/admin/outbox/{row.id}/body")
    assert body.headers["content-security-policy"].startswith("sandbox")
    assert "Test Bakery" in body.text
    refused = await post_form(admin_client, f"/admin/outbox/{row.id}/send")
    assert refused.status_code == 200 and "SMTP" in refused.text
    invalid = await post_form(admin_client, "/admin/outbox/test", {"to": "not an address"})
    assert invalid.status_code == 422 and "Enter a valid email address." in invalid.text


async def test_an_emails_attachments_are_listed_and_downloadable(admin_client, db_session) -> None:
    await email.send_email(
        db_session,
        to="ann@example.com",
        subject="Booked",
        template="test_message",
        context={"business_name": "Test Bakery"},
        attachments=[email.Attachment("visit.ics", "text/calendar; method=REQUEST", "BEGIN:VCALENDAR\r\n")],
    )
    await db_session.commit()
    row = (await db_session.scalars(select(email.OutboxEmail))).one()
    detail = await admin_client.get(f"/admin/outbox/{row.id}")
    assert f'href="/admin/outbox/{row.id}/attachments/0" download>visit.ics</a>' in detail.text
    file = await admin_client.get(f"/admin/outbox/{row.id}/attachments/0")
    assert file.status_code == 200 and file.text == "BEGIN:VCALENDAR\r\n"
    assert file.headers["content-type"] == "text/calendar; method=REQUEST"
    assert file.headers["content-disposition"] == 'attachment; filename="visit.ics"'
    assert (await admin_client.get(f"/admin/outbox/{row.id}/attachments/1")).status_code == 404


async def test_outbox_delivers_over_smtp_end_to_end(
    admin_client, db_session, monkeypatch, session_maker
) -> None:
    collector = Collector()
    server = start_server(collector)
    try:
        use_settings(
            monkeypatch,
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_security="none",
            smtp_timeout=5.0,
            mail_from="",
        )
        response = await post_form(admin_client, "/admin/outbox/test", {"to": "friend@example.com"})
        assert "Test email queued." in response.text
        ran = await jobs.Worker("mailer", session_maker=session_maker).run_once()
        assert ran == 1
    finally:
        server.stop()
    row = (await db_session.scalars(select(email.OutboxEmail))).one()
    await db_session.refresh(row)
    assert row.status == email.SENT and row.sent_at is not None
    assert len(collector.envelopes) == 1
    message = message_from_bytes(collector.envelopes[0].content, policy=policy.default)
    assert message["To"] == "friend@example.com" and message["Subject"] == "Test email from Test Bakery"
    assert message["From"] == "owner@example.com"  # the business contact email is the sender
