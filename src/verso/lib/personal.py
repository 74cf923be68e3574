"""Pages everyone shares but for a few personal parts: rendered once, then only those parts per visitor.

A signed-in customer's product page is every customer's product page except for the header's
account links, the wishlist button, their own review and their votes. Rendering it whole takes
milliseconds (layout, gallery, description, reviews); rendering those parts takes microseconds. So
such a page renders once per version (the catalogue's) as a :class:`Skeleton`: every partial a
template includes with ``{{ personal("partial.html", name=value) }}`` becomes a hole, and each
request renders only the holes, with its own context, and joins the pieces.

Outside a skeleton, ``personal()`` is an ordinary include (the template's context plus ``params``;
pass explicitly what the partial needs from ``{% set %}`` or loop variables, which an include would
see but a context does not hold). The CSRF token the skeleton was rendered with is swapped for a
slot, and each request's own token is written in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from jinja2_fragments import render_block
from litestar import MediaType, Request
from litestar.response.base import ASGIResponse
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from verso.lib import flash
from verso.lib.caches import VersionedLRU
from verso.lib.htmx import VARY, Page, wants_fragment
from verso.lib.pagecache import varying_headers

VisitorLoader = Callable[[Request[Any, Any, Any]], Awaitable[dict[str, Any]]]
_loaders: list[VisitorLoader] = []
_VISITOR = "verso_visitor"
HOLE = "\x00personal\x00"
CSRF_SLOT = "\x00csrf\x00"
_HOLES = "_personal_holes"


def add_visitor_loader(loader: VisitorLoader) -> None:
    """Register what every page's personal parts need about the visitor (e.g. the cart badge's
    count). A loader returns ``{}`` fast when the request has nothing of its own (no session, no
    cookie), so anonymous pages pay nothing."""
    if loader not in _loaders:
        _loaders.append(loader)


async def load_visitor(request: Request[Any, Any, Any]) -> None:
    """Run the loaders before a GET's handler (the app's ``before_request``): a shared page fills
    its personal parts there. Other requests mostly write and redirect, showing nothing about the
    visitor; the few that answer with a page load it after the handler (:func:`load_visitor_late`).
    Pages read the result through :func:`visitor_data` in their context."""
    if _loaders and request.method == "GET":
        await _load(request)


async def load_visitor_late(response: Any) -> Any:
    """The app's ``after_request``: a page answering anything but a GET (a form shown again with
    its errors, an htmx fragment) gets the visitor's data now, after the handler's changes."""
    if isinstance(response, Page) and response.request is not None:
        state = response.request.scope.setdefault("state", {})
        if _loaders and _VISITOR not in state:
            await _load(response.request)
    return response


async def _load(request: Request[Any, Any, Any]) -> None:
    data: dict[str, Any] = {}
    for loader in _loaders:
        data.update(await loader(request))
    request.scope.setdefault("state", {})[_VISITOR] = data


def visitor_data(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return request.scope.get("state", {}).get(_VISITOR) or {}


@pass_context
def personal(context: Context, template: str, **params: Any) -> Markup:
    """Include ``template`` (a Jinja global): a hole when the page renders as a skeleton."""
    holes = context.get(_HOLES)
    if holes is not None:
        holes.append((template, params))
        return Markup(HOLE)  # noqa: S704  (a constant)
    html = _render_part(context.environment, template, context.get_all(), params)
    return Markup(html)  # noqa: S704  (an autoescaped template's output, as an include gives)


def _render_part(env: Environment, name: str, parent: dict[str, Any], params: dict[str, Any]) -> str:
    """Template ``name`` rendered over ``parent`` (the page's globals and context, not copied: the
    part's own variables and ``params`` live in its own layer), as an include renders."""
    template = env.get_template(name)
    part = env.context_class(env, parent, template.name, template.blocks)
    part.vars.update(params)
    try:
        return env.concat(template.root_render_func(part))  # type: ignore[attr-defined,no-any-return]
    except Exception:
        env.handle_exception()
        raise  # not reached: handle_exception re-raises with the template's traceback


@dataclass(frozen=True, slots=True)
class Skeleton:
    """A rendered page cut at its personal parts: ``pieces`` has one more item than ``holes``."""

    pieces: tuple[str, ...]
    holes: tuple[tuple[str, dict[str, Any]], ...]

    def fill(self, env: Environment, context: dict[str, Any], csrf_token: str) -> str:
        """Render each hole and join the pieces. One mapping of globals and ``context`` serves
        every hole, each with its own ``params`` on top: ``Template.render`` would copy them all,
        and the globals' names, once per hole (a product page has a dozen holes)."""
        parent = {**env.globals, **context}
        parts = [self.pieces[0]]
        for (name, params), piece in zip(self.holes, self.pieces[1:], strict=True):
            parts.append(_render_part(env, name, parent, params))
            parts.append(piece)
        return "".join(parts).replace(CSRF_SLOT, csrf_token)


def _csrf_token(request: Request[Any, Any, Any]) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


SharedContext = Callable[[], dict[str, Any]]


def render_personal(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any],
    *,
    shared: SharedContext,
    skeletons: VersionedLRU[Hashable, Skeleton],
    key: Hashable,
    version: Hashable,
    block: str = "content",
) -> Page:
    """:func:`verso.lib.htmx.render` for a page that is shared but for its ``personal()`` parts.

    ``context`` holds what the personal parts read; ``shared()`` builds the rest, called only when
    the skeleton for ``key`` (and the request's htmx headers) at ``version`` must be rendered. A
    request carrying a flash message renders whole: its toasts are personal too."""
    fragment = wants_fragment(request)
    options: dict[str, Any] = {
        "template_name": template,
        "block_name": block if fragment else None,
        "headers": dict(VARY),
    }
    if flash.COOKIE in request.cookies:
        return Page(context={**shared(), **context}, **options)
    return PersonalPage(
        context=context,
        skeletons=skeletons,
        key=(key, varying_headers(request.scope)),
        version=version,
        shared=shared,
        **options,
    )


class PersonalPage(Page):
    """A page whose shared HTML comes from a :class:`Skeleton` cache (see :func:`render_personal`)."""

    def __init__(
        self,
        *,
        skeletons: VersionedLRU[Hashable, Skeleton],
        key: Hashable,
        version: Hashable,
        shared: SharedContext,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._skeletons, self._key, self._version, self._shared = skeletons, key, version, shared

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIResponse:  # type: ignore[override]
        request: Request[Any, Any, Any] = kwargs.get("request") or args[1]
        env: Environment = request.app.template_engine.engine  # type: ignore[union-attr]
        context = self.create_template_context(request)
        token = _csrf_token(request)
        skeleton = self._skeletons.get(self._key, self._version)
        if skeleton is None:
            skeleton = self._render_skeleton(env, {**self._shared(), **context}, token)
            self._skeletons.put(self._key, self._version, skeleton)
        return ASGIResponse(
            body=skeleton.fill(env, context, token).encode(),
            headers=self.headers,
            cookies=self.cookies,
            media_type=MediaType.HTML,
            status_code=self.status_code,
        )

    def _render_skeleton(self, env: Environment, context: dict[str, Any], token: str) -> Skeleton:
        holes: list[tuple[str, dict[str, Any]]] = []
        context[_HOLES] = holes
        template = env.get_template(self.template_name or "")
        if self.block_name:
            html = render_block(env, template, self.block_name, context)
        else:
            html = template.render(context)
        if token:
            html = html.replace(token, CSRF_SLOT)
        return Skeleton(tuple(html.split(HOLE)), tuple(holes))
