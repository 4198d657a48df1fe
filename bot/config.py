"""Load `config.toml` plus environment overrides into typed settings.

Environment variables win over the file for secrets and deployment details:

    BOT_TOKEN          telegram.token
    DATABASE_URL       database.url
    TELEGRAM_BASE_URL  telegram.base_url (a local Bot API server or an emulator)
    TELEGRAM_BASE_FILE_URL  telegram.base_file_url (where files are downloaded from)
    BOT_ADMINS         bot.admins, comma-separated Telegram user ids (added to the file's)
    OPEN311_API_KEYS   open311.api_keys, comma-separated (added to the file's)
    WECHAT_APP_SECRET, WECHAT_TOKEN, WECHAT_ENCODING_AES_KEY   the wechat table's secrets
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from services.settings import Settings

DEFAULT_CONFIG_PATH = Path("config.toml")


class ConfigError(Exception):
    """The configuration cannot be used; the message names each key and problem."""


def load_settings(
    path: Path = DEFAULT_CONFIG_PATH, environ: Mapping[str, str] | None = None
) -> Settings:
    environ = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc

    _apply_environment(raw, environ, path)
    _resolve_relative_paths(raw, base=path.resolve().parent)
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(path, exc)) from exc


def _apply_environment(raw: dict[str, Any], environ: Mapping[str, str], path: Path) -> None:
    overrides = {
        "BOT_TOKEN": ("telegram", "token"),
        "DATABASE_URL": ("database", "url"),
        "TELEGRAM_BASE_URL": ("telegram", "base_url"),
        "TELEGRAM_BASE_FILE_URL": ("telegram", "base_file_url"),
        "WECHAT_APP_SECRET": ("wechat", "app_secret"),
        "WECHAT_TOKEN": ("wechat", "token"),
        "WECHAT_ENCODING_AES_KEY": ("wechat", "encoding_aes_key"),
        "WECHAT_LINK_SECRET": ("wechat", "link_secret"),
        "WECOM_SECRET": ("wecom", "secret"),
        "WECOM_TOKEN": ("wecom", "token"),
        "WECOM_ENCODING_AES_KEY": ("wecom", "encoding_aes_key"),
    }
    for variable, (table, key) in overrides.items():
        value = environ.get(variable, "").strip()
        if value:
            raw.setdefault(table, {})[key] = value
    admins = environ.get("BOT_ADMINS", "").strip()
    if admins:
        try:
            extra = [int(part) for part in admins.replace(" ", "").split(",") if part]
        except ValueError as exc:
            raise ConfigError(
                f"BOT_ADMINS: expected comma-separated Telegram user ids, got {admins!r}"
            ) from exc
        table = raw.setdefault("bot", {})
        table["admins"] = [*table.get("admins", []), *extra]
    api_keys = [k.strip() for k in environ.get("OPEN311_API_KEYS", "").split(",") if k.strip()]
    if api_keys:
        table = raw.setdefault("open311", {})
        table["api_keys"] = [*table.get("api_keys", []), *api_keys]


def _resolve_relative_paths(raw: dict[str, Any], base: Path) -> None:
    """Relative paths in the file are relative to the file, not to the shell's cwd."""
    bot = raw.setdefault("bot", {})
    data_dir = Path(bot.get("data_dir", "data"))
    bot["data_dir"] = str(data_dir if data_dir.is_absolute() else base / data_dir)

    reports = raw.get("reports", {})
    grids_file = reports.get("grids_file")
    if isinstance(grids_file, str) and grids_file and not Path(grids_file).is_absolute():
        reports["grids_file"] = str(base / grids_file)

    database = raw.get("database", {})
    url = database.get("url")
    prefix = "sqlite+aiosqlite:///"
    if isinstance(url, str) and url.startswith(prefix):
        file_part = url[len(prefix) :]
        if file_part and not file_part.startswith(("/", ":memory:")):
            database["url"] = prefix + str(base / file_part)


def _describe(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"  {key}: {error['msg']}")
    return "\n".join(lines)
