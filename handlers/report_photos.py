"""Photos of reports: what a message carries, fetched and kept as our own copy."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import Message as TelegramMessage
from telegram.error import TelegramError

from handlers.context import BotContext
from services import identity, report_photos
from services.errors import NotAPhoto
from services.reports import PhotoInput
from services.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhotoFile:
    file_id: str
    unique_id: str
    size: int | None


def photo_of(message: TelegramMessage) -> PhotoFile:
    """The largest size of a photo, or an image sent as a file."""
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        return PhotoFile(largest.file_id, largest.file_unique_id, largest.file_size)
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return PhotoFile(document.file_id, document.file_unique_id, document.file_size)
    raise NotAPhoto()


async def download(context: BotContext, photo: PhotoFile, settings: Settings) -> PhotoInput:
    """Our own copy of the photo. When Telegram cannot give us the file right now, the
    photo is still taken by its file id: the report must not fail for it."""
    limit = settings.reports.max_photo_bytes
    report_photos.check_size(photo.size, limit)  # before fetching anything
    try:
        file = await context.bot.get_file(photo.file_id)
        content = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("could not download photo %s, keeping its file id: %s", photo.file_id, exc)
        return PhotoInput(file_id=photo.file_id, channel=identity.TELEGRAM, size_bytes=photo.size)
    path = await asyncio.to_thread(
        report_photos.store,
        settings.reports.photo_path(settings.bot.data_dir),
        photo.unique_id,
        content,
        limit=limit,
    )
    return PhotoInput(
        file_id=photo.file_id,
        channel=identity.TELEGRAM,
        local_path=str(path),
        size_bytes=len(content),
    )
