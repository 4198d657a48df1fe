"""Updates of one person stay in order; a busy person does not hold up the others."""

import asyncio
from datetime import UTC, datetime

from telegram import CallbackQuery, Chat, Message, Update, User

from bot.update_processor import PerChatUpdateProcessor


def _message(update_id: int, chat_id: int) -> Update:
    user = User(id=chat_id, first_name="U", is_bot=False)
    chat = Chat(id=chat_id, type=Chat.PRIVATE)
    return Update(
        update_id, message=Message(update_id, datetime.now(UTC), chat, from_user=user, text="x")
    )


def _group_tap(update_id: int, user_id: int, group_id: int) -> Update:
    user = User(id=user_id, first_name="U", is_bot=False)
    post = Message(1, datetime.now(UTC), Chat(id=group_id, type=Chat.SUPERGROUP), text="post")
    return Update(
        update_id,
        callback_query=CallbackQuery(str(update_id), user, "instance", message=post, data="d"),
    )


async def test_a_busy_chat_does_not_hold_up_others():
    processor = PerChatUpdateProcessor(max_concurrent_updates=2)
    release = asyncio.Event()
    done: list[int] = []

    async def handle(update_id: int, wait: bool = False) -> None:
        if wait:
            await release.wait()
        done.append(update_id)

    busy = [
        asyncio.create_task(processor.process_update(_message(n, 1), handle(n, wait=n == 1)))
        for n in range(1, 6)
    ]
    other = asyncio.create_task(processor.process_update(_message(99, 2), handle(99)))
    await asyncio.wait_for(other, 1)
    assert done == [99]  # chat 1's queue holds no slots while it waits
    release.set()
    await asyncio.gather(*busy)
    assert done == [99, 1, 2, 3, 4, 5]  # and chat 1's updates kept their order


async def test_group_taps_are_ordered_per_person_not_per_group():
    processor = PerChatUpdateProcessor(max_concurrent_updates=8)
    release = asyncio.Event()
    done: list[int] = []

    async def handle(update_id: int, wait: bool = False) -> None:
        if wait:
            await release.wait()
        done.append(update_id)

    slow = asyncio.create_task(
        processor.process_update(_group_tap(1, user_id=10, group_id=-5), handle(1, wait=True))
    )
    quick = asyncio.create_task(
        processor.process_update(_group_tap(2, user_id=11, group_id=-5), handle(2))
    )
    await asyncio.wait_for(quick, 1)
    assert done == [2]
    release.set()
    await slow
