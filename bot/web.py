"""The bot's web server (aiohttp): the Open311 GeoReport v2 API (services/open311), the
WeChat callback, and downloads of files sent as signed links (services/file_links).

Each request gets its own database session; the POST runs in one transaction, so
a rejected submission changes nothing.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

from aiohttp import web

from handlers.wechat.callback import WeChatCallback
from handlers.wechat.inbound import WeChatInboundError
from models.db import SessionFactory
from services import downloads, open311
from services.clock import Clock
from services.file_links import FILES_PATH, FileLinks, LinkExpired, LinkInvalid, file_links
from services.i18n import Catalogs, render
from services.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}

SETTINGS = web.AppKey("settings", Settings)
LINKS = web.AppKey("file_links", FileLinks)
SESSIONS = web.AppKey("session_factory", SessionFactory)
CLOCK = web.AppKey("clock", Clock)
CATALOGS = web.AppKey("catalogs", Catalogs)

# Chinese names and addresses stay readable in the output.
_dumps = functools.partial(json.dumps, ensure_ascii=False)


class WebServer:
    """A running server; `port` is the one bound (useful when 0 was asked for)."""

    def __init__(self, runner: web.AppRunner) -> None:
        self._runner = runner

    @property
    def port(self) -> int:
        return self._runner.addresses[0][1]

    async def stop(self) -> None:
        await self._runner.cleanup()


async def start_web(
    settings: Settings,
    session_factory: SessionFactory,
    clock: Clock,
    *,
    catalogs: Catalogs | None = None,
    wechat: WeChatCallback | None = None,
    wecom: WeChatCallback | None = None,
) -> WebServer:
    app = build_app(settings, session_factory, clock, catalogs=catalogs or Catalogs())
    if wechat is not None:
        add_wechat_routes(app, settings.wechat.callback_path, wechat)
    if wecom is not None:
        add_wechat_routes(app, settings.wecom.callback_path, wecom)
    links = file_links(settings.wechat, clock)
    if links is not None:
        add_download_routes(app, links)
    runner = web.AppRunner(app, access_log=log)
    await runner.setup()
    site = web.TCPSite(runner, settings.open311.host, settings.open311.port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    server = WebServer(runner)
    if settings.open311.enabled:
        log.info("Open311 API on http://%s:%s%s", settings.open311.host, server.port, PREFIX)
    if wechat is not None:
        log.info("WeChat callback on port %s%s", server.port, settings.wechat.callback_path)
    if wecom is not None:
        log.info("WeCom callback on port %s%s", server.port, settings.wecom.callback_path)
    return server


def build_app(
    settings: Settings, session_factory: SessionFactory, clock: Clock, *, catalogs: Catalogs
) -> web.Application:
    app = web.Application(middlewares=[_errors])
    app[SETTINGS] = settings
    app[SESSIONS] = session_factory
    app[CLOCK] = clock
    app[CATALOGS] = catalogs
    if not settings.open311.enabled:
        return app  # the server may run for WeChat alone: no reports are served then
    app.add_routes(
        [
            web.get(PREFIX + "/discovery.{format}", discovery),
            web.get(PREFIX + "/services.{format}", service_list),
            web.get(PREFIX + "/services/{name}", service_definition),
            web.get(PREFIX + "/requests.{format}", request_list),
            web.post(PREFIX + "/requests.{format}", create_request),
            web.get(PREFIX + "/requests/{name}", request_one),
            web.get(PREFIX + "/media/{name}", media),
        ]
    )
    return app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_wechat_routes(app: web.Application, path: str, callback: WeChatCallback) -> None:
    """WeChat's server URL: GET to verify it, POST for each message or event."""

    async def verify(request: web.Request) -> web.Response:
        try:
            return web.Response(text=callback.verify(request.query))
        except WeChatInboundError as exc:
            log.warning("WeChat URL verification refused: %s", exc)
            return web.Response(status=403, text="invalid signature")

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            reply = await callback.receive(request.query, body)
        except WeChatInboundError as exc:  # refused before anything was done
            log.warning("WeChat message refused: %s", exc)
            return web.Response(status=403, text="invalid message")
        content_type = "text/plain" if reply == "success" else "application/xml"
        return web.Response(text=reply, content_type=content_type, charset="utf-8")

    app.add_routes([web.get(path, verify), web.post(path, receive)])


def add_download_routes(app: web.Application, links: FileLinks) -> None:
    """Files sent as links (certificates, exports): made when the signed link is opened."""
    app[LINKS] = links
    app.add_routes([web.get(FILES_PATH + "{token}", download)])


async def download(request: web.Request) -> web.Response:
    app = request.app
    tr = app[CATALOGS].translator(None)
    try:
        ref = app[LINKS].read(request.match_info["token"])
    except LinkExpired as refused:
        return _plain(render(tr, refused.message), status=410)
    except LinkInvalid as refused:
        return _plain(render(tr, refused.message), status=403)
    async with app[SESSIONS]() as session:
        found = await downloads.file_for(
            session, ref, settings=app[SETTINGS], catalogs=app[CATALOGS]
        )
    if found is None:
        return _plain(tr("This file is no longer available."), status=404)
    disposition = f"attachment; filename*=UTF-8''{quote(found.filename)}"
    return web.Response(
        body=found.content,
        content_type=found.media_type,
        headers={"Content-Disposition": disposition},
    )


def _plain(text: str, *, status: int) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/plain", charset="utf-8")


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error in GeoReport's shape: [{"code": …, "description": …}]."""
    try:
        return await handler(request)
    except open311.Open311Error as exc:
        return _json(exc.body, status=exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _json([{"code": exc.status, "description": exc.reason}], status=exc.status)
    except Exception:
        log.exception("web request %s %s failed", request.method, request.path)
        return _json([{"code": 500, "description": "internal error"}], status=500)


def _json(document: Any, *, status: int = 200) -> web.Response:
    return web.json_response(document, status=status, dumps=_dumps)


def _require_json(format_: str) -> None:
    if format_ != "json":
        raise open311.Open311Error(400, "only JSON is supported")


def _split_format(name: str) -> str:
    """The name without its format ("parking.json" -> "parking"); only JSON is served."""
    stem, dot, format_ = name.rpartition(".")
    _require_json(format_ if dot else "")
    return stem


def _parameters(query: Mapping[str, str]) -> dict[str, str]:
    """Query parameters; one given several times is joined with commas, which the
    specification treats the same."""
    return {key: ",".join(query.getall(key)) for key in query}


def _base_url(request: web.Request) -> str:
    """Where clients reach us, for media links (a proxy may terminate HTTPS)."""
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    return f"{scheme}://{request.host}"


# --- handlers ------------------------------------------------------------------------------


async def discovery(request: web.Request) -> web.Response:
    _require_json(request.match_info["format"])
    return _json(open311.discovery(request.app[SETTINGS], _base_url(request)))


async def service_list(request: web.Request) -> web.Response:
    _require_json(request.match_info["format"])
    settings = request.app[SETTINGS]
    open311.check_jurisdiction(settings.open311, request.query.get("jurisdiction_id"))
    return _json(open311.service_list(settings))


async def service_definition(request: web.Request) -> web.Response:
    code = _split_format(request.match_info["name"])
    settings = request.app[SETTINGS]
    open311.check_jurisdiction(settings.open311, request.query.get("jurisdiction_id"))
    return _json(open311.service_definition(settings, code))


async def request_list(request: web.Request) -> web.Response:
    _require_json(request.match_info["format"])
    app = request.app
    async with app[SESSIONS]() as session:
        found = await open311.requests(
            session,
            app[SETTINGS],
            _parameters(request.query),
            now=app[CLOCK].now(),
            base_url=_base_url(request),
        )
    return _json(found)


async def request_one(request: web.Request) -> web.Response:
    service_request_id = _split_format(request.match_info["name"])
    app = request.app
    async with app[SESSIONS]() as session:
        found = await open311.request(
            session,
            app[SETTINGS],
            service_request_id,
            base_url=_base_url(request),
            jurisdiction_id=request.query.get("jurisdiction_id"),
        )
    return _json(found)


async def create_request(request: web.Request) -> web.Response:
    _require_json(request.match_info["format"])
    form = await _form(request)
    app = request.app
    # The key may come with the form (the specification) or in the query string.
    api_key = form.get("api_key") or request.query.get("api_key")
    async with app[SESSIONS].begin() as session:
        created = await open311.create_request(
            session,
            app[SETTINGS],
            form,
            api_key=api_key,
            now=app[CLOCK].now(),
            catalogs=app[CATALOGS],
        )
    return _json(created, status=201)


async def _form(request: web.Request) -> dict[str, str]:
    """The POST's fields, form-encoded (the specification) or JSON (many clients)."""
    if request.content_type == "application/json":
        try:
            document = await request.json()
        except ValueError as exc:
            raise open311.Open311Error(400, "the body is not valid JSON") from exc
        if not isinstance(document, dict):
            raise open311.Open311Error(400, "the JSON body must be an object")
        # Numbers (lat, long) become text like form fields; nested values are ignored.
        return {
            str(key): str(value)
            for key, value in document.items()
            if isinstance(value, str | int | float) and not isinstance(value, bool)
        }
    posted = await request.post()
    # Uploaded files are not taken: GeoReport v2 gives photos as media_url.
    return {key: value for key, value in posted.items() if isinstance(value, str)}


async def media(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    photo_id, dot, extension = name.rpartition(".")
    if not dot or extension != "jpg":
        raise open311.Open311Error(404, "no such media")
    async with request.app[SESSIONS]() as session:
        path = await open311.media_file(session, request.app[SETTINGS], photo_id)
    # The link says .jpg; the file may be a PNG or WebP a phone sent.
    content_type = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return web.FileResponse(path, headers={"Content-Type": content_type})
