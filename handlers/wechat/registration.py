"""Volunteer registration on WeChat: the same steps and rules as on Telegram
(services/registration), asked as numbered questions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models import Community, Grid, Volunteer
from services import org, registration
from services.errors import NothingChosen, UnknownChoice
from services.i18n import Translator
from services.registration import (
    AVAILABILITY_OPTIONS,
    PRIVACY_NOTICE,
    RegistrationState,
    Step,
)

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

# The summary's choices after "1. Confirm": the fields that can be changed, in order.
EDITS = (Step.NAME, Step.PHONE, Step.COMMUNITY, Step.AVAILABILITY, Step.SKILLS)


async def begin(turn: Turn) -> str:
    if await turn.session.get(Volunteer, turn.person.id) is not None:
        return turn.tr("You are registered already. Reply 时长 or 班次.")
    resuming = await registration.current(turn.session, turn.person) is not None
    state = await registration.begin(turn.session, turn.person, now=turn.now)
    intro = (
        turn.tr("Welcome back! Let's continue your registration where you left off.")
        if resuming
        else turn.tr("Welcome! Registering takes about a minute.")
    )
    return intro + "\n" + await prompt(turn, state)


async def join(turn: Turn, code: str) -> str:
    """A team's invite: join at once, or register first and join at the end."""
    outcome = await registration.open_invite(turn.session, turn.person, code, now=turn.now)
    if outcome.joined is not None:
        return turn.tr("You joined {team}.").format(team=outcome.team.name)
    intro = turn.tr("To join {team}, please register first.").format(team=outcome.team.name)
    return intro + "\n" + await prompt(turn, outcome.registration)


def numbers(said: str) -> list[int]:
    """ "1 3", "1,3", "1、3" or "13" (single-digit lists) as [1, 3]."""
    parts = said.replace(",", " ").replace("、", " ").replace("，", " ").split()
    if len(parts) == 1 and parts[0].isdigit() and len(parts[0]) > 1:
        parts = list(parts[0])
    return [int(p) for p in parts if p.isdigit()]


async def prompt(turn: Turn, state: RegistrationState) -> str:
    tr, settings = turn.tr, turn.settings
    if state.step is Step.SUMMARY:
        return await summary(turn, state)
    n, total = state.position(settings.registration)
    head = tr("Step {n} of {total}").format(n=n, total=total) + "\n"
    if state.step is Step.NAME:
        return head + tr("What is your real name? (2–20 Chinese characters or Latin letters)")
    if state.step is Step.PHONE:
        return head + tr("Please type your mobile number, like 13812345678.")
    if state.step is Step.COMMUNITY:
        communities = await org.active_communities(turn.session)
        lines = [head + tr("Which community (社区) will you serve in?")]
        lines += [f"{i}. {org.place_label(c, tr.language)}" for i, c in enumerate(communities, 1)]
        return "\n".join(lines)
    if state.step is Step.GRID:
        community = await turn.session.get_one(Community, state.community_id)
        grids = await org.active_grids(turn.session, community.id)
        lines = [
            head
            + tr("Which grid (网格) of {community}?").format(
                community=org.place_label(community, tr.language)
            )
        ]
        lines += [f"{i}. {org.place_label(g, tr.language)}" for i, g in enumerate(grids, 1)]
        lines.append("0. " + tr("◀ Other community"))
        return "\n".join(lines)
    if state.step is Step.AVAILABILITY:
        lines = [
            head + tr("When are you usually available? Reply all the numbers that apply, like 1 3:")
        ]
        lines += [f"{i}. {tr(label)}" for i, label in enumerate(AVAILABILITY_OPTIONS.values(), 1)]
        return "\n".join(lines)
    if state.step is Step.SKILLS:
        lines = [
            head + tr("Any skills you would like to offer? Reply their numbers, or 0 for none:")
        ]
        lines += [
            f"{i}. {s.label(tr.language)}" for i, s in enumerate(settings.registration.skills, 1)
        ]
        return "\n".join(lines)
    organisation = settings.organisation.label(tr.language)
    return (
        head
        + tr(PRIVACY_NOTICE).format(organisation=organisation)
        + "\n1. "
        + tr("I agree")
        + "\n2. "
        + tr("I do not agree")
    )


async def summary(turn: Turn, state: RegistrationState) -> str:
    tr = turn.tr
    place = "—"
    if state.grid_id:
        grid = await turn.session.get_one(Grid, state.grid_id)
        community = await turn.session.get_one(Community, grid.community_id)
        place = f"{org.place_label(community, tr.language)} · {org.place_label(grid, tr.language)}"
    skills = turn.settings.registration
    lines = [
        tr("Please check your details:"),
        tr("Name: {name}").format(name=state.name or "—"),
        tr("Mobile: {phone}").format(phone=state.phone or "—"),
        tr("Community and grid: {place}").format(place=place),
        tr("Available: {times}").format(
            times=_joined(
                tr,
                [
                    tr(AVAILABILITY_OPTIONS[c])
                    for c in state.availability
                    if c in AVAILABILITY_OPTIONS
                ],
            )
        ),
        tr("Skills: {skills}").format(
            skills=_joined(
                tr, [s.label(tr.language) for c in state.skills if (s := skills.skill(c))]
            )
        ),
        "",
        "1. " + tr("✅ Confirm"),
        tr("2–6: change the name, mobile, community, availability or skills"),
    ]
    return "\n".join(lines)


def _joined(tr: Translator, labels: list[str]) -> str:
    return tr(", ").join(labels) or "—"


async def answer(turn: Turn, state: RegistrationState, said: str, text: str) -> str:
    """A typed answer to the current step; returns what to say next."""
    session, person, now = turn.session, turn.person, turn.now
    settings = turn.settings.registration
    step = state.step
    if step is Step.NAME:
        state = await registration.submit_name(session, person, text, settings=settings, now=now)
    elif step is Step.PHONE:
        state = await registration.submit_phone(
            session, person, typed=text, settings=settings, now=now
        )
    elif step is Step.COMMUNITY:
        communities = await org.active_communities(session)
        state = await registration.choose_community(
            session, person, _pick(communities, said).id, settings=settings, now=now
        )
    elif step is Step.GRID:
        if said == "0":
            state = await registration.back_to_communities(session, person, now=now)
        else:
            grids = await org.active_grids(session, state.community_id)
            state = await registration.choose_grid(
                session, person, _pick(grids, said).id, settings=settings, now=now
            )
    elif step is Step.AVAILABILITY:
        wanted = _chosen(list(AVAILABILITY_OPTIONS), said)
        for code in set(wanted) ^ set(state.availability):
            await registration.toggle_availability(session, person, code, now=now)
        state = await registration.finish_availability(session, person, settings=settings, now=now)
    elif step is Step.SKILLS:
        codes = [s.code for s in settings.skills]
        wanted = [] if said == "0" else _chosen(codes, said)
        for code in set(wanted) ^ set(state.skills):
            await registration.toggle_skill(session, person, code, settings=settings, now=now)
        state = await registration.finish_skills(
            session, person, skip=not wanted, settings=settings, now=now
        )
    elif step is Step.CONSENT:
        if said not in ("1", "2"):
            raise UnknownChoice()
        state = await registration.answer_consent(
            session, person, said == "1", settings=settings, now=now
        )
        if state is None:
            return turn.tr(
                "Registration cancelled; nothing you entered was kept. Reply 注册 whenever "
                "you want to begin again."
            )
    else:
        return await _from_summary(turn, said)
    return await prompt(turn, state)


async def _from_summary(turn: Turn, said: str) -> str:
    if said == "1":
        done = await registration.confirm(turn.session, turn.person, now=turn.now)
        if done.place_gone is not None:
            return await prompt(turn, done.place_gone)
        prefix = turn.settings.organisation.volunteer_number_prefix
        text = turn.tr(
            "🎉 Welcome, {name}! You are volunteer {number}. Reply 班次 to see shifts."
        ).format(
            name=done.volunteer.real_name,
            number=registration.volunteer_number(prefix, done.volunteer.number),
        )
        if done.joined is not None:
            text += "\n" + turn.tr("You joined {team}.").format(team=done.joined.team.name)
        return text
    if said.isdigit() and 2 <= int(said) <= 1 + len(EDITS):
        state = await registration.edit_field(
            turn.session, turn.person, EDITS[int(said) - 2], now=turn.now
        )
        return await prompt(turn, state)
    raise UnknownChoice()


def _pick(options: list, said: str):
    if not said.isdigit() or not 1 <= int(said) <= len(options):
        raise UnknownChoice()
    return options[int(said) - 1]


def _chosen(codes: list[str], said: str) -> list[str]:
    picked = numbers(said)
    if not picked or any(not 1 <= n <= len(codes) for n in picked):
        raise NothingChosen() if not picked else UnknownChoice()
    return [codes[n - 1] for n in sorted(set(picked))]
