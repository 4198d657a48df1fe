"""Signed, expiring download links for files a chat channel cannot carry.

WeChat's customer-service messages take no PDF or spreadsheet, so a certificate or an
export goes out as a link to the bot's web server instead. The link names what to
serve and for whom, signed with a server secret (itsdangerous) and valid for a week;
the file is made when the link is opened, from what the database holds then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from services.clock import Clock
from services.errors import DomainError
from services.i18n import N_
from services.settings import WeChatSettings

LINK_VALID = timedelta(days=7)
# Shorter for what is more sensitive: a ledger lists volunteers' phone numbers, and a
# forwarded link works for whoever has it.
VALID_BY_KIND = {"export": timedelta(days=1)}
FILES_PATH = "/files/"


class LinkInvalid(DomainError):
    message = N_("This download link is not valid.")


class LinkExpired(DomainError):
    message = N_("This download link has expired. Please ask for the file again.")


@dataclass(frozen=True)
class FileRef:
    """What a link serves: a kind of file, which one, and to whom it was given."""

    kind: str  # certificate | export
    ref: str
    person_id: int


class FileLinks:
    def __init__(self, secret: str, public_url: str, clock: Clock) -> None:
        if not secret:
            raise ValueError("download links need a secret")

        class ClockedSigner(TimestampSigner):
            # The link's age by the bot's clock (tests control it).
            def get_timestamp(self) -> int:
                return int(clock.now().timestamp())

        self._serializer = URLSafeTimedSerializer(secret, salt="file-link", signer=ClockedSigner)
        self._base = public_url.rstrip("/") + FILES_PATH
        self._clock = clock

    def url(self, ref: FileRef) -> str:
        token = self._serializer.dumps([ref.kind, ref.ref, ref.person_id])
        return self._base + token

    def read(self, token: str) -> FileRef:
        try:
            (kind, ref, person_id), signed_at = self._serializer.loads(
                token, max_age=int(LINK_VALID.total_seconds()), return_timestamp=True
            )
        except SignatureExpired as exc:
            raise LinkExpired() from exc
        except (BadSignature, ValueError, TypeError) as exc:
            raise LinkInvalid() from exc
        if self._clock.now() - signed_at > VALID_BY_KIND.get(kind, LINK_VALID):
            raise LinkExpired()
        return FileRef(str(kind), str(ref), int(person_id))


def file_links(settings: WeChatSettings, clock: Clock) -> FileLinks | None:
    """The links of this deployment, or None when no public address is configured."""
    secret = settings.link_secret or settings.app_secret
    if not (settings.public_url and secret):
        return None
    return FileLinks(secret, settings.public_url, clock)
