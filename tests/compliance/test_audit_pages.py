"""The audit log page: search, filter by action and target, sort, and each entry's diff."""

from __future__ import annotations

from sqlalchemy import select

from verso.lib.audit import Actor, AuditLog, audit


def rows(html: str) -> str:
    """Only the table body: the filter's options list every action too."""
    return html[html.index("<tbody") : html.index("</tbody>")]


async def test_search_filter_and_detail(admin_client, db_session) -> None:
    audit(
        db_session,
        Actor(label="clerk@example.com", ip="198.51.100.4"),
        "product.updated",
        target_type="product",
        target_id=7,
        target_label="Blue mug",
        changes={"price": [1200, 1500]},
    )
    audit(db_session, Actor(label="clerk@example.com"), "product.deleted", target_type="product", target_id=8)
    await db_session.commit()

    page = await admin_client.get("/admin/audit")
    assert "product.updated" in page.text and "setup.completed" in page.text
    assert '<option value="product.updated"' in page.text  # actions offered as a filter

    filtered = await admin_client.get("/admin/audit", params={"action": "product.updated"})
    assert "Blue mug" in rows(filtered.text) and "product.deleted" not in rows(filtered.text)
    by_ip = await admin_client.get("/admin/audit", params={"q": "198.51.100"})
    assert "Blue mug" in rows(by_ip.text) and "setup.completed" not in rows(by_ip.text)
    targets = await admin_client.get(
        "/admin/audit", params={"target_type": "product", "sort": "action", "direction": "asc"}
    )
    body = rows(targets.text)
    assert body.index("product.deleted") < body.index("product.updated") and "setup.completed" not in body

    entry = (await db_session.scalars(select(AuditLog).where(AuditLog.action == "product.updated"))).one()
    detail = await admin_client.get(f"/admin/audit/{entry.id}")
    assert detail.status_code == 200
    assert (
        "<code>1200</code>" in detail.text
        and "<code>1500</code>" in detail.text
        and "198.51.100.4" in detail.text
    )
    assert (await admin_client.get("/admin/audit/987654")).status_code == 404
