"""User-written text turned into safe HTML: Markdown rendered by markdown-it, then sanitised by nh3.

Rendering happens when content is saved (the HTML is stored beside its source), so pages never pay
for it and every path that shows the text shows the same sanitised HTML.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table").enable("strikethrough")


def sanitize_html(html: str) -> str:
    """Keep formatting, drop scripts, styles, event handlers and unsafe URLs; links get rel=noopener."""
    import nh3

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> str:
    """Markdown (with inline HTML allowed, then sanitised) as safe HTML."""
    return sanitize_html(_markdown().render(text or "")) if text.strip() else ""
