"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel


async def test_models_and_migrations_agree(db):
    def differences(connection):
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, SQLModel.metadata)

    async with db.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"
