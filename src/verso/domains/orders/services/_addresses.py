"""Postal addresses: the one place they are validated (the customer's address book and checkout's
address step both call :func:`validate_address`), and the addresses customers keep for next time.

Every function that reads or changes a saved address takes the owner's id and filters on it, so
nobody reaches another person's address by changing an id. Functions change the session and never
commit: checkout saves an address inside the transaction that places the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.orders.models import SavedAddress
from verso.lib.countries import country_codes
from verso.lib.forms import FormState, parse_form

MAX_SAVED_ADDRESSES = 50
ADDRESS_KEYS = ("name", "line1", "line2", "city", "state", "postcode", "country", "phone")
"""The keys of an address stored as JSON on an order or a checkout draft (see :func:`address_dict`)."""
_PHONE = r"^[0-9+()./ -]*$"


class AddressError(Exception):
    """A refused address change, with a message fit to show the person."""


class AddressNotFound(AddressError):
    """No such address among the customer's own (another person's answers the same)."""


@dataclass(frozen=True, slots=True)
class AddressInput:
    """A validated postal address. ``country`` is an upper-case ISO 3166-1 alpha-2 code; ``label``
    ("Home", "Work") only matters in the address book."""

    name: str
    line1: str
    city: str
    country: str
    line2: str = ""
    state: str = ""
    postcode: str = ""
    phone: str = ""
    label: str = ""


class AddressForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    line1: Annotated[str, Meta(min_length=1, max_length=200)]
    city: Annotated[str, Meta(min_length=1, max_length=100)]
    country: Annotated[
        str, Meta(min_length=1, max_length=2, extra={"error": "Choose a country from the list."})
    ]
    label: Annotated[str, Meta(max_length=60)] = ""
    line2: Annotated[str, Meta(max_length=200)] = ""
    state: Annotated[str, Meta(max_length=100)] = ""
    postcode: Annotated[str, Meta(max_length=20)] = ""
    phone: Annotated[
        str,
        Meta(
            max_length=40,
            pattern=_PHONE,
            extra={"error": "Enter a phone number with digits, spaces and + - ( ) only."},
        ),
    ] = ""


def validate_address(values: Mapping[str, Any]) -> tuple[AddressInput | None, FormState]:
    """The submitted form ``values`` as an :class:`AddressInput`, or ``None`` and the form state with
    a message per wrong field (every problem at once, to redisplay with 422)."""
    data, form = parse_form(values, AddressForm)
    country = str(form.values.get("country") or "").strip().upper()
    if country and "country" not in form.errors and country not in country_codes():
        form.add_error("country", "Choose a country from the list.")  # with the other errors, not after
    if data is None or not form.valid:
        return None, form
    fields = msgspec.structs.asdict(data)
    fields["country"] = data.country.upper()
    return AddressInput(**fields), form


def address_dict(address: AddressInput | SavedAddress) -> dict[str, str]:
    """The address as stored in an order's or a checkout draft's JSON (keys :data:`ADDRESS_KEYS`)."""
    return {key: getattr(address, key) or "" for key in ADDRESS_KEYS}


def address_values(address: SavedAddress) -> dict[str, Any]:
    """A saved address as form values (the edit form before submission)."""
    return {
        **address_dict(address),
        "label": address.label,
        "make_default": address.is_default,
    }


# ---- the address book -----------------------------------------------------------------------


async def saved_addresses(session: AsyncSession, customer_id: UUID) -> list[SavedAddress]:
    """The customer's addresses, the default first, then in the order they were added."""
    rows = await session.scalars(
        select(SavedAddress)
        .where(SavedAddress.customer_id == customer_id)
        .order_by(SavedAddress.is_default.desc(), SavedAddress.created_at, SavedAddress.id)
    )
    return list(rows)


async def saved_address(session: AsyncSession, customer_id: UUID, address_id: UUID) -> SavedAddress | None:
    """One of the customer's addresses; ``None`` when it is not theirs or does not exist."""
    return await session.scalar(
        select(SavedAddress).where(SavedAddress.id == address_id, SavedAddress.customer_id == customer_id)
    )


async def save_address(
    session: AsyncSession,
    customer_id: UUID,
    values: AddressInput,
    *,
    address_id: UUID | None = None,
    make_default: bool = False,
) -> SavedAddress:
    """Add an address (``address_id`` None) or change one of the customer's. The first address is
    the default whatever ``make_default`` says, so a customer with addresses always has one."""
    if address_id is None:
        count = await session.scalar(
            select(func.count()).select_from(SavedAddress).where(SavedAddress.customer_id == customer_id)
        )
        if (count or 0) >= MAX_SAVED_ADDRESSES:
            raise AddressError(f"You can keep up to {MAX_SAVED_ADDRESSES} addresses. Delete one first.")
        address = SavedAddress(customer_id=customer_id, is_default=count == 0)
        session.add(address)
    else:
        found = await saved_address(session, customer_id, address_id)
        if found is None:
            raise AddressNotFound("No such address.")
        address = found
    for key in (*ADDRESS_KEYS, "label"):
        setattr(address, key, getattr(values, key))
    await session.flush()
    if make_default and not address.is_default:
        await set_default_address(session, customer_id, address.id)
    return address


async def set_default_address(session: AsyncSession, customer_id: UUID, address_id: UUID) -> bool:
    """Make one of the customer's addresses the default and every other one not; False when the
    address is not theirs."""
    found = await saved_address(session, customer_id, address_id)
    if found is None:
        return False
    await session.execute(
        update(SavedAddress)
        .where(SavedAddress.customer_id == customer_id, SavedAddress.id != address_id)
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    found.is_default = True
    await session.flush()
    return True


async def delete_address(session: AsyncSession, customer_id: UUID, address_id: UUID) -> bool:
    """Delete one of the customer's addresses (False when it is not theirs). Deleting the default
    hands the role to the oldest remaining address."""
    found = await saved_address(session, customer_id, address_id)
    if found is None:
        return False
    was_default = found.is_default
    await session.execute(delete(SavedAddress).where(SavedAddress.id == found.id))
    session.expunge(found)
    if was_default:
        successor = await session.scalar(
            select(SavedAddress.id)
            .where(SavedAddress.customer_id == customer_id)
            .order_by(SavedAddress.created_at, SavedAddress.id)
            .limit(1)
        )
        if successor is not None:
            await set_default_address(session, customer_id, successor)
    return True
