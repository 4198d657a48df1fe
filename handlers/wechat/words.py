"""How typed words are read on WeChat: full-width forms folded, the slash optional, and
Traditional characters read as Simplified (a 繁體 user types 舉報 for 举报)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def argument(text: str | None) -> str:
    """What follows the command word, as typed (codes are case-sensitive)."""
    cleaned = " ".join(unicodedata.normalize("NFKC", text or "").split()).removeprefix("/")
    return cleaned.partition(" ")[2].strip()


def normalized(text: str | None) -> str:
    """The words to match commands and choices against: full-width letters and digits as
    plain ones, no slash, single spaces, lower case, Simplified characters. (What people
    write for others, a name or a reason, is taken as typed, never from this.)"""
    cleaned = " ".join(unicodedata.normalize("NFKC", text or "").split())
    return _simplified().convert(cleaned.removeprefix("/").strip().lower())
