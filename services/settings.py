"""Typed configuration: one model per TOML table.

The models live here (not in bot/) so handlers, services and the scheduler can
receive them without importing the entry point. `bot.config` reads the TOML
file and the environment into these models.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal
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
    # The overall pace of everything the bot sends (broadcasts go at this rate).
    messages_per_second: float = Field(default=30.0, gt=0, le=1000)


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
    # Volunteer numbers read <prefix><number>, e.g. CD000123.
    volunteer_number_prefix: str = Field(default="V", pattern=r"^[A-Z0-9]{0,8}$")


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


class ShiftKindSettings(LocalizedName):
    code: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    default_minutes: int = Field(default=120, ge=15, le=24 * 60)
    # Duties at a place (cleanup, traffic posts) need a post to check in at.
    needs_post: bool = False


def _default_kinds() -> list[ShiftKindSettings]:
    return [
        ShiftKindSettings(
            code="cleanup",
            name="清洁家园",
            name_en="Neighbourhood cleanup",
            name_zh_hant="清潔家園",
            default_minutes=120,
            needs_post=True,
        ),
        ShiftKindSettings(
            code="traffic",
            name="文明交通劝导",
            name_en="Traffic persuasion",
            name_zh_hant="文明交通勸導",
            default_minutes=120,
            needs_post=True,
        ),
        ShiftKindSettings(
            code="civic",
            name="文明劝导",
            name_en="Civic persuasion",
            name_zh_hant="文明勸導",
            default_minutes=120,
            needs_post=True,
        ),
        ShiftKindSettings(
            code="elder_visit",
            name="助老探访",
            name_en="Elder visit",
            name_zh_hant="助老探訪",
            default_minutes=60,
        ),
        ShiftKindSettings(
            code="other",
            name="其他服务",
            name_en="Other service",
            name_zh_hant="其他服務",
            default_minutes=120,
        ),
    ]


class ShiftSettings(_Strict):
    # Recurring shifts exist this many weeks ahead (topped up daily).
    weeks_ahead: int = Field(default=4, ge=1, le=26)
    # A generated shift is announced this many days before it starts.
    announce_days_ahead: int = Field(default=7, ge=0, le=60)
    # Cancelling later than this before the start tells the leader.
    cancel_cutoff_hours: int = Field(default=12, ge=0, le=14 * 24)
    # Check-in opens this long before the start and closes at the end.
    checkin_opens_minutes: int = Field(default=30, ge=0, le=24 * 60)
    # Check-out stays possible this long after the end; then the shift closes
    # and anyone still checked in waits for the leader's review.
    checkout_grace_minutes: int = Field(default=30, ge=0, le=12 * 60)
    default_radius_m: int = Field(default=150, ge=20, le=5000)
    kinds: list[ShiftKindSettings] = Field(default_factory=_default_kinds, min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> ShiftSettings:
        _require_unique([k.code for k in self.kinds], "shift kind code")
        return self

    def kind(self, code: str) -> ShiftKindSettings | None:
        return next((k for k in self.kinds if k.code == code), None)


class LedgerSettings(_Strict):
    # Minutes from check-in/out verified at the post (QR code or location) are
    # approved without a leader; others wait for one.
    auto_approve_verified: bool = True
    # A manual entry older than this needs an administrator's approval.
    manual_max_age_days: int = Field(default=30, ge=1, le=366)
    # A volunteer may ask to correct a shift's recorded times this long after.
    dispute_days: int = Field(default=7, ge=0, le=60)
    # Star levels by cumulative recorded hours (Ministry of Civil Affairs'
    # 2012 volunteer service record rules, 志愿服务记录办法): one to five stars.
    star_hours: list[int] = Field(default_factory=lambda: [100, 300, 600, 1000, 1500])

    @field_validator("star_hours")
    @classmethod
    def _increasing(cls, hours: list[int]) -> list[int]:
        if not hours or any(h <= 0 for h in hours) or hours != sorted(set(hours)):
            raise ValueError("must be positive hours in increasing order")
        return hours


class CertificateSettings(_Strict):
    """Who issues service certificates ("谁记录谁证明")."""

    issuer: str = Field(default="", max_length=80)  # default: the organisation's name
    person_in_charge: str = Field(default="", max_length=40)
    handler: str = Field(default="", max_length=40)
    contact: str = Field(default="", max_length=80)
    serial_prefix: str = Field(default="ZYFW", pattern=r"^[A-Z0-9]{1,8}$")


class NotificationSettings(_Strict):
    # Non-urgent pushes wait for the end of quiet hours; elder escalations do not.
    quiet_start: time = time(22, 0)
    quiet_end: time = time(7, 0)
    # Telegram's pace for one chat: at most one message a second.
    per_chat_interval_seconds: float = Field(default=1.0, ge=0, le=10)


class ReminderSettings(_Strict):
    # Before each shift, minutes ahead (24 h and 1 h by default).
    offsets_minutes: list[int] = Field(default_factory=lambda: [24 * 60, 60])
    # A reminder due while the bot was down is still sent this long after (marked late).
    grace_hours: int = Field(default=6, ge=0, le=48)
    # No answer to "still coming?" this long before the start: the leader is told.
    confirm_by_hours: int = Field(default=12, ge=0, le=72)
    # This long after the start the leader gets who has not checked in.
    missing_after_minutes: int = Field(default=15, ge=0, le=240)
    # A shift this close and below its minimum: the leader is warned.
    understaffed_hours: int = Field(default=24, ge=1, le=168)
    # The Friday call-up: day (0 = Monday) and time before, and for which kinds.
    callup_weekday: int = Field(default=3, ge=0, le=6)
    callup_time: time = time(19, 0)
    callup_kinds: list[str] = Field(default_factory=lambda: ["cleanup"])
    # On a statutory holiday (chinese-calendar): "skip" the call-up, or "send" it anyway.
    callup_on_holiday: Literal["skip", "send"] = "skip"
    # The leaders' weekly digest: day (0 = Monday) and time.
    digest_weekday: int = Field(default=0, ge=0, le=6)
    digest_time: time = time(8, 0)

    @field_validator("offsets_minutes")
    @classmethod
    def _positive(cls, offsets: list[int]) -> list[int]:
        if not offsets or any(m <= 0 for m in offsets):
            raise ValueError("must be positive minutes")
        return sorted(set(offsets), reverse=True)


class CareSettings(_Strict):
    """Elder care: the daily call, the weekly visit, birthdays."""

    # When the caller is asked to phone, and by when someone must have reached the elder.
    call_time: time = time(9, 0)
    call_deadline: time = time(18, 0)
    # "Could not reach": ask again this much later.
    retry_after_minutes: int = Field(default=120, ge=10, le=600)
    # No answer at all from the caller this long after the prompt: the backup is asked.
    backup_after_minutes: int = Field(default=120, ge=10, le=600)
    # The weekly visit: asked at call_time on the visit day, due by this time.
    visit_deadline: time = time(20, 0)
    # Whether new elders' families are told when nobody reached the elder.
    family_alerts_default: bool = False
    # Birthdays: the carers and the leader are reminded this many days before, and on the day.
    birthday_days_before: int = Field(default=7, ge=1, le=30)
    # The shift kind a visit's minutes are logged under.
    visit_activity: str = Field(default="elder_visit", max_length=32)

    @model_validator(mode="after")
    def _deadline_after_call(self) -> CareSettings:
        if self.call_deadline <= self.call_time or self.visit_deadline <= self.call_time:
            raise ValueError("the deadlines must be after call_time")
        return self


class ReportCategorySettings(LocalizedName):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    # Handled (resolved) within this many hours, or the weekly digest flags it.
    deadline_hours: int = Field(default=72, ge=1, le=24 * 60)


def _default_report_categories() -> list[ReportCategorySettings]:
    return [ReportCategorySettings(code="other", name="其他", name_en="Other", name_zh_hant="其他")]


class ReportSettings(_Strict):
    """Residents' reports of uncivil behaviour."""

    categories: list[ReportCategorySettings] = Field(
        default_factory=_default_report_categories, min_length=1
    )
    # GeoJSON FeatureCollection: one feature per grid, properties.code = the grid's code.
    grids_file: str | None = None
    # Where our copies of report photos are kept (under bot.data_dir when relative).
    photo_dir: str = "report-photos"
    max_photos: int = Field(default=3, ge=0, le=10)
    max_photo_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    description_max: int = Field(default=500, ge=20, le=2000)
    # Reports one person may submit per day (abuse limit).
    per_day: int = Field(default=10, ge=1, le=1000)
    # A report of the same category this close (metres) and this recent (hours) to an
    # open one is flagged to the officer as a probable duplicate.
    duplicate_distance_m: float = Field(default=50, ge=1, le=5000)
    duplicate_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Not accepted this many hours after submission: the admins are told.
    accept_within_hours: int = Field(default=4, ge=1, le=24 * 14)
    # After "resolved" the reporter may confirm or reopen for this many days; then it closes.
    confirm_days: int = Field(default=3, ge=1, le=60)

    @model_validator(mode="after")
    def _other_category(self) -> ReportSettings:
        _require_unique([c.code for c in self.categories], "report category code")
        return self

    def photo_path(self, data_dir: str) -> Path:
        return Path(data_dir) / self.photo_dir

    def category(self, code: str) -> ReportCategorySettings | None:
        return next((c for c in self.categories if c.code == code), None)


class Open311Settings(_Strict):
    """The Open311 GeoReport v2 API on the bot's web server."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Keys that may POST new requests (also from OPEN311_API_KEYS, comma-separated).
    api_keys: list[str] = Field(default_factory=list)
    jurisdiction_id: str = Field(default="", max_length=60)


class WeChatSettings(_Strict):
    """The WeChat Official Account (service account) channel."""

    enabled: bool = False
    # From the account's developer settings (开发 → 基本配置).
    app_id: str = ""
    app_secret: str = ""
    token: str = ""
    # Empty: plaintext mode; 43 characters: safe mode (安全模式), messages encrypted.
    encoding_aes_key: str = ""
    # Where the callback URL points (on the Open311 web server's host and port).
    callback_path: str = "/wechat/callback"
    # The API's address; tests point it at a local recorder.
    api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"
    # Outside the 48-hour customer-service window a notice can only go as a template
    # message (模板消息). The template chosen in the account's console, and which of its
    # fields take the notice's first line, the rest, the time and the closing remark.
    # Empty id: no template messages (another linked channel is tried instead).
    notice_template_id: str = ""
    # The template's closing line: writing back reopens the 48-hour window.
    template_remark: str = Field(default="回复“帮助”继续在公众号里操作。", max_length=100)
    template_fields: dict[str, str] = Field(
        default_factory=lambda: {
            "title": "first",
            "content": "keyword1",
            "time": "keyword2",
            "remark": "remark",
        }
    )
    # The web server's public HTTPS address (where the callback URL's host points), for
    # download links to files WeChat cannot carry: certificates, exports. Empty: none.
    public_url: str = ""
    # Signs those links (or WECHAT_LINK_SECRET); empty: the app secret signs them.
    link_secret: str = ""
    # Administrators by their OpenID in this account (besides bot.admins on Telegram).
    admins: list[str] = Field(default_factory=list)
    # WeChat waits 5 seconds for a passive reply; work that takes longer is acknowledged
    # and its answer follows as a customer-service message.
    reply_within_seconds: float = Field(default=4.0, gt=0, le=4.5)

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> WeChatSettings:
        if self.enabled and not (self.app_id and self.token):
            raise ValueError("wechat.app_id and wechat.token are needed when enabled")
        if self.encoding_aes_key and len(self.encoding_aes_key) != 43:
            raise ValueError("wechat.encoding_aes_key has 43 characters")
        if self.public_url and not self.public_url.startswith(("https://", "http://")):
            raise ValueError("wechat.public_url is a web address, like https://bot.example.org")
        return self


class WeComSettings(_Strict):
    """A WeCom (企业微信) self-built app, for the organisation's own staff (leaders, grid
    officers): the same conversations as the Official Account, inside WeCom."""

    enabled: bool = False
    # 我的企业 → 企业ID; the app's AgentId and Secret (应用管理 → the app).
    corp_id: str = ""
    agent_id: int = Field(default=0, ge=0)
    secret: str = ""
    # 接收消息 → API 接收: the Token and EncodingAESKey (WeCom always encrypts).
    token: str = ""
    encoding_aes_key: str = ""
    callback_path: str = "/wecom/callback"
    # The API's address; tests point it at a local recorder.
    api_base_url: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    # Administrators by their WeCom UserID.
    admins: list[str] = Field(default_factory=list)
    reply_within_seconds: float = Field(default=4.0, gt=0, le=4.5)

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> WeComSettings:
        if self.enabled and not (
            self.corp_id and self.agent_id and self.secret and self.token and self.encoding_aes_key
        ):
            raise ValueError(
                "wecom.corp_id, agent_id, secret, token and encoding_aes_key are needed "
                "when enabled"
            )
        if self.encoding_aes_key and len(self.encoding_aes_key) != 43:
            raise ValueError("wecom.encoding_aes_key has 43 characters")
        return self


class Settings(_Strict):
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    organisation: OrganisationSettings = Field(
        default_factory=lambda: OrganisationSettings(name="志愿服务队")
    )
    registration: RegistrationSettings = Field(default_factory=RegistrationSettings)
    shifts: ShiftSettings = Field(default_factory=ShiftSettings)
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    certificates: CertificateSettings = Field(default_factory=CertificateSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    care: CareSettings = Field(default_factory=CareSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    open311: Open311Settings = Field(default_factory=Open311Settings)
    wechat: WeChatSettings = Field(default_factory=WeChatSettings)
    wecom: WeComSettings = Field(default_factory=WeComSettings)
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
