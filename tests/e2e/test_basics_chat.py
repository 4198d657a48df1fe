"""Help, language, command menus, and polite replies to anything unexpected."""

from __future__ import annotations

from tests.e2e import flows
from tests.e2e.flows import stored


def _commands(text: str) -> list[str]:
    return [line.split()[0] for line in text.splitlines() if line.startswith("/")]


async def test_help_lists_what_the_role_may_use(db, admin, make_user):
    newcomer = make_user()
    (reply,) = await newcomer.send("/help")
    assert _commands(reply.text) == [
        "/start",
        "/report",
        "/myreports",
        "/me",
        "/verify",
        "/wechat",
        "/lang",
        "/cancel",
        "/help",
    ]

    volunteer = make_user()
    await flows.register(volunteer)
    (reply,) = await volunteer.send("/help")
    assert _commands(reply.text) == [
        "/start",
        "/shifts",
        "/myshifts",
        "/reminders",
        "/minutes",
        "/log",
        "/report",
        "/myreports",
        "/me",
        "/team",
        "/ranking",
        "/certificate",
        "/verify",
        "/wechat",
        "/lang",
        "/cancel",
        "/help",
    ]

    (reply,) = await admin.send("/help")
    assert _commands(reply.text) == [
        "/start",
        "/report",
        "/myreports",
        "/reports",
        "/me",
        "/team",
        "/roster",
        "/newshift",
        "/posts",
        "/approvals",
        "/correct",
        "/export",
        "/broadcast",
        "/elders",
        "/ranking",
        "/verify",
        "/invite",
        "/newteam",
        "/promote",
        "/officers",
        "/wechat",
        "/lang",
        "/cancel",
        "/help",
    ]
    assert "/newteam — 创建队伍" in reply.text


async def test_command_menus_are_published(db, emulator, bot_settings, bot):
    menus = await emulator.call("commands", token=bot_settings.telegram.token)
    defaults = {
        m["language_code"]: {c["command"]: c["description"] for c in m["commands"]}
        for m in menus
        if m["scope"] == {"type": "all_private_chats"}
    }
    # The default menu is a volunteer's.
    assert list(defaults[""]) == [
        "start",
        "shifts",
        "myshifts",
        "reminders",
        "minutes",
        "log",
        "report",
        "myreports",
        "me",
        "team",
        "ranking",
        "certificate",
        "verify",
        "wechat",
        "lang",
        "cancel",
        "help",
    ]
    assert list(defaults["en"]) == list(defaults[""])
    assert defaults[""]["me"] == "我的信息"
    assert defaults["en"]["me"] == "Your profile"


async def test_language_switch(db, emulator, bot_settings, make_user):
    user = make_user(language_code="zh-hans")
    (chooser,) = await user.send("/lang")
    assert chooser.button_texts == ["简体中文", "繁體中文", "English"]
    assert await user.press("English") == []
    assert (await user.message(chooser.message_id)).text == (
        "✓ I will speak English with you from now on."
    )
    (reply,) = await user.send("/help")
    assert reply.text.startswith("Here is what you can do:")
    menus = await emulator.call("commands", token=bot_settings.telegram.token)
    mine = next(m for m in menus if m["scope"] == {"type": "chat", "chat_id": user.user_id})
    assert mine["commands"][0]["description"] == "Start, or continue where you left off"

    await user.send("/lang")
    await user.press("繁體中文")
    (reply,) = await user.send("/start")
    assert "志願者" in reply.text
    assert (await stored(db, user)).person.language == "zh_Hant"
    # A forged language code changes nothing.
    (any_message,) = await user.send("/lang")
    await user.press_data("lang:fr", any_message)
    assert user.last_answer.show_alert
    assert (await stored(db, user)).person.language == "zh_Hant"


async def test_unexpected_input_gets_a_polite_reply(db, make_user):
    user = make_user()
    (reply,) = await user.send("/launch_rockets")
    assert reply.text == "抱歉，没有这个命令。发送 /help 查看可以使用的功能。"
    (reply,) = await user.send("随便说点什么")
    assert "没有理解" in reply.text
    (reply,) = await user.send("字" * 4096)
    assert "没有理解" in reply.text
    (reply,) = await user.send_sticker()
    assert "只能识别文字消息和按钮" in reply.text
    (reply,) = await user.share_contact("13812345678")
    assert "只能识别文字消息和按钮" in reply.text
    state = await stored(db, user)
    assert state.volunteer is None and state.draft is None


async def test_stale_and_unknown_buttons(db, make_user):
    user = make_user()
    (greeting,) = await user.send("/start")
    await flows.register(user, started=False)
    # Yesterday's greeting, tapped again after registering.
    assert await user.press("我要当志愿者", greeting) == []
    assert user.last_answer.show_alert and "您已经注册过了" in user.last_answer.text
    # Data no handler knows, as from an old version of the bot.
    assert await user.press_data("shift:signup:42", greeting) == []
    assert user.last_answer.text == "这个按钮已过期，请使用最新的消息。"
    assert (await user.message(greeting.message_id)).buttons == []
    # The summary's confirm button after the registration went through.
    summary = next(m for m in await user.all_messages() if "注册已确认" in m.text)
    assert await user.press_data("reg:ok", summary) == []
    assert "您已经注册过了" in user.last_answer.text


async def test_report_button_starts_a_report(db, make_user):
    user = make_user(language_code="en")
    await user.send("/start")
    (ask,) = await user.press("I want to report a problem")
    assert "What kind of problem" in ask.text and "Street vending on the road" in ask.button_texts


async def test_admin_without_teams(db, admin):
    (reply,) = await admin.send("/team")
    assert reply.text == "还没有任何队伍。请用 /newteam 创建。"
    (reply,) = await admin.send("/promote")
    assert reply.text == "还没有任何队伍。请用 /newteam 创建。"
    (profile,) = await admin.send("/me")
    assert "身份：管理员" in profile.text


async def test_group_commands_point_to_a_private_chat(db, emulator, bot, bot_settings, admin):
    group_id = -100123
    message = {
        "from": admin.profile,
        "chat": {"id": group_id, "type": "supergroup", "title": "东风志愿者群"},
        "date": 1_790_000_000,
        "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }
    token = bot_settings.telegram.token
    result = await emulator.call("send", token=token, message=message)
    await bot.wait_processed(result["update_id"])
    (reply,) = await emulator.call("messages", token=token, chat_id=group_id)
    assert reply["text"] == "请私聊我：https://t.me/CivicTestBot"
