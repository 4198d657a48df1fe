"""Publish the Official Account's custom menu (自定义菜单) for the bot's main entries.

    .venv/bin/python scripts/wechat_menu.py [--config config.toml]

Uses wechat.app_id / app_secret from the configuration (or WECHAT_APP_SECRET). Each
entry is a CLICK button whose key the bot understands (handlers/wechat/chat.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import load_settings
from handlers.wechat.sender import ConfigurableClient

MENU = {
    "button": [
        {"type": "click", "name": "随手拍举报", "key": "REPORT"},
        {
            "name": "志愿服务",
            "sub_button": [
                {"type": "click", "name": "报名班次", "key": "SHIFTS"},
                {"type": "click", "name": "我的班次", "key": "MYSHIFTS"},
                {"type": "click", "name": "我的时长", "key": "MINUTES"},
                {"type": "click", "name": "记录时长", "key": "LOG"},
                {"type": "click", "name": "服务证明", "key": "CERTIFICATE"},
            ],
        },
        {
            "name": "我的",
            "sub_button": [
                {"type": "click", "name": "我的举报", "key": "MYREPORTS"},
                {"type": "click", "name": "待办举报", "key": "QUEUE"},
                {"type": "click", "name": "班次名单", "key": "ROSTER"},
                {"type": "click", "name": "使用帮助", "key": "HELP"},
            ],
        },
    ]
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("config.toml"))
    settings = load_settings(parser.parse_args().config)
    client = ConfigurableClient(settings.wechat)
    print(client.menu.create(MENU))


if __name__ == "__main__":
    main()
