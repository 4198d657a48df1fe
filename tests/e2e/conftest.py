"""Fixtures for end-to-end chat tests: the emulator process and the running bot."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.settings import Settings
from tests.conftest import Database
from tests.e2e.harness import BotHarness, Emulator, TelegramUser, TestClock

EMULATOR_DIR = Path(__file__).resolve().parent.parent / "emulator"
ADMIN_ID = 900_001

pytestmark = pytest.mark.e2e


def _install_emulator() -> None:
    if (EMULATOR_DIR / "node_modules" / "telegram-test-api").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the end-to-end tests (Node.js 18+)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=EMULATOR_DIR, check=True)


@pytest.fixture(scope="session")
async def emulator() -> AsyncIterator[Emulator]:
    _install_emulator()
    process = await asyncio.create_subprocess_exec(
        shutil.which("node") or "node",
        str(EMULATOR_DIR / "server.js"),
        "--port",
        "0",
        cwd=EMULATOR_DIR,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        if not line.startswith(b"listening "):
            raise RuntimeError(f"emulator did not start: {line!r}")
        port = int(line.split()[1])
        async with httpx.AsyncClient(timeout=10) as http:
            yield Emulator(f"http://127.0.0.1:{port}", http)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


_tokens = itertools.count(1)


@pytest.fixture
def bot_settings(base_settings: Settings, emulator: Emulator, tmp_path) -> Settings:
    # A token per test keeps each test's chats apart inside the one emulator.
    token = f"{100000 + next(_tokens)}:TEST"
    telegram = base_settings.telegram.model_copy(
        update={
            "token": token,
            "base_url": emulator.bot_api_url,
            "base_file_url": emulator.file_url,
            "poll_interval": 0.0,
        }
    )
    # Files the bot keeps (report photos) go to the test's own folder.
    bot = base_settings.bot.model_copy(update={"admins": [ADMIN_ID], "data_dir": str(tmp_path)})
    return base_settings.model_copy(update={"telegram": telegram, "bot": bot})


# Thursday 26 November 2026, 10:00 in Shanghai.
THURSDAY_10AM = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> TestClock:
    return TestClock(THURSDAY_10AM)


@pytest.fixture
async def bot(bot_settings: Settings, db: Database, clock: TestClock) -> AsyncIterator[BotHarness]:
    harness = BotHarness(bot_settings, db.session_factory, clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
def make_user(
    emulator: Emulator, bot: BotHarness, bot_settings: Settings
) -> Callable[..., TelegramUser]:
    ids = itertools.count(700_001)

    def make(first_name: str = "伟", *, user_id: int | None = None, **kwargs) -> TelegramUser:
        return TelegramUser(
            emulator,
            bot,
            bot_settings.telegram.token,
            user_id=user_id or next(ids),
            first_name=first_name,
            **kwargs,
        )

    return make


@pytest.fixture
def admin(make_user) -> TelegramUser:
    return make_user("Admin", user_id=ADMIN_ID, language_code="zh-hans")
