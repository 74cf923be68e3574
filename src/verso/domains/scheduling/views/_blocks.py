"""/admin/scheduling/blocks: the people who may not book online (a "block" no-show penalty, or staff's
own choice), a form to block an email by hand, and lifting a block. Everything needs
"scheduling.setup.write". Plain POST forms, 303 and a flash on success (htmx gets HX-Redirect), the
page again with 422 and inline errors otherwise."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from msgspec import Meta

from verso.domains.identity.deps import actor
from verso.domains.scheduling.services._blocks import MAX_REASON, block, lift, list_blocks
from verso.lib.db import DbSession
from verso.lib.forms import FormState, parse_form
from verso.lib.htmx import redirect, render
from verso.server.navigation import NavEntry

WRITE = "scheduling.setup.write"
STAFF = {"setup_gate": True, "module": "scheduling"}
BLOCKS = "/admin/scheduling/blocks"
Req = Request[Any, Any, Any]


class BlockForm(msgspec.Struct):
    email: Annotated[
        str,
        Meta(
            pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            max_length=254,
            extra={"error": "Enter an email address, like name@example.com."},
        ),
    ]
    reason: Annotated[
        str, Meta(min_length=1, max_length=MAX_REASON, extra={"error": "Say why, for whoever lifts it."})
    ]


async def _page(request: Req, db_session: DbSession, form: FormState, *, status: int = 200) -> Any:
    context = {"blocks": await list_blocks(db_session), "form": form, "max_reason": MAX_REASON}
    return render(request, "scheduling/setup/blocks.html", context, status_code=status)


@get(BLOCKS, permission=WRITE, nav=NavEntry("Scheduling", "Booking blocks", 78, "shield"), **STAFF)
async def blocks_index(request: Req, db_session: DbSession) -> Any:
    return await _page(request, db_session, FormState())


@post(BLOCKS, permission=WRITE, **STAFF)
async def block_create(request: Req, db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), BlockForm)
    if data is not None:
        added = await block(db_session, data.email, reason=data.reason, actor=actor(request))
        if added is not None:
            await db_session.commit()
            return redirect(request, BLOCKS, message=f"{added.email} can no longer book online.")
        form.add_error("email", "A block already stops this person from booking.")
    return await _page(request, db_session, form, status=HTTP_422_UNPROCESSABLE_ENTITY)


@post(f"{BLOCKS}/{{block_id:uuid}}/lift", permission=WRITE, **STAFF)
async def block_lift(request: Req, db_session: DbSession, block_id: FromPath[UUID]) -> Any:
    lifted = await lift(db_session, block_id, actor=actor(request))
    if lifted is None:
        raise NotFoundException("No such block: it may have been lifted already.")
    await db_session.commit()
    return redirect(request, BLOCKS, message=f"Block lifted: {lifted.email} can book online again.")


routes = [blocks_index, block_create, block_lift]
