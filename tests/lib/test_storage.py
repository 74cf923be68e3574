"""Media storage: uploads checked by content, stored once per digest, renditions made at upload, and
served on content-addressed URLs with ETags and a year of caching. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import struct
import zlib
from io import BytesIO
from typing import Any

import pytest
from PIL import Image, ImageCms
from sqlalchemy import event, func, select

from verso.lib import storage
from verso.lib.db import get_engine
from verso.lib.storage import (
    CARD,
    FULL,
    KINDS,
    THUMB,
    StorageError,
    StoredFile,
    StoredRendition,
    sniff_image,
    store_image,
    url_for_file,
)


def make_image(fmt: str, size: tuple[int, int], mode: str = "RGB", **save: Any) -> bytes:
    image = Image.new(mode, size, "red" if mode != "P" else 1)
    for x in range(0, size[0], 7):  # something to resample, not one flat colour
        image.putpixel((x, x % size[1]), (0, 0, 255) if mode == "RGB" else 0)
    buffer = BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def with_png_size(png: bytes, width: int, height: int) -> bytes:
    """A valid PNG whose header claims ``width`` x ``height`` (what a decompression bomb looks like)."""
    ihdr = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:8] + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


def decoded(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


async def _count(db_session, model: type[Any]) -> int:
    return await db_session.scalar(select(func.count()).select_from(model))


async def test_a_png_is_stored_with_three_renditions_of_the_right_sizes(db_session) -> None:
    png = make_image("PNG", (2000, 1000))
    stored = await store_image(db_session, png, filename="C:\\fakepath\\Shop window.png")
    await db_session.commit()
    assert stored.digest == hashlib.sha256(png).hexdigest()
    assert (stored.content_type, stored.size) == ("image/png", len(png))
    assert (stored.width, stored.height) == (2000, 1000)
    assert stored.filename == "Shop window.png"
    sizes = {r.kind: (r.width, r.height) for r in stored.renditions}
    assert sizes == {FULL: (1600, 800), CARD: (480, 240), THUMB: (160, 80)}
    rows = (await db_session.execute(select(StoredRendition.kind, StoredRendition.data))).all()
    for kind, data in rows:
        image = decoded(data)
        assert image.format == "WEBP" and image.size == sizes[kind]
        assert stored.rendition(kind).digest == hashlib.sha256(data).hexdigest()
        assert stored.rendition(kind).content_type == "image/webp"
    assert await db_session.scalar(select(StoredFile.data)) == png


async def test_a_jpeg_is_turned_upright_and_loses_its_metadata(db_session) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was held on its side
    exif[0x010F] = "Camera maker"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    jpeg = make_image("JPEG", (600, 400), exif=exif.tobytes(), icc_profile=icc)
    stored = await store_image(db_session, jpeg, filename="photo.jpg")
    assert (stored.content_type, stored.width, stored.height) == ("image/jpeg", 400, 600)
    assert stored.rendition(FULL).width == 400 and stored.rendition(FULL).height == 600  # never enlarged
    assert stored.rendition(THUMB).height == 160 and stored.rendition(THUMB).width in (106, 107)
    for (data,) in (await db_session.execute(select(StoredRendition.data))).all():
        image = decoded(data)
        assert image.height > image.width
        assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info


async def test_a_small_image_is_never_enlarged(db_session) -> None:
    stored = await store_image(db_session, make_image("PNG", (100, 40)))
    assert {(r.width, r.height) for r in stored.renditions} == {(100, 40)}
    assert len({r.digest for r in stored.renditions}) == 1  # the same bytes three times: allowed


@pytest.mark.parametrize(
    ("fmt", "mode", "content_type"),
    [("WEBP", "RGBA", "image/webp"), ("GIF", "P", "image/gif"), ("PNG", "LA", "image/png")],
)
async def test_webp_gif_and_transparent_images_are_accepted(
    db_session, fmt: str, mode: str, content_type: str
) -> None:
    stored = await store_image(db_session, make_image(fmt, (300, 200), mode))
    assert stored.content_type == content_type
    assert stored.rendition(CARD).width == 300 and stored.rendition(THUMB).width == 160


async def test_content_decides_not_the_name(db_session) -> None:
    text = b"Just some notes, renamed to look like a picture.\n"
    with pytest.raises(StorageError, match="must be a PNG, JPEG, WebP or GIF image"):
        await store_image(db_session, text, filename="notes.png")
    assert sniff_image(text) is None
    assert sniff_image(make_image("GIF", (2, 2), "P")) == "image/gif"
    assert sniff_image(make_image("GIF", (2, 2), "P"), allowed=storage.STILL_IMAGE_TYPES) is None
    assert sniff_image(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None  # RIFF, but audio
    assert await _count(db_session, StoredFile) == 0


async def test_an_oversize_file_is_refused(db_session) -> None:
    png = make_image("PNG", (300, 300))
    with pytest.raises(StorageError, match=r"must be 1 KB or smaller"):
        await store_image(db_session, png, max_bytes=1024)
    with pytest.raises(StorageError, match=r"must be 10 MB or smaller"):
        await store_image(db_session, png + b"\x00" * storage.MAX_IMAGE_BYTES)


@pytest.mark.parametrize("side", [8_000, 100_000])
async def test_a_decompression_bomb_header_is_refused(db_session, side: int) -> None:
    """A few hundred bytes claiming 64 (our limit) or 10,000 megapixels (Pillow's own) are refused
    from the header, before any pixel is decoded."""
    bomb = with_png_size(make_image("PNG", (1, 1)), side, side)
    assert len(bomb) < 200
    with pytest.raises(StorageError, match="too many pixels: at most 50 megapixels"):
        await store_image(db_session, bomb)
    assert await _count(db_session, StoredFile) == 0


async def test_a_damaged_image_is_refused(db_session) -> None:
    png = make_image("PNG", (400, 300))
    with pytest.raises(StorageError, match="could not be read"):
        await store_image(db_session, png[: len(png) // 2])
    with pytest.raises(StorageError, match="could not be read"):
        await store_image(db_session, b"\xff\xd8\xff\xe0" + b"\x00" * 200)


async def test_the_same_bytes_are_stored_once(db_session, monkeypatch: pytest.MonkeyPatch) -> None:
    png = make_image("PNG", (640, 480))
    first = await store_image(db_session, png, filename="a.png")
    await db_session.commit()
    again = await store_image(db_session, png, filename="b.png")
    assert again.id == first.id and again.filename == "a.png"
    # Two requests racing with the same new bytes: the second insert meets the first row.
    missed = iter([None])

    async def miss_once(session, digest, *, refresh=False):
        if not refresh and next(missed, "done") is None:
            return None
        return await original(session, digest, refresh=refresh)

    original = storage._service._by_digest
    monkeypatch.setattr(storage._service, "_by_digest", miss_once)
    raced = await store_image(db_session, png)
    await db_session.commit()
    assert raced.id == first.id
    assert await _count(db_session, StoredFile) == 1
    assert await _count(db_session, StoredRendition) == 3


def test_urls_are_content_addresses() -> None:
    digest = "a" * 64
    assert url_for_file(digest) == f"/media/{digest}"
    assert [url_for_file(digest, kind) for kind in KINDS] == [f"/media/{digest}/{k}" for k in KINDS]
    with pytest.raises(ValueError, match="Unknown rendition kind"):
        url_for_file(digest, "huge")


class _Queries:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement: str, *_args: Any) -> None:
        self.statements.append(statement)


async def test_served_with_etag_304_and_a_year_of_caching(client, db_session) -> None:
    png = make_image("PNG", (900, 600))
    stored = await store_image(db_session, png)
    await db_session.commit()
    url = url_for_file(stored.digest)
    await client.get("/media/" + "0" * 64)  # loads the business settings every request reads
    queries = _Queries()
    event.listen(get_engine().sync_engine, "before_cursor_execute", queries)
    try:
        original = await client.get(url)
    finally:
        event.remove(get_engine().sync_engine, "before_cursor_execute", queries)
    [query] = queries.statements  # one query, of the served columns only
    assert "stored_file.data, stored_file.content_type, stored_file.digest" in query
    assert "updated_at" not in query
    assert original.status_code == 200 and original.content == png
    assert original.headers["content-type"] == "image/png"
    assert original.headers["etag"] == f'"{stored.digest}"'
    assert original.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert original.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in original.headers
    cached = await client.get(url, headers={"If-None-Match": f'W/"x", "{stored.digest}"'})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["etag"] == f'"{stored.digest}"' and "immutable" in cached.headers["cache-control"]
    assert (await client.get(url, headers={"If-None-Match": '"other"'})).status_code == 200


async def test_renditions_are_served_as_webp_by_kind(client, db_session) -> None:
    stored = await store_image(db_session, make_image("JPEG", (1000, 500)))
    await db_session.commit()
    for kind, width in ((THUMB, 160), (CARD, 480), (FULL, 1000)):
        response = await client.get(url_for_file(stored.digest, kind))
        assert response.status_code == 200 and response.headers["content-type"] == "image/webp"
        assert decoded(response.content).size == (width, width // 2)
        etag = f'"{stored.rendition(kind).digest}"'
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        again = await client.get(url_for_file(stored.digest, kind), headers={"If-None-Match": etag})
        assert again.status_code == 304


async def test_unknown_digest_or_kind_is_not_found(client, db_session) -> None:
    stored = await store_image(db_session, make_image("PNG", (50, 50)))
    await db_session.commit()
    for url in (
        "/media/" + "0" * 64,
        "/media/" + "0" * 64 + "/thumb",
        f"/media/{stored.digest}/huge",
        f"/media/{stored.digest.upper()}",
        "/media/not-a-digest",
        "/media/avatar",
    ):
        assert (await client.get(url)).status_code == 404, url


async def test_deleting_a_file_deletes_its_renditions(db_session) -> None:
    stored = await store_image(db_session, make_image("PNG", (200, 200)))
    await db_session.commit()
    await db_session.delete(stored)
    await db_session.commit()
    assert await _count(db_session, StoredRendition) == 0
