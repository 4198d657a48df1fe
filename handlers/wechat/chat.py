"""WeChat conversations: keywords, numbered menus and the same services as Telegram.

WeChat shows no inline buttons, so every choice is a numbered list ("回复 1 …") and
commands are words, typed with or without a slash (举报 / report / /report). Each
inbound message is handled once (its MsgId, or sender + time for events, is stored
with the work it caused) and answered in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession
from wechatpy.exceptions import WeChatClientException

from handlers.wechat import (
    approvals,
    conversations,
    menus,
    reminder_settings,
    reporting,
    service_log,
)
from handlers.wechat import broadcast as broadcast_ui
from handlers.wechat import care as care_ui
from handlers.wechat import certificates as certificates_ui
from handlers.wechat import exports as exports_ui
from handlers.wechat import post_setup as post_ui
from handlers.wechat import ranking as ranking_ui
from handlers.wechat import registration as registration_ui
from handlers.wechat import report_desk as desk
from handlers.wechat import roster as roster_ui
from handlers.wechat import shift_setup as shift_setup_ui
from handlers.wechat import shifts as shifts_ui
from handlers.wechat import team_setup as team_ui
from handlers.wechat.help import help_text
from handlers.wechat.inbound import InboundMessage
from handlers.wechat.sender import WECHAT
from handlers.wechat.wording import refusal_text
from handlers.wechat.words import argument, normalized
from models import Person, ProcessedUpdate, Volunteer
from models.db import SessionFactory
from services import (
    channel_link,
    identity,
    outbox,
    post_setup,
    report_fix,
    report_photos,
    report_setup,
)
from services.clock import Clock
from services.errors import (
    DomainError,
)
from services.file_links import FileLinks
from services.i18n import (
    LANGUAGE_NATIVE_NAMES,
    N_,
    SUPPORTED_LANGUAGES,
    Catalogs,
    Translator,
    render,
)
from services.jobs import JobRequests
from services.notifier import Notice
from services.posts import CHECKIN_PAYLOAD_PREFIX
from services.qr import qr_png
from services.report_setup import ReportDraft, Step
from services.reports import PhotoInput
from services.settings import Settings
from services.teams import INVITE_PAYLOAD_PREFIX

log = logging.getLogger(__name__)

PICTURE_FAILED = N_("Sorry, I could not fetch that picture. Please send it again.")


# A number typed within this time after a notice presses that notice's button.
MENU_VALID = timedelta(hours=24)

HELP_WORDS = {"帮助", "菜单", "help", "menu", "start", "?", "？", "你好", "hi", "hello"}
REPORT_WORDS = {"举报", "反映", "report", "举报问题"}
MY_REPORTS_WORDS = {"我的举报", "myreports", "my reports"}
CANCEL_WORDS = {"取消", "cancel", "退出"}
LINK_WORDS = {"绑定", "link"}
MINUTES_WORDS = {"时长", "我的时长", "服务时长", "minutes"}
SHIFTS_WORDS = {"班次", "shifts"}
MY_SHIFTS_WORDS = {"我的班次", "myshifts", "my shifts"}
ROSTER_WORDS = {"名单", "花名册", "roster"}
NEW_TEAM_WORDS = {"新队伍", "新建队伍", "newteam"}
INVITE_WORDS = {"邀请", "邀请码", "invite"}
POSTS_WORDS = {"岗点", "posts"}
RANKING_WORDS = {"排行", "排行榜", "ranking"}
REMINDER_WORDS = {"提醒", "提醒设置", "reminders"}
EXPORT_WORDS = {"导出", "导出台账", "export"}
CERTIFICATE_WORDS = {"证明", "服务证明", "certificate"}
BROADCAST_WORDS = {"群发", "发通知", "broadcast"}
NEW_SHIFT_WORDS = {"新班次", "发布班次", "newshift"}
NAME_WORDS = {"名字", "我的名字", "myname"}
LANGUAGE_WORDS = {"语言", "語言", "language", "lang"}
SIGN_UP_WORDS = {"报名", "signup"}
REGISTER_WORDS = {"注册", "register", "志愿者注册"}
JOIN_WORDS = {"加入", "join"}
# A team's invite and a post's check-in code: the same payloads as in the Telegram
# links, as a WeChat QR code's scene (scripts/wechat_qr.py) or typed after 加入 / 签到.
INVITE_PREFIX = INVITE_PAYLOAD_PREFIX
POST_PREFIX = CHECKIN_PAYLOAD_PREFIX
CHECK_IN_WORDS = {"签到", "签退", "checkin"}
LOG_WORDS = {"记录", "记录时长", "log"}
QUEUE_WORDS = {"待办", "待处理", "reports", "处理举报"}
# The custom menu's CLICK keys (自定义菜单) map to the same words.
MENU_KEYS = {
    "REPORT": "report",
    "MYREPORTS": "myreports",
    "MINUTES": "minutes",
    "SHIFTS": "shifts",
    "MYSHIFTS": "myshifts",
    "ROSTER": "roster",
    "NEWSHIFT": "newshift",
    "BROADCAST": "broadcast",
    "CERTIFICATE": "certificate",
    "EXPORT": "export",
    "INVITE": "invite",
    "POSTS": "posts",
    "REGISTER": "register",
    "LOG": "log",
    "QUEUE": "reports",
    "HELP": "help",
}


@dataclass
class Turn:
    """One inbound message's transaction, person and language."""

    session: AsyncSession
    person: Person
    tr: Translator
    now: datetime
    settings: Settings
    catalogs: Catalogs
    fetch: Callable[[str], Awaitable[bytes]]
    outgoing: list[int] = field(default_factory=list)
    # Shifts whose announcements should show the new count.
    refresh: set[int] = field(default_factory=set)
    # The picture this message carried (our copy), or why it could not be fetched.
    picture: PhotoInput | str | None = None
    # A shift was created: announce it once the transaction is committed.
    publish: bool = False
    # A broadcast was written to the outbox: send it once committed.
    dispatch: bool = False
    # Download links for files WeChat cannot carry (None: not configured).
    links: FileLinks | None = None
    channel: str = WECHAT
    # The sender's account on this channel (OpenID, or WeCom UserID).
    account: str = ""
    # WeChat QR codes (scene, caption) to send the person as pictures after the reply:
    # making one asks WeChat's API, which is not done inside the transaction.
    qr_codes: list[tuple[str, Notice]] = field(default_factory=list)
    # Whether this channel can make them (the Official Account can; WeCom cannot).
    qr_available: bool = False
    # Certificates issued: each goes to its holder once the transaction is committed.
    certificates: list[int] = field(default_factory=list)

    async def send(self, outgoing: list[tuple[int, Notice, dict]]) -> None:
        for person_id, notice, options in outgoing:
            await self.enqueue(person_id, notice, **options)

    async def enqueue(self, person_id: int, notice: Notice, **options: Any) -> None:
        notification_id = await outbox.enqueue(
            self.session,
            notice,
            catalogs=self.catalogs,
            now=self.now,
            person_id=person_id,
            **options,
        )
        if notification_id is not None:
            self.outgoing.append(notification_id)


class WeChatChat:
    def __init__(
        self,
        settings: Settings,
        session_factory: SessionFactory,
        catalogs: Catalogs,
        clock: Clock,
        jobs: JobRequests,
        fetch: Callable[[str], Awaitable[bytes]],
        links: FileLinks | None = None,
        channel: str = WECHAT,
        scene_url: Callable[[str], Awaitable[str]] | None = None,
    ) -> None:
        self.settings = settings
        # The Official Account (wechat) or a WeCom app (wecom): the same conversations.
        self.channel = channel
        self.links = links
        # What a parametric WeChat QR code of a scene encodes (None: no such codes here).
        self.scene_url = scene_url
        self.session_factory = session_factory
        self.catalogs = catalogs
        self.clock = clock
        self.jobs = jobs
        # Downloads a picture WeChat sent (its PicUrl).
        self.fetch = fetch

    async def handle(self, inbound: InboundMessage) -> str | None:
        """The reply to one message; None when it was handled before (WeChat's retry)."""
        picture: PhotoInput | str | None = None
        if inbound.kind == "image":
            # Fetched before the transaction: a slow download must not hold the database.
            picture = await self._fetch_picture(inbound)
        for attempt in range(2):
            try:
                return await self._handle_once(inbound, picture)
            except IntegrityError:
                # The same message handled in parallel (a retry): nothing more to do. Or a
                # new person's two first messages both created them: try once more.
                if attempt or await self._seen(inbound.dedupe_key):
                    return None
        return None

    async def _handle_once(
        self, inbound: InboundMessage, picture: PhotoInput | str | None
    ) -> str | None:
        now = self.clock.now()
        async with self.session_factory.begin() as session:
            if not await _first_time(session, self.channel, inbound.dedupe_key):
                return None
            turn = await self._turn(session, inbound, now)
            turn.picture = picture
            # Outside the savepoint: moving on counts even when what follows is refused.
            await self._moving_on(turn, inbound)
            try:
                async with session.begin_nested():  # a refusal changes nothing
                    reply = await self._route(turn, inbound)
            except DomainError as refused:
                # Rolled back: what it was to send or set off is gone with it.
                turn.outgoing.clear()
                turn.qr_codes.clear()
                turn.certificates.clear()
                turn.refresh.clear()
                turn.publish = turn.dispatch = False
                reply = refusal_text(turn.tr, refused)
        await self.jobs.deliver(turn.outgoing)
        await self._send_qr_codes(turn)
        for certificate_id in turn.certificates:
            await self.jobs.deliver_certificate(certificate_id)
        for shift_id in turn.refresh:
            self.jobs.request_refresh(shift_id)
        if turn.publish:
            self.jobs.request_publish()
        if turn.dispatch:
            self.jobs.request_dispatch()
        return reply

    async def _moving_on(self, turn: Turn, inbound: InboundMessage) -> None:
        """Anything but a number ends the list offered before it; a command word (or a
        menu click) also ends an open reason question."""
        if inbound.kind == "event" and inbound.event != "click":
            return  # following, unfollowing, reported locations: not a reply
        if inbound.kind == "text":
            if normalized(inbound.content).isdigit():
                return
            if _is_command(inbound.content):
                await conversations.end_reasons(turn)
        if inbound.kind == "event":
            await conversations.end_reasons(turn)
        await menus.forget(turn)

    async def _send_qr_codes(self, turn: Turn) -> None:
        """Each requested scene as a WeChat QR code picture, through the outbox."""
        if not turn.qr_codes or self.scene_url is None:
            return
        folder = Path(self.settings.bot.data_dir) / "qr"
        sent = []
        for scene, caption in turn.qr_codes:
            try:
                content = qr_png(await self.scene_url(scene))
                path = folder / f"{scene}.png"
                await asyncio.to_thread(_write, path, content)
            except (WeChatClientException, OSError, KeyError) as exc:
                log.warning("could not make the WeChat QR code %s: %s", scene, exc)
                continue
            async with self.session_factory.begin() as session:
                notification_id = await outbox.enqueue(
                    session,
                    caption,
                    catalogs=self.catalogs,
                    now=self.clock.now(),
                    person_id=turn.person.id,
                    photos=[{"file_id": "", "path": str(path)}],
                )
            if notification_id is not None:
                sent.append(notification_id)
        await self.jobs.deliver(sent)

    async def _seen(self, key: int) -> bool:
        async with self.session_factory() as session:
            return await session.get(ProcessedUpdate, (self.channel, key)) is not None

    async def _fetch_picture(self, inbound: InboundMessage) -> PhotoInput | str:
        """Our copy of the picture, or why it could not be had (said to the user)."""
        settings = self.settings
        try:
            content = await self.fetch(inbound.pic_url or "")
            path = await asyncio.to_thread(
                report_photos.store,
                settings.reports.photo_path(settings.bot.data_dir),
                f"{self.channel}-{inbound.msg_id}",
                content,
                limit=settings.reports.max_photo_bytes,
            )
        except DomainError as refused:  # too large, not a picture
            return render(self.catalogs.translator(None), refused.message, refused.params)
        except (httpx.HTTPError, OSError) as exc:
            log.warning("could not fetch WeChat picture %s: %s", inbound.pic_url, exc)
            return self.catalogs.translator(None)(PICTURE_FAILED)
        return PhotoInput(
            file_id=inbound.media_id or str(inbound.msg_id),
            channel=self.channel,
            local_path=str(path),
            size_bytes=len(content),
        )

    async def _turn(self, session: AsyncSession, inbound: InboundMessage, now: datetime) -> Turn:
        person = await identity.resolve_person(
            session,
            identity.ChatUser(
                channel=self.channel, external_id=inbound.from_user, chat_id=inbound.from_user
            ),
            now=now,
            default_language=self.settings.bot.default_language,
            admins=identity.configured_admins(self.settings),
        )
        return Turn(
            session,
            person,
            self.catalogs.translator(person.language),
            now,
            self.settings,
            self.catalogs,
            self.fetch,
            links=self.links,
            channel=self.channel,
            qr_available=self.scene_url is not None,
            account=inbound.from_user,
        )

    async def _route(self, turn: Turn, inbound: InboundMessage) -> str | None:
        if inbound.kind == "event":
            return await self._event(turn, inbound)
        fixing = await report_fix.step_of(turn.session, turn.person)
        is_command = inbound.kind == "text" and _is_command(inbound.content)
        if fixing is not None and inbound.kind in ("image", "text") and not is_command:
            return await reporting.fixing(turn, inbound, fixing)
        draft = await report_setup.current(turn.session, turn.person)
        if inbound.kind == "image":
            if draft is not None and draft.step == Step.PHOTOS:
                return await reporting.photo(turn, inbound)
            return turn.tr("Sorry, I cannot use a picture here.") + "\n" + await help_text(turn)
        if inbound.kind == "location":
            if draft is not None and draft.step == Step.PLACE:
                state = await report_setup.set_point(
                    turn.session, turn.person, inbound.latitude, inbound.longitude, now=turn.now
                )
                return reporting.prompt(turn, state)
            placing = await post_setup.step_of(turn.session, turn.person, post_setup.NEW)
            if placing == post_setup.LOCATION:
                return await post_ui.answer_location(turn, inbound.latitude, inbound.longitude)
            return await shifts_ui.check_in(turn, inbound.latitude, inbound.longitude)
        if inbound.kind != "text":
            return turn.tr("Sorry, I can only read text, pictures and locations.")
        return await self._text(turn, draft, inbound.content or "")

    async def _event(self, turn: Turn, inbound: InboundMessage) -> str | None:
        key = inbound.event_key or ""
        if inbound.event in ("subscribe", "scan") and key.startswith(INVITE_PREFIX):
            return await registration_ui.join(turn, key.removeprefix(INVITE_PREFIX))
        if inbound.event in ("subscribe", "scan") and key.startswith(POST_PREFIX):
            return await shifts_ui.check_in_by_code(turn, key.removeprefix(POST_PREFIX))
        if inbound.event == "subscribe":
            return turn.tr("Welcome!") + "\n" + await help_text(turn)
        if inbound.event == "click" and inbound.event_key in MENU_KEYS:
            draft = await report_setup.current(turn.session, turn.person)
            return await self._text(turn, draft, MENU_KEYS[inbound.event_key])
        return None  # unsubscribe, location reports, views: nothing to say

    async def _text(self, turn: Turn, draft: ReportDraft | None, text: str) -> str:
        said = normalized(text)
        word, _, rest = said.partition(" ")
        if said in CANCEL_WORDS:
            await conversations.cancel_all(turn, report_fix.FLOW)
            return turn.tr("Cancelled. Nothing was changed.")
        if word in LINK_WORDS and rest:
            await channel_link.redeem(
                turn.session, turn.person, channel=turn.channel, code=rest, now=turn.now
            )
            return turn.tr("✓ Linked: both accounts are now one profile, with one service record.")
        if word in LINK_WORDS:
            code = await channel_link.issue_code(
                turn.session, turn.person, channel=turn.channel, now=turn.now
            )
            return turn.tr(
                "To link your Telegram account, send this to the bot on Telegram within 15 "
                "minutes:\n/wechat {code}"
            ).format(code=code)
        if said in REGISTER_WORDS:
            return await registration_ui.begin(turn)
        if word in CHECK_IN_WORDS and rest:
            return await shifts_ui.check_in_by_code(turn, argument(text).removeprefix(POST_PREFIX))
        if word in JOIN_WORDS and rest:
            return await registration_ui.join(turn, argument(text).removeprefix(INVITE_PREFIX))
        if said in REPORT_WORDS:
            return await reporting.begin(turn, draft)
        if said in MY_REPORTS_WORDS:
            return await reporting.my_reports(turn)
        if said in MINUTES_WORDS:
            return await shifts_ui.my_minutes(turn)
        if said in QUEUE_WORDS:
            return await desk.queue(turn)
        if said in LOG_WORDS:
            await shifts_ui.require_volunteer(turn)
            return await service_log.begin(turn)
        if said in SHIFTS_WORDS:
            return await shifts_ui.shift_list(turn)
        if said in MY_SHIFTS_WORDS:
            return await shifts_ui.my_shifts(turn)
        if said in ROSTER_WORDS:
            return await roster_ui.shift_list(turn)
        if said in NEW_SHIFT_WORDS:
            return await shift_setup_ui.begin(turn)
        if said in BROADCAST_WORDS:
            return await broadcast_ui.begin(turn)
        if said in NEW_TEAM_WORDS:
            return await team_ui.begin(turn)
        if said in INVITE_WORDS:
            return await team_ui.invite_entry(turn)
        if said in POSTS_WORDS:
            return await post_ui.post_list(turn)
        if said in RANKING_WORDS:
            await shifts_ui.require_volunteer(turn)
            return await ranking_ui.ranking(turn)
        if said in REMINDER_WORDS:
            return await reminder_settings.choices(turn)
        if said in EXPORT_WORDS:
            return await exports_ui.begin(turn)
        if said in CERTIFICATE_WORDS:
            return await certificates_ui.begin(turn)
        if word in SIGN_UP_WORDS and rest.isdigit():
            return await shifts_ui.sign_up(turn, int(rest))
        if said in HELP_WORDS:
            return await help_text(turn)
        if said in LANGUAGE_WORDS:
            return await choose_language(turn)
        if word in NAME_WORDS:
            return await name_shown(turn, argument(text))
        conversation = await conversations.open_conversation(turn)
        if conversation is not None and not (
            said.isdigit()
            and not conversations.takes_any_text(conversation)
            and await menus.shown_since(turn, conversation.updated_at)
        ):
            return await conversations.answer(turn, conversation, said, text)
        if said.isdigit():
            return await self._press(turn, said)
        return turn.tr("Sorry, I did not understand that.") + "\n" + await help_text(turn)

    async def _press(self, turn: Turn, number: str) -> str:
        """A number after a list or a notice with buttons: that choice."""
        options = await menus.choices(turn)
        if not options:
            return turn.tr("Sorry, I did not understand that.") + "\n" + await help_text(turn)
        if not 1 <= int(number) <= len(options):
            return turn.tr("Please reply with a number from 1 to {count}.").format(
                count=len(options)
            )
        return await press(turn, options[int(number) - 1])


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def _is_command(text: str | None) -> bool:
    """A command word: it is obeyed even in the middle of a conversation."""
    said = normalized(text)
    word = said.partition(" ")[0]
    commands = (
        HELP_WORDS
        | REPORT_WORDS
        | MY_REPORTS_WORDS
        | CANCEL_WORDS
        | MINUTES_WORDS
        | SHIFTS_WORDS
        | MY_SHIFTS_WORDS
        | ROSTER_WORDS
        | LANGUAGE_WORDS
        | NEW_SHIFT_WORDS
        | BROADCAST_WORDS
        | CERTIFICATE_WORDS
        | EXPORT_WORDS
        | RANKING_WORDS
        | NEW_TEAM_WORDS
        | INVITE_WORDS
        | POSTS_WORDS
        | REMINDER_WORDS
        | REGISTER_WORDS
        | LOG_WORDS
        | QUEUE_WORDS
    )
    return (
        said in commands
        or word in NAME_WORDS | LINK_WORDS | SIGN_UP_WORDS | JOIN_WORDS | CHECK_IN_WORDS
    )


async def _first_time(session: AsyncSession, channel: str, key: int) -> bool:
    if await session.get(ProcessedUpdate, (channel, key)) is not None:
        return False
    session.add(ProcessedUpdate(channel=channel, update_id=key))
    await session.flush()
    return True


async def press(turn: Turn, data: str) -> str:
    """The buttons WeChat users can press by number: elder-care answers, every step of a
    report (handlers/wechat/report_desk.py), approvals, shifts and the roster."""
    parts = data.split(":")
    if parts[0] == "ca" and len(parts) in (3, 4) and all(p.isdigit() for p in parts[2:]):
        return await care_ui.care_answer(turn, parts[1], int(parts[2]), *map(int, parts[3:]))
    if parts[0] == "rp" and len(parts) >= 3 and all(p.isdigit() for p in parts[2:]):
        return await desk.press(turn, parts[1], [int(p) for p in parts[2:]])
    if parts[0] == "lg" and len(parts) >= 3 and parts[2].isdigit():
        return await approvals.press(turn, parts[1], parts[2:])
    if parts[0] == "rm" and parts[1:2] == ["mute"] and len(parts) == 4 and parts[3] in ("0", "1"):
        return await reminder_settings.toggle(turn, parts[2], muted=parts[3] == "1")
    if parts[0] == "rk" and len(parts) == 3 and parts[2].isdigit():
        return await ranking_ui.ranking(turn, parts[1], int(parts[2]))
    if parts[0] == "po" and len(parts) >= 2:
        return await post_ui.press(turn, parts[1], parts[2:])
    if parts[0] == "inv" and len(parts) == 3:
        return await team_ui.press(turn, parts[1], parts[2:])
    if parts[0] == "ex" and len(parts) >= 3:
        return await exports_ui.press(turn, parts[1], parts[2:])
    if parts[0] == "ct" and len(parts) == 3:
        return await certificates_ui.press(turn, parts[1], parts[2:])
    if parts[0] == "lang" and len(parts) == 2 and parts[1] in SUPPORTED_LANGUAGES:
        return await set_language(turn, parts[1])
    if parts[0] == "ro" and len(parts) >= 3 and all(p.isdigit() for p in parts[2:]):
        return await roster_ui.press(turn, parts[1], [int(p) for p in parts[2:]])
    if parts[0] in ("sh", "my", "rm", "asg") and len(parts) >= 3 and parts[2].isdigit():
        args = [int(p) if p.isdigit() else p for p in parts[2:]]
        return await shifts_ui.press(turn, parts[0], parts[1], args)
    return turn.tr("For now, please answer this one on Telegram.")


async def name_shown(turn: Turn, name: str) -> str:
    """名字 <name>: the name others see, for someone who is not a registered volunteer
    (WeChat tells the bot no names)."""
    volunteer = await turn.session.get(Volunteer, turn.person.id)
    if volunteer is not None:
        return turn.tr("You are registered as {name}: that is the name others see.").format(
            name=volunteer.real_name
        )
    if not name:
        return turn.tr(
            "Reply 名字 and your name, e.g. 名字 张伟: it is shown with what you do "
            "(reports you handle, announcements you send)."
        )
    shown = await identity.set_display_name(
        turn.session, turn.person, channel=turn.channel, external_id=turn.account, name=name
    )
    return turn.tr("✓ Others now see you as {name}.").format(name=shown)


async def choose_language(turn: Turn) -> str:
    options = [(LANGUAGE_NATIVE_NAMES[code], f"lang:{code}") for code in SUPPORTED_LANGUAGES]
    return "\n".join([turn.tr("Choose your language:"), *await menus.offer(turn, options)])


async def set_language(turn: Turn, language: str) -> str:
    await identity.set_language(turn.session, turn.person, language)
    tr = turn.catalogs.translator(language)
    said = tr("✓ I will speak {language} with you from now on.").format(
        language=LANGUAGE_NATIVE_NAMES[language]
    )
    return said + "\n" + await help_text(turn, tr)
