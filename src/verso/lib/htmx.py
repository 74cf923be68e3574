"""The one rule for page versus fragment, and the htmx-aware responses every controller uses.

An htmx request that is neither boosted nor a history restore gets the partial (one template
block); everything else gets the full page, which renders the same block inside the layout. Every
response that can differ by ``HX-Request`` says so with ``Vary``.

Pages render through :class:`Page`, which adds the shared page context (the signed-in person, the
business, flashes, navigation) from the context processors the server registers at start-up, so
this module stays free of any domain.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_303_SEE_OTHER

from verso.lib import flash
from verso.settings import get_settings

VARY = {"Vary": "HX-Request"}
ContextProcessor = Callable[[Request], dict[str, Any]]
_processors: list[ContextProcessor] = []


def add_context_processor(fn: ContextProcessor) -> None:
    if fn not in _processors:
        _processors.append(fn)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def wants_fragment(request: Request) -> bool:
    """True for an htmx request that is not boosted and not a history restore."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


def toast_header(message: str, level: str = "success") -> dict[str, str]:
    """An ``HX-Trigger`` header that makes the page show a toast."""
    return {"HX-Trigger": json.dumps({"toast": {"message": message, "level": level}})}


class Page(HTMXBlockTemplate):
    """A template response carrying the shared page context; a full page consumes the flash cookie.

    ``request`` is the request it answers, when known: a hook after the handler may still load
    what the page shows about the visitor (see ``lib.personal``)."""

    def __init__(self, *args: Any, request: Request | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("media_type", MediaType.HTML)  # else the handler's default (JSON) wins
        super().__init__(*args, **kwargs)
        self.request = request

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> Any:
        request = kwargs.get("request") or args[1]
        if self.block_name is None and flash.COOKIE in request.cookies:
            self.cookies.append(Cookie(key=flash.COOKIE, value="", max_age=0, path="/"))
        return super().to_asgi_response(*args, **kwargs)

    def create_template_context(self, request: Request) -> dict[str, Any]:  # type: ignore[override]
        context = super().create_template_context(request)
        for processor in _processors:
            for key, value in processor(request).items():
                context.setdefault(key, value)
        return context


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str = "content",
    status_code: int = HTTP_200_OK,
    headers: dict[str, str] | None = None,
    push_url: str | None = None,
) -> Page:
    """Render ``template`` whole, or only ``block`` when the request wants a fragment."""
    fragment = wants_fragment(request)
    return Page(
        request=request,
        template_name=template,
        context=context or {},
        block_name=block if fragment else None,
        status_code=status_code,
        headers={**VARY, **(headers or {})},
        push_url=push_url if push_url and fragment else None,
    )


def redirect(
    request: Request, url: str, *, message: str | None = None, level: str = "success"
) -> Response[Any]:
    """POST-then-303 for plain requests; ``HX-Redirect`` (never a 3xx) for htmx requests.

    ``message`` rides to the next page in the flash cookie (an htmx redirect reloads the page too).
    """
    response: Response[Any] = (
        ClientRedirect(redirect_to=url)
        if is_htmx(request)
        else Redirect(path=url, status_code=HTTP_303_SEE_OTHER)
    )
    if message:
        settings = get_settings()
        response.set_cookie(flash.flash_cookie(settings.secret_key, message, level, secure=settings.https))
    return response
