"""The typed context every handler receives, with the app's dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from models.db import SessionFactory
from services.clock import Clock
from services.file_links import FileLinks
from services.i18n import Catalogs
from services.identity import TELEGRAM, configured_admins
from services.jobs import JobRequests
from services.notifier import Notifier
from services.settings import Settings
from services.updates import claim_update

DEPS_KEY = "deps"


@dataclass(frozen=True)
class Deps:
    settings: Settings
    session_factory: SessionFactory
    catalogs: Catalogs
    clock: Clock
    notifier: Notifier
    jobs: JobRequests
    # Download links for files a channel cannot carry; None when not configured.
    file_links: FileLinks | None = None

    @property
    def admins(self) -> dict[str, frozenset[str]]:
        return configured_admins(self.settings)


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self._update_id: int | None = None
        self._claimed = False

    @classmethod
    def from_update(cls, update: object, application: Application) -> BotContext:
        context = super().from_update(update, application)
        if isinstance(update, Update):
            context._update_id = update.update_id
        return context

    @property
    def deps(self) -> Deps:
        return self.bot_data[DEPS_KEY]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One database transaction that also records the update as processed.

        A redelivered update raises AlreadyProcessed here, before any effect.
        """
        claiming = self._update_id is not None and not self._claimed
        async with self.deps.session_factory.begin() as session:
            if claiming:
                await claim_update(
                    session,
                    channel=TELEGRAM,
                    update_id=self._update_id,
                    now=self.deps.clock.now(),
                )
            yield session
        if claiming:
            self._claimed = True
