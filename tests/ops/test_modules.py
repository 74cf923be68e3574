"""Optional modules: turned off in the settings, their pages answer 404 and leave the sidebar."""

from __future__ import annotations

from litestar import Router, get

from tests.factories import post_form
from verso.lib.modules import Module, register_module
from verso.server import navigation
from verso.server.navigation import NavEntry


async def test_disabled_module_is_hidden_and_closed(app, admin_client) -> None:
    register_module(Module("garden", "Garden", "A module that exists only in this test"))

    @get(
        "/admin/garden", permission="admin.access", nav=NavEntry("Operations", "Garden"), sync_to_thread=False
    )
    def garden() -> str:
        return "flowers"

    app.register(Router(path="/", route_handlers=[garden], opt={"module": "garden"}))
    navigation.collect(app)
    assert (await admin_client.get("/admin/garden")).status_code == 404
    assert 'href="/admin/garden"' not in (await admin_client.get("/admin")).text

    page = await admin_client.get("/admin/settings")
    assert 'value="garden"' in page.text
    form = {
        "name": "Test Bakery",
        "address": "",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "locale": "en",
        "contact_email": "owner@example.com",
        "enabled_modules": ["garden"],
    }
    saved = await post_form(admin_client, "/admin/settings", form)
    assert saved.status_code == 200, saved.text
    assert (await admin_client.get("/admin/garden")).text == "flowers"
    assert 'href="/admin/garden"' in (await admin_client.get("/admin")).text
    await post_form(admin_client, "/admin/settings", {**form, "enabled_modules": []})
    assert (await admin_client.get("/admin/garden")).status_code == 404


async def test_unknown_module_is_refused(admin_client) -> None:
    form = {
        "name": "Test Bakery",
        "address": "",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "locale": "en",
        "contact_email": "owner@example.com",
        "enabled_modules": ["nonsense"],
    }
    response = await post_form(admin_client, "/admin/settings", form)
    assert response.status_code == 422 and "Unknown module: nonsense." in response.text
