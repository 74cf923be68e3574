"""Storing files of any type (a digital product's download): typed by bytes then name, never by the
browser alone; kept once per digest under the original name; readable for download links but never
served on the public /media routes. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.shop.helpers import png
from verso.lib.storage import (
    MAX_DIGITAL_FILE_BYTES,
    OCTET_STREAM,
    PDF,
    StorageError,
    StoredFile,
    StoredRendition,
    read_media,
    sniff_file,
    store_file,
    store_image,
    upload_limit,
)
from verso.lib.storage import _service as service

GUIDE = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"


async def test_a_pdf_is_stored_once_with_its_name_and_no_renditions(db_session) -> None:
    stored = await store_file(
        db_session, GUIDE, filename="C:\\fakepath\\Field guide.pdf", content_type="text/html", max_bytes=1024
    )
    await db_session.commit()
    assert (stored.content_type, stored.filename, stored.size) == (PDF, "Field guide.pdf", len(GUIDE))
    assert (stored.width, stored.height, stored.renditions) == (0, 0, [])
    again = await store_file(db_session, GUIDE, filename="other.pdf", max_bytes=1024)
    assert again.id == stored.id and again.filename == "Field guide.pdf"  # the first name wins
    assert await db_session.scalar(select(func.count()).select_from(StoredFile)) == 1
    media = await read_media(db_session, stored.digest)
    assert media is not None and (media.data, media.content_type) == (GUIDE, PDF)


async def test_empty_and_oversize_files_are_refused(db_session) -> None:
    with pytest.raises(StorageError, match=r"The file is empty\."):
        await store_file(db_session, b"", filename="x.pdf", max_bytes=1024)
    with pytest.raises(StorageError, match=r"The file must be 1 KB or smaller\."):
        await store_file(db_session, b"x" * 1025, filename="x.zip", max_bytes=1024)
    assert await db_session.scalar(select(func.count()).select_from(StoredFile)) == 0


@pytest.mark.parametrize(
    ("data", "filename", "declared", "expected"),
    [
        (png(), "photo.pdf", "application/pdf", "image/png"),  # the bytes decide
        (GUIDE, "guide", None, PDF),
        (b"PK\x03\x04 zip", "Novel.epub", "application/octet-stream", "application/epub+zip"),
        (b"PK\x03\x04 zip", "Songs.zip", None, "application/zip"),
        (b"plain words", "notes.txt", "text/html", "text/plain"),  # the name beats the browser
        (b"<b>not a png</b>", "fake.png", "image/png", OCTET_STREAM),  # no image the bytes are not
        (b"<script>alert(1)</script>", "page.html", "text/html", OCTET_STREAM),  # nothing that runs
        (b"<svg onload=alert(1)>", "logo.svg", None, OCTET_STREAM),
        (b"PK\x03\x04", "Report.docx", None, OCTET_STREAM),  # its type is longer than the column
        (b"raw", "README", "text/plain; charset=utf-8", "text/plain"),  # the browser, last and checked
        (b"raw", "README", "not a type", OCTET_STREAM),
        (b"raw", "", None, OCTET_STREAM),
    ],
)
def test_the_type_comes_from_the_bytes_then_the_name(
    data: bytes, filename: str, declared: str | None, expected: str
) -> None:
    assert sniff_file(data, filename, declared) == expected


async def test_a_stored_file_is_not_served_on_the_public_media_routes(client, db_session) -> None:
    stored = await store_file(db_session, GUIDE, filename="guide.pdf", max_bytes=1024)
    text = await store_file(db_session, b"<h1>hi</h1>", filename="page.html", max_bytes=1024)
    image = await store_image(db_session, png())
    await db_session.commit()
    for digest in (stored.digest, text.digest):
        assert (await client.get(f"/media/{digest}")).status_code == 404
        assert (await client.get(f"/media/{digest}/thumb")).status_code == 404
    assert (await client.get(f"/media/{image.digest}")).status_code == 200  # images still are


async def test_an_image_kept_as_a_file_gets_renditions_when_stored_as_an_image(db_session) -> None:
    picture = png(size=(300, 200))
    plain = await store_file(db_session, picture, filename="poster.png", max_bytes=len(picture))
    assert (plain.content_type, plain.width, plain.renditions) == ("image/png", 0, [])
    stored = await store_image(db_session, picture, filename="poster.png")
    await db_session.commit()
    assert stored.id == plain.id and (stored.width, stored.height) == (300, 200)
    assert sorted(r.kind for r in stored.renditions) == ["card", "full", "thumb"]
    assert await db_session.scalar(select(func.count()).select_from(StoredRendition)) == 3
    assert (await store_image(db_session, picture)).id == plain.id  # and stays one row


def test_the_upload_limit_follows_the_request_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    def body_limit(size: int) -> None:
        monkeypatch.setattr(service, "get_settings", lambda: SimpleNamespace(max_body_bytes=size))

    body_limit(200 * 1024 * 1024)
    assert upload_limit(MAX_DIGITAL_FILE_BYTES) == service.UploadLimit(MAX_DIGITAL_FILE_BYTES, False)
    assert upload_limit(MAX_DIGITAL_FILE_BYTES).label == "100 MB"
    body_limit(10_000_000)  # the default: room for 9 MB and the rest of the form
    limit = upload_limit(MAX_DIGITAL_FILE_BYTES)
    assert (limit.max_bytes, limit.by_request_size, limit.label) == (9 * 1024 * 1024, True, "9 MB")
    body_limit(500_000)
    assert upload_limit(MAX_DIGITAL_FILE_BYTES).max_bytes == 500_000 - 64 * 1024
