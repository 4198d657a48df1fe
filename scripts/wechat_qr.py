"""Permanent WeChat QR codes for a team's invite or a post's check-in.

    .venv/bin/python scripts/wechat_qr.py join <team invite code>
    .venv/bin/python scripts/wechat_qr.py checkin <post check-in code>

Prints the address of the QR image. Scanning it follows the Official Account (if
needed) and sends the bot the scene: joining the team, or checking in at the post
(handlers/wechat/chat.py). The codes are the ones in the Telegram links
(…?start=join_<code>, …?start=checkin_<code>).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import load_settings
from handlers.wechat.sender import ConfigurableClient


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["join", "checkin"])
    parser.add_argument("code")
    parser.add_argument("--config", type=Path, default=Path("config.toml"))
    args = parser.parse_args()
    client = ConfigurableClient(load_settings(args.config).wechat)
    created = client.qrcode.create(
        {
            "action_name": "QR_LIMIT_STR_SCENE",
            "action_info": {"scene": {"scene_str": f"{args.kind}_{args.code}"}},
        }
    )
    print(client.qrcode.get_url(created["ticket"]))


if __name__ == "__main__":
    main()
