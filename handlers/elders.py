"""/elders: the register of elders, their care plans, and the week's record."""

from __future__ import annotations

from datetime import date, timedelta

from telegram import Update
from telegram.helpers import create_deep_linked_url

from handlers.common import (
    Message,
    Response,
    Work,
    answered,
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
from models import CarerRole, Elder, Grid, Team
from services import care, elder_setup, elders
from services.elder_setup import ElderDraft, ElderStep
from services.errors import StaleAction
from services.i18n import format_date, format_day, weekday_name
from services.org import place_label
from services.profile import real_name

PER_PAGE = 10
PAUSE_DAYS = (1, 7, 14, 30)


def _today(w: Work) -> date:
    return w.now.astimezone(w.deps.settings.bot.zone).date()


async def on_elders(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        message = await _list(w, 0)
    await respond(update, Response(messages=[message]))


async def _list(w: Work, page: int) -> Message:
    tr = w.tr
    found = await elders.visible_elders(w.session, w.person)
    may_register = bool(await elders.registrable_grids(w.session, w.person))
    if not found and not may_register:
        return Message(tr("No elders are in your care. A grid officer assigns them."))
    shown = paginate(found, page, PER_PAGE)
    today = _today(w)
    lines = [tr("👵 Elders in your care or your grid:") if found else tr("No elders yet.")]
    numbers = []
    for index, elder in enumerate(shown.items, start=1 + shown.number * PER_PAGE):
        task = await care.today_task(w.session, elder.id, today)
        grid = await w.session.get_one(Grid, elder.grid_id)
        mark = care.day_mark(task) if task else ""
        paused = " ⏸" if elders.is_paused(elder, today) else ""
        lines.append(f"{index}. {elder.name} · {place_label(grid, tr.language)} {mark}{paused}")
        numbers.append(button(str(index), f"el:v:{elder.id}"))
    rows = [*in_rows(numbers, 5), pager_row(shown, tr, lambda n: f"el:list:{n}")]
    if found and any([await elders.can_manage(w.session, w.person, e) for e in found]):
        rows.append([button(tr("📊 The last 7 days"), "el:week:0")])
    if may_register:
        rows.append([button(tr("➕ Register an elder"), "el:new")])
    return Message("\n".join(lines), keyboard([r for r in rows if r]))


async def _card(w: Work, elder: Elder) -> Message:
    tr = w.tr
    session = w.session
    today = _today(w)
    grid = await session.get_one(Grid, elder.grid_id)
    team = await session.get(Team, elder.team_id) if elder.team_id else None
    lines = [f"👵 {elder.name}"]
    lines.append(
        tr("Grid: {grid} · team: {team}").format(
            grid=place_label(grid, tr.language), team=team.name if team else tr("none yet")
        )
    )
    callers = [await real_name(session, p) for p in await elders.callers(session, elder.id)]
    backups = [await real_name(session, p) for p in await elders.backups(session, elder.id)]
    lines.append(
        tr("Daily call: {callers} · backup: {backups}").format(
            callers="、".join(callers) or tr("nobody yet"),
            backups="、".join(backups) or tr("none"),
        )
    )
    visit = (
        weekday_name(elder.visit_weekday, tr.language)
        if elder.visit_weekday is not None
        else tr("none")
    )
    lines.append(tr("Weekly visit: {day}").format(day=visit))
    if elder.birthday:
        lines.append(
            tr("Born: {date} ({age})").format(
                date=format_date(elder.birthday, tr.language),
                age=elders.age_on(elder.birthday, today),
            )
        )
    if await elders.can_see_private(session, w.person, elder):
        lines.append(
            tr("📞 {phone} · 📍 {address}").format(phone=elder.phone, address=elder.address)
        )
        if elder.family_phone or elder.family_person_id:
            lines.append(
                tr("Family: {name} {phone}")
                .format(name=elder.family_name or "", phone=elder.family_phone or "")
                .strip()
            )
        lines.append(
            (
                tr("The family is told on a day nobody reaches them.")
                if elder.family_alerts
                else tr("The family is not alerted.")
            )
            + (" · " + tr("Telegram linked") if elder.family_person_id else "")
        )
        if elder.notes:
            lines.append(tr("Notes: {notes}").format(notes=elder.notes))
    if elders.is_paused(elder, today):
        lines.append(
            tr("⏸ Paused until {day}").format(day=format_day(elder.paused_until, tr.language))
        )
    week = await care.elder_week(session, elder, last_day=today)
    lines.append(
        tr("Last 7 days: {marks}").format(
            marks="".join(care.day_mark(task) for _, task in week.days)
        )
    )
    rows = []
    if await elders.can_manage(session, w.person, elder):
        rows += [
            [
                button(tr("👥 Callers and backup"), f"el:ppl:{elder.id}"),
                button(tr("📅 Visit day"), f"el:vd:{elder.id}"),
            ],
            [
                button(
                    tr("▶ Resume") if elders.is_paused(elder, today) else tr("⏸ Pause"),
                    f"el:pz:{elder.id}",
                ),
                button(tr("👪 Family link"), f"el:fam:{elder.id}"),
            ],
            [
                button(
                    tr("🔕 Do not alert the family")
                    if elder.family_alerts
                    else tr("🔔 Alert the family"),
                    f"el:fa:{elder.id}",
                ),
                button(tr("🏘 Team"), f"el:tm:{elder.id}"),
            ],
            [
                button(tr("✏️ Edit details"), f"el:ed:{elder.id}"),
                button(tr("🗑 Remove"), f"el:rmq:{elder.id}"),
            ],
        ]
    rows.append([button(tr("◀ All elders"), "el:list:0")])
    return Message("\n".join(lines), keyboard(rows))


async def _people(w: Work, elder: Elder) -> Message:
    tr = w.tr
    candidates = await elders.carer_candidates(w.session, w.person, elder.id)
    roles = {c.person_id: c.role for c in await elders.carers(w.session, elder.id)}
    marks = {CarerRole.CALLER: "📞 ", CarerRole.BACKUP: "🔁 "}
    buttons = [
        button(marks.get(roles.get(pid), "") + name, f"el:cr:{elder.id}:{pid}")
        for pid, name in candidates
    ]
    text = tr(
        "Who cares for {elder}? Tap a name to make them a caller (📞), then a backup (🔁), "
        "then neither. Callers take turns day by day; the backup steps in when a caller "
        "cannot."
    ).format(elder=elder.name)
    if not candidates:
        text = tr("Choose the caring team first (🏘 Team); its members can then be chosen.")
    rows = [*in_rows(buttons, 2), [button(tr("◀ Back"), f"el:v:{elder.id}")]]
    return Message(text, keyboard(rows))


def _next_role(role: str | None) -> CarerRole | None:
    if role is None:
        return CarerRole.CALLER
    if role == CarerRole.CALLER:
        return CarerRole.BACKUP
    return None


async def _week(w: Work, page: int) -> Message:
    tr = w.tr
    today = _today(w)
    record = await care.week_record(w.session, w.person, last_day=today)
    shown = paginate(record, page, 20)
    first = today - timedelta(days=6)
    lines = [
        tr("📊 Daily calls, {first} – {last}:").format(
            first=format_day(first, tr.language), last=format_day(today, tr.language)
        )
    ]
    for row in shown.items:
        lines.append(f"{''.join(care.day_mark(task) for _, task in row.days)} {row.elder.name}")
    covered = sum(1 for row in record if row.covered(today))
    escalations = sum(row.escalations() for row in record)
    lines += [
        "",
        tr("Reached or escalated every day: {count} of {total} · alerts: {escalations}").format(
            count=covered, total=len(record), escalations=escalations
        ),
        tr(
            "✅ reached · ☑️ reached after an alert · ⚠️ not reached · 🆘 needs help · "
            "⏳ today, open · ⏸ paused · · no call planned"
        ),
    ]
    rows = [
        pager_row(shown, tr, lambda n: f"el:week:{n}"),
        [button(tr("◀ All elders"), "el:list:0")],
    ]
    return Message("\n".join(lines), keyboard([r for r in rows if r]))


# --- registering ------------------------------------------------------------------------


async def prompt(w: Work, draft: ElderDraft) -> list[Message]:
    tr = w.tr
    skip = button(tr("Skip"), "el:skip")
    step = draft.step
    if step == ElderStep.NAME:
        return [Message(tr("Register an elder. Their name (as on their ID card):"))]
    if step == ElderStep.PHONE:
        return [Message(tr("Their phone number (mobile or landline with area code):"))]
    if step == ElderStep.ADDRESS:
        return [Message(tr("Their home address (building, unit, room):"))]
    if step == ElderStep.GRID:
        grids = await elders.registrable_grids(w.session, w.person)
        buttons = [button(place_label(g, tr.language), f"el:g:{g.id}") for g in grids]
        return [Message(tr("Which grid do they live in?"), keyboard(in_rows(buttons, 2)))]
    if step == ElderStep.TEAM:
        teams = await elders.teams_for_grid(w.session, draft.grid_id)
        buttons = [button(t.name, f"el:t:{t.id}") for t in teams]
        return [
            Message(
                tr("Which team's volunteers will care for them?"),
                keyboard([*in_rows(buttons, 2), [skip]]),
            )
        ]
    if step == ElderStep.BIRTHDAY:
        return [
            Message(
                tr("Date of birth, like 1945-03-12 (for birthday reminders):"), keyboard([[skip]])
            )
        ]
    if step == ElderStep.FAMILY:
        return [
            Message(
                tr("A family contact: name and phone, like 王强 13700001111:"), keyboard([[skip]])
            )
        ]
    if step == ElderStep.NOTES:
        return [
            Message(
                tr("Anything carers should know (hearing, health, best time to call)?"),
                keyboard([[skip]]),
            )
        ]
    return [await _summary(w, draft)]


async def _summary(w: Work, draft: ElderDraft) -> Message:
    tr = w.tr
    d = draft.data
    grid = await w.session.get_one(Grid, d["grid_id"])
    team = await w.session.get(Team, d["team_id"]) if d.get("team_id") else None
    lines = [
        tr("Please check:"),
        f"👵 {d['name']}",
        tr("📞 {phone} · 📍 {address}").format(phone=d["phone"], address=d["address"]),
        tr("Grid: {grid} · team: {team}").format(
            grid=place_label(grid, tr.language), team=team.name if team else tr("none yet")
        ),
    ]
    if d.get("birthday"):
        born = date.fromisoformat(d["birthday"])
        lines.append(
            tr("Born: {date} ({age})").format(
                date=format_date(born, tr.language), age=elders.age_on(born, _today(w))
            )
        )
    if d.get("family_phone"):
        lines.append(
            tr("Family: {name} {phone}").format(name=d["family_name"], phone=d["family_phone"])
        )
    if d.get("notes"):
        lines.append(tr("Notes: {notes}").format(notes=d["notes"]))
    rows = [[button(tr("✅ Register"), "el:ok"), button(tr("✖ Cancel"), "el:no")]]
    return Message("\n".join(lines), keyboard(rows))


def edit_prompt(w: Work, field: str) -> Message:
    tr = w.tr
    questions = {
        "name": tr("The elder's name (as on their ID card):"),
        "phone": tr("Their phone number (mobile or landline with area code):"),
        "address": tr("Their home address (building, unit, room):"),
        "birthday": tr("Date of birth, like 1945-03-12 (for birthday reminders):"),
        "family": tr("A family contact: name and phone, like 王强 13700001111:"),
        "notes": tr("Anything carers should know (hearing, health, best time to call)?"),
    }
    return Message(questions[field] + "\n" + tr("(or /cancel)"))


async def on_edit_text(w: Work, text: str) -> Response:
    elder = await elder_setup.typed_edit(w.session, w.person, text, today=_today(w))
    return Response(messages=[Message(w.tr("✓ Saved.")), await _card(w, elder)])


async def on_text(w: Work, text: str) -> Response:
    draft = await elder_setup.typed(w.session, w.person, text, today=_today(w), now=w.now)
    return Response(messages=await prompt(w, draft))


# --- buttons ----------------------------------------------------------------------------


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    async with work(update, context) as w:
        response = await _on_button(w, context, update, action)
    await respond(update, response)


async def _on_button(w: Work, context: BotContext, update: Update, action: str) -> Response:
    session, person, tr = w.session, w.person, w.tr
    if action == "list":
        (page,) = callback_args(update, 1)
        return Response(edit=await _list(w, int_arg(page)))
    if action == "week":
        (page,) = callback_args(update, 1)
        return Response(edit=await _week(w, int_arg(page)))
    if action == "new":
        return Response(
            messages=await prompt(w, await elder_setup.begin(session, person, now=w.now))
        )
    if action in ("g", "t", "skip", "ok", "no"):
        return await _registering(w, update, action)
    args = (update.callback_query.data or "").split(":")[2:]
    if not args:
        raise StaleAction()
    elder_id, *rest = args
    elder = await elders.get_elder(session, int_arg(elder_id))
    if action == "v":
        if not await elders.can_see_private(session, person, elder):
            raise StaleAction()
        return Response(edit=await _card(w, elder))
    await elders.require_manager(session, person, elder)
    if action == "ppl":
        return Response(edit=await _people(w, elder))
    if action == "cr":
        (pid,) = rest or [""]
        current = next(
            (c.role for c in await elders.carers(session, elder.id) if c.person_id == int_arg(pid)),
            None,
        )
        await elders.set_carer(
            session, person, elder.id, int_arg(pid), _next_role(current), now=w.now
        )
        return Response(edit=await _people(w, elder))
    if action == "vd":
        days = [button(weekday_name(n, tr.language), f"el:vds:{elder.id}:{n}") for n in range(7)]
        rows = [*in_rows(days, 4), [button(tr("No weekly visit"), f"el:vds:{elder.id}:-")]]
        return Response(edit=Message(tr("On which day is the weekly home visit?"), keyboard(rows)))
    if action == "vds":
        (value,) = rest or [""]
        weekday = None if value == "-" else int_arg(value)
        elder = await elders.set_visit_day(session, person, elder.id, weekday)
        return Response(edit=await _card(w, elder))
    if action == "pz":
        if elders.is_paused(elder, _today(w)):
            elder = await elders.pause(session, person, elder.id, None, today=_today(w))
            return Response(edit=await _card(w, elder), popup=tr("Calls resume."))
        choices = [
            button(
                tr.plural("{count} day", "{count} days", n).format(count=n),
                f"el:pzs:{elder.id}:{n}",
            )
            for n in PAUSE_DAYS
        ]
        rows = [*in_rows(choices, 4), [button(tr("◀ Back"), f"el:v:{elder.id}")]]
        text = tr(
            "Pause the calls and visits (in hospital, staying with family)? No prompts and no "
            "alerts until the end of the pause, starting today."
        )
        return Response(edit=Message(text, keyboard(rows)))
    if action == "pzs":
        (value,) = rest or [""]
        days = int_arg(value)
        if days not in PAUSE_DAYS:
            raise StaleAction()
        until = _today(w) + timedelta(days=days - 1)
        elder = await elders.pause(session, person, elder.id, until, today=_today(w))
        await care.skip_today(session, elder, _today(w))
        return Response(edit=await _card(w, elder))
    if action == "fam":
        payload = await elders.family_invite(session, person, elder.id)
        link = create_deep_linked_url(context.bot.username, payload)
        text = tr(
            "Send this link to {elder}'s family member. When they open it, they will be told "
            "on any day nobody reaches {elder}. The link works once:\n{link}"
        ).format(elder=elder.name, link=link)
        return Response(messages=[Message(text)])
    if action == "fa":
        elder = await elders.set_family_alerts(session, person, elder.id, not elder.family_alerts)
        return Response(edit=await _card(w, elder))
    if action == "ed":
        labels = {
            "name": tr("Name"),
            "phone": tr("Phone"),
            "address": tr("Address"),
            "birthday": tr("Date of birth"),
            "family": tr("Family contact"),
            "notes": tr("Notes"),
        }
        buttons = [button(label, f"el:edf:{elder.id}:{f}") for f, label in labels.items()]
        rows = [*in_rows(buttons, 3), [button(tr("◀ Back"), f"el:v:{elder.id}")]]
        return Response(edit=Message(tr("What needs correcting?"), keyboard(rows)))
    if action == "edf":
        (field,) = rest or [""]
        await elder_setup.begin_edit(session, person, elder.id, field, now=w.now)
        return Response(edit=answered(update), messages=[edit_prompt(w, field)])
    if action == "rmq":
        text = tr(
            "Remove {elder} from the register (moved away, passed away)? The calls stop; "
            "the record of past calls is kept."
        ).format(elder=elder.name)
        rows = [[button(tr("Yes"), f"el:rmy:{elder.id}"), button(tr("No"), f"el:v:{elder.id}")]]
        return Response(edit=Message(text, keyboard(rows)))
    if action == "rmy":
        await care.skip_today(session, elder, _today(w))
        await elders.remove_elder(session, person, elder.id)
        return Response(edit=await _list(w, 0), popup=tr("Removed."))
    if action == "tm":
        teams = await elders.teams_for_grid(session, elder.grid_id)
        buttons = [button(t.name, f"el:tms:{elder.id}:{t.id}") for t in teams]
        rows = [*in_rows(buttons, 2), [button(tr("◀ Back"), f"el:v:{elder.id}")]]
        text = tr("Which team cares for {elder}? (Changing it clears the callers.)").format(
            elder=elder.name
        )
        return Response(edit=Message(text, keyboard(rows)))
    if action == "tms":
        (value,) = rest or [""]
        elder = await elders.set_team(session, person, elder.id, int_arg(value))
        return Response(edit=await _card(w, elder))
    raise StaleAction()


async def _registering(w: Work, update: Update, action: str) -> Response:
    session, person = w.session, w.person
    if action == "no":
        await elder_setup.cancel(session, person)
        return Response(edit=Message(w.tr("Cancelled; nothing was registered.")))
    if action == "ok":
        elder = await elder_setup.confirm(
            session, person, family_alerts=w.deps.settings.care.family_alerts_default, now=w.now
        )
        done = Message(
            w.tr(
                "✓ {elder} is registered. Now choose who calls them: 👥 Callers and backup."
            ).format(elder=elder.name)
        )
        return Response(edit=done, messages=[await _card(w, elder)])
    if action == "skip":
        draft = await elder_setup.skip(session, person, now=w.now)
    else:
        (value,) = callback_args(update, 1)
        chooser = elder_setup.choose_grid if action == "g" else elder_setup.choose_team
        draft = await chooser(session, person, int_arg(value), now=w.now)
    return Response(messages=await prompt(w, draft))
