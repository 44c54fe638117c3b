"""Images the editors upload for the public site.

An image is kept only when its first bytes say it is a PNG, a JPEG or a WebP
(the file's name and the browser's word for its type are not trusted), and
when it is no larger than MAX_BYTES. It is stored under instance/uploads/ with
a random name, so a name says nothing and cannot be guessed or reach outside
that folder. ContentItem.image holds its public address, url_for_upload(name)
("/uploads/<name>"), which the public site uses as it is.

Files are never deleted here: a replaced image may still be linked from a
newsletter already sent, and the audit log names it.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import IO

from shared.config import instance_dir

MAX_BYTES = 2 * 1024 * 1024
# What the file input offers to pick; the check below is what decides.
ACCEPT = "image/png,image/jpeg,image/webp"
EXTENSIONS = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
_NAME = re.compile(r"^[A-Za-z0-9_-]{16,64}\.(png|jpg|webp)$")


class UploadError(ValueError):
    """Why a file was refused: "empty", "too_large" or "not_an_image"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sniff(data: bytes) -> str | None:
    """The image's extension from its first bytes; None when it is no image we take."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if (
        data[:4] == b"RIFF"
        and data[8:12] == b"WEBP"
        and data[12:16] in (b"VP8 ", b"VP8L", b"VP8X")
    ):
        return "webp"
    return None


def uploads_dir() -> Path:
    path = instance_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_image(stream: IO[bytes], max_bytes: int = MAX_BYTES) -> str:
    """Check and store an uploaded image; its new name, or UploadError."""
    data = stream.read(max_bytes + 1)
    if not data:
        raise UploadError("empty")
    if len(data) > max_bytes:
        raise UploadError("too_large")
    extension = sniff(data)
    if extension is None:
        raise UploadError("not_an_image")
    name = f"{secrets.token_urlsafe(18)}.{extension}"
    folder = uploads_dir()
    # Written beside its final place, then renamed: never seen half-written.
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


def is_name(name: str | None) -> bool:
    """A name save_image could have given (checked before any use of it)."""
    return bool(name) and _NAME.match(name or "") is not None


def path_of(name: str) -> Path | None:
    """The stored file of a name, or None when there is no such upload."""
    if not is_name(name):
        return None
    path = uploads_dir() / name
    return path if path.is_file() else None


def mimetype_of(name: str) -> str:
    return EXTENSIONS.get(name.rsplit(".", 1)[-1], "application/octet-stream")


def url_for_upload(name: str) -> str:
    """Where the public sees an image: /uploads/<name> ("" for no image)."""
    return f"/uploads/{name}" if is_name(name) else ""


def name_from_url(value: str | None) -> str | None:
    """The upload's name in an address url_for_upload gave; None otherwise."""
    name = (value or "").removeprefix("/uploads/")
    return name if is_name(name) and value != name else None
