"""Typed configuration: one model per TOML table.

The models live here (not in bot/) so handlers, services and the scheduler can
receive them without importing the entry point. `bot.config` reads the TOML
file and the environment into these models.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.i18n import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, pick_label


class _Strict(BaseModel):
    # A misspelt key must fail loudly rather than be ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedName(_Strict):
    """A configured label: Chinese name, optional English and Traditional forms."""

    name: str = Field(min_length=1, max_length=60)
    name_en: str | None = Field(default=None, max_length=60)
    name_zh_hant: str | None = Field(default=None, max_length=60)

    def label(self, language: str) -> str:
        return pick_label(language, self.name, self.name_en, self.name_zh_hant)


class TelegramSettings(_Strict):
    token: str = ""
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    poll_interval: float = Field(default=0.0, ge=0)
    # Telegram's flood limits (30 msg/s overall, 20/min per group) via AIORateLimiter.
    rate_limit: bool = True


class DatabaseSettings(_Strict):
    url: str = "sqlite+aiosqlite:///data/volunteer-bot.sqlite3"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                "(the bot uses async drivers)"
            )
        return url


class BotSettings(_Strict):
    timezone: str = "Asia/Shanghai"
    default_language: str = DEFAULT_LANGUAGE
    # Telegram user ids of administrators (文明办).
    admins: list[int] = Field(default_factory=list)
    data_dir: str = "data"

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("default_language")
    @classmethod
    def _supported_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class OrganisationSettings(LocalizedName):
    """The street office or town that runs the campaign."""

    contact: str | None = Field(default=None, max_length=80)


class GridSettings(LocalizedName):
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")


class CommunitySettings(LocalizedName):
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    grids: list[GridSettings] = Field(min_length=1)


class SkillSettings(LocalizedName):
    code: str = Field(pattern=r"^[a-z0-9_]{1,24}$")


class RegistrationSettings(_Strict):
    skills: list[SkillSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_codes(self) -> RegistrationSettings:
        _require_unique([s.code for s in self.skills], "skill code")
        return self

    def skill(self, code: str) -> SkillSettings | None:
        return next((s for s in self.skills if s.code == code), None)


class Settings(_Strict):
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    organisation: OrganisationSettings = Field(
        default_factory=lambda: OrganisationSettings(name="志愿服务队")
    )
    registration: RegistrationSettings = Field(default_factory=RegistrationSettings)
    communities: list[CommunitySettings] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> Settings:
        _require_unique([c.code for c in self.communities], "community code")
        _require_unique([g.code for c in self.communities for g in c.grids], "grid code")
        return self


def _require_unique(codes: list[str], what: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValueError(f"duplicate {what} {code!r}")
        seen.add(code)
