"""Message catalogs (gettext, compiled by Babel) and per-language translators.

Message ids are the English source text; `locale/<lang>/LC_MESSAGES/messages.po`
holds the translations. English needs no translations: a missing entry falls
back to the id, which is English. Chinese catalogs are checked for completeness
by the test suite.
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton, get_day_names

DOMAIN = "messages"
DEFAULT_LANGUAGE = "zh_Hans"
SUPPORTED_LANGUAGES = ("zh_Hans", "zh_Hant", "en")
# Each language names itself, so a user can find theirs whatever is shown now.
LANGUAGE_NATIVE_NAMES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


def language_from_client(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Map a client's IETF language tag (Telegram's `language_code`) to ours."""
    if not code:
        return default
    tag = code.lower().replace("_", "-")
    if tag.startswith("en"):
        return "en"
    if tag.startswith("zh"):
        traditional = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
        return "zh_Hant" if tag.startswith(traditional) else "zh_Hans"
    return default


def pick_label(
    language: str, name: str, name_en: str | None = None, name_zh_hant: str | None = None
) -> str:
    """Choose a configured name's form for a language (Chinese name as fallback)."""
    if language == "en" and name_en:
        return name_en
    if language == "zh_Hant" and name_zh_hant:
        return name_zh_hant
    return name


@dataclass(frozen=True)
class Translator:
    language: str
    _translations: gettext.NullTranslations

    def __call__(self, message: str) -> str:
        return self._translations.gettext(message)

    def plural(self, singular: str, plural: str, count: int) -> str:
        return self._translations.ngettext(singular, plural, count)


class Catalogs:
    """All languages' translations, loaded once at start."""

    def __init__(self, locale_dir: Path = LOCALE_DIR, default: str = DEFAULT_LANGUAGE) -> None:
        self.default = default
        self._translators = {
            language: Translator(language, _load(locale_dir, language))
            for language in SUPPORTED_LANGUAGES
        }

    def translator(self, language: str | None) -> Translator:
        return self._translators.get(language or self.default) or self._translators[self.default]


def _load(locale_dir: Path, language: str) -> gettext.NullTranslations:
    po = locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if po.exists():
        # The install step compiles catalogs; compiling here keeps a freshly
        # edited .po from being shadowed by a stale .mo during development.
        log.info("compiling %s in memory (no up-to-date .mo)", po)
        return _compile_in_memory(po)
    return gettext.NullTranslations()


def _compile_in_memory(po: Path) -> gettext.GNUTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def format_date(value: date, language: str) -> str:
    """A date as people of that language write it (2026年11月27日 / Nov 27, 2026)."""
    return babel_format_date(value, format="medium", locale=_BABEL_LOCALES[language])


def format_day(value: date, language: str) -> str:
    """A near date with its weekday (11月27日周五 / Fri, Nov 27)."""
    return format_skeleton("MMMEd", value, locale=_BABEL_LOCALES[language])


def weekday_name(weekday: int, language: str) -> str:
    """0 = Monday: 星期一 / Monday."""
    return get_day_names("wide", locale=_BABEL_LOCALES[language])[weekday]


def format_month(value: date, language: str) -> str:
    """A month (2026年11月 / Nov 2026)."""
    return format_skeleton("yMMM", value, locale=_BABEL_LOCALES[language])


def format_span(start: datetime, end: datetime, zone: ZoneInfo, language: str) -> str:
    """A shift's time in the local zone: 11月27日周五 08:30–10:30."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    span = f"{local_start:%H:%M}–{local_end:%H:%M}"
    if local_end.date() != local_start.date():
        span = f"{local_start:%H:%M}–{format_day(local_end.date(), language)} {local_end:%H:%M}"
    return f"{format_day(local_start.date(), language)} {span}"


def format_duration(tr: Translator, minutes: int) -> str:
    """45 分钟 · 2 小时 · 1 小时 30 分钟 (a minus sign for corrections that take time away)."""
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    hours, rest = divmod(minutes, 60)
    if not hours:
        text = tr.plural("{minutes} minute", "{minutes} minutes", rest).format(minutes=rest)
    elif not rest:
        text = tr.plural("{hours} hour", "{hours} hours", hours).format(hours=hours)
    else:
        text = tr("{hours} h {minutes} min").format(hours=hours, minutes=rest)
    return sign + text


@runtime_checkable
class Localizable(Protocol):
    """A value shown differently per language (a date, a shift's label…)."""

    def localize(self, tr: Translator) -> str: ...


def render(tr: Translator, message: str, params: Mapping[str, Any] | None = None) -> str:
    """Translate a message id and fill its placeholders, localizing values that can be."""
    values = {
        key: value.localize(tr) if isinstance(value, Localizable) else value
        for key, value in (params or {}).items()
    }
    return tr(message).format(**values)


_BABEL_LOCALES = {"zh_Hans": "zh_Hans_CN", "zh_Hant": "zh_Hant_TW", "en": "en"}
