"""JSON shapes of /api/v1: what the OpenAPI document describes and the handlers return."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme

BEARER = "bearerAuth"
SECURITY = [{BEARER: []}]


def security_components() -> Components:
    """The bearer scheme the API's operations refer to (for ``OpenAPIConfig(components=...)``)."""
    return Components(
        security_schemes={
            BEARER: SecurityScheme(
                type="http",
                scheme="bearer",
                description="A Verso API key (vso_…), created at /account/api-keys.",
            )
        }
    )


class FieldError(msgspec.Struct, omit_defaults=True):
    field: str | None
    message: str
    code: Annotated[
        str | None,
        msgspec.Meta(
            description="Why, as a stable word, where the endpoint gives one (e.g. taken, blocked)."
        ),
    ] = None


class Problem(msgspec.Struct):
    """An RFC 9457 problem document, as every API error is answered."""

    type: str
    title: str
    status: int
    detail: str
    request_id: str | None = None
    errors: list[FieldError] | None = None


class ApiUser(msgspec.Struct):
    id: UUID
    email: str
    first_name: str
    last_name: str
    roles: list[str]
    is_active: bool
    created_at: datetime


class ApiKeyInfo(msgspec.Struct):
    id: UUID
    name: str
    prefix: Annotated[str, msgspec.Meta(description="The key's visible start, e.g. vso_AbCd1234")]
    scopes: list[str]
    expires_at: datetime | None


class Me(msgspec.Struct):
    """The key in use and the person it acts for."""

    user: ApiUser
    key: ApiKeyInfo
    scopes: list[str]


class UserPage(msgspec.Struct):
    items: list[ApiUser]
    page: int
    per_page: int
    total: int
    pages: int


def problem_response(description: str) -> ResponseSpec:
    """An OpenAPI response documented as ``application/problem+json`` (every /api/v1 error)."""
    return ResponseSpec(
        data_container=Problem,
        description=description,
        media_type="application/problem+json",
        generate_examples=False,
    )


UNAUTHORIZED = problem_response("No API key, or a malformed, unknown, revoked or expired one.")
FORBIDDEN = problem_response("The key lacks the scope this operation needs (the detail names it).")
BAD_REQUEST = problem_response("A query parameter is out of range (errors name it).")
