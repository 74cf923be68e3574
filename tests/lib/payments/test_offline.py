"""Offline payment (bank transfer, pay on pickup) and which providers checkout offers."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verso.lib.payments import (
    AwaitStaff,
    OfflineProvider,
    PaymentConfig,
    PaymentProvider,
    PaymentProviders,
    PaymentRequest,
    PaymentState,
    RefundState,
    group_iban,
)

BANK = PaymentConfig(
    bank_account_holder="Verso Books GmbH",
    bank_iban="de89370400440532013000",
    bank_bic="cobadeffxxx",
    bank_name="Commerzbank",
)
REQUEST = PaymentRequest(
    amount=2599,
    currency="EUR",
    order_reference="VRS-2026-000123",
    customer_email="ada@example.com",
    success_url="https://shop.example/ok",
    cancel_url="https://shop.example/checkout",
    idempotency_key="pay-1",
)


async def test_bank_transfer_tells_the_customer_where_to_send_the_money() -> None:
    started = await OfflineProvider("bank_transfer", BANK).start(REQUEST)

    assert started == AwaitStaff(
        provider="bank_transfer",
        reference="VRS-2026-000123",
        instructions="Please transfer €25.99 to Verso Books GmbH, IBAN DE89 3704 0044 0532 0130 00, with the "
        "reference VRS-2026-000123. We process your order as soon as the payment arrives.",
        details=(
            ("Account holder", "Verso Books GmbH"),
            ("IBAN", "DE89 3704 0044 0532 0130 00"),
            ("BIC", "COBADEFFXXX"),
            ("Bank", "Commerzbank"),
            ("Reference", "VRS-2026-000123"),
            ("Amount", "€25.99"),
        ),
    )


async def test_bank_transfer_text_follows_the_locale_and_skips_missing_details() -> None:
    config = dataclasses.replace(BANK, bank_bic="", bank_name="")
    started = await OfflineProvider("bank_transfer", config).start(
        dataclasses.replace(REQUEST, locale="de_DE")
    )
    assert "25,99\xa0€" in started.instructions
    assert [label for label, _ in started.details] == ["Account holder", "IBAN", "Reference", "Amount"]


async def test_pay_on_pickup() -> None:
    plain = await OfflineProvider("pay_on_pickup", PaymentConfig()).start(REQUEST)
    assert plain.instructions == "Please pay €25.99 when you collect your order VRS-2026-000123."
    assert plain.details == (("Order", "VRS-2026-000123"), ("Amount", "€25.99"))


async def test_offline_payments_wait_for_staff_and_refunds_are_manual() -> None:
    provider = OfflineProvider("bank_transfer", BANK)

    status = await provider.status("VRS-2026-000123")
    cancelled = await provider.cancel("VRS-2026-000123")
    refund = await provider.refund("VRS-2026-000123", 1000, "EUR", idempotency_key="refund-1")

    assert (status.state, status.amount) == (PaymentState.PENDING, None)
    assert cancelled.state is PaymentState.CANCELLED
    assert (refund.refund_id, refund.state, refund.amount, refund.currency) == (
        "manual_refund-1",
        RefundState.MANUAL,
        1000,
        "EUR",
    )
    with pytest.raises(ValueError):
        await provider.refund("VRS-2026-000123", 0, "EUR", idempotency_key="refund-2")


def test_availability() -> None:
    assert OfflineProvider("bank_transfer", PaymentConfig()).available is False
    assert OfflineProvider("bank_transfer", PaymentConfig(bank_iban="DE89")).available is False
    assert OfflineProvider("bank_transfer", BANK).available is True
    assert OfflineProvider("pay_on_pickup", PaymentConfig(pickup_enabled=False)).available is False


def test_without_stripe_keys_the_shop_still_sells() -> None:
    bare = PaymentProviders(PaymentConfig())
    full = PaymentProviders(
        dataclasses.replace(BANK, stripe_secret_key="sk_1", stripe_webhook_secret="whsec_1")
    )

    assert [p.key for p in bare.available()] == ["pay_on_pickup"]
    assert [(p.key, p.label) for p in full.available()] == [
        ("stripe", "Card"),
        ("bank_transfer", "Bank transfer"),
        ("pay_on_pickup", "Pay on pickup"),
    ]
    assert bare.get("stripe").available is False  # still reachable for refunds of old payments
    assert all(isinstance(p, PaymentProvider) for p in full.all)
    with pytest.raises(KeyError):
        bare.get("paypal")


def test_secrets_stay_out_of_repr() -> None:
    text = repr(PaymentConfig(stripe_secret_key="sk_live_secret", stripe_webhook_secret="whsec_secret"))
    assert "sk_live_secret" not in text and "whsec_secret" not in text


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ", max_size=40))
def test_grouped_iban_reads_back_to_the_same_iban(iban: str) -> None:
    grouped = group_iban(iban)
    compact = iban.replace(" ", "").upper()
    assert grouped.replace(" ", "") == compact
    assert all(len(group) == 4 for group in grouped.split(" ")[:-1])
    assert len(grouped.split(" ")[-1]) <= 4
