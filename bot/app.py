"""Build the Telegram application with its dependencies and handlers."""

from __future__ import annotations

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot.channels import ChannelRouter
from bot.update_processor import PerChatUpdateProcessor
from handlers import register_handlers
from handlers.context import DEPS_KEY, BotContext, Deps
from handlers.notifier import TelegramNotifier
from handlers.wechat.sender import WECHAT, WeChatSender
from handlers.wechat.wecom_sender import WECOM, WeComSender
from models.db import SessionFactory
from scheduler.broadcast_progress import BroadcastProgress
from scheduler.certificate_delivery import CertificateDelivery
from scheduler.dispatch import Dispatcher
from scheduler.runner import JobRunner
from scheduler.shift_jobs import ShiftJobs
from services import identity
from services.clock import Clock, SystemClock
from services.file_links import file_links
from services.i18n import Catalogs
from services.outbox import QuietHours
from services.settings import Settings

# Where the job runner is kept (the runtime starts it; tests drive it by hand).
JOB_RUNNER_KEY = "job_runner"
# The WeChat sender, when that channel is on (the web server's callback uses it).
WECHAT_SENDER_KEY = "wechat_sender"
WECOM_SENDER_KEY = "wecom_sender"


def build_application(
    settings: Settings,
    *,
    session_factory: SessionFactory,
    catalogs: Catalogs | None = None,
    clock: Clock | None = None,
    update_processor: PerChatUpdateProcessor | None = None,
    automatic_jobs: bool = True,
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
        # One request at a time, every 1/rate seconds: the leaky bucket holds one, so
        # there are no bursts above the configured rate (aiolimiter's default bucket
        # would let a full second's worth through at once after a pause).
        builder = builder.rate_limiter(
            AIORateLimiter(
                overall_max_rate=1,
                overall_time_period=1 / telegram.messages_per_second,
                max_retries=3,
            )
        )
    application = builder.build()

    catalogs = catalogs or Catalogs(default=settings.bot.default_language)
    clock = clock or SystemClock()
    notifier = TelegramNotifier(application.bot, session_factory, catalogs)
    quiet = QuietHours(
        settings.notifications.quiet_start, settings.notifications.quiet_end, settings.bot.zone
    )
    senders = {identity.TELEGRAM: notifier}
    if settings.wechat.enabled:
        senders[WECHAT] = application.bot_data[WECHAT_SENDER_KEY] = WeChatSender(
            settings.wechat, session_factory, clock, zone=settings.bot.zone
        )
    if settings.wecom.enabled:
        senders[WECOM] = application.bot_data[WECOM_SENDER_KEY] = WeComSender(
            settings.wecom, session_factory
        )
    dispatcher = Dispatcher(
        session_factory,
        ChannelRouter(senders, session_factory, groups=identity.TELEGRAM),
        clock,
        quiet=quiet,
        per_chat_interval=settings.notifications.per_chat_interval_seconds,
    )
    progress = BroadcastProgress(
        session_factory,
        notifier,
        clock,
        quiet=quiet,
        default_language=settings.bot.default_language,
        catalogs=catalogs,
    )
    links = file_links(settings.wechat, clock)
    runner = JobRunner(
        ShiftJobs(settings, session_factory, notifier, clock, catalogs=catalogs),
        dispatcher,
        automatic=automatic_jobs,
        progress=progress,
        certificates=CertificateDelivery(
            settings, session_factory, notifier, clock, catalogs=catalogs
        ),
    )
    application.bot_data[JOB_RUNNER_KEY] = runner
    application.bot_data[DEPS_KEY] = Deps(
        settings=settings,
        session_factory=session_factory,
        catalogs=catalogs,
        clock=clock,
        notifier=notifier,
        jobs=runner,
        file_links=links,
    )
    register_handlers(application)
    return application
