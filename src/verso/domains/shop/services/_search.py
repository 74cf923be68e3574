"""Public product search: safe query parsing, one ranked query per results page (matches, total,
highlights), the result cards' data for products not seen since the last catalogue change, and
"did you mean" from the catalogue's own words.

- Parsing: the visitor's text is cut to ``MAX_QUERY`` characters and reduced to words (letters and
  digits); each word is quoted before it reaches FTS5 or ``to_tsquery``, so no input is ever query
  syntax. Every word must match; the last one also matches as a prefix (as-you-type).
- Ranking: SQLite's ``bm25`` with a name match worth 10, keywords (SKUs, tags, options, category) 4
  and the description 1; PostgreSQL's ``ts_rank`` over the weighted vector (A name, B keywords,
  C description). Only active products have documents, so only they are found.
- Highlighting: the engine marks matches with control characters that documents cannot contain
  (``_search_index.clean_text``); :func:`marked` escapes everything else and turns only those marks
  into ``<mark>``.
- Speed: the ranked query returns only ids and highlights and, when the session has not begun (a
  request's), runs through :func:`verso.lib.db.read_rows` (on SQLite synchronously, no thread hop).
  What a card shows besides them (price, picture, stock) is the same for every search, so the view
  keeps each rendered card per catalogue version and asks :func:`load_cards` only for the others.
- Suggestions: when a search finds fewer than ``SUGGEST_BELOW`` products, each unknown word is
  replaced by the closest word of the catalogue's vocabulary (edit distance 1, or 2 for longer words,
  the most common word winning ties). The vocabulary is built once per catalogue version and
  process, with a deletion-neighbourhood index, so a suggestion costs a few dictionary lookups.
"""

from __future__ import annotations

import asyncio
import math
import re
import weakref
from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from markupsafe import Markup, escape
from sqlalchemy import Integer, Select, bindparam, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import Product, ProductImage, search_document
from verso.domains.shop.models._search import FTS_TABLE, TEXT_CONFIG
from verso.domains.shop.services._products import in_stock_clause
from verso.domains.shop.services._search_index import apply_pending
from verso.domains.shop.services._version import current_version
from verso.lib.caches import on_reset
from verso.lib.db import dialect_name, read_rows
from verso.lib.tables import int_param

PER_PAGE = 24
MAX_PAGE = 1_000
MAX_QUERY = 200  # characters of the visitor's text that are kept
MAX_TERMS = 8
MAX_TERM = 40
SUGGEST_BELOW = 3
WEIGHTS = (10.0, 4.0, 1.0)  # bm25: name, keywords, body
SEARCH_URL = "/shop/search"
_WORD = re.compile(r"[^\W_]+")
_PAIRED = re.compile("[^\x01\x02]*(?:\x01[^\x01\x02]*\x02[^\x01\x02]*)*")


@dataclass(frozen=True)
class SearchQuery:
    """What the visitor asked: the text as shown back (trimmed), its words, and the page."""

    text: str = ""
    terms: tuple[str, ...] = ()
    page: int = 1

    @classmethod
    def parse(cls, raw: str, page: int = 1) -> SearchQuery:
        text = " ".join("".join(ch if ch.isprintable() else " " for ch in raw[: MAX_QUERY * 2]).split())
        text = text[:MAX_QUERY]
        terms = tuple(word.lower()[:MAX_TERM] for word in _WORD.findall(text))[:MAX_TERMS]
        return cls(text=text, terms=terms, page=max(1, min(page, MAX_PAGE)))

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SearchQuery:
        raw, page_text = params.get("q"), params.get("page")
        raw = raw if isinstance(raw, str) else ""
        page_text = page_text if isinstance(page_text, str) else ""
        page = int_param(page_text, 1)
        return cls.parse(raw, page)

    @property
    def is_empty(self) -> bool:
        return not self.terms

    def url(self, page: int = 1) -> str:
        pairs = [("q", self.text)] + ([("page", str(page))] if page > 1 else [])
        return f"{SEARCH_URL}?{urlencode(pairs)}"

    def _prefix(self) -> bool:
        return len(self.terms[-1]) >= 2

    def fts5(self) -> str:
        """An FTS5 query: every word a quoted string (no operators), the last one a prefix too."""
        phrases = [f'"{term}"' for term in self.terms]
        if self._prefix():
            phrases[-1] += "*"
        return " ".join(phrases)

    def tsquery(self) -> str:
        """A ``to_tsquery`` text: quoted lexemes joined by AND, the last one a prefix too."""
        lexemes = [f"'{term}'" for term in self.terms]
        if self._prefix():
            lexemes[-1] += ":*"
        return " & ".join(lexemes)


@dataclass(frozen=True)
class CardImage:
    """The picture a result card shows (the product card needs only these two)."""

    digest: str
    alt_text: str


@dataclass
class Hit:
    """One result: the product's id, its name with the matches marked and a matching excerpt. What
    its card shows (``product``, ``image``, ``in_stock``) is filled by :func:`load_cards`, or by the
    view with a card it rendered before."""

    product_id: UUID
    name: Markup
    snippet: Markup
    product: Any = None
    image: CardImage | None = None
    in_stock: bool = True


@dataclass
class SearchResults:
    query: SearchQuery
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    suggestion: SearchQuery | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PER_PAGE))

    def url(self, page: int = 1) -> str:
        return self.query.url(page)


def marked(text: str | None) -> Markup:
    """Engine output with matches between \\x01 and \\x02 as safe HTML: the text escaped, the
    matches in ``<mark>``. Escaping leaves the two markers alone, so the whole string is escaped at
    once; markers that do not pair up are dropped rather than trusted."""
    safe = str(escape(text or ""))
    if not _PAIRED.fullmatch(safe):
        safe = safe.replace("\x01", "").replace("\x02", "")
    return Markup(safe.replace("\x01", "<mark>").replace("\x02", "</mark>"))  # noqa: S704  (escaped above)


# ---------- The query ----------

_FTS = literal_column(FTS_TABLE)
_PG_VECTOR = literal_column("shop_search_document.search_vector")
_PG_CONFIG = literal_column(f"'{TEXT_CONFIG}'::regconfig")


def _fts_match() -> Any:
    return _FTS.op("MATCH")(bindparam("match"))


def _pg_query() -> Any:
    return func.to_tsquery(_PG_CONFIG, bindparam("match"))


def _sqlite_statement() -> Select[Any]:
    """FTS5 returns the matches already in rank order (``ORDER BY rank`` with the weights given in
    ``rank MATCH``), so SQLite stops after the page and highlights only the rows it returns; the
    total is one uncorrelated count, computed once."""
    total = select(func.count()).select_from(table(FTS_TABLE)).where(_fts_match()).correlate(None)
    rank = literal_column(f"{FTS_TABLE}.rank")
    weights = ", ".join(str(weight) for weight in WEIGHTS)
    return (
        select(
            Product.id.label("product_id"),
            total.scalar_subquery().label("total"),
            func.highlight(_FTS, 0, "\x01", "\x02").label("name_html"),
            func.snippet(_FTS, 2, "\x01", "\x02", "…", 24).label("snippet_html"),
        )
        .select_from(table(FTS_TABLE))
        .join(search_document, search_document.c.id == literal_column(f"{FTS_TABLE}.rowid"))
        .join(Product, Product.id == search_document.c.product_id)
        .where(_fts_match(), rank.op("MATCH")(f"bm25({weights})"), Product.status == "active")
        .order_by(rank)
        .limit(PER_PAGE)
        .offset(bindparam("offset", type_=Integer))
    )


def _postgres_statement() -> Select[Any]:
    """The page of best matches (GIN index, ``ts_rank``, a window count) first, then headlines for
    those rows only."""
    score = func.ts_rank(_PG_VECTOR, _pg_query())
    hits = (
        select(search_document.c.id.label("doc_id"), score.label("score"), func.count().over().label("total"))
        .where(_PG_VECTOR.op("@@")(_pg_query()))
        .order_by(score.desc(), search_document.c.id)
        .limit(PER_PAGE)
        .offset(bindparam("offset", type_=Integer))
        .cte("hits")
    )
    name_options = "StartSel=\x01, StopSel=\x02, HighlightAll=true"
    body_options = "StartSel=\x01, StopSel=\x02, MaxWords=28, MinWords=12, ShortWord=2"
    return (
        select(
            Product.id.label("product_id"),
            hits.c.total,
            func.ts_headline(_PG_CONFIG, search_document.c.name, _pg_query(), name_options).label(
                "name_html"
            ),
            func.ts_headline(_PG_CONFIG, search_document.c.body, _pg_query(), body_options).label(
                "snippet_html"
            ),
        )
        .select_from(hits)
        .join(search_document, search_document.c.id == hits.c.doc_id)
        .join(Product, Product.id == search_document.c.product_id)
        .where(Product.status == "active")
        .order_by(hits.c.score.desc(), hits.c.doc_id)
    )


_statements: dict[str, Select[Any]] = {}


def _statement(dialect: str) -> Select[Any]:
    """The page query for ``dialect``, built once (building it costs more than running it)."""
    if dialect not in _statements:
        _statements[dialect] = _postgres_statement() if dialect == "postgresql" else _sqlite_statement()
    return _statements[dialect]


async def _rows(session: AsyncSession, statement: Any, params: dict[str, Any]) -> Sequence[Any]:
    """The rows of ``statement``: through the session once it has begun (it may hold changes of its
    own that the search must see), else through :func:`read_rows` (the same committed data)."""
    if session.in_transaction():
        return (await session.execute(statement, params)).all()
    return await read_rows(statement, params)


async def search_products(session: AsyncSession, query: SearchQuery) -> SearchResults:
    """One page of active products matching ``query``, best first, in one query (a page past the
    end costs two more; a suggestion reads the catalogue version, on SQLite without a round trip).
    The hits' cards are not loaded: see :func:`load_cards`."""
    results = SearchResults(query)
    if query.is_empty:
        return results
    await apply_pending(session)
    postgres = dialect_name(session) == "postgresql"
    statement = _statement("postgresql" if postgres else "sqlite")
    match = query.tsquery() if postgres else query.fts5()
    rows = await _rows(session, statement, {"match": match, "offset": (query.page - 1) * PER_PAGE})
    if not rows and query.page > 1:  # past the end (a stale link): show the last page instead
        total = await _count(session, match, postgres)
        if total:
            query = SearchQuery(query.text, query.terms, math.ceil(total / PER_PAGE))
            results = SearchResults(query)
            offset = (query.page - 1) * PER_PAGE
            rows = await _rows(session, statement, {"match": match, "offset": offset})
    for row in rows:
        results.hits.append(Hit(row.product_id, marked(row.name_html), marked(row.snippet_html)))
    results.total = rows[0].total if rows else 0
    if results.total < SUGGEST_BELOW:
        vocabulary = await vocabulary_for(session, await current_version())
        corrected = vocabulary.correct(query.terms)
        if corrected is not None:
            results.suggestion = SearchQuery(" ".join(corrected), corrected)
    return results


def _first_image(column: Any) -> Any:
    return (
        select(column)
        .where(ProductImage.product_id == Product.id)
        .order_by(ProductImage.is_primary.desc(), ProductImage.position)
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )


_CARDS = select(
    Product,
    _first_image(ProductImage.digest).label("image_digest"),
    _first_image(ProductImage.alt_text).label("image_alt"),
    in_stock_clause().label("in_stock"),
).where(Product.id.in_(bindparam("ids", expanding=True)))


async def load_cards(session: AsyncSession, hits: Sequence[Hit]) -> None:
    """Fill in what ``hits``' result cards show (the product, its picture, its stock), in one query."""
    if not hits:
        return
    rows = await session.execute(_CARDS, {"ids": [hit.product_id for hit in hits]})
    cards = {row.Product.id: row for row in rows}
    for hit in hits:
        row = cards.get(hit.product_id)
        if row is not None:  # else deleted since the search (a race): the card shows the name alone
            hit.product = row.Product
            hit.image = CardImage(row.image_digest, row.image_alt or "") if row.image_digest else None
            hit.in_stock = bool(row.in_stock)


async def _count(session: AsyncSession, match: str, postgres: bool) -> int:
    if postgres:
        stmt = select(func.count()).select_from(search_document).where(_PG_VECTOR.op("@@")(_pg_query()))
    else:
        stmt = select(func.count()).select_from(table(FTS_TABLE)).where(_fts_match())
    return await session.scalar(stmt, {"match": match}) or 0


# ---------- Did you mean ----------


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent swaps)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


class Vocabulary:
    """The catalogue's words with the number of products using each, and a deletion index: every
    word and its one-letter deletions point back to the word, so the words within two edits of a
    term are found by looking up the term and its own one-letter deletions."""

    def __init__(self, counts: Counter[str]) -> None:
        self.counts = counts
        self.sorted = sorted(counts)
        self.index: dict[str, list[str]] = {}
        for word in counts:
            if len(word) >= 3 and not word.isdigit():
                for key in _deletes(word) | {word}:
                    self.index.setdefault(key, []).append(word)

    def _is_prefix(self, term: str) -> bool:
        at = bisect_left(self.sorted, term)
        return at < len(self.sorted) and self.sorted[at].startswith(term)

    def closest(self, term: str) -> str | None:
        """The most likely intended word for an unknown ``term``, or ``None``."""
        if len(term) < 3 or term.isdigit():
            return None
        limit = 1 if len(term) <= 4 else 2
        candidates = {word for key in _deletes(term) | {term} for word in self.index.get(key, ())}
        scored = [(d, -self.counts[w], w) for w in candidates if (d := _distance(term, w)) <= limit]
        return min(scored)[2] if scored else None

    def correct(self, terms: tuple[str, ...]) -> tuple[str, ...] | None:
        """``terms`` with each unknown word replaced by its closest known word (the last word may
        also be the start of a known word: the visitor may still be typing); ``None`` when nothing
        needs correcting or a word has no close match (a suggestion that finds nothing helps no one)."""
        out = []
        for position, term in enumerate(terms):
            known = term in self.counts or (position == len(terms) - 1 and self._is_prefix(term))
            replacement = term if known else self.closest(term)
            if replacement is None:
                return None
            out.append(replacement)
        return tuple(out) if tuple(out) != terms else None


_vocabulary: tuple[int, Vocabulary] | None = None
_building: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


@on_reset
def _forget_vocabulary() -> None:
    global _vocabulary
    _vocabulary = None


def _count_words(rows: list[Any]) -> Vocabulary:
    counts: Counter[str] = Counter()
    for name, keywords, body in rows:
        counts.update({word.lower() for word in _WORD.findall(f"{name} {keywords} {body}")})
    return Vocabulary(counts)


async def vocabulary_for(session: AsyncSession, version: int) -> Vocabulary:
    """The vocabulary of catalogue ``version``: built on first use (in a thread, one build at a
    time: a few hundred milliseconds for 10,000 products), then shared by every request."""
    global _vocabulary
    if _vocabulary is not None and _vocabulary[0] == version:
        return _vocabulary[1]
    lock = _building.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock:
        if _vocabulary is None or _vocabulary[0] != version:
            rows = await session.execute(
                select(search_document.c.name, search_document.c.keywords, search_document.c.body)
            )
            _vocabulary = (version, await asyncio.to_thread(_count_words, list(rows)))
        return _vocabulary[1]
