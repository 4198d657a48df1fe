"""Ledger at scale: fill a database with N entries, time a volunteer's /minutes totals
and one team's monthly export (XLSX). Prints the figures; asserts nothing.

    .venv/bin/python bench/ledger_bench.py                    # 1,000,000 entries, SQLite
    .venv/bin/python bench/ledger_bench.py --entries 200000
    .venv/bin/python bench/ledger_bench.py --url postgresql+asyncpg://postgres@127.0.0.1/bench

The database is created from scratch (SQLite: a temporary file; PostgreSQL: the
given database must exist and be empty).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert
from sqlmodel import select

from bot.config import load_settings
from models import (
    Community,
    EntrySource,
    EntryStatus,
    Grid,
    LedgerEntry,
    MemberRole,
    Person,
    Team,
    TeamMember,
    Volunteer,
)
from models.db import create_engine, create_session_factory
from models.migrate import upgrade_to_head
from services import ledger, org
from services.exports import export_ledger
from services.i18n import Catalogs

ROOT = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
BATCH = 20_000


async def fill(session_factory, settings, *, entries: int, volunteers: int, teams: int) -> None:
    rng = random.Random(2026)
    async with session_factory.begin() as session:
        await org.sync_from_settings(session, settings.communities)
        community = (await session.exec(select(Community))).first()
        grid = (await session.exec(select(Grid))).first()
        connection = await session.connection()
        await connection.execute(
            insert(Person.__table__),
            [
                {
                    "id": i,
                    "language": "zh_Hans",
                    "language_chosen": False,
                    "is_admin": i == volunteers + 1,
                    "created_at": NOW,
                }
                for i in range(1, volunteers + 2)
            ],
        )
        await connection.execute(
            insert(Volunteer.__table__),
            [
                {
                    "person_id": i,
                    "number": i,
                    "real_name": f"志愿者{i}",
                    "phone": "13800000000",
                    "grid_id": grid.id,
                    "availability": ["friday"],
                    "skills": [],
                    "consent_at": NOW,
                    "registered_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(1, volunteers + 1)
            ],
        )
        await connection.execute(
            insert(Team.__table__),
            [
                {
                    "id": t,
                    "name": f"队伍{t}",
                    "community_id": community.id,
                    "invite_code": f"code{t}",
                    "created_by": volunteers + 1,
                    "created_at": NOW,
                }
                for t in range(1, teams + 1)
            ],
        )
        await connection.execute(
            insert(TeamMember.__table__),
            [
                {
                    "team_id": (i % teams) + 1,
                    "person_id": i,
                    "role": MemberRole.LEADER if i <= teams else MemberRole.MEMBER,
                    "joined_at": NOW,
                }
                for i in range(1, volunteers + 1)
            ],
        )
    kinds = [k.code for k in settings.shifts.kinds]
    first_day = TODAY - timedelta(days=730)
    made = 0
    while made < entries:
        rows = []
        for _ in range(min(BATCH, entries - made)):
            person = rng.randint(1, volunteers)
            day = first_day + timedelta(days=rng.randint(0, 730))
            rows.append(
                {
                    "person_id": person,
                    "team_id": (person % teams) + 1,
                    "grid_id": grid.id,
                    "activity": rng.choice(kinds),
                    "source": EntrySource.MANUAL,
                    "service_date": day,
                    "minutes": rng.choice((30, 60, 90, 120)),
                    "status": EntryStatus.APPROVED,
                    "created_at": NOW,
                    "created_by": person,
                    "decided_by": volunteers + 1,
                    "decided_at": NOW,
                    "verified": False,
                    "needs_admin": False,
                }
            )
        async with session_factory.begin() as session:
            await (await session.connection()).execute(insert(LedgerEntry.__table__), rows)
        made += len(rows)
        print(f"\r  filled {made:,} / {entries:,}", end="", flush=True)
    print()


async def timed(label: str, runs: int, action) -> None:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await action()
        seconds.append(time.perf_counter() - started)
    print(
        f"{label}: median {statistics.median(seconds) * 1000:.1f} ms, "
        f"max {max(seconds) * 1000:.1f} ms over {runs} runs ({result})"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--volunteers", type=int, default=2_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    settings = load_settings(ROOT / "config.toml", environ={})
    folder = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite+aiosqlite:///{folder.name}/bench.sqlite3"
    print(f"database: {url.split('@')[-1]}")
    await upgrade_to_head(url)
    engine = create_engine(url)
    session_factory = create_session_factory(engine)

    started = time.perf_counter()
    await fill(
        session_factory,
        settings,
        entries=args.entries,
        volunteers=args.volunteers,
        teams=args.teams,
    )
    print(
        f"fill: {args.entries:,} entries for {args.volunteers:,} volunteers in "
        f"{time.perf_counter() - started:.1f} s"
    )

    volunteer = random.Random(7).randint(1, args.volunteers)

    async def minutes():
        async with session_factory() as session:
            totals = await ledger.totals(session, volunteer, today=TODAY)
        return f"{totals.total:,} minutes in total"

    async def team_month_export():
        async with session_factory() as session:
            admin = await session.get(Person, args.volunteers + 1)
            exported = await export_ledger(
                session,
                admin,
                start=date(2026, 11, 1),
                end=date(2026, 11, 30),
                team_id=1,
                fmt="xlsx",
                tr=Catalogs().translator("zh_Hans"),
                zone=ZONE,
                number_prefix=settings.organisation.volunteer_number_prefix,
                shift_settings=settings.shifts,
            )
        return f"{exported.entries:,} rows, {len(exported.content) / 1024:.0f} KiB"

    await timed("/minutes totals of one volunteer", 20, minutes)
    await timed("one team's monthly export (XLSX)", 5, team_month_export)
    await engine.dispose()
    folder.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
