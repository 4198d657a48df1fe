"""How typed words are read on WeChat: full-width forms folded, the slash optional."""

from __future__ import annotations

import unicodedata


def argument(text: str | None) -> str:
    """What follows the command word, as typed (codes are case-sensitive)."""
    cleaned = " ".join(unicodedata.normalize("NFKC", text or "").split()).removeprefix("/")
    return cleaned.partition(" ")[2].strip()


def normalized(text: str | None) -> str:
    """Full-width letters and digits as plain ones, no slash, single spaces, lower case."""
    cleaned = " ".join(unicodedata.normalize("NFKC", text or "").split())
    return cleaned.removeprefix("/").strip().lower()
