"""Getting the goods out: stock held while a customer pays, shipments with tracking, and download
tokens (with a log of every attempt) for digital lines."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import BigIntAuditBase, UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

HOLD_STATES = ("held", "committed", "released")


class StockHold(BigIntAuditBase):
    """Units taken off a product's or variant's stock while the order is paid for: committed on
    payment, put back on expiry or cancellation (``state`` says which happened, once)."""

    __tablename__ = "order_stock_hold"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_order_stock_hold_quantity"),)

    order_id: Mapped[UUID] = mapped_column(ForeignKey("order_order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[UUID] = mapped_column()
    variant_id: Mapped[UUID | None] = mapped_column()
    quantity: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default="held", index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)


class Shipment(UUIDv7AuditBase):
    """``lines`` is ``[{"line_id", "quantity"}]``: an order can ship in several parcels."""

    __tablename__ = "order_shipment"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("order_order.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    tracking_url: Mapped[str] = mapped_column(String(500), default="")
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    shipped_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    actor_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class DownloadToken(UUIDv7AuditBase):
    """One digital order line's download link; the URL carries a secret whose hash is stored."""

    __tablename__ = "order_download_token"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("order_order.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[UUID] = mapped_column(ForeignKey("order_line.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    max_downloads: Mapped[int] = mapped_column(Integer, default=5)
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class DownloadLog(BigIntAuditBase):
    __tablename__ = "order_download_log"

    token_id: Mapped[UUID] = mapped_column(
        ForeignKey("order_download_token.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(12))  # served, limit, expired
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    __personal_data__ = ("ip", "user_agent")
