"""The command list: /help per role, and Telegram's command menu per chat."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import ExtBot

from handlers.context import BotContext
from models import Person
from services import identity
from services.i18n import N_, SUPPORTED_LANGUAGES, Catalogs, Translator
from services.roles import Role, roles_of

log = logging.getLogger(__name__)

EVERYONE: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # message id
    # Empty: everyone; otherwise shown to holders of any of these roles.
    roles: frozenset[Role] = EVERYONE


LEADERS = frozenset({Role.LEADER, Role.ADMIN})
COMMANDS = (
    Command("start", N_("Start, or continue where you left off")),
    Command("shifts", N_("Shifts you can sign up for"), frozenset({Role.VOLUNTEER})),
    Command("myshifts", N_("Your shifts, cancelling, calendar"), frozenset({Role.VOLUNTEER})),
    Command("reminders", N_("Which shift reminders you get"), frozenset({Role.VOLUNTEER})),
    Command("minutes", N_("Your service hours and star level"), frozenset({Role.VOLUNTEER})),
    Command("log", N_("Record service done outside a shift"), frozenset({Role.VOLUNTEER})),
    Command("report", N_("Report a problem (parking, vending, posters…)")),
    Command("myreports", N_("Your reports and what became of them")),
    Command(
        "reports",
        N_("Residents' reports to handle, statistics"),
        frozenset({Role.LEADER, Role.GRID_OFFICER, Role.ADMIN}),
    ),
    Command("me", N_("Your profile")),
    Command("team", N_("Your team and its members"), frozenset({Role.VOLUNTEER, Role.ADMIN})),
    Command("roster", N_("Who is on your shifts, check-ins"), LEADERS),
    Command("newshift", N_("Set up a shift (one-off or recurring)"), LEADERS),
    Command("posts", N_("Duty posts and their check-in QR codes"), LEADERS),
    Command("approvals", N_("Service minutes waiting for your approval"), LEADERS),
    Command("correct", N_("Correct an entry of the ledger"), LEADERS),
    Command("export", N_("The service ledger (台账) as Excel or CSV"), LEADERS),
    Command(
        "broadcast",
        N_("Send an announcement to your team or grid"),
        frozenset({Role.LEADER, Role.GRID_OFFICER, Role.ADMIN}),
    ),
    Command(
        "elders",
        N_("Elders in your care: daily calls, visits, alerts"),
        frozenset({Role.LEADER, Role.GRID_OFFICER, Role.ADMIN}),
    ),
    Command("ranking", N_("Monthly rankings"), frozenset({Role.VOLUNTEER, Role.ADMIN})),
    Command(
        "certificate", N_("Ask for a certificate of your service"), frozenset({Role.VOLUNTEER})
    ),
    Command("verify", N_("Check a service certificate's serial")),
    Command("invite", N_("Your team's invite link"), frozenset({Role.LEADER, Role.ADMIN})),
    Command("newteam", N_("Create a team"), frozenset({Role.ADMIN})),
    Command("promote", N_("Appoint or dismiss team leaders"), frozenset({Role.ADMIN})),
    Command("officers", N_("Appoint or remove grid officers"), frozenset({Role.ADMIN})),
    Command("wechat", N_("Use the bot on WeChat too (link the accounts)")),
    Command("lang", N_("Change the language")),
    Command("cancel", N_("Stop what you are doing")),
    Command("help", N_("What I can do for you")),
)


def commands_for(roles: frozenset[Role]) -> list[Command]:
    return [c for c in COMMANDS if not c.roles or c.roles & roles]


def help_text(tr: Translator, roles: frozenset[Role]) -> str:
    lines = [tr("Here is what you can do:"), ""]
    lines += [f"/{c.name} — {tr(c.description)}" for c in commands_for(roles)]
    if roles & LEADERS:
        lines += [
            "",
            tr(
                "In your team's group chat, send /link there to have shifts announced in "
                "the group too (add me to the group first)."
            ),
        ]
    return "\n".join(lines)


def _bot_commands(tr: Translator, roles: frozenset[Role]) -> list[BotCommand]:
    return [BotCommand(c.name, tr(c.description)) for c in commands_for(roles)]


# Telegram picks a scope's command list by the two-letter language of the app.
_TELEGRAM_LANGUAGE_CODES = {"en": "en"}


# Most people in private chats are volunteers; others get a menu of their own.
DEFAULT_MENU_ROLES = frozenset({Role.VOLUNTEER})


async def publish_default_menus(bot: ExtBot, catalogs: Catalogs, default_language: str) -> None:
    """The volunteers' menu, in each language Telegram can select by itself."""
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(
        _bot_commands(catalogs.translator(default_language), DEFAULT_MENU_ROLES), scope=scope
    )
    for language in SUPPORTED_LANGUAGES:
        code = _TELEGRAM_LANGUAGE_CODES.get(language)
        if code:
            await bot.set_my_commands(
                _bot_commands(catalogs.translator(language), DEFAULT_MENU_ROLES),
                scope=scope,
                language_code=code,
            )


async def publish_personal_menu(
    bot: ExtBot, chat_id: int | str, tr: Translator, roles: frozenset[Role]
) -> bool:
    """One chat's menu, in that person's language, with their roles' commands."""
    try:
        await bot.set_my_commands(_bot_commands(tr, roles), scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # e.g. the person never opened a chat with the bot
        log.info("could not set the command menu of chat %s: %s", chat_id, exc)
        return False
    return True


async def refresh_personal_menu(context: BotContext, person_id: int) -> None:
    """After a role or language change, give the person's chat the matching menu."""
    deps = context.deps
    async with deps.session_factory() as session:
        account = await identity.identity_of(session, person_id, identity.TELEGRAM)
        person = await session.get(Person, person_id)
        if account is None or person is None:
            return
        roles = await roles_of(session, person)
    await publish_personal_menu(
        context.bot, account.chat_id, deps.catalogs.translator(person.language), roles
    )
