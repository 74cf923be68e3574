"""Where the shop ships and what it charges (zones and their rates), the tax rates it applies, and
the shop's checkout settings (tax-inclusive prices, stock hold length, offline payment details)."""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.base import BigIntAuditBase, UUIDv7AuditBase
from advanced_alchemy.types import JsonB
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

RATE_KINDS = ("flat", "weight", "price", "free")
TAX_KINDS = ("sales", "vat", "gst")
SHOP_SETTINGS_ID = 1


class ShippingZone(UUIDv7AuditBase):
    """Countries (ISO codes), states and postcode patterns (exact, ``AB*`` prefix or ``1000-1999``
    range); the rest-of-world zone catches every address no other zone matches."""

    __tablename__ = "shop_shipping_zone"

    name: Mapped[str] = mapped_column(String(100))
    countries: Mapped[list[str]] = mapped_column(JsonB, default=list)
    states: Mapped[list[str]] = mapped_column(JsonB, default=list)
    postcodes: Mapped[list[str]] = mapped_column(JsonB, default=list)
    rest_of_world: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    rates: Mapped[list[ShippingRate]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ShippingRate.position"
    )


class ShippingRate(UUIDv7AuditBase):
    """One way to ship within a zone; see ``pricing.ShippingRate`` for how each kind is charged.
    ``bands`` is a list of ``{"minimum", "maximum", "price"}`` (grams or minor units)."""

    __tablename__ = "shop_shipping_rate"

    zone_id: Mapped[UUID] = mapped_column(ForeignKey("shop_shipping_zone.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default="flat")
    price: Mapped[int] = mapped_column(Integer, default=0)
    price_per_kg: Mapped[int] = mapped_column(Integer, default=0)
    bands: Mapped[list[dict[str, int | None]]] = mapped_column(JsonB, default=list)
    minimum_charge: Mapped[int] = mapped_column(Integer, default=0)
    maximum_charge: Mapped[int | None] = mapped_column(Integer)
    free_over: Mapped[int | None] = mapped_column(Integer)
    days_min: Mapped[int | None] = mapped_column(Integer)
    days_max: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class TaxRate(UUIDv7AuditBase):
    """A tax by place. ``rate`` in basis points (2000 = 20%); of the rates matching an address, the
    most specific per ``priority`` applies; compound rates tax the tax of lower priorities."""

    __tablename__ = "shop_tax_rate"

    name: Mapped[str] = mapped_column(String(100))
    rate: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(5), default="vat")
    countries: Mapped[list[str]] = mapped_column(JsonB, default=list)
    states: Mapped[list[str]] = mapped_column(JsonB, default=list)
    postcodes: Mapped[list[str]] = mapped_column(JsonB, default=list)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    compound: Mapped[bool] = mapped_column(Boolean, default=False)
    applies_to_shipping: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class ShopSettings(BigIntAuditBase):
    """One row: how prices are entered and how the shop is paid offline."""

    __tablename__ = "shop_settings"

    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=15)
    bank_account_holder: Mapped[str] = mapped_column(String(120), default="")
    bank_iban: Mapped[str] = mapped_column(String(40), default="")
    bank_bic: Mapped[str] = mapped_column(String(11), default="")
    bank_name: Mapped[str] = mapped_column(String(120), default="")
    pickup_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    pickup_instructions: Mapped[str] = mapped_column(Text, default="")
    # Where customers collect (keys of an order's address): shown to them, and taxed there.
    pickup_location: Mapped[dict[str, str] | None] = mapped_column(JsonB)
