"""Tax rates as staff set them up, and the active ones as the pricing engine reads them
(:func:`pricing_tax_rates`). Places are checked by the shipping module's :func:`parse_places`.
Methods change the session and leave the commit to the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop import pricing
from verso.domains.shop.models import TaxRate
from verso.domains.shop.models._shipping import TAX_KINDS
from verso.domains.shop.pricing import FULL
from verso.domains.shop.services._products import ProductError
from verso.domains.shop.services._shipping import Places, region_of
from verso.domains.shop.services._version import Reader, catalog_changed, per_version
from verso.lib.audit import Actor, audit, diff

TAX_KIND_LABELS = {"vat": "VAT", "gst": "GST", "sales": "Sales tax"}
MAX_PRIORITY = 100
_FIELDS = (
    "name",
    "rate",
    "kind",
    "countries",
    "states",
    "postcodes",
    "priority",
    "compound",
    "applies_to_shipping",
    "is_active",
)


@dataclass
class TaxRateInput:
    """A tax rate's fields; ``rate`` in basis points (2000 = 20%)."""

    name: str
    rate: int
    kind: str = "vat"
    places: Places = field(default_factory=Places)
    priority: int = 1
    compound: bool = False
    applies_to_shipping: bool = True
    is_active: bool = True

    def problems(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not " ".join(self.name.split()):
            errors["name"] = "This field is required."
        if not 0 <= self.rate <= FULL:
            errors["rate"] = "Enter a percentage between 0 and 100."
        if self.kind not in TAX_KINDS:
            errors["kind"] = "Choose one of the options."
        if not 0 <= self.priority <= MAX_PRIORITY:
            errors["priority"] = f"Enter a number from 0 to {MAX_PRIORITY}."
        return errors


def _snapshot(rate: TaxRate) -> dict[str, Any]:
    return {key: getattr(rate, key) for key in _FIELDS}


class TaxRateService(SQLAlchemyAsyncRepositoryService[TaxRate]):
    class Repo(SQLAlchemyAsyncRepository[TaxRate]):
        model_type = TaxRate

    repository_type = Repo

    async def save_rate(self, rate: TaxRate | None, data: TaxRateInput, *, actor: Actor) -> TaxRate:
        if errors := data.problems():
            raise ProductError(errors)
        session = self.repository.session
        before = _snapshot(rate) if rate else {}
        if rate is None:
            rate = TaxRate()
            session.add(rate)
        rate.name, rate.rate, rate.kind = " ".join(data.name.split()), data.rate, data.kind
        rate.countries, rate.states, rate.postcodes = (
            data.places.countries,
            data.places.states,
            data.places.postcodes,
        )
        rate.priority, rate.compound = data.priority, data.compound
        rate.applies_to_shipping, rate.is_active = data.applies_to_shipping, data.is_active
        await session.flush()
        catalog_changed(session)  # checkout keeps the rates per catalogue version
        audit(
            session,
            actor,
            "shop.tax_rate.updated" if before else "shop.tax_rate.created",
            target_type="tax_rate",
            target_id=rate.id,
            target_label=rate.name,
            changes=diff(before, _snapshot(rate)),
        )
        return rate

    async def delete_rate(self, rate: TaxRate, *, actor: Actor) -> None:
        session = self.repository.session
        audit(
            session,
            actor,
            "shop.tax_rate.deleted",
            target_type="tax_rate",
            target_id=rate.id,
            target_label=rate.name,
        )
        await session.delete(rate)
        await session.flush()
        catalog_changed(session)


def to_pricing_tax_rate(rate: Any) -> pricing.TaxRate:
    """A rate row (an ORM row or a Core row of its columns) as the pricing engine takes it."""
    return pricing.TaxRate(
        id=rate.id,
        name=rate.name,
        rate=rate.rate,
        kind=rate.kind,
        region=region_of(rate),
        priority=rate.priority,
        compound=rate.compound,
        applies_to_shipping=rate.applies_to_shipping,
    )


_ACTIVE = (
    select(*TaxRate.__table__.c)
    .where(TaxRate.is_active.is_(True))
    .order_by(TaxRate.priority, TaxRate.name, TaxRate.id)
)


async def _read_rates(read: Reader) -> tuple[pricing.TaxRate, ...]:
    return tuple(to_pricing_tax_rate(rate) for rate in await read(_ACTIVE))


async def pricing_tax_rates(session: AsyncSession) -> tuple[pricing.TaxRate, ...]:
    """The active tax rates in staff's order (priority, then name: the order ties are broken in), as
    :func:`pricing.rates_for` takes them: as committed, kept per catalogue version."""
    return await per_version(session, "tax_rates", _read_rates)
