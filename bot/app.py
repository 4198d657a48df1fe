"""Build the Telegram application with its dependencies and handlers."""

from __future__ import annotations

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot.update_processor import PerChatUpdateProcessor
from handlers import register_handlers
from handlers.context import DEPS_KEY, BotContext, Deps
from handlers.notifier import TelegramNotifier
from models.db import SessionFactory
from services.clock import Clock, SystemClock
from services.i18n import Catalogs
from services.settings import Settings


def build_application(
    settings: Settings,
    *,
    session_factory: SessionFactory,
    catalogs: Catalogs | None = None,
    clock: Clock | None = None,
    update_processor: PerChatUpdateProcessor | None = None,
) -> Application:
    telegram = settings.telegram
    builder = (
        ApplicationBuilder()
        .token(telegram.token)
        .base_url(telegram.base_url)
        .base_file_url(telegram.base_file_url)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(update_processor or PerChatUpdateProcessor())
        # Scheduling is ours (scheduler/), driven by the database; PTB's own
        # JobQueue would only start an idle second APScheduler.
        .job_queue(None)
    )
    if telegram.rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()

    catalogs = catalogs or Catalogs(default=settings.bot.default_language)
    application.bot_data[DEPS_KEY] = Deps(
        settings=settings,
        session_factory=session_factory,
        catalogs=catalogs,
        clock=clock or SystemClock(),
        notifier=TelegramNotifier(application.bot, session_factory, catalogs),
    )
    register_handlers(application)
    return application
