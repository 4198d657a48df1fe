"""Team commands: /newteam, /team (roster, removal), /promote, /invite."""

from __future__ import annotations

from telegram import Update
from telegram.helpers import create_deep_linked_url

from handlers.common import (
    Message,
    Response,
    Work,
    button,
    callback_args,
    in_rows,
    int_arg,
    keyboard,
    pager_row,
    paginate,
    respond,
    work,
)
from handlers.context import BotContext
from handlers.menu import refresh_personal_menu
from models import Community, MemberRole, Team
from services import team_setup, teams
from services.errors import NotInAnyTeam, StaleAction
from services.i18n import N_
from services.notifier import Notice
from services.org import active_communities, place_label
from services.roles import require_admin

TEAMS_PER_PAGE = 8
ROSTER_PER_PAGE = 30
MEMBERS_PER_PAGE = 16


def invite_link(context: BotContext, team: Team) -> str:
    return create_deep_linked_url(context.bot.username, teams.invite_payload(team))


async def _team_title(w: Work, team: Team) -> str:
    community = await w.session.get_one(Community, team.community_id)
    return f"{team.name} · {place_label(community, w.tr.language)}"


async def _team_buttons(w: Work, all_teams: list[Team], page: int, action: str) -> list[list]:
    """A page of team buttons: `action` builds each button's data from the team id."""
    shown = paginate(all_teams, page, TEAMS_PER_PAGE)
    buttons = [button(await _team_title(w, t), action.format(team=t.id)) for t in shown.items]
    list_action = action.split(":")[0] + ":list:{page}"
    return [*in_rows(buttons, 1), pager_row(shown, w.tr, lambda n: list_action.format(page=n))]


# --- /newteam ----------------------------------------------------------------------------------


async def on_newteam(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        state = await team_setup.begin(w.session, w.person, now=w.now)
        response = Response(messages=await newteam_prompt(w, state))
    await respond(update, response)


async def newteam_prompt(w: Work, state: team_setup.TeamSetupState) -> list[Message]:
    if state.step == team_setup.STEP_NAME:
        return [Message(w.tr("What is the team's name? (2–30 characters)"))]
    communities = await active_communities(w.session)
    buttons = [button(place_label(c, w.tr.language), f"nt:c:{c.id}") for c in communities]
    text = w.tr("New team. Which community (社区) does it belong to?")
    return [Message(text, keyboard(in_rows(buttons, 2)))]


async def on_newteam_button(update: Update, context: BotContext) -> None:
    (community_id,) = callback_args(update, 1)
    async with work(update, context) as w:
        state = await team_setup.choose_community(
            w.session, w.person, int_arg(community_id), now=w.now
        )
        community = await w.session.get_one(Community, state.community_id)
        label = place_label(community, w.tr.language)
        response = Response(
            edit=Message(w.tr("New team in {community}.").format(community=label)),
            messages=await newteam_prompt(w, state),
        )
    await respond(update, response)


async def on_newteam_text(w: Work, context: BotContext, text: str) -> Response:
    team = await team_setup.submit_name(w.session, w.person, text, now=w.now)
    title = await _team_title(w, team)
    return Response(messages=[_invite_message(w, context, team, title, created=True)])


# --- /team -----------------------------------------------------------------------------------


async def on_team(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        response = await _team_entry(w, page=0)
    await respond(update, response)


async def _team_entry(w: Work, page: int) -> Response:
    visible = await teams.teams_of(w.session, w.person)
    if not visible:
        if w.person.is_admin:
            return Response.say(w.tr("There are no teams yet. Create one with /newteam."))
        raise NotInAnyTeam()
    if len(visible) == 1:
        return Response(messages=[await _roster_message(w, visible[0].id, 0)])
    rows = await _team_buttons(w, visible, page, "team:v:{team}:0")
    return Response.say(w.tr("Which team?"), keyboard(rows))


async def _roster_message(w: Work, team_id: int, page: int) -> Message:
    tr = w.tr
    roster = await teams.roster(w.session, w.person, team_id)
    shown = paginate(roster.entries, page, ROSTER_PER_PAGE)
    leaders = sum(1 for e in roster.entries if e.role is MemberRole.LEADER)
    lines = [
        "👥 " + await _team_title(w, roster.team),
        tr.plural("{count} member", "{count} members", len(roster.entries)).format(
            count=len(roster.entries)
        )
        + " · "
        + tr.plural("{count} leader", "{count} leaders", leaders).format(count=leaders),
        "",
    ]
    first = shown.number * ROSTER_PER_PAGE
    for number, entry in enumerate(shown.items, start=first + 1):
        line = f"{number}. {entry.name}"
        if entry.phone:
            line += f" · {entry.phone}"
        if entry.role is MemberRole.LEADER:
            line = tr("{member} (leader)").format(member=line)
        lines.append(line)
    if not roster.entries:
        lines.append(tr("No members yet. Share the invite link (/invite) to bring people in."))
    if shown.count > 1:
        lines += ["", tr("Page {n} of {total}").format(n=shown.number + 1, total=shown.count)]
    rows = [pager_row(shown, tr, lambda n: f"team:v:{team_id}:{n}")]
    if roster.removable:
        rows.append([button(tr("➖ Remove a member"), f"team:rm:{team_id}:0")])
    return Message("\n".join(lines), keyboard(rows))


async def on_team_button(update: Update, context: BotContext) -> None:
    action = update.callback_query.data.split(":")[1]
    handler = {
        "list": _team_list_page,
        "v": _team_view,
        "rm": _remove_choices,
        "rmq": _remove_question,
        "rmy": _remove_confirmed,
    }.get(action)
    if handler is None:
        raise StaleAction()
    async with work(update, context) as w:
        response, notify = await handler(w, update)
        if notify is not None:
            await w.enqueue(*notify)
    await respond(update, response)
    if notify is not None:
        await refresh_personal_menu(context, notify[0])


async def _team_list_page(w: Work, update: Update):
    (page,) = callback_args(update, 1)
    visible = await teams.teams_of(w.session, w.person)
    rows = await _team_buttons(w, visible, int_arg(page), "team:v:{team}:0")
    return Response(edit=Message(w.tr("Which team?"), keyboard(rows))), None


async def _team_view(w: Work, update: Update):
    team_id, page = callback_args(update, 2)
    message = await _roster_message(w, int_arg(team_id), int_arg(page))
    return Response(edit=message), None


async def _remove_choices(w: Work, update: Update):
    team_id, page = (int_arg(a) for a in callback_args(update, 2))
    team, candidates = await teams.removal_candidates(w.session, w.person, team_id)
    shown = paginate(candidates, page, MEMBERS_PER_PAGE)
    buttons = [button(e.name, f"team:rmq:{team_id}:{e.person_id}") for e in shown.items]
    rows = [
        *in_rows(buttons, 2),
        pager_row(shown, w.tr, lambda n: f"team:rm:{team_id}:{n}"),
        [button(w.tr("◀ Back"), f"team:v:{team_id}:0")],
    ]
    text = w.tr("Whom do you want to remove from {team}?").format(team=team.name)
    return Response(edit=Message(text, keyboard(rows))), None


async def _remove_question(w: Work, update: Update):
    team_id, person_id = (int_arg(a) for a in callback_args(update, 2))
    team, candidates = await teams.removal_candidates(w.session, w.person, team_id)
    entry = next((e for e in candidates if e.person_id == person_id), None)
    if entry is None:
        raise StaleAction()
    text = w.tr("Remove {name} from {team}? They will be told.").format(
        name=entry.name, team=team.name
    )
    rows = [
        [
            button(w.tr("Yes, remove"), f"team:rmy:{team_id}:{person_id}"),
            button(w.tr("No"), f"team:v:{team_id}:0"),
        ]
    ]
    return Response(edit=Message(text, keyboard(rows))), None


async def _remove_confirmed(w: Work, update: Update):
    team_id, person_id = (int_arg(a) for a in callback_args(update, 2))
    await teams.remove_member(w.session, w.person, team_id=team_id, person_id=person_id, now=w.now)
    team = await teams.get_team(w.session, team_id)
    message = await _roster_message(w, team_id, 0)
    notice = Notice(N_("You have been removed from the team “{team}”."), {"team": team.name})
    return Response(edit=message, popup=w.tr("Removed.")), (person_id, notice)


# --- /promote --------------------------------------------------------------------------------


async def on_promote(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        response = await _promote_entry(w, page=0)
    await respond(update, response)


async def _promote_entry(w: Work, page: int) -> Response:
    require_admin(w.person)
    all_teams = await teams.teams_of(w.session, w.person)
    if not all_teams:
        return Response.say(w.tr("There are no teams yet. Create one with /newteam."))
    if len(all_teams) == 1:
        return Response(messages=[await _promotion_message(w, all_teams[0].id, 0)])
    rows = await _team_buttons(w, all_teams, page, "pro:t:{team}:0")
    return Response.say(w.tr("Leaders of which team?"), keyboard(rows))


async def _promotion_message(w: Work, team_id: int, page: int) -> Message:
    require_admin(w.person)
    tr = w.tr
    roster = await teams.roster(w.session, w.person, team_id)
    shown = paginate(roster.entries, page, MEMBERS_PER_PAGE)
    buttons = []
    for entry in shown.items:
        if entry.role is MemberRole.LEADER:
            buttons.append(button(f"★ {entry.name} ⬇", f"pro:down:{team_id}:{entry.person_id}"))
        else:
            buttons.append(button(f"{entry.name} ⬆", f"pro:up:{team_id}:{entry.person_id}"))
    rows = [*in_rows(buttons, 2), pager_row(shown, tr, lambda n: f"pro:t:{team_id}:{n}")]
    text = tr(
        "Leaders of {team}: tap a member (⬆) to make them a leader, or a leader (★ ⬇) "
        "to make them a member again."
    ).format(team=roster.team.name)
    if not roster.entries:
        text += "\n\n" + tr("No members yet. Share the invite link (/invite) to bring people in.")
    return Message(text, keyboard(rows))


async def on_promote_button(update: Update, context: BotContext) -> None:
    action = update.callback_query.data.split(":")[1]
    changed = None
    async with work(update, context) as w:
        if action == "list":
            (page,) = callback_args(update, 1)
            response = await _promote_entry(w, int_arg(page))
            response = Response(edit=response.messages[0])
        elif action == "t":
            team_id, page = (int_arg(a) for a in callback_args(update, 2))
            response = Response(edit=await _promotion_message(w, team_id, page))
        elif action in ("up", "down"):
            team_id, person_id = (int_arg(a) for a in callback_args(update, 2))
            role = MemberRole.LEADER if action == "up" else MemberRole.MEMBER
            await teams.set_member_role(
                w.session, w.person, team_id=team_id, person_id=person_id, role=role
            )
            team = await teams.get_team(w.session, team_id)
            response = Response(edit=await _promotion_message(w, team_id, 0), popup=w.tr("Saved."))
            changed = person_id
            message = (
                N_(
                    "You are now a leader of the team “{team}”. Send /team to see your "
                    "members with their phone numbers, and /invite for the invite link."
                )
                if role is MemberRole.LEADER
                else N_("You are no longer a leader of the team “{team}”.")
            )
            await w.enqueue(person_id, Notice(message, {"team": team.name}))
        else:
            raise StaleAction()
    await respond(update, response)
    if changed is not None:
        await refresh_personal_menu(context, changed)


# --- /invite ---------------------------------------------------------------------------------


def _invite_message(
    w: Work, context: BotContext, team: Team, title: str, *, created: bool = False
) -> Message:
    tr = w.tr
    head = (
        tr("✓ Team created: {team}").format(team=title)
        if created
        else tr("Invite link of {team}:").format(team=title)
    )
    text = "\n".join(
        [
            head,
            "",
            invite_link(context, team),
            "",
            tr(
                "Send this link to volunteers: opening it lets them register (if they have "
                "not yet) and join the team."
            ),
        ]
    )
    rows = []
    if w.person.is_admin:
        rows.append([button(tr("🔄 Replace link (old one stops working)"), f"inv:rot:{team.id}")])
    return Message(text, keyboard(rows) if rows else None)


async def on_invite(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        led = await teams.led_teams(w.session, w.person)
        if not led:
            if w.person.is_admin:
                response = Response.say(w.tr("There are no teams yet. Create one with /newteam."))
            else:
                response = Response.say(w.tr("Only team leaders and administrators can invite."))
        elif len(led) == 1:
            team = await teams.invite_team(w.session, w.person, led[0].id)
            response = Response(
                messages=[_invite_message(w, context, team, await _team_title(w, team))]
            )
        else:
            rows = await _team_buttons(w, led, 0, "inv:t:{team}")
            response = Response.say(w.tr("Invite link of which team?"), keyboard(rows))
    await respond(update, response)


async def on_invite_button(update: Update, context: BotContext) -> None:
    action = update.callback_query.data.split(":")[1]
    async with work(update, context) as w:
        if action == "list":
            (page,) = callback_args(update, 1)
            led = await teams.led_teams(w.session, w.person)
            rows = await _team_buttons(w, led, int_arg(page), "inv:t:{team}")
            response = Response(edit=Message(w.tr("Invite link of which team?"), keyboard(rows)))
        elif action == "t":
            (team_id,) = callback_args(update, 1)
            team = await teams.invite_team(w.session, w.person, int_arg(team_id))
            response = Response(edit=_invite_message(w, context, team, await _team_title(w, team)))
        elif action == "rot":
            (team_id,) = callback_args(update, 1)
            require_admin(w.person)
            team = await teams.get_team(w.session, int_arg(team_id))
            text = w.tr(
                "Replace the invite link of {team}? People who have the old link will no "
                "longer be able to join with it."
            ).format(team=team.name)
            rows = [
                [
                    button(w.tr("Yes, replace it"), f"inv:roty:{team.id}"),
                    button(w.tr("No"), f"inv:t:{team.id}"),
                ]
            ]
            response = Response(edit=Message(text, keyboard(rows)))
        elif action == "roty":
            (team_id,) = callback_args(update, 1)
            team = await teams.rotate_invite(
                w.session, w.person, team_id=int_arg(team_id), now=w.now
            )
            message = _invite_message(w, context, team, await _team_title(w, team))
            response = Response(
                edit=Message(
                    w.tr("✓ New link made; the old one no longer works.") + "\n\n" + message.text,
                    message.markup,
                )
            )
        else:
            raise StaleAction()
    await respond(update, response)
