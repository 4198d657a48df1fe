"""Shared fixtures: settings, and a migrated database per backend.

Every database test runs on SQLite, and on PostgreSQL too when
TEST_POSTGRES_URL is set (a scratch database is created for the run and
dropped afterwards).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import models  # noqa: F401  (all tables on the metadata)
from bot.config import load_settings
from bot.runtime import load_grid_boundaries
from models.db import SessionFactory, create_engine, create_session_factory
from models.migrate import upgrade_to_head
from services import grid_map, org
from services.i18n import Catalogs
from services.settings import Settings
from tests.wechat_fakes import stand_in  # noqa: F401 (a fixture for the WeChat tests)
from tests.wechat_server import server  # noqa: F401 (a fixture for the WeChat tests)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    """The shipped config.toml, read as the bot reads it (without the environment)."""
    return load_settings(PROJECT_ROOT / "config.toml", environ={})


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs()


@dataclass
class Database:
    backend: str
    url: str
    engine: AsyncEngine
    session_factory: SessionFactory
    # SQLite: a migrated, empty database file copied in before each test.
    template: Path | None = None


async def _admin_statement(base_url: str, statement: str) -> None:
    admin = create_async_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await admin.dispose()


def _run_aside(coroutine) -> None:
    """Run a coroutine to completion on a loop of its own (fixtures that pytest
    resolves synchronously cannot await on the test loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        pytest.skip("TEST_POSTGRES_URL is not set")
    name = f"vbtest_{os.getpid()}_{secrets.token_hex(3)}"
    _run_aside(_admin_statement(base, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        _run_aside(_admin_statement(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=BACKENDS)
async def database(request, tmp_path_factory) -> AsyncIterator[Database]:
    template = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        await upgrade_to_head(url)
    else:
        folder = tmp_path_factory.mktemp("sqlite")
        template = folder / "template.sqlite3"
        await upgrade_to_head(f"sqlite+aiosqlite:///{template}")
        url = f"sqlite+aiosqlite:///{folder / 'test.sqlite3'}"
    engine = create_engine(url)
    try:
        yield Database(request.param, url, engine, create_session_factory(engine), template)
    finally:
        await engine.dispose()


async def _empty_all_tables(db: Database) -> None:
    if db.template is not None:
        # The ledger refuses DELETE (append-only), so SQLite starts from a fresh copy.
        await db.engine.dispose()
        target = Path(make_url(db.url).database)
        for leftover in (target, *(target.with_name(target.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(db.template, target)
        return
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    async with db.engine.begin() as connection:
        # TRUNCATE fires no row triggers, so the append-only ledger empties too.
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def db(database: Database, base_settings: Settings) -> AsyncIterator[Database]:
    """A clean database with the configured communities and grids."""
    await _empty_all_tables(database)
    async with database.session_factory.begin() as session:
        await org.sync_from_settings(session, base_settings.communities)
        # The shipped grids file: reports are routed by these boundaries.
        await grid_map.apply_boundaries(session, load_grid_boundaries(base_settings))
    yield database
