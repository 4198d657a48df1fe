"""/me (profile, edit), /lang (language)."""

from __future__ import annotations

from telegram import Update

from handlers import registration as registration_ui
from handlers.common import Message, Response, Work, button, keyboard, respond, work
from handlers.context import BotContext
from handlers.menu import refresh_personal_menu
from models import MemberRole, Volunteer
from services import identity, registration
from services.errors import NotRegistered, StaleAction
from services.i18n import LANGUAGE_NATIVE_NAMES, N_, SUPPORTED_LANGUAGES, format_date
from services.org import place_label
from services.profile import profile_of
from services.roles import Role

ROLE_NAMES = {
    Role.ADMIN: N_("administrator"),
    Role.GRID_OFFICER: N_("grid officer"),
    Role.LEADER: N_("team leader"),
    Role.VOLUNTEER: N_("volunteer"),
}


async def on_me(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        response = await _profile(w, telegram_id=update.effective_user.id)
    await respond(update, response)


async def _profile(w: Work, *, telegram_id: int) -> Response:
    tr = w.tr
    profile = await profile_of(w.session, w.person)
    roles = [tr(name) for role, name in ROLE_NAMES.items() if role in profile.roles]
    footer = [
        tr("Language: {language}").format(language=LANGUAGE_NATIVE_NAMES[w.person.language]),
        # Administrators are configured by this id.
        tr("Telegram ID: {id}").format(id=telegram_id),
    ]
    v = profile.volunteer
    if v is None:
        lines = [tr("You are not registered as a volunteer yet."), ""]
        if roles:
            lines.append(tr("Roles: {roles}").format(roles=tr(", ").join(roles)))
        rows = [[button(tr("🙋 I want to volunteer"), "start:volunteer")]]
        return Response.say("\n".join([*lines, *footer]), keyboard(rows))

    teams = [
        m.team.name + (" ★" if m.role is MemberRole.LEADER else "") for m in profile.memberships
    ]
    place = (
        f"{place_label(profile.community, tr.language)} · {place_label(profile.grid, tr.language)}"
    )
    lines = [
        f"👤 {v.real_name}",
        tr("Mobile: {phone}").format(phone=v.phone),
        tr("Community and grid: {place}").format(place=place),
        tr("Available: {times}").format(times=registration_ui.availability_text(w, v.availability)),
        tr("Skills: {skills}").format(skills=registration_ui.skills_text(w, v.skills)),
        tr("Teams: {teams}").format(teams=tr(", ").join(teams) or tr("none yet")),
        tr("Roles: {roles}").format(roles=tr(", ").join(roles)),
        tr("Registered on {date}").format(
            date=format_date(
                v.registered_at.astimezone(w.deps.settings.bot.zone).date(), tr.language
            )
        ),
        "",
        *footer,
    ]
    rows = [[button(tr("✏️ Edit my profile"), "me:edit")]]
    return Response.say("\n".join(lines), keyboard(rows))


async def on_me_button(update: Update, context: BotContext) -> None:
    if update.callback_query.data != "me:edit":
        raise StaleAction()
    async with work(update, context) as w:
        volunteer = await w.session.get(Volunteer, w.person.id)
        if volunteer is None:
            raise NotRegistered()
        state = await registration.begin_profile_edit(w.session, w.person, volunteer, now=w.now)
        response = Response(messages=await registration_ui.prompt(w, state))
    await respond(update, response)


async def on_lang(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        rows = [
            [button(LANGUAGE_NATIVE_NAMES[code], f"lang:{code}")] for code in SUPPORTED_LANGUAGES
        ]
        response = Response.say(w.tr("Choose your language:"), keyboard(rows))
    await respond(update, response)


async def on_lang_button(update: Update, context: BotContext) -> None:
    language = (update.callback_query.data or "").removeprefix("lang:")
    async with work(update, context) as w:
        await identity.set_language(w.session, w.person, language)
        tr = w.deps.catalogs.translator(language)
        text = tr("✓ I will speak {language} with you from now on.").format(
            language=LANGUAGE_NATIVE_NAMES[language]
        )
        response = Response(edit=Message(text))
        person_id = w.person.id
    await respond(update, response)
    await refresh_personal_menu(context, person_id)
