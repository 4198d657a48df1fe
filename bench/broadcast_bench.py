"""Broadcast delivery: N volunteers, one announcement to everyone, sent through the real
Telegram stack (python-telegram-bot with the AIORateLimiter at the configured rate, the
outbox dispatcher, the progress job) against the Bot API emulator. Prints the achieved
messages per second against the configured limit; asserts nothing.

    .venv/bin/python bench/broadcast_bench.py                       # 3,000 at 30/s, SQLite
    .venv/bin/python bench/broadcast_bench.py --recipients 5000 --rate 300
    .venv/bin/python bench/broadcast_bench.py --url postgresql+asyncpg://postgres@127.0.0.1/bench

Needs node and the emulator's packages (tests/emulator, `npm ci` there). The database
is created from scratch (SQLite: a temporary file; PostgreSQL: the given database must
exist and be empty).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import func, insert
from sqlmodel import select

from bot.app import JOB_RUNNER_KEY, build_application
from bot.config import load_settings
from models import ChatIdentity, Grid, Notification, Person, Volunteer
from models.db import create_engine, create_session_factory
from models.migrate import upgrade_to_head
from services import broadcasts, org
from services.broadcasts import Scope
from services.i18n import Catalogs

ROOT = Path(__file__).resolve().parent.parent
EMULATOR = ROOT / "tests" / "emulator"
# Friday 27 November 2026, 10:00 in Shanghai: not quiet hours.
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
TOKEN = "123456:BENCH"
FIRST_CHAT = 10_000_001


async def start_emulator() -> tuple[asyncio.subprocess.Process, str]:
    if not (EMULATOR / "node_modules" / "telegram-test-api").is_dir():
        raise SystemExit("run `npm ci` in tests/emulator first")
    process = await asyncio.create_subprocess_exec(
        shutil.which("node") or "node",
        str(EMULATOR / "server.js"),
        "--port",
        "0",
        cwd=EMULATOR,
        stdout=asyncio.subprocess.PIPE,
    )
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    if not line.startswith(b"listening "):
        raise SystemExit(f"the emulator did not start: {line!r}")
    return process, f"http://127.0.0.1:{int(line.split()[1])}"


async def fill(session_factory, settings, recipients: int) -> Person:
    """The admin and N registered volunteers with a Telegram chat, written directly."""
    async with session_factory.begin() as session:
        await org.sync_from_settings(session, settings.communities)
        grid = (await session.exec(select(Grid))).first()
        admin = Person(language="en", is_admin=True, created_at=NOW)
        session.add(admin)
        await session.flush()
        session.add(
            ChatIdentity(
                person_id=admin.id,
                channel="telegram",
                external_id="900001",
                chat_id="900001",
                display_name="Bench Admin",
                created_at=NOW,
                last_seen_at=NOW,
            )
        )
        connection = await session.connection()
        people = list(
            (
                await connection.execute(
                    insert(Person.__table__).returning(
                        Person.__table__.c.id, sort_by_parameter_order=True
                    ),
                    [{"language": "zh_Hans", "created_at": NOW} for _ in range(recipients)],
                )
            ).scalars()
        )
        await connection.execute(
            insert(ChatIdentity.__table__),
            [
                {
                    "person_id": person_id,
                    "channel": "telegram",
                    "external_id": str(FIRST_CHAT + i),
                    "chat_id": str(FIRST_CHAT + i),
                    "reachable": True,
                    "created_at": NOW,
                    "last_seen_at": NOW,
                }
                for i, person_id in enumerate(people)
            ],
        )
        await connection.execute(
            insert(Volunteer.__table__),
            [
                {
                    "person_id": person_id,
                    "number": i + 1,
                    "real_name": f"志愿者{i + 1}",
                    "phone": "13800000000",
                    "grid_id": grid.id,
                    "availability": [],
                    "skills": [],
                    "consent_at": NOW,
                    "registered_at": NOW,
                    "updated_at": NOW,
                }
                for i, person_id in enumerate(people)
            ],
        )
    return admin


class FixedClock:
    def now(self) -> datetime:
        return NOW


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=30.0, help="telegram.messages_per_second")
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    process, base = await start_emulator()
    folder = tempfile.TemporaryDirectory()
    try:
        shipped = load_settings(ROOT / "config.toml", environ={})
        telegram = shipped.telegram.model_copy(
            update={
                "token": TOKEN,
                "base_url": f"{base}/bot",
                "base_file_url": f"{base}/file/bot",
                "messages_per_second": args.rate,
            }
        )
        settings = shipped.model_copy(update={"telegram": telegram})
        url = args.url or f"sqlite+aiosqlite:///{folder.name}/bench.sqlite3"
        print(f"database: {url.split('@')[-1]}")
        await upgrade_to_head(url)
        engine = create_engine(url)
        session_factory = create_session_factory(engine)
        catalogs = Catalogs()
        admin = await fill(session_factory, settings, args.recipients)

        # Written as the Send button writes it: the broadcast and N notifications at once.
        started = time.perf_counter()
        async with session_factory.begin() as session:
            await broadcasts.begin(session, admin, now=NOW)
            await broadcasts.choose(session, admin, Scope.ALL, None, now=NOW)
            state = await broadcasts.submit_text(
                session, admin, "本周一迎接文明城市检查，感谢大家！", now=NOW
            )
            sent = await broadcasts.send(
                session, admin, state.rev, catalogs=catalogs, quiet=None, now=NOW
            )
        written = time.perf_counter() - started
        print(f"send: broadcast and {sent.broadcast.recipients:,} notifications in {written:.2f} s")

        application = build_application(
            settings,
            session_factory=session_factory,
            catalogs=catalogs,
            clock=FixedClock(),
            automatic_jobs=False,
        )
        await application.initialize()
        runner = application.bot_data[JOB_RUNNER_KEY]
        started = time.perf_counter()
        await runner.dispatch()
        elapsed = time.perf_counter() - started
        await application.shutdown()

        async with session_factory() as session:
            statuses = dict(
                (
                    await session.exec(
                        select(Notification.status, func.count()).group_by(Notification.status)
                    )
                ).all()
            )
        async with httpx.AsyncClient(timeout=60) as http:
            response = await http.post(f"{base}/client/sent", json={"token": TOKEN})
            arrived = [m for m in response.json()["result"] if m["chat_id"] >= FIRST_CHAT]
        per_second = Counter(m["time"] // 1000 for m in arrived)
        full_seconds = sorted(per_second)[1:-1] or sorted(per_second)
        achieved = len(arrived) / elapsed
        print(f"delivery: {len(arrived):,} messages in {elapsed:.1f} s, statuses {statuses}")
        print(
            f"achieved {achieved:.1f} msg/s against the configured {args.rate:g} msg/s "
            f"({achieved / args.rate:.0%}); busiest second {max(per_second.values())}, "
            f"median full second {statistics.median(per_second[s] for s in full_seconds):g}"
        )
        await engine.dispose()
    finally:
        process.terminate()
        await process.wait()
        folder.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
