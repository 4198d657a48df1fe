"""Our own copies of report photos, so a report keeps its pictures after the chat
app's copy expires."""

from __future__ import annotations

import os
import re
from pathlib import Path

from services.errors import NotAPhoto, PhotoTooLarge

# What the file begins with, for the image types people send from phones.
_SIGNATURES = {
    b"\xff\xd8\xff": "jpg",
    b"\x89PNG\r\n\x1a\n": "png",
    b"RIFF": "webp",
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")


def check_size(size_bytes: int | None, limit: int) -> None:
    if size_bytes is not None and size_bytes > limit:
        raise PhotoTooLarge(limit=round(limit / 1024 / 1024, 1))


def image_type(content: bytes) -> str:
    for signature, extension in _SIGNATURES.items():
        if content.startswith(signature):
            if extension == "webp" and content[8:12] != b"WEBP":
                continue
            return extension
    raise NotAPhoto()


def store(directory: Path, name: str, content: bytes, *, limit: int) -> Path:
    """Write the photo under a name from the channel's unique file id (the same photo
    sent twice is one file); written to a temporary name first, so a crash never
    leaves half a picture."""
    check_size(len(content), limit)
    extension = image_type(content)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{_SAFE_NAME.sub('_', name)[:100]}.{extension}"
    if not path.exists():
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(content)
        os.replace(partial, path)
    return path
