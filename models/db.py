"""The async engine and session factory (SQLite via aiosqlite, or PostgreSQL via asyncpg)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_BUSY_TIMEOUT_MS = 10_000

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if not _is_sqlite(url):
        return create_async_engine(url, echo=echo, pool_pre_ping=True)
    engine = create_async_engine(url, echo=echo)
    _configure_sqlite(engine, foreign_keys=True)
    return engine


def create_migration_engine(url: str) -> AsyncEngine:
    """An engine for schema migrations only, disposed of after use.

    On SQLite, foreign keys stay off while migrating: batch migrations copy and
    drop tables, which enforced foreign keys would refuse or cascade.
    """
    engine = create_async_engine(url, poolclass=NullPool)
    if _is_sqlite(url):
        _configure_sqlite(engine, foreign_keys=False)
    return engine


def _is_sqlite(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return True


def _configure_sqlite(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin
        # (the driver would not wrap DDL in a transaction at all).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection) -> None:
        # IMMEDIATE takes the write lock up front: concurrent read-then-write
        # transactions queue on busy_timeout instead of failing with
        # SQLITE_BUSY when one of them tries to upgrade its lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    # expire_on_commit=False: handlers read results after the transaction ends.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
