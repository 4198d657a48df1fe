"""Normalising and checking what people type."""

from __future__ import annotations

import re
import unicodedata

from services.errors import InvalidName, InvalidPhone, InvalidTeamName

NAME_MIN, NAME_MAX = 2, 20
TEAM_NAME_MIN, TEAM_NAME_MAX = 2, 30

_IDEOGRAPH = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_LATIN = r"A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
# Middle dots separate the parts of transliterated names (阿依古丽·买买提).
_NAME_SEPARATORS = r"·•・‧ .'\-"
_REAL_NAME = re.compile(
    rf"[{_IDEOGRAPH}{_LATIN}](?:[{_IDEOGRAPH}{_LATIN}{_NAME_SEPARATORS}]*[{_IDEOGRAPH}{_LATIN}])?"
)
_SPACE_BETWEEN_IDEOGRAPHS = re.compile(rf"(?<=[{_IDEOGRAPH}]) (?=[{_IDEOGRAPH}])")
_MOBILE = re.compile(r"1[0-9]{10}")
_PHONE_PUNCTUATION = re.compile(r"[\s\-()（）]")


# Full-width letters and digits (from Chinese input methods) become plain ones; Chinese
# punctuation such as ，and 。 stays as typed.
_FULL_WIDTH_ALNUM = {
    code: unicodedata.normalize("NFKC", chr(code))
    for code in range(0xFF10, 0xFF5B)
    if chr(code).isalnum()
}


def clean_text(text: str) -> str:
    """Free text as stored: plain letters and digits, single spaces, no control characters."""
    cleaned = " ".join(text.translate(_FULL_WIDTH_ALNUM).split())
    return "".join(ch for ch in cleaned if not unicodedata.category(ch).startswith("C"))


def _clean(text: str) -> str:
    # NFKC turns full-width letters and digits from Chinese input methods
    # into plain ones; runs of whitespace become one space.
    return " ".join(unicodedata.normalize("NFKC", text).split())


def normalize_real_name(text: str) -> str:
    name = _SPACE_BETWEEN_IDEOGRAPHS.sub("", _clean(text))
    if not NAME_MIN <= len(name) <= NAME_MAX or not _REAL_NAME.fullmatch(name):
        raise InvalidName()
    return name


def normalize_mobile(text: str) -> str:
    """A typed mainland mobile number: 11 digits starting with 1 (+86 allowed)."""
    digits = _PHONE_PUNCTUATION.sub("", unicodedata.normalize("NFKC", text))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not _MOBILE.fullmatch(digits):
        raise InvalidPhone()
    return digits


def normalize_shared_phone(phone_number: str) -> str:
    """A number from a verified contact share: national form for +86, E.164 otherwise."""
    digits = re.sub(r"[^0-9]", "", phone_number)
    if digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        return digits[2:]
    if _MOBILE.fullmatch(digits):
        return digits
    if not 6 <= len(digits) <= 15:
        raise InvalidPhone()
    return "+" + digits


def normalize_team_name(text: str) -> str:
    name = _SPACE_BETWEEN_IDEOGRAPHS.sub("", _clean(text))
    if not TEAM_NAME_MIN <= len(name) <= TEAM_NAME_MAX or not any(ch.isalnum() for ch in name):
        raise InvalidTeamName()
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidTeamName()
    return name


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise one's own number, not to call it."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
