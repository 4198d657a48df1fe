"""config.toml and environment overrides."""

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_config_loads_and_paths_are_relative_to_it():
    settings = load_settings(ROOT / "config.toml", environ={})
    assert settings.bot.timezone == "Asia/Shanghai"
    assert settings.bot.default_language == "zh_Hans"
    assert settings.telegram.token == ""
    assert settings.database.url == f"sqlite+aiosqlite:///{ROOT}/data/volunteer-bot.sqlite3"
    assert settings.bot.data_dir == str(ROOT / "data")
    assert len(settings.communities) >= 2
    assert all(c.grids for c in settings.communities)


def test_environment_overrides_secrets():
    settings = load_settings(
        ROOT / "config.toml",
        environ={
            "BOT_TOKEN": "123:abc",
            "DATABASE_URL": "postgresql+asyncpg://u@db/volunteers",
            "BOT_ADMINS": "11, 22",
            "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot",
        },
    )
    assert settings.telegram.token == "123:abc"
    assert settings.database.url == "postgresql+asyncpg://u@db/volunteers"
    assert settings.bot.admins == [11, 22]
    assert settings.telegram.base_url == "http://127.0.0.1:8081/bot"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
[[communities]]
code = "c1"
name = "一社区"
grids = [{ code = "g1", name = "一网格" }]
"""


def test_minimal_config_gets_defaults(tmp_path):
    settings = load_settings(_write(tmp_path, MINIMAL), environ={})
    assert settings.telegram.base_url == "https://api.telegram.org/bot"
    assert settings.database.url.startswith("sqlite+aiosqlite:///")
    assert settings.database.url.endswith("data/volunteer-bot.sqlite3")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[bot]\ntimezone = "Mars/Olympus"\n' + MINIMAL, "bot.timezone"),
        ('[bot]\nadmins = ["boss"]\n' + MINIMAL, "bot.admins.0"),
        ('[bot]\ndefault_language = "fr"\n' + MINIMAL, "bot.default_language"),
        ('[database]\nurl = "mysql://x"\n' + MINIMAL, "database.url"),
        ('[telegram]\ntokn = "x"\n' + MINIMAL, "telegram.tokn"),
        ("[bot]\n", "communities"),
        (MINIMAL + MINIMAL, "duplicate community code"),
        ('[[communities]]\ncode = "c1"\nname = "x"\ngrids = []\n', "communities.0.grids"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path, text, named):
    with pytest.raises(ConfigError) as failure:
        load_settings(_write(tmp_path, text), environ={})
    assert named in str(failure.value)


def test_bad_admin_environment_variable(tmp_path):
    with pytest.raises(ConfigError, match="BOT_ADMINS"):
        load_settings(_write(tmp_path, MINIMAL), environ={"BOT_ADMINS": "me"})


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})
