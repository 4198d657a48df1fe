"""Chat handlers, registered explicitly and in order (tests call the same function)."""

from __future__ import annotations

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers import (
    broadcast,
    care,
    certificates,
    elders,
    exports,
    fallback,
    flows,
    groups,
    help,
    link,
    log,
    minutes,
    officers,
    posts,
    profile,
    registration,
    reminders,
    report_desk,
    report_new,
    roster,
    shift_setup,
    shifts,
    start,
    teams,
)
from handlers.errors import on_error

# New messages in private chats; edits of old messages are not new answers.
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
GROUPS = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE


def register_handlers(application: Application) -> None:
    commands = {
        "start": start.on_start,
        "help": help.on_help,
        "cancel": flows.on_cancel,
        "me": profile.on_me,
        "lang": profile.on_lang,
        "newteam": teams.on_newteam,
        "team": teams.on_team,
        "promote": teams.on_promote,
        "invite": teams.on_invite,
        "shifts": shifts.on_shifts,
        "myshifts": shifts.on_myshifts,
        "newshift": shift_setup.on_newshift,
        "roster": roster.on_roster,
        "posts": posts.on_posts,
        "minutes": minutes.on_minutes,
        "log": log.on_log,
        "ranking": minutes.on_ranking,
        "approvals": minutes.on_approvals,
        "correct": minutes.on_correct,
        "export": exports.on_export,
        "certificate": certificates.on_certificate,
        "verify": certificates.on_verify,
        "reminders": reminders.on_reminders,
        "broadcast": broadcast.on_broadcast,
        "elders": elders.on_elders,
        "officers": officers.on_officers,
        "report": report_new.on_report,
        "myreports": report_desk.on_myreports,
        "reports": report_desk.on_reports,
        "wechat": link.on_wechat,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    application.add_handler(CommandHandler("link", groups.on_link, GROUPS))
    application.add_handler(CommandHandler("unlink", groups.on_unlink, GROUPS))
    application.add_handler(CommandHandler(["start", "help"], fallback.on_group_command, GROUPS))

    buttons = {
        r"^start:": start.on_start_button,
        r"^reg:": registration.on_button,
        r"^me:": profile.on_me_button,
        r"^lang:": profile.on_lang_button,
        r"^nt:": teams.on_newteam_button,
        r"^team:": teams.on_team_button,
        r"^pro:": teams.on_promote_button,
        r"^inv:": teams.on_invite_button,
        r"^sh:": shifts.on_shift_button,
        r"^my:": shifts.on_my_button,
        r"^asg:": shifts.on_assignment_button,
        r"^ns:": shift_setup.on_button,
        r"^ro:": roster.on_button,
        r"^po:": posts.on_button,
        r"^grp:": groups.on_button,
        r"^mn:": minutes.on_button,
        r"^lg:": minutes.on_decision_button,
        r"^rk:": minutes.on_ranking_button,
        r"^lo:": log.on_button,
        r"^ex:": exports.on_button,
        r"^ct:": certificates.on_button,
        r"^rm:": reminders.on_button,
        r"^bc:": broadcast.on_button,
        r"^el:": elders.on_button,
        r"^ca:": care.on_button,
        r"^of:": officers.on_button,
        r"^rn:": report_new.on_button,
        r"^rp:fixskip:": report_desk.on_fix_skip,
        r"^rp:": report_desk.on_button,
    }
    for pattern, callback in buttons.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    application.add_handler(CallbackQueryHandler(fallback.on_stale_button))

    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, fallback.on_unknown_command))
    application.add_handler(MessageHandler(PRIVATE & filters.CONTACT, flows.on_contact))
    application.add_handler(MessageHandler(PRIVATE & filters.LOCATION, flows.on_location))
    application.add_handler(
        MessageHandler(PRIVATE & (filters.PHOTO | filters.Document.IMAGE), flows.on_photo)
    )
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT, flows.on_text))
    application.add_handler(MessageHandler(PRIVATE, flows.on_unsupported))

    application.add_error_handler(on_error)
