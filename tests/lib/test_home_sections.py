"""The home page's sections hook: providers of enabled modules, in order; the page renders them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from verso.lib import home, modules
from verso.lib.home import HomeSection, home_sections, register_home_section
from verso.lib.modules import Module, register_module


@pytest.fixture
def providers() -> Iterator[None]:
    """Restore the registries afterwards: a module left registered would be on in later businesses."""
    saved, known = dict(home._providers), dict(modules._modules)
    yield
    home._providers.clear()
    home._providers.update(saved)
    modules._modules.clear()
    modules._modules.update(known)


async def test_enabled_modules_contribute_in_order(providers, db_session) -> None:
    register_module(Module("orchard", "Orchard", "A module that exists only in this test"))

    async def flowers(session: object) -> Sequence[HomeSection]:
        return [HomeSection("orchard/flowers.html", {"count": 3})]

    async def nothing(session: object) -> Sequence[HomeSection]:
        return []

    async def welcome(session: object) -> Sequence[HomeSection]:
        return [HomeSection("core/welcome.html")]

    home._providers.clear()
    register_home_section("orchard.flowers", flowers, module="orchard", order=20)
    register_home_section("orchard.empty", nothing, module="orchard", order=5)
    register_home_section("core.welcome", welcome, module=None, order=30)
    assert [s.template for s in await home_sections(db_session, frozenset())] == ["core/welcome.html"]
    found = await home_sections(db_session, frozenset({"orchard"}))
    assert [s.template for s in found] == ["orchard/flowers.html", "core/welcome.html"]
    assert found[0].context == {"count": 3}
    register_home_section("orchard.flowers", welcome, module="orchard", order=40)  # same key: replaced
    assert len(await home_sections(db_session, frozenset({"orchard"}))) == 2


async def test_the_shop_registers_its_featured_collections(app) -> None:
    assert "shop.featured_collections" in home._providers
    assert home._providers["shop.featured_collections"].module == "shop"
