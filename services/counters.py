"""Named sequences shared by every process: one UPDATE … RETURNING per number, so
two registrations at the same moment (on PostgreSQL too) get different numbers."""

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Counter

VOLUNTEER_NUMBER = "volunteer_number"


async def next_value(session: AsyncSession, name: str) -> int:
    # Create the counter on first use; a simultaneous creator's row is fine too.
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.exec(
        insert(Counter).values(name=name, value=0).on_conflict_do_nothing(index_elements=["name"])
    )
    result = await session.exec(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    return result.scalar_one()
