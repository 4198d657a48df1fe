"""Command line: `python -m bot` runs the bot; `python -m bot migrate` only migrates."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.config import DEFAULT_CONFIG_PATH, ConfigError, load_settings
from bot.runtime import StartupError, serve
from models.migrate import upgrade_to_head


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "command", nargs="?", default="run", choices=("run", "migrate"), help="default: run"
    )
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every getUpdates call, APScheduler every job run, at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

    try:
        settings = load_settings(args.config)
        if args.command == "migrate":
            asyncio.run(upgrade_to_head(settings.database.url))
            print("database is at the newest schema")
        else:
            asyncio.run(serve(settings))
    except (ConfigError, StartupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
