"""Start and stop the bot: database first, then polling; tests use the same steps."""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application

from bot.app import JOB_RUNNER_KEY, WECHAT_SENDER_KEY, WECOM_SENDER_KEY, build_application
from bot.update_processor import PerChatUpdateProcessor
from bot.web import start_web
from handlers.context import DEPS_KEY, Deps
from handlers.menu import publish_default_menus, refresh_personal_menu
from handlers.wechat.callback import WeChatCallback
from handlers.wechat.chat import WeChatChat
from handlers.wechat.inbound import WeChatConfig
from handlers.wechat.sender import WECHAT, WeChatSender
from handlers.wechat.wecom_sender import WECOM, WeComSender
from models.db import SessionFactory, create_engine, create_session_factory
from models.migrate import upgrade_to_head
from scheduler.housekeeping import housekeeping
from services import grid_map, identity, org, report_photos
from services.clock import Clock, SystemClock
from services.settings import Settings

log = logging.getLogger(__name__)


# Where the background task that publishes command menus is kept (tests await it).
MENUS_TASK_KEY = "menus_task"


class StartupError(Exception):
    """The bot cannot start; the message says why."""


async def prepare_database(
    settings: Settings, clock: Clock | None = None
) -> tuple[AsyncEngine, SessionFactory]:
    """Migrate to the newest schema and apply the configuration's places and admins."""
    clock = clock or SystemClock()
    await upgrade_to_head(settings.database.url)
    engine = create_engine(settings.database.url, echo=settings.database.echo)
    session_factory = create_session_factory(engine)
    async with session_factory.begin() as session:
        await org.sync_from_settings(session, settings.communities)
        await grid_map.apply_boundaries(session, load_grid_boundaries(settings))
        await identity.sync_admins(session, identity.configured_admins(settings))
    await housekeeping(session_factory, clock)
    return engine, session_factory


def load_grid_boundaries(settings: Settings) -> dict:
    if not settings.reports.grids_file:
        return {}
    known = {g.code for c in settings.communities for g in c.grids}
    try:
        return grid_map.load_boundaries(Path(settings.reports.grids_file), known)
    except grid_map.GridFileError as exc:
        raise StartupError(f"reports.grids_file: {exc}") from exc


def require_token(settings: Settings) -> None:
    if not settings.telegram.token:
        raise StartupError(
            "No bot token: set the BOT_TOKEN environment variable (or telegram.token in "
            "config.toml) to the token @BotFather gave you."
        )


async def start_bot(
    settings: Settings,
    session_factory: SessionFactory,
    *,
    clock: Clock | None = None,
    update_processor: PerChatUpdateProcessor | None = None,
    automatic_jobs: bool = True,
) -> Application:
    require_token(settings)
    application = build_application(
        settings,
        session_factory=session_factory,
        clock=clock,
        update_processor=update_processor,
        automatic_jobs=automatic_jobs,
    )
    await application.initialize()
    await application.start()
    application.bot_data[JOB_RUNNER_KEY].start()
    await application.updater.start_polling(
        poll_interval=settings.telegram.poll_interval, allowed_updates=Update.ALL_TYPES
    )
    application.bot_data[MENUS_TASK_KEY] = application.create_task(
        publish_menus(application), name="publish command menus"
    )
    log.info("bot @%s is running", application.bot.username)
    return application


async def publish_menus(application: Application) -> None:
    """Command menus for everyone, then each person with a role (best effort)."""
    deps: Deps = application.bot_data[DEPS_KEY]
    try:
        await publish_default_menus(
            application.bot, deps.catalogs, deps.settings.bot.default_language
        )
        async with deps.session_factory() as session:
            people = await identity.people_with_roles(session, channel=identity.TELEGRAM)
        context = application.context_types.context(application)
        for person_id in people:
            await refresh_personal_menu(context, person_id)
    except Exception:  # menus are a convenience; never take the bot down for them
        log.exception("publishing command menus failed")


async def stop_bot(application: Application) -> None:
    application.bot_data[JOB_RUNNER_KEY].shutdown()
    if application.updater and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


def wechat_callback(application: Application) -> WeChatCallback:
    """The WeChat channel over the same services, outbox and job runner as Telegram."""
    deps: Deps = application.bot_data[DEPS_KEY]
    wechat = deps.settings.wechat
    return _callback(
        application,
        WeChatConfig(
            token=wechat.token, app_id=wechat.app_id, encoding_aes_key=wechat.encoding_aes_key
        ),
        application.bot_data[WECHAT_SENDER_KEY],
        channel=WECHAT,
        reply_within=wechat.reply_within_seconds,
        scene_url=application.bot_data[WECHAT_SENDER_KEY].scene_url,
    )


def wecom_callback(application: Application) -> WeChatCallback:
    """The WeCom app: the same conversations, crypto and services (the corp id takes the
    app id's place in the encrypted messages)."""
    deps: Deps = application.bot_data[DEPS_KEY]
    wecom = deps.settings.wecom
    return _callback(
        application,
        WeChatConfig(
            token=wecom.token, app_id=wecom.corp_id, encoding_aes_key=wecom.encoding_aes_key
        ),
        application.bot_data[WECOM_SENDER_KEY],
        channel=WECOM,
        reply_within=wecom.reply_within_seconds,
    )


def _callback(
    application: Application,
    config: WeChatConfig,
    sender: WeChatSender | WeComSender,
    *,
    channel: str,
    reply_within: float,
    scene_url: Callable[[str], Awaitable[str]] | None = None,
) -> WeChatCallback:
    deps: Deps = application.bot_data[DEPS_KEY]
    chat = WeChatChat(
        deps.settings,
        deps.session_factory,
        deps.catalogs,
        deps.clock,
        deps.jobs,
        fetch=functools.partial(download_picture, limit=deps.settings.reports.max_photo_bytes),
        links=deps.file_links,
        channel=channel,
        scene_url=scene_url,
    )
    return WeChatCallback(config, chat, sender, deps.catalogs, reply_within=reply_within)


async def download_picture(url: str, *, limit: int) -> bytes:
    """A picture a WeChat user sent (its PicUrl, on WeChat's servers), at most `limit`
    bytes: a bigger one is refused without reading the rest."""
    async with httpx.AsyncClient(timeout=10) as client, client.stream("GET", url) as response:
        response.raise_for_status()
        content = bytearray()
        async for chunk in response.aiter_bytes():
            content += chunk
            if len(content) > limit:
                report_photos.check_size(len(content), limit)
        return bytes(content)


async def serve(settings: Settings) -> None:
    require_token(settings)
    engine, session_factory = await prepare_database(settings)
    try:
        application = await start_bot(settings, session_factory)
        web = wechat = wecom = None
        if settings.open311.enabled or settings.wechat.enabled or settings.wecom.enabled:
            deps: Deps = application.bot_data[DEPS_KEY]
            wechat = wechat_callback(application) if settings.wechat.enabled else None
            wecom = wecom_callback(application) if settings.wecom.enabled else None
            try:
                web = await start_web(
                    settings,
                    session_factory,
                    deps.clock,
                    catalogs=deps.catalogs,
                    wechat=wechat,
                    wecom=wecom,
                )
            except OSError as exc:  # the port is taken: say so, and do not leave the bot polling
                await stop_bot(application)
                raise StartupError(f"web server: cannot listen: {exc}") from exc
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("stopping")
        for callback in (wechat, wecom):
            if callback is not None:
                await callback.drain()  # answers promised with "one moment" still go out
        if web is not None:
            await web.stop()
        await stop_bot(application)
    finally:
        await engine.dispose()
