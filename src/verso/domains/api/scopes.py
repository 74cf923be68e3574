"""API key scopes, and the permission a person needs to grant (and a key to use) each one.

A key never does more than its owner could: a scope can only be granted by someone holding its
permission, and every request re-checks that the owner still holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from verso.domains.identity.permissions import grants

# Manage every person's keys (see and revoke all). Not in the identity catalogue yet: until it is,
# only admins (``*``) hold it.
MANAGE_KEYS = "api.keys.manage"


@dataclass(frozen=True, slots=True)
class Scope:
    """``own``: anyone with an account may hold it for their own records (their orders and cart,
    their bookings): its endpoints show everyone's only to holders of ``permission``."""

    name: str
    label: str
    permission: str
    own: bool = False


SCOPES: dict[str, Scope] = {
    scope.name: scope
    for scope in (
        Scope("read:leads", "Read leads", "crm.leads.read"),
        Scope("write:leads", "Create and change leads", "crm.leads.write"),
        Scope("read:orders", "Read orders (your own; staff: all)", "orders.read", own=True),
        Scope("write:orders", "Use your cart; staff: change orders", "orders.write", own=True),
        Scope("read:products", "Read products", "shop.products.read"),
        Scope("write:products", "Create and change products", "shop.products.write"),
        Scope("read:appointments", "Read appointments", "scheduling.appointments.read", own=True),
        Scope(
            "write:appointments", "Book and change appointments", "scheduling.appointments.write", own=True
        ),
        Scope("read:users", "Read user accounts", "identity.users.read"),
        Scope("admin:webhooks", "Manage webhooks", "*"),
    )
}


def may_use(permissions: frozenset[str], scope: str) -> bool:
    """Whether a person holding ``permissions`` may grant (and a key of theirs may use) ``scope``."""
    known = SCOPES.get(scope)
    if known is None:
        return False
    if known.permission == "*":
        return "*" in permissions
    return known.own or grants(permissions, known.permission)


def grantable(permissions: frozenset[str]) -> list[Scope]:
    return [scope for scope in SCOPES.values() if may_use(permissions, scope.name)]
