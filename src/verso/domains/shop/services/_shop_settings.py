"""The shop's checkout settings: whether prices include tax, how long stock is held while a customer
pays, and the offline ways to pay (bank transfer details, pay on pickup).

One row (``SHOP_SETTINGS_ID``), created on first save; until then the defaults apply. Kept per
catalogue version (saving bumps it), so a change shows on the next request in every process while
a checkout page reads only the version.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import ShopSettings
from verso.domains.shop.models._shipping import SHOP_SETTINGS_ID
from verso.domains.shop.services._products import ProductError
from verso.domains.shop.services._version import Reader, catalog_changed, per_version
from verso.lib.audit import Actor, audit, diff

HOLD_MINUTES = (5, 120)
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")


def compact_code(text: str) -> str:
    """An IBAN or BIC as stored: no spaces, upper case."""
    return "".join(text.split()).upper()


def iban_is_valid(iban: str) -> bool:
    """ISO 13616: two letters, two check digits, the account; moving the first four characters to
    the end and reading letters as 10..35, the number leaves 1 when divided by 97."""
    compact = compact_code(iban)
    if not _IBAN.match(compact):
        return False
    digits = "".join(str(int(char, 36)) for char in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


@dataclass(frozen=True, slots=True)
class CheckoutSettings:
    """What checkout needs from the shop's settings (the model's defaults until staff save them)."""

    prices_include_tax: bool = False
    hold_minutes: int = 15
    bank_account_holder: str = ""
    bank_iban: str = ""
    bank_bic: str = ""
    bank_name: str = ""
    pickup_enabled: bool = True
    pickup_instructions: str = ""

    @property
    def bank_transfer_enabled(self) -> bool:
        return bool(self.bank_account_holder and self.bank_iban)

    def problems(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        low, high = HOLD_MINUTES
        if not low <= self.hold_minutes <= high:
            errors["hold_minutes"] = f"Enter a number of minutes from {low} to {high}."
        if self.bank_iban and not iban_is_valid(self.bank_iban):
            errors["bank_iban"] = (
                "This IBAN is not valid: check it for a typo (its check digits do not match)."
            )
        if self.bank_bic and not _BIC.match(compact_code(self.bank_bic)):
            errors["bank_bic"] = "A BIC has 8 or 11 letters and digits, like DEUTDEFF or DEUTDEFF500."
        if self.bank_iban and not self.bank_account_holder.strip():
            errors["bank_account_holder"] = "Give the account holder with the IBAN: customers need both."
        if self.bank_account_holder.strip() and not self.bank_iban:
            errors["bank_iban"] = "Give the IBAN with the account holder: customers need both."
        for name, limit in (("bank_account_holder", 120), ("bank_name", 120), ("pickup_instructions", 2000)):
            if len(getattr(self, name)) > limit:
                errors[name] = f"Must be at most {limit} characters."
        return errors


_FIELDS = tuple(CheckoutSettings.__dataclass_fields__)
_ROW = select(*(getattr(ShopSettings, name) for name in _FIELDS)).where(ShopSettings.id == SHOP_SETTINGS_ID)


async def _read_settings(read: Reader) -> CheckoutSettings:
    rows = await read(_ROW)
    return CheckoutSettings(**rows[0]._asdict()) if rows else CheckoutSettings()


async def checkout_settings(session: AsyncSession) -> CheckoutSettings:
    """The shop's checkout settings as committed, or the defaults when staff never saved them."""
    return await per_version(session, "checkout_settings", _read_settings)


async def save_checkout_settings(
    session: AsyncSession, data: CheckoutSettings, *, actor: Actor
) -> CheckoutSettings:
    """Store ``data`` (IBAN and BIC compacted) and audit what changed; refused with
    :class:`ProductError` when a field is wrong. The storefront's pages are rebuilt, since whether
    prices include tax can show on them."""
    if errors := data.problems():
        raise ProductError(errors)
    before = await checkout_settings(session)
    row = await session.get(ShopSettings, SHOP_SETTINGS_ID)
    if row is None:
        row = ShopSettings(id=SHOP_SETTINGS_ID)
        session.add(row)
    cleaned = {
        **asdict(data),
        "bank_account_holder": data.bank_account_holder.strip(),
        "bank_iban": compact_code(data.bank_iban),
        "bank_bic": compact_code(data.bank_bic),
        "bank_name": data.bank_name.strip(),
        "pickup_instructions": data.pickup_instructions.strip(),
    }
    for name, value in cleaned.items():
        setattr(row, name, value)
    await session.flush()
    catalog_changed(session)
    audit(
        session,
        actor,
        "shop.settings.updated",
        target_type="shop_settings",
        target_id=SHOP_SETTINGS_ID,
        target_label="Checkout settings",
        changes=diff(asdict(before), cleaned),
    )
    return CheckoutSettings(**cleaned)
