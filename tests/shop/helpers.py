"""Building blocks for shop tests: products, attributes and pictures made through the services."""

from __future__ import annotations

import io
from typing import Any

from verso.domains.shop.services import AttributeService, ProductInput, ProductService
from verso.lib.audit import Actor

ACTOR = Actor(label="test")


async def make_product(session: Any, name: str = "Blue mug", price: int = 1250, **fields: Any) -> Any:
    fields.setdefault("status", "active")
    product = await ProductService(session=session).create_product(
        ProductInput(name=name, price=price, **fields), actor=ACTOR
    )
    await session.commit()
    return product


async def make_attribute(session: Any, name: str, values: list[str], kind: str = "select") -> Any:
    service = AttributeService(session=session)
    await service.save_attribute(None, name, kind, [(v, "") for v in values], actor=ACTOR)
    await session.commit()
    return next(a for a in await service.all_with_values() if a.name == name)


def png(colour: str = "#3366aa", size: tuple[int, int] = (600, 400)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()
