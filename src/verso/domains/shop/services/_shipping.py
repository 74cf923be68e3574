"""Shipping zones and their rates as staff set them up, and the same data as the pricing engine reads
it (:func:`pricing_zones`). Places (countries, states, postcode patterns) are checked here once for
zones and tax rates alike (:func:`parse_places`), so both refuse the same typos with the same words.
Methods change the session and leave the commit to the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.shop import pricing
from verso.domains.shop.models import ShippingRate, ShippingZone
from verso.domains.shop.models._shipping import RATE_KINDS
from verso.domains.shop.services._products import ProductError
from verso.domains.shop.services._version import Reader, catalog_changed, per_version
from verso.lib.audit import Actor, audit, diff
from verso.lib.countries import country_names

RATE_KIND_LABELS = {
    "flat": "Flat price",
    "weight": "By weight",
    "price": "By order value",
    "free": "Free",
}
MAX_PLACES = 500
_SEPARATORS = re.compile(r"[,;\s]+")
_POSTCODE = re.compile(r"^[A-Z0-9][A-Z0-9 -]{0,11}$")
_RANGE = re.compile(r"^(\d{1,10})-(\d{1,10})$")


def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 codes and their English names (staff type codes; the names help them)."""
    return country_names("en")


def postcode_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not an exact postcode (``75001``), a prefix (``75*``) or a range
    (``75000-75999``); None when it is one."""
    compact = pattern.replace(" ", "").upper()
    if compact.endswith("*"):
        stem = compact[:-1]
        if not stem:
            return "“*” alone would match every postcode: leave the postcodes empty instead."
        return (
            None if _POSTCODE.match(stem) else f"“{pattern}”: a prefix is letters or digits then *, like 75*."
        )
    if bounds := _RANGE.match(compact):
        if int(bounds[1]) > int(bounds[2]):
            return (
                f"“{pattern}”: a range goes from the lower to the higher number (75000-75999). "
                "For a postcode that contains a hyphen, add * (1000-001*)."
            )
        return None
    if "*" in compact or not _POSTCODE.match(pattern.strip().upper()):
        return f"“{pattern}” is not a postcode, a prefix such as 75* or a range such as 75000-75999."
    return None


@dataclass(frozen=True)
class Places:
    """Where a zone or a tax rate applies, as stored: upper-case codes and patterns, no repeats."""

    countries: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    postcodes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.countries or self.states or self.postcodes)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def parse_places(countries_text: str, states_text: str, postcodes_text: str) -> tuple[Places, dict[str, str]]:
    """Places as staff type them: countries as ISO codes separated by commas or spaces (``FR, BE``),
    states separated by commas or new lines, one postcode pattern per line. Returns the places and
    the problems by field (``countries``, ``states``, ``postcodes``)."""
    errors: dict[str, str] = {}
    codes = _unique([code.upper() for code in _SEPARATORS.split(countries_text.strip())])
    unknown = [code for code in codes if code not in countries()]
    if unknown:
        errors["countries"] = (
            f"Unknown country code{'s' if len(unknown) > 1 else ''}: {', '.join(unknown[:10])}. "
            "Use two-letter ISO codes such as FR, DE or US."
        )
    states = _unique([" ".join(s.split()).upper() for s in re.split(r"[,\n]", states_text)])
    if any(len(state) > 60 for state in states):
        errors["states"] = "A state is at most 60 characters: use its code (CA, NSW)."
    postcodes = _unique([" ".join(p.split()).upper() for p in postcodes_text.splitlines()])
    problems = [problem for p in postcodes if (problem := postcode_problem(p))]
    if problems:
        errors["postcodes"] = " ".join(problems[:5])
    for name, items in (("countries", codes), ("states", states), ("postcodes", postcodes)):
        if len(items) > MAX_PLACES:
            errors.setdefault(name, f"Use at most {MAX_PLACES} entries.")
    return Places(codes, states, postcodes), errors


def region_of(row: Any) -> pricing.Region:
    """A stored zone's or tax rate's places as the pricing engine matches them."""
    return pricing.Region(tuple(row.countries or ()), tuple(row.states or ()), tuple(row.postcodes or ()))


def places_text(row: Any) -> dict[str, str]:
    """A zone's or a tax rate's places as the form shows them (the inverse of :func:`parse_places`)."""
    return {
        "countries": ", ".join(row.countries or []),
        "states": ", ".join(row.states or []),
        "postcodes": "\n".join(row.postcodes or []),
    }


@dataclass
class ZoneInput:
    name: str
    places: Places = field(default_factory=Places)
    rest_of_world: bool = False
    position: int = 0

    def problems(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not " ".join(self.name.split()):
            errors["name"] = "This field is required."
        if self.rest_of_world and not self.places.is_empty:
            errors["rest_of_world"] = (
                "The rest-of-world zone covers every address no other zone takes: leave its countries, "
                "states and postcodes empty."
            )
        elif not self.rest_of_world and self.places.is_empty:
            errors["countries"] = "Give at least one country, state or postcode, or tick “Rest of world”."
        return errors


@dataclass
class RateInput:
    """A rate's fields in minor units and grams; ``bands`` as ``{"minimum", "maximum", "price"}``."""

    name: str
    kind: str = "flat"
    price: int = 0
    price_per_kg: int = 0
    bands: list[dict[str, int | None]] = field(default_factory=list)
    minimum_charge: int = 0
    maximum_charge: int | None = None
    free_over: int | None = None
    days_min: int | None = None
    days_max: int | None = None
    is_active: bool = True

    def problems(self) -> dict[str, str]:
        """Rules that need no database; band problems are keyed ``band-<index>``."""
        errors: dict[str, str] = {}
        if not " ".join(self.name.split()):
            errors["name"] = "This field is required."
        if self.kind not in RATE_KINDS:
            errors["kind"] = "Choose one of the options."
        if self.maximum_charge is not None and self.maximum_charge < self.minimum_charge:
            errors["maximum_charge"] = "Must be at least the minimum charge."
        if self.days_min is not None and self.days_max is not None and self.days_min > self.days_max:
            errors["days_max"] = "Must be at least the fewest days."
        previous: dict[str, int | None] | None = None
        for index, band in sorted(enumerate(self.bands), key=lambda pair: pair[1]["minimum"] or 0):
            low, high = band["minimum"] or 0, band["maximum"]
            if high is not None and high <= low:
                errors[f"band-{index}"] = "“Up to” must be above “from”."
            elif previous is not None and (previous["maximum"] is None or previous["maximum"] > low):
                errors[f"band-{index}"] = (
                    "This band overlaps another: a band starts where the one before ends."
                )
            previous = band
        return errors


_ZONE_FIELDS = ("name", "countries", "states", "postcodes", "rest_of_world", "position")
_RATE_FIELDS = (
    "name",
    "kind",
    "price",
    "price_per_kg",
    "bands",
    "minimum_charge",
    "maximum_charge",
    "free_over",
    "days_min",
    "days_max",
    "is_active",
)


def _snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {key: getattr(row, key) for key in fields}


class ShippingService(SQLAlchemyAsyncRepositoryService[ShippingZone]):
    class Repo(SQLAlchemyAsyncRepository[ShippingZone]):
        model_type = ShippingZone

    repository_type = Repo

    async def zone(self, zone_id: UUID) -> ShippingZone | None:
        """A zone with its rates (all of them, active or not)."""
        session = self.repository.session
        statement = (
            select(ShippingZone)
            .where(ShippingZone.id == zone_id)
            .options(selectinload(ShippingZone.rates))
            .execution_options(populate_existing=True)
        )
        return await session.scalar(statement)

    async def rate_counts(self, zone_ids: list[UUID]) -> dict[UUID, int]:
        statement = (
            select(ShippingRate.zone_id, func.count())
            .where(ShippingRate.zone_id.in_(zone_ids))
            .group_by(ShippingRate.zone_id)
        )
        return dict((await self.repository.session.execute(statement)).tuples().all())

    async def save_zone(self, zone: ShippingZone | None, data: ZoneInput, *, actor: Actor) -> ShippingZone:
        session = self.repository.session
        errors = data.problems()
        if data.rest_of_world and "rest_of_world" not in errors:
            other = select(ShippingZone.name).where(ShippingZone.rest_of_world.is_(True))
            if zone is not None:
                other = other.where(ShippingZone.id != zone.id)
            if name := await session.scalar(other.limit(1)):
                errors["rest_of_world"] = (
                    f"Only one zone can be the rest of the world, and “{name}” already is: "
                    "untick it there first."
                )
        if errors:
            raise ProductError(errors)
        before = _snapshot(zone, _ZONE_FIELDS) if zone else {}
        if zone is None:
            zone = ShippingZone(rates=[])
            session.add(zone)
        zone.name = " ".join(data.name.split())
        zone.countries, zone.states = data.places.countries, data.places.states
        zone.postcodes, zone.rest_of_world, zone.position = (
            data.places.postcodes,
            data.rest_of_world,
            data.position,
        )
        await session.flush()
        catalog_changed(session)  # checkout keeps the zones per catalogue version
        audit(
            session,
            actor,
            "shop.shipping_zone.updated" if before else "shop.shipping_zone.created",
            target_type="shipping_zone",
            target_id=zone.id,
            target_label=zone.name,
            changes=diff(before, _snapshot(zone, _ZONE_FIELDS)),
        )
        return zone

    async def delete_zone(self, zone: ShippingZone, *, actor: Actor) -> None:
        session = self.repository.session
        audit(
            session,
            actor,
            "shop.shipping_zone.deleted",
            target_type="shipping_zone",
            target_id=zone.id,
            target_label=zone.name,
        )
        await session.delete(zone)
        await session.flush()
        catalog_changed(session)

    async def save_rate(
        self, zone: ShippingZone, rate: ShippingRate | None, data: RateInput, *, actor: Actor
    ) -> ShippingRate:
        if errors := data.problems():
            raise ProductError(errors)
        session = self.repository.session
        before = _snapshot(rate, _RATE_FIELDS) if rate else {}
        if rate is None:
            last = await session.scalar(
                select(func.max(ShippingRate.position)).where(ShippingRate.zone_id == zone.id)
            )
            rate = ShippingRate(position=(last or 0) + 1)
            zone.rates.append(rate)
        banded = data.kind in ("weight", "price")
        rate.name, rate.kind, rate.is_active = " ".join(data.name.split()), data.kind, data.is_active
        rate.price = 0 if data.kind == "free" else data.price
        rate.price_per_kg = data.price_per_kg if data.kind == "weight" else 0
        rate.bands = sorted(data.bands, key=lambda band: band["minimum"] or 0) if banded else []
        rate.minimum_charge, rate.maximum_charge = data.minimum_charge, data.maximum_charge
        rate.free_over, rate.days_min, rate.days_max = data.free_over, data.days_min, data.days_max
        await session.flush()
        catalog_changed(session)
        audit(
            session,
            actor,
            "shop.shipping_rate.updated" if before else "shop.shipping_rate.created",
            target_type="shipping_rate",
            target_id=rate.id,
            target_label=f"{zone.name}: {rate.name}",
            changes=diff(before, _snapshot(rate, _RATE_FIELDS)),
        )
        return rate

    async def delete_rate(self, zone: ShippingZone, rate: ShippingRate, *, actor: Actor) -> None:
        session = self.repository.session
        audit(
            session,
            actor,
            "shop.shipping_rate.deleted",
            target_type="shipping_rate",
            target_id=rate.id,
            target_label=f"{zone.name}: {rate.name}",
        )
        zone.rates.remove(rate)  # delete-orphan: the row goes with it
        await session.flush()
        catalog_changed(session)


def _pricing_rate(rate: Any) -> pricing.ShippingRate:
    """A rate row (an ORM row or a Core row of its columns) as the pricing engine takes it."""
    bands = tuple(
        pricing.Band(price=band["price"] or 0, minimum=band["minimum"] or 0, maximum=band["maximum"])
        for band in rate.bands or []
    )
    return pricing.ShippingRate(
        id=rate.id,
        name=rate.name,
        kind=rate.kind,
        price=rate.price,
        price_per_kg=rate.price_per_kg,
        bands=bands,
        minimum_charge=rate.minimum_charge,
        maximum_charge=rate.maximum_charge,
        free_over=rate.free_over,
        days_min=rate.days_min,
        days_max=rate.days_max,
    )


# Built once: composing a statement costs more than running it on SQLite.
_ZONES = select(*ShippingZone.__table__.c).order_by(ShippingZone.position, ShippingZone.name, ShippingZone.id)
_ACTIVE_RATES = (
    select(*ShippingRate.__table__.c)
    .where(ShippingRate.is_active.is_(True))
    .order_by(ShippingRate.position, ShippingRate.id)
)


async def _read_zones(read: Reader) -> tuple[pricing.ShippingZone, ...]:
    rates: dict[UUID, list[pricing.ShippingRate]] = {}
    for rate in await read(_ACTIVE_RATES):
        rates.setdefault(rate.zone_id, []).append(_pricing_rate(rate))
    return tuple(
        pricing.ShippingZone(
            id=zone.id,
            name=zone.name,
            region=region_of(zone),
            rest_of_world=zone.rest_of_world,
            rates=tuple(rates.get(zone.id, ())),
        )
        for zone in await read(_ZONES)
    )


async def pricing_zones(session: AsyncSession) -> tuple[pricing.ShippingZone, ...]:
    """Every zone in staff's order with its active rates, as :func:`pricing.match_zone` and
    :func:`pricing.shipping_quotes` take them; kept per catalogue version (the staff actions above
    bump it), so a checkout page reads only the version."""
    return await per_version(session, "shipping_zones", _read_zones)


@dataclass(frozen=True)
class ShippingTrial:
    """What a customer at ``address`` would be offered for goods of ``order_value`` weighing ``weight``."""

    address: pricing.Address
    order_value: int
    weight: int
    zone: pricing.ShippingZone | None
    quotes: tuple[pricing.ShippingQuote, ...]


async def try_address(
    session: AsyncSession, address: pricing.Address, *, order_value: int, weight: int
) -> ShippingTrial:
    """The zone that serves ``address`` and the quotes of its active rates, for staff checking their
    set-up: one shippable parcel of ``weight`` grams worth ``order_value``."""
    zones = await pricing_zones(session)
    parcel = pricing.CartLine(product_id=UUID(int=0), unit_price=order_value, weight=weight)
    quotes = pricing.shipping_quotes(zones, address, [parcel], order_value)
    return ShippingTrial(address, order_value, weight, pricing.match_zone(zones, address), quotes)
