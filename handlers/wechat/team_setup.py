"""新队伍 and 邀请 on WeChat: an admin sets up a team (its community by number, then its
name); leaders and admins get a team's invite as a WeChat QR code picture to show or
print, and as the words to type (加入 <code>)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.wechat import menus
from models import Team
from services import team_setup, teams
from services.errors import UnknownChoice
from services.i18n import N_
from services.notifier import Notice
from services.org import active_communities, place_label

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

QR_CAPTION = N_("📷 The QR code of {team}: volunteers scan it with WeChat to register and join.")


async def begin(turn: Turn) -> str:
    state = await team_setup.begin(turn.session, turn.person, now=turn.now)
    return await prompt(turn, state)


async def prompt(turn: Turn, state: team_setup.TeamSetupState) -> str:
    tr = turn.tr
    if state.step == team_setup.STEP_NAME:
        return tr("What is the team's name? (2–30 characters)") + tr(" (reply 取消 to stop)")
    communities = await active_communities(turn.session)
    lines = [tr("New team. Which community (社区) does it belong to? Reply its number:")]
    lines += [f"{n}. {place_label(c, tr.language)}" for n, c in enumerate(communities, 1)]
    return "\n".join(lines)


async def answer(turn: Turn, state: team_setup.TeamSetupState, said: str, text: str) -> str:
    if state.step == team_setup.STEP_COMMUNITY:
        communities = await active_communities(turn.session)
        if not (said.isdigit() and 1 <= int(said) <= len(communities)):
            raise UnknownChoice()
        state = await team_setup.choose_community(
            turn.session, turn.person, communities[int(said) - 1].id, now=turn.now
        )
        return await prompt(turn, state)
    team = await team_setup.submit_name(turn.session, turn.person, text, now=turn.now)
    return invite(turn, team, created=True)


def invite(turn: Turn, team: Team, *, created: bool = False) -> str:
    """The invite in words, and its QR code as a picture after the reply."""
    tr = turn.tr
    head = (
        tr("✓ Team created: {team}").format(team=team.name)
        if created
        else tr("The invite of {team}:").format(team=team.name)
    )
    lines = [
        head,
        tr("Volunteers join by replying “加入 {code}” to this account.").format(
            code=team.invite_code
        ),
    ]
    if turn.qr_available:
        turn.qr_codes.append((teams.invite_payload(team), Notice(QR_CAPTION, {"team": team.name})))
        lines.append(tr("Its QR code follows as a picture: show it or print it."))
    return "\n".join(lines)


async def invite_entry(turn: Turn) -> str:
    """邀请: the team's invite, or which team's when the person leads several."""
    tr = turn.tr
    led = await teams.led_teams(turn.session, turn.person)
    if not led:
        if turn.person.is_admin:
            return tr("There are no teams yet. Reply 新队伍 to create one.")
        return tr("Only team leaders and administrators can invite.")
    if len(led) == 1:
        return invite(turn, await teams.invite_team(turn.session, turn.person, led[0].id))
    options = [(team.name, f"inv:t:{team.id}") for team in led]
    return "\n".join([tr("Invite to which team?"), *await menus.offer(turn, options)])


async def press(turn: Turn, verb: str, args: list[str]) -> str:
    if verb == "t" and len(args) == 1 and args[0].isdigit():
        return invite(turn, await teams.invite_team(turn.session, turn.person, int(args[0])))
    raise UnknownChoice()
