"""Inbound webhook layer for a WeChat Official Account: verify, decrypt, parse, reply.

Plumbing only: no business logic, no database. The web endpoint hands over the
query parameters and the raw body; handlers get a frozen `InboundMessage` and
give back reply text, which `build_reply` turns into the passive-reply body.

WeChat signs every request with `signature = sha1(sorted(token, timestamp,
nonce))`. That signature does not cover the body, so in plaintext mode
(明文模式) a captured request can be replayed with another body; in safe mode
(安全模式, `encrypt_type=aes`) the body is AES-encrypted and `msg_signature`
also covers the ciphertext. When an EncodingAESKey is configured we therefore
accept encrypted requests only.

Bad input never raises anything but `InvalidSignature` (cannot be
authenticated or decrypted) or `MalformedMessage` (authentic but unparsable).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import struct
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import WeChatException
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

# WeChat refuses a passive text reply whose content exceeds 2048 bytes of UTF-8.
MAX_REPLY_BYTES = 2048
ELLIPSIS = "…"
# The body that tells WeChat "no reply, do not retry" (an empty body works too).
NO_REPLY = "success"

_INT64_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,20}")
# Characters XML 1.0 cannot carry, even inside CDATA; WeChat would reject the reply.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What wechatpy's decryption raises on garbage: bad base64 or block length
# (ValueError), short or empty plaintext (IndexError, struct.error), wrong
# AppID or signature (WeChatException), non-UTF-8 plaintext (UnicodeDecodeError).
_DECRYPT_ERRORS = (WeChatException, ValueError, IndexError, TypeError, struct.error)
# What parse_message raises on well-formed-looking but wrong XML: no <xml> root
# or MsgType (KeyError), empty root (TypeError), element where text was
# expected (AttributeError), declared entities (ValueError from xmltodict).
_PARSE_ERRORS = (ExpatError, ValueError, KeyError, TypeError, AttributeError)

Kind = Literal["text", "image", "location", "event", "other"]


class WeChatInboundError(Exception):
    """Base of the two ways an inbound request can be refused."""


class InvalidSignature(WeChatInboundError):
    """The request cannot be authenticated: bad signature, ciphertext or AppID."""


class MalformedMessage(WeChatInboundError):
    """The request is authentic (or unauthenticated plaintext) but not a WeChat message."""


@dataclass(frozen=True)
class WeChatConfig:
    """Server settings of the Official Account (公众号 → 基本配置 → 服务器配置).

    An empty `encoding_aes_key` means plaintext mode. Secrets stay out of repr()
    so the config can be logged.
    """

    token: str = field(repr=False)
    app_id: str
    encoding_aes_key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not self.token:
            raise ValueError("WeChat token is required")
        if self.encoding_aes_key:
            if not self.app_id:
                raise ValueError("WeChat app_id is required in safe mode")
            _check_aes_key(self.encoding_aes_key)

    @property
    def safe_mode(self) -> bool:
        return bool(self.encoding_aes_key)


@dataclass(frozen=True)
class InboundMessage:
    """One message or event pushed by WeChat, reduced to what handlers use."""

    kind: Kind
    msg_type: str  # WeChat's MsgType, lowercase ("voice", "video"... when kind is "other")
    from_user: str  # the user's OpenID
    to_user: str  # the Official Account's original id (gh_...)
    create_time: int  # Unix seconds
    msg_id: int | None = None  # messages only; events have none
    content: str | None = None
    pic_url: str | None = None
    media_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    label: str | None = None
    event: str | None = None  # lowercase: subscribe, unsubscribe, scan, click, location...
    event_key: str | None = None  # menu key, or QR scene without the "qrscene_" prefix

    @property
    def dedupe_key(self) -> int:
        """A positive int64 that is the same for WeChat's retries of this message.

        WeChat retries a push three times when we are slow; messages carry
        MsgId, events do not, so they are keyed by sender, time and event as
        WeChat's docs advise (plus the event key, so two different menu clicks
        in one second stay distinct).
        """
        if self.msg_id is not None and 0 < self.msg_id <= _INT64_MAX:
            return self.msg_id
        parts = (
            self.from_user,
            str(self.create_time),
            self.msg_type,
            self.event or "",
            self.event_key or "",
            "" if self.msg_id is None else str(self.msg_id),
        )
        raw = "\x1f".join(parts).encode("utf-8", "surrogatepass")
        digest = hashlib.blake2b(raw, digest_size=8).digest()
        return int.from_bytes(digest, "big") & _INT64_MAX


# --- URL verification (GET) -------------------------------------------------


def verify_url(
    config: WeChatConfig,
    signature: str | None,
    timestamp: str | None,
    nonce: str | None,
    echostr: str | None,
    msg_signature: str | None = None,
) -> str:
    """Answer WeChat's GET check of the server URL: the body to send back.

    Official Accounts send a plaintext echostr signed with `signature` in every
    mode; a `msg_signature` (WeCom-style) means echostr is encrypted.
    """
    if not echostr:
        raise MalformedMessage("echostr is missing")
    if not msg_signature:
        _check_signature(signature, config.token, timestamp, nonce)
        return echostr
    if not config.safe_mode:
        raise InvalidSignature("encrypted echostr, but no encoding_aes_key is configured")
    if signature:
        _check_signature(signature, config.token, timestamp, nonce)
    return _decrypt(config, echostr, msg_signature, timestamp, nonce)


# --- Messages (POST) ---------------------------------------------------------


def parse_inbound(
    config: WeChatConfig,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    nonce: str | None,
    msg_signature: str | None = None,
    encrypt_type: str | None = None,
) -> InboundMessage:
    """Authenticate, decrypt (safe mode) and parse one pushed message or event."""
    xml = _authentic_xml(config, body, signature, timestamp, nonce, msg_signature, encrypt_type)
    return _to_inbound(_parse(xml))


def _authentic_xml(
    config: WeChatConfig,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    nonce: str | None,
    msg_signature: str | None,
    encrypt_type: str | None,
) -> str:
    encrypt_type = (encrypt_type or "").lower()
    if not config.safe_mode:
        if msg_signature or encrypt_type == "aes":
            raise InvalidSignature("encrypted request, but no encoding_aes_key is configured")
        _check_signature(signature, config.token, timestamp, nonce)
        return _decode(body)
    # Safe mode: refuse plaintext outright, or a forger could downgrade to it.
    if not msg_signature or encrypt_type not in ("", "aes"):
        raise InvalidSignature("safe mode accepts only encrypted requests with msg_signature")
    # WeChat sends `signature` too; msg_signature already covers it, but a
    # wrong one still means the request was tampered with.
    if signature:
        _check_signature(signature, config.token, timestamp, nonce)
    encrypt = _xml_root(_decode(body)).get("Encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise InvalidSignature("safe-mode body has no Encrypt element")
    return _decrypt(config, encrypt, msg_signature, timestamp, nonce)


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except (UnicodeDecodeError, AttributeError) as exc:
        raise MalformedMessage("body is not UTF-8") from exc


def _xml_root(text: str) -> dict[str, Any]:
    """The children of <xml>, parsed the way wechatpy does (entities refused)."""
    try:
        root = xmltodict.parse(text).get("xml")
    except (ExpatError, ValueError) as exc:
        raise MalformedMessage("body is not well-formed XML") from exc
    if not isinstance(root, dict):
        raise MalformedMessage("root element is not a non-empty <xml>")
    return root


def _parse(xml: str) -> BaseMessage:
    try:
        message = parse_message(xml)
    except _PARSE_ERRORS as exc:
        raise MalformedMessage("not a WeChat message") from exc
    if message is None:
        raise MalformedMessage("empty message")
    return message


def _to_inbound(message: BaseMessage) -> InboundMessage:
    # parse_message keeps the (normalised) fields in _data; reading it is the
    # only uniform way, since UnknownMessage has no typed fields at all.
    data: dict[str, Any] = message._data
    msg_type = _required(data, "MsgType").lower()
    kind: Kind = msg_type if msg_type in ("text", "image", "location", "event") else "other"
    event = _event(data) if msg_type == "event" else None
    latitude, longitude, label = _location(data, msg_type, event)
    return InboundMessage(
        kind=kind,
        msg_type=msg_type,
        from_user=_required(data, "FromUserName"),
        to_user=_required(data, "ToUserName"),
        create_time=_integer(_required(data, "CreateTime")),
        msg_id=_optional_integer(data, "MsgId"),
        content=(_optional(data, "Content") or "") if kind == "text" else None,
        pic_url=_optional(data, "PicUrl"),
        media_id=_optional(data, "MediaId"),
        latitude=latitude,
        longitude=longitude,
        label=label,
        event=event,
        event_key=_optional(data, "EventKey") if event else None,
    )


def _event(data: dict[str, Any]) -> str:
    event = _required(data, "Event").lower()
    # wechatpy renames a subscribe from a parametric QR code to "subscribe_scan"
    # and has already stripped "qrscene_" from EventKey; it is still a subscribe.
    return "subscribe" if event == "subscribe_scan" else event


def _location(
    data: dict[str, Any], msg_type: str, event: str | None
) -> tuple[float | None, float | None, str | None]:
    """Latitude, longitude and label of a location message or location event."""
    if msg_type == "location":  # sent by the user; Location_X is the latitude
        return _lat(data, "Location_X"), _lon(data, "Location_Y"), _optional(data, "Label")
    if event == "location":  # reported automatically when the user allowed it
        return _lat(data, "Latitude"), _lon(data, "Longitude"), None
    if event == "location_select":  # picked from a menu button (弹出地理位置选择器)
        info = data.get("SendLocationInfo")
        if isinstance(info, dict):
            return _lat(info, "Location_X"), _lon(info, "Location_Y"), _optional(info, "Label")
    return None, None, None


# --- Field readers: anything unexpected is MalformedMessage ------------------


def _optional(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    # A repeated or nested element: xmltodict gives a list or dict.
    raise MalformedMessage(f"{key} is not a text element")


def _required(data: dict[str, Any], key: str) -> str:
    value = _optional(data, key)
    if not value:
        raise MalformedMessage(f"{key} is missing")
    return value


def _integer(value: str) -> int:
    # Stricter than int(): no signs, spaces, underscores or non-ASCII digits.
    if not _DIGITS.fullmatch(value.strip()):
        raise MalformedMessage(f"not an integer: {value[:30]!r}")
    return int(value)


def _optional_integer(data: dict[str, Any], key: str) -> int | None:
    value = _optional(data, key)
    return None if value is None else _integer(value)


def _coordinate(data: dict[str, Any], key: str, limit: float) -> float | None:
    value = _optional(data, key)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError as exc:
        raise MalformedMessage(f"{key} is not a number") from exc
    if not math.isfinite(number) or abs(number) > limit:
        raise MalformedMessage(f"{key} is out of range")
    return number


def _lat(data: dict[str, Any], key: str) -> float | None:
    return _coordinate(data, key, 90.0)


def _lon(data: dict[str, Any], key: str) -> float | None:
    return _coordinate(data, key, 180.0)


# --- Passive reply -----------------------------------------------------------


def build_reply(
    config: WeChatConfig,
    inbound: InboundMessage,
    text: str,
    *,
    timestamp: str,
    nonce: str,
) -> str:
    """The HTTP body answering `inbound` with a text message.

    In safe mode the reply is encrypted and signed with the request's
    timestamp and nonce. Empty text gives NO_REPLY, which WeChat accepts
    without showing the user an error.
    """
    content = _reply_content(text)
    if not content.strip():
        return NO_REPLY
    reply = TextReply(
        source=_cdata_safe(inbound.to_user),
        target=_cdata_safe(inbound.from_user),
        content=_cdata_safe(content),
        time=int(time.time()),
    )
    xml = reply.render()
    if not config.safe_mode:
        return xml
    return _crypto(config).encrypt_message(xml, nonce, timestamp)


def _reply_content(text: str) -> str:
    """Text WeChat will accept: no XML-illegal characters, at most 2048 bytes."""
    text = _XML_ILLEGAL.sub("", text)
    raw = text.encode("utf-8")
    if len(raw) <= MAX_REPLY_BYTES:
        return text
    room = MAX_REPLY_BYTES - len(ELLIPSIS.encode("utf-8"))
    # Cutting bytes may split a character; "ignore" drops that partial tail.
    return raw[:room].decode("utf-8", "ignore") + ELLIPSIS


def _cdata_safe(text: str) -> str:
    # wechatpy writes <![CDATA[...]]> verbatim: a "]]>" in the text would end
    # the section early, so split it across two sections.
    return text.replace("]]>", "]]]]><![CDATA[>")


# --- Signatures and crypto ---------------------------------------------------


def _check_signature(given: str | None, *parts: str | None) -> None:
    """Raise InvalidSignature unless `given` is sha1 of the sorted parts."""
    if not given or not all(parts):
        raise InvalidSignature("signature parameters are missing")
    signer = WeChatSigner()
    try:
        signer.add_data(*parts)
        expected = signer.signature
    except UnicodeError as exc:  # lone surrogates from a hostile query string
        raise InvalidSignature("signature parameters are not text") from exc
    # Constant-time comparison, so response timing leaks nothing about the token.
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise InvalidSignature("signature mismatch")


def _decrypt(
    config: WeChatConfig,
    encrypt: str,
    msg_signature: str,
    timestamp: str | None,
    nonce: str | None,
) -> str:
    """Check msg_signature over the ciphertext, then decrypt and check the AppID."""
    _check_signature(msg_signature, config.token, timestamp, nonce, encrypt)
    try:
        # decrypt_message takes the parsed envelope as a dict; {"Encrypt": echostr}
        # makes it the same check as WeCom's WeChatCrypto.check_signature.
        return _crypto(config).decrypt_message(
            {"Encrypt": encrypt}, msg_signature, timestamp, nonce
        )
    except _DECRYPT_ERRORS as exc:
        raise InvalidSignature("cannot decrypt: tampered payload, or wrong key or AppID") from exc


@lru_cache(maxsize=8)
def _crypto(config: WeChatConfig) -> WeChatCrypto:
    # Stateless after construction (a cipher is made per call), so safe to share.
    return WeChatCrypto(config.token, config.encoding_aes_key, config.app_id)


def _check_aes_key(encoding_aes_key: str) -> None:
    # wechatpy only asserts the length (and asserts vanish under python -O).
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("encoding_aes_key is not base64") from exc
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise ValueError("encoding_aes_key must be the 43 characters shown by WeChat")
