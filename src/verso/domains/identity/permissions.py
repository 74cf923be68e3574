"""The permission catalogue and the default roles.

Every route declares what it needs with ``permission=...`` on its handler: one of the strings below,
:data:`PUBLIC` (anyone) or :data:`AUTHENTICATED` (any signed-in person). Later modules add their
permissions here so the role editor can list them.
"""

from __future__ import annotations

PUBLIC = "public"
AUTHENTICATED = "authenticated"
STAFF = "admin.access"  # opens the staff app shell at /admin

CATALOGUE: dict[str, str] = {
    STAFF: "Open the staff area",
    "identity.users.read": "See staff and customer accounts",
    "identity.users.write": "Edit accounts: roles, status, employee details, sign-out",
    "identity.roles.write": "Create and edit roles and their permissions",
    "identity.security.read": "See sign-in attempts and blocked addresses",
    "identity.security.write": "Block and unblock addresses",
    "api.keys.manage": "Create and revoke API keys",
    "ops.settings.write": "Change business settings",
    "ops.jobs.read": "See background jobs and scheduled tasks",
    "ops.jobs.write": "Retry, cancel and run background jobs",
    "ops.outbox.read": "Read the email outbox",
    "ops.outbox.write": "Send or retry outbox emails",
    "compliance.audit.read": "Read the audit log",
    "shop.products.read": "See products, categories and attributes",
    "shop.products.write": "Create, edit and delete products, their variants and pictures",
    "shop.catalog.write": "Edit categories, attributes, collections, bundles and related products",
    "shop.reviews.moderate": "Approve, reject and reply to product reviews",
    "shop.promotions.write": "Create and edit discounts, issue and adjust gift cards",
    "shop.settings.write": "Edit shipping zones and rates, tax rates and checkout settings",
    "orders.read": "See orders, customers' subscriptions and the order export",
    "orders.write": "Mark orders paid, ship, cancel and refund them, add notes",
    "scheduling.setup.write": "Edit appointment types, staff hours, holidays and resources",
    "scheduling.appointments.read": "See the booking calendar, appointments and the waitlist",
    "scheduling.appointments.write": "Book, move, cancel and check in appointments",
}

DEFAULT_ROLES: dict[str, tuple[str, list[str]]] = {
    "admin": ("Full access to everything", ["*"]),
    "commercial": (
        "Sales and CRM",
        [STAFF, "identity.users.read", "shop.products.read", "orders.read", "scheduling.appointments.read"],
    ),
    "blogger": ("Content creation", [STAFF]),
    "employee": (
        "Employee portal",
        [STAFF, "scheduling.appointments.read", "scheduling.appointments.write"],
    ),
    "user": ("Customer", []),
}


def grants(held: frozenset[str], needed: str) -> bool:
    """Whether ``held`` covers ``needed``: exact, ``*``, or a ``domain.*`` prefix wildcard."""
    if needed in held or "*" in held:
        return True
    parts = needed.split(".")
    return any(".".join(parts[:i]) + ".*" in held for i in range(1, len(parts)))
