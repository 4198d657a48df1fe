"""Starting up: the database is migrated and the configuration applied, every time."""

from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from bot.runtime import prepare_database
from models import ChatIdentity, Community, Person, ProcessedUpdate
from services.clock import SystemClock


async def test_prepare_database_migrates_and_applies_the_configuration(base_settings, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
    bot = base_settings.bot.model_copy(update={"admins": [42]})
    database = base_settings.database.model_copy(update={"url": url})
    settings = base_settings.model_copy(update={"bot": bot, "database": database})

    engine, session_factory = await prepare_database(settings)
    async with session_factory.begin() as session:
        # Someone the configuration makes an admin, and a very old processed update.
        person = Person(language="zh_Hans", created_at=datetime.now(UTC))
        session.add(person)
        await session.flush()
        session.add(
            ChatIdentity(person_id=person.id, channel="telegram", external_id="42", chat_id="42")
        )
        session.add(
            ProcessedUpdate(
                channel="telegram", update_id=1, processed_at=datetime.now(UTC) - timedelta(days=30)
            )
        )
    await engine.dispose()

    # Starting again (a restart) migrates nothing new and applies the same configuration.
    engine, session_factory = await prepare_database(settings, SystemClock())
    async with session_factory() as session:
        communities = (await session.exec(select(func.count()).select_from(Community))).one()
        admin = await session.get(Person, person.id)
        leftover = (await session.exec(select(func.count()).select_from(ProcessedUpdate))).one()
    await engine.dispose()
    assert communities == len(base_settings.communities)
    assert admin.is_admin
    assert leftover == 0
