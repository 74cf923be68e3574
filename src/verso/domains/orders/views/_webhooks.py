"""``POST /webhooks/stripe``: Stripe's events about payments. The body is verified against the
``Stripe-Signature`` header with the endpoint's signing secret before anything is read; a bad or
missing signature answers 400 and changes nothing. Each event id is handled once (a replay answers
200 and does nothing), so Stripe's retries are safe."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, post
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND

from verso.domains.identity.permissions import PUBLIC
from verso.domains.orders.services._payments import handle_stripe_event
from verso.lib.db import DbSession
from verso.lib.payments import WebhookError, verify_stripe_event
from verso.settings import get_settings

log = logging.getLogger(__name__)


@post("/webhooks/stripe", permission=PUBLIC, module="shop", status_code=HTTP_200_OK)
async def stripe_webhook(request: Request[Any, Any, Any], db_session: DbSession) -> Response[dict[str, str]]:
    secret = get_settings().stripe_webhook_secret
    if not secret:
        return Response({"error": "Stripe is not configured."}, status_code=HTTP_404_NOT_FOUND)
    body = await request.body()
    try:
        event = verify_stripe_event(body, request.headers.get("stripe-signature"), secret)
    except WebhookError as exc:
        log.warning("stripe webhook refused: %s", exc)
        return Response({"error": str(exc)}, status_code=HTTP_400_BAD_REQUEST)
    outcome = await handle_stripe_event(db_session, event)
    log.info("stripe webhook %s %s: %s", event.type, event.id, outcome)
    return Response({"received": event.id, "outcome": outcome}, status_code=HTTP_200_OK)


routes = [stripe_webhook]
