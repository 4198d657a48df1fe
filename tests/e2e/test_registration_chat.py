"""Volunteer registration, end to end over the Bot API emulator."""

from __future__ import annotations

from services.registration import Step
from tests.e2e.flows import stored


async def test_registration_in_chinese(db, make_user):
    user = make_user("伟", language_code="zh-hans")

    (greeting,) = await user.send("/start")
    assert "您好" in greeting.text
    assert greeting.button_texts == ["🙋 我要当志愿者", "📢 我要反映问题"]

    intro, ask_name = await user.press("我要当志愿者")
    assert "注册大约需要一分钟" in intro.text and "/cancel" in intro.text
    assert ask_name.text.startswith("第 1 步（共 7 步）") and "真实姓名" in ask_name.text

    (ask_phone,) = await user.send("  张伟 ")
    assert ask_phone.text.startswith("第 2 步")
    (share,) = ask_phone.reply_keyboard
    assert share["text"] == "📱 分享我的手机号" and share["request_contact"] is True

    saved, ask_community = await user.share_contact("+86 138 1234 5678")
    assert saved.text == "✓ 手机号已保存：13812345678"
    assert saved.removes_keyboard
    assert ask_community.text.startswith("第 3 步")
    assert ask_community.button_texts == ["东风社区", "建设社区", "幸福社区", "光明社区"]

    (ask_grid,) = await user.press("东风社区")
    # The pressed question turns into a recap without buttons.
    recap = await user.message(ask_community.message_id)
    assert recap.text == "社区：东风社区" and recap.buttons == []
    assert ask_grid.text.startswith("第 4 步") and "东风社区" in ask_grid.text
    assert "东风第二网格" in ask_grid.button_texts

    (ask_time,) = await user.press("东风第二网格")
    assert ask_time.text.startswith("第 5 步")
    assert await user.press("周五") == []  # toggles edit the same message
    assert await user.press("周末") == []
    toggled = await user.message(ask_time.message_id)
    assert "✅ 周五" in toggled.button_texts and "✅ 周末" in toggled.button_texts
    assert "▫️ 工作日上午" in toggled.button_texts

    (ask_skills,) = await user.press("完成")
    assert (await user.message(ask_time.message_id)).text == "服务时间：周五、周末"
    assert ask_skills.text.startswith("第 6 步")
    await user.press("急救")
    (consent,) = await user.press("完成")
    assert consent.text.startswith("第 7 步") and "隐私告知" in consent.text
    assert "城东街道新时代文明实践志愿服务队" in consent.text

    (summary,) = await user.press("我同意")
    assert "请核对您的信息" in summary.text
    for expected in [
        "姓名：张伟",
        "手机号：13812345678（Telegram 已验证）",
        "社区和网格：东风社区 · 东风第二网格",
        "服务时间：周五、周末",
        "特长：急救",
    ]:
        assert expected in summary.text
    assert summary.button_texts == ["✅ 确认", "✏️ 修改"]

    (welcome,) = await user.press("确认")
    assert welcome.text.startswith("🎉 欢迎您，张伟！")
    confirmed = await user.message(summary.message_id)
    assert confirmed.text.startswith("注册已确认 ✓") and confirmed.buttons == []

    state = await stored(db, user)
    assert state.volunteer.real_name == "张伟"
    assert state.volunteer.phone_verified
    assert state.volunteer.availability == ["friday", "weekend"]
    assert state.volunteer.skills == ["first_aid"]
    assert state.draft is None

    (profile,) = await user.send("/me")
    assert "👤 张伟" in profile.text and "13812345678" in profile.text
    assert f"Telegram ID：{user.user_id}" in profile.text


async def test_registration_in_english(db, make_user):
    user = make_user("Wei", language_code="en")
    (greeting,) = await user.send("/start")
    assert greeting.text.startswith("Hello!")
    _, ask_name = await user.press("I want to volunteer")
    assert ask_name.text.startswith("Step 1 of 7")
    (ask_phone,) = await user.send("Zhang Wei")
    assert "11-digit" in ask_phone.text
    saved, ask_community = await user.send("139 0000 1111")
    assert saved.text == "✓ Mobile number saved: 13900001111"
    assert "Dongfeng Community" in ask_community.button_texts
    # One grid only: no grid question.
    (ask_time,) = await user.press("Guangming Community")
    assert ask_time.text.startswith("Step 5 of 7")
    await user.press("Weekday evenings")
    await user.press("Done")
    await user.press("Skip")
    await user.press("I agree")
    summary = await user.latest_with_buttons()
    assert "Community and grid: Guangming Community · Guangming Grid" in summary.text
    assert "Mobile: 13900001111\n" in summary.text  # typed, so not marked verified
    (welcome,) = await user.press("Confirm")
    assert welcome.text.startswith("🎉 Welcome, Zhang Wei!")
    assert (await stored(db, user)).volunteer.grid_id is not None


async def test_junk_at_every_step_changes_nothing(db, make_user):
    user = make_user()
    await user.send("/start")
    await user.press("我要当志愿者")

    # Name step.
    for junk, hint in [
        ("张" * 5000, "2–20 个汉字"),
        ("张", "2–20 个汉字"),
        ("张伟123", "2–20 个汉字"),
    ]:
        (reply,) = await user.send(junk)
        assert hint in reply.text
    hint, again = await user.send_sticker()
    assert "不能使用" in hint.text and again.text.startswith("第 1 步")
    hint, again = await user.send_photo()
    assert again.text.startswith("第 1 步")
    (reply,) = await user.send("/frobnicate")
    assert "没有这个命令" in reply.text
    assert (await stored(db, user)).draft.step is Step.NAME

    # Phone step.
    await user.send("张伟")
    (reply,) = await user.send("12345")
    assert "11 位手机号" in reply.text
    (reply,) = await user.share_contact("+8613900001111", own=False, user_id=424242)
    assert "本人" in reply.text
    (reply,) = await user.share_contact("+8613900001111", own=False)
    assert "本人" in reply.text
    state = await stored(db, user)
    assert state.draft.step is Step.PHONE and state.draft.phone is None

    # Community step: typing instead of tapping, a forged choice.
    _, ask_community = await user.send("13812345678")
    hint, prompt = await user.send("东风社区")
    assert hint.text == "请点击下面的按钮选择。" and prompt.buttons
    assert await user.press_data("reg:c:999999", ask_community) == []
    assert user.last_answer.show_alert and "不可用" in user.last_answer.text
    assert await user.press_data("reg:c:not-a-number", ask_community) == []
    assert "过期" in user.last_answer.text
    assert (await stored(db, user)).draft.step is Step.COMMUNITY

    # Availability: "done" with nothing chosen.
    await user.press("东风社区")
    (ask_time,) = await user.press("东风第一网格")
    assert await user.press("完成") == []
    assert user.last_answer.show_alert and "至少选择一项" in user.last_answer.text
    assert (await stored(db, user)).draft.step is Step.AVAILABILITY

    # A button from an earlier step (an old client still shows it) is stale: a short popup.
    old_data = ask_community.button("东风社区")["callback_data"]
    assert await user.press_data(old_data, ask_community) == []
    assert "过期" in user.last_answer.text and not user.last_answer.show_alert
    assert (await stored(db, user)).draft.step is Step.AVAILABILITY

    await user.press("周五", ask_time)
    await user.press("完成", ask_time)
    await user.press("完成")
    # Consent: text instead of a button.
    hint, consent = await user.send("好的")
    assert "按钮" in hint.text and "隐私告知" in consent.text
    await user.press("我同意")
    (welcome,) = await user.press("确认")
    assert "欢迎您，张伟" in welcome.text
    assert (await stored(db, user)).volunteer.phone == "13812345678"


async def test_restart_in_the_middle_resumes(db, make_user, bot):
    user = make_user()
    await user.send("/start")
    await user.press("我要当志愿者")
    await user.send("李娜")
    _, ask_community = await user.send("13812345678")

    await bot.restart()

    # The question from before the restart still works.
    (ask_grid,) = await user.press("建设社区", ask_community)
    assert "建设社区" in ask_grid.text

    await bot.restart()

    welcome_back, question = await user.send("/start")
    assert "欢迎回来" in welcome_back.text
    assert question.text.startswith("第 4 步") and "建设第一网格" in question.button_texts
    await user.press("建设第一网格")
    await user.press("工作日晚上")
    await user.press("完成")
    await user.press("完成")
    await user.press("我同意")
    await user.press("确认")
    volunteer = (await stored(db, user)).volunteer
    assert (volunteer.real_name, volunteer.phone) == ("李娜", "13812345678")


async def test_cancel_keeps_nothing(db, make_user):
    user = make_user()
    await user.send("/start")
    await user.press("我要当志愿者")
    await user.send("王芳")
    (cancelled,) = await user.send("/cancel")
    assert "已取消注册" in cancelled.text and cancelled.removes_keyboard
    assert (await stored(db, user)).draft is None
    (nothing,) = await user.send("/cancel")
    assert nothing.text == "当前没有可取消的操作。"
    # Starting again starts from the first question.
    await user.send("/start")
    _, ask_name = await user.press("我要当志愿者")
    assert ask_name.text.startswith("第 1 步")


async def test_declining_consent(db, make_user):
    user = make_user()
    await user.send("/start")
    await user.press("我要当志愿者")
    await user.send("王芳")
    await user.send("13812345678")
    await user.press("光明社区")
    await user.press("周末")
    await user.press("完成")
    await user.press("跳过")
    (declined,) = await user.press("我不同意")
    assert "没有保存" in declined.text
    state = await stored(db, user)
    assert state.volunteer is None and state.draft is None


async def test_edit_from_summary_and_later_from_profile(db, make_user):
    user = make_user()
    await user.send("/start")
    await user.press("我要当志愿者")
    await user.send("王芳")
    await user.send("13812345678")
    await user.press("光明社区")
    await user.press("周末")
    await user.press("完成")
    await user.press("跳过")
    (summary,) = await user.press("我同意")
    assert await user.press("修改") == []
    menu = await user.message(summary.message_id)
    assert "您想修改哪一项" in menu.text
    (ask_name,) = await user.press("姓名")
    assert "真实姓名" in ask_name.text
    (summary,) = await user.send("王小芳")
    assert "姓名：王小芳" in summary.text
    await user.press("确认")
    assert (await stored(db, user)).volunteer.real_name == "王小芳"

    (profile,) = await user.send("/me")
    (summary,) = await user.press("修改我的信息", profile)
    assert "请核对您的信息" in summary.text
    await user.press("修改")
    await user.press("手机号")
    _, summary = await user.send("13900002222")
    assert await user.press("确认") == []  # the summary itself becomes the confirmation
    assert (await stored(db, user)).volunteer.phone == "13900002222"
    assert "您的信息已更新" in (await user.message(summary.message_id)).text


async def test_redelivered_updates_change_nothing(db, make_user, bot):
    user = make_user()
    await user.send("/start")
    await user.press("我要当志愿者")
    await user.send("王芳")
    assert await user.redeliver_last() == []
    assert (await stored(db, user)).draft.step is Step.PHONE

    await user.send("13812345678")
    await user.press("光明社区")
    await user.press("周末")
    await user.press("完成")
    await user.press("跳过")
    await user.press("我同意")
    (welcome,) = await user.press("确认")
    assert "欢迎您，王芳" in welcome.text
    # The same confirmation arrives again: no second welcome, one volunteer.
    assert await user.redeliver_last() == []
    assert bot.times_processed(user.last_update_id) == 2
    assert (await stored(db, user)).volunteer.real_name == "王芳"
