"""WeChat inbound layer: URL check, safe-mode decryption, parsing, passive replies.

Vectors: Tencent's published WXBizMsgCrypt sample for Official Accounts
(token "spamtest"), and the one in wechatpy's own tests (token "123456").
Message samples are the ones printed in the Official Account docs.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import random
from pathlib import Path

import pytest
import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from handlers.wechat.inbound import (
    MAX_REPLY_BYTES,
    NO_REPLY,
    InboundMessage,
    InvalidSignature,
    MalformedMessage,
    WeChatConfig,
    build_reply,
    parse_inbound,
    verify_url,
)

SAFE = WeChatConfig(
    token="123456",
    app_id="wx49f0ab532d5d035a",
    encoding_aes_key="kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
)
PLAIN = WeChatConfig(token="123456", app_id="wx49f0ab532d5d035a")
TIMESTAMP = "1411525903"
NONCE = "461056294"


def sha1_signature(*parts: str) -> str:
    """WeChat's signature, computed here independently of the code under test."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def encrypted_push(
    xml: str, config: WeChatConfig = SAFE, timestamp: str = TIMESTAMP, nonce: str = NONCE
) -> tuple[bytes, dict[str, str]]:
    """A safe-mode POST as WeChat sends it: body with Encrypt, signatures in the query."""
    crypto = WeChatCrypto(config.token, config.encoding_aes_key, config.app_id)
    envelope = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]
    return encrypted_body(envelope["Encrypt"]), {
        "signature": sha1_signature(config.token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "msg_signature": envelope["MsgSignature"],
        "encrypt_type": "aes",
    }


def encrypted_body(encrypt: str) -> bytes:
    return (
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    ).encode()


def plain_push(xml: str, config: WeChatConfig = PLAIN) -> tuple[bytes, dict[str, str]]:
    return xml.encode(), {
        "signature": sha1_signature(config.token, TIMESTAMP, NONCE),
        "timestamp": TIMESTAMP,
        "nonce": NONCE,
    }


def parse_safe(xml: str, **overrides: str) -> InboundMessage:
    body, query = encrypted_push(xml)
    return parse_inbound(SAFE, body, **{**query, **overrides})


# --- Official Account docs' sample pushes ----------------------------------------

TEXT = """<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[fromUser]]></FromUserName>
  <CreateTime>1348831860</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[this is a test]]></Content>
  <MsgId>1234567890123456</MsgId>
</xml>"""

IMAGE = """<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[fromUser]]></FromUserName>
  <CreateTime>1348831860</CreateTime>
  <MsgType><![CDATA[image]]></MsgType>
  <PicUrl><![CDATA[this is a url]]></PicUrl>
  <MediaId><![CDATA[media_id]]></MediaId>
  <MsgId>1234567890123456</MsgId>
</xml>"""

LOCATION = """<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[fromUser]]></FromUserName>
  <CreateTime>1351776360</CreateTime>
  <MsgType><![CDATA[location]]></MsgType>
  <Location_X>23.134521</Location_X>
  <Location_Y>113.358803</Location_Y>
  <Scale>20</Scale>
  <Label><![CDATA[位置信息]]></Label>
  <MsgId>1234567890123456</MsgId>
</xml>"""

VOICE = """<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[fromUser]]></FromUserName>
  <CreateTime>1357290913</CreateTime>
  <MsgType><![CDATA[voice]]></MsgType>
  <MediaId><![CDATA[media_id]]></MediaId>
  <Format><![CDATA[Format]]></Format>
  <MsgId>1234567890123456</MsgId>
</xml>"""

SUBSCRIBE = """<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[FromUser]]></FromUserName>
  <CreateTime>123456789</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[subscribe]]></Event>
</xml>"""

UNSUBSCRIBE = SUBSCRIBE.replace("[subscribe]", "[unsubscribe]")

SUBSCRIBE_WITH_SCENE = """<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[FromUser]]></FromUserName>
  <CreateTime>123456789</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[subscribe]]></Event>
  <EventKey><![CDATA[qrscene_123123]]></EventKey>
  <Ticket><![CDATA[TICKET]]></Ticket>
</xml>"""

SCAN = """<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[FromUser]]></FromUserName>
  <CreateTime>123456789</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[SCAN]]></Event>
  <EventKey><![CDATA[SCENE_VALUE]]></EventKey>
  <Ticket><![CDATA[TICKET]]></Ticket>
</xml>"""

CLICK = """<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[FromUser]]></FromUserName>
  <CreateTime>123456789</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[CLICK]]></Event>
  <EventKey><![CDATA[EVENTKEY]]></EventKey>
</xml>"""

LOCATION_EVENT = """<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[fromUser]]></FromUserName>
  <CreateTime>123456789</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[LOCATION]]></Event>
  <Latitude>23.137466</Latitude>
  <Longitude>113.352425</Longitude>
  <Precision>119.385040</Precision>
</xml>"""

LOCATION_SELECT = """<xml>
  <ToUserName><![CDATA[gh_e136c6e50636]]></ToUserName>
  <FromUserName><![CDATA[oMgHVjngRipVsoxg6TuX3vz6glDg]]></FromUserName>
  <CreateTime>1408091189</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[location_select]]></Event>
  <EventKey><![CDATA[6]]></EventKey>
  <SendLocationInfo>
    <Location_X><![CDATA[23]]></Location_X>
    <Location_Y><![CDATA[113]]></Location_Y>
    <Scale><![CDATA[15]]></Scale>
    <Label><![CDATA[ 广州市海珠区客村艺苑路 106号]]></Label>
    <Poiname><![CDATA[]]></Poiname>
  </SendLocationInfo>
</xml>"""


# --- Published vectors ---------------------------------------------------------------

# Tencent's WXBizMsgCrypt sample for Official Accounts (compatible-mode body).
TENCENT = WeChatConfig(
    token="spamtest",
    app_id="wx2c2769f8efd9abc2",
    encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
)
TENCENT_BODY = (
    b"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    b"<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
    b"<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    b"<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
    b"<Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+"
    b"LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328Hn"
    b"RGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6N"
    b"PhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTni"
    b"fJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSg"
    b"M9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>"
)
TENCENT_QUERY = {
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    "encrypt_type": "aes",
}

# wechatpy's tests/test_crypto.py (same AES-CBC format; the id here is the AppID).
WECHATPY_BODY = (
    b"<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n"
    b"<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVO"
    b"DGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wAS"
    b"FlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/Tyw"
    b"ZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIr"
    b"H/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCp"
    b"QVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>\n"
    b"<AgentID><![CDATA[1]]></AgentID>\n</xml>"
)
WECHATPY_QUERY = {
    "timestamp": "1411525903",
    "nonce": "461056294",
    "msg_signature": "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
}
WECHATPY_ECHO = {
    "msg_signature": "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
    "timestamp": "1411443780",
    "nonce": "437374425",
    "echostr": (
        "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    ),
}


def test_tencent_published_sample_decrypts():
    signature = sha1_signature("spamtest", "1409735669", "1320562132")
    for sig in (None, signature):
        inbound = parse_inbound(TENCENT, TENCENT_BODY, signature=sig, **TENCENT_QUERY)
        assert inbound == InboundMessage(
            kind="text",
            msg_type="text",
            from_user="oyORnuP8q7ou2gfYjqLzSIWZf0rs",
            to_user="gh_10f6c3c3ac5a",
            create_time=1409735668,
            msg_id=6054768590064713728,
            content="abcdteT",
        )
        assert inbound.dedupe_key == 6054768590064713728


def test_wechatpy_published_vector_decrypts():
    inbound = parse_inbound(SAFE, WECHATPY_BODY, signature=None, **WECHATPY_QUERY)
    assert (inbound.kind, inbound.content, inbound.from_user) == ("text", "test", "messense")
    assert inbound.msg_id == 4363689963896700987


# --- URL verification ----------------------------------------------------------------


@pytest.mark.parametrize("config", [PLAIN, SAFE])
def test_verify_url_plaintext_echoes(config):
    # Official Accounts check the URL in plaintext whichever message mode is set.
    signature = sha1_signature(config.token, TIMESTAMP, NONCE)
    assert verify_url(config, signature, TIMESTAMP, NONCE, "4397458377592743") == "4397458377592743"


@pytest.mark.parametrize(
    ("signature", "timestamp", "nonce"),
    [
        ("0" * 40, TIMESTAMP, NONCE),
        (None, TIMESTAMP, NONCE),
        ("", TIMESTAMP, NONCE),
        (sha1_signature("123456", TIMESTAMP, NONCE), "1411525904", NONCE),
        (sha1_signature("123456", TIMESTAMP, NONCE), TIMESTAMP, None),
        (sha1_signature("123456", TIMESTAMP, NONCE), "\ud800", NONCE),
        ("签名" * 20, TIMESTAMP, NONCE),
    ],
)
def test_verify_url_plaintext_rejects_bad_signature(signature, timestamp, nonce):
    with pytest.raises(InvalidSignature):
        verify_url(PLAIN, signature, timestamp, nonce, "4397458377592743")


def test_verify_url_without_echostr_is_malformed():
    with pytest.raises(MalformedMessage):
        verify_url(PLAIN, sha1_signature("123456", TIMESTAMP, NONCE), TIMESTAMP, NONCE, None)


def test_verify_url_safe_mode_decrypts_published_echostr():
    assert verify_url(SAFE, None, **WECHATPY_ECHO) == "5927782489442352469"
    signature = sha1_signature("123456", "1411443780", "437374425")
    assert verify_url(SAFE, signature, **WECHATPY_ECHO) == "5927782489442352469"


@pytest.mark.parametrize(
    "change",
    [
        {"nonce": "437374424"},  # wechatpy's own negative case
        {"msg_signature": "dd6b9c95b495b3f7e2901bfbc76c664930ffdb97"},
        {"echostr": "5" + WECHATPY_ECHO["echostr"][1:]},
    ],
)
def test_verify_url_safe_mode_rejects_tampering(change):
    with pytest.raises(InvalidSignature):
        verify_url(SAFE, None, **{**WECHATPY_ECHO, **change})


def test_verify_url_safe_mode_checks_plain_signature_when_given():
    with pytest.raises(InvalidSignature):
        verify_url(SAFE, "0" * 40, **WECHATPY_ECHO)


def test_verify_url_encrypted_echostr_needs_aes_key():
    with pytest.raises(InvalidSignature):
        verify_url(PLAIN, None, **WECHATPY_ECHO)


def test_verify_url_encrypted_echostr_of_another_app_is_rejected():
    other = WeChatConfig(SAFE.token, "wx0000000000000000", SAFE.encoding_aes_key)
    with pytest.raises(InvalidSignature):
        verify_url(other, None, **WECHATPY_ECHO)


# --- Parsing, safe mode ----------------------------------------------------------------


def test_text_message():
    inbound = parse_safe(TEXT)
    assert inbound == InboundMessage(
        kind="text",
        msg_type="text",
        from_user="fromUser",
        to_user="toUser",
        create_time=1348831860,
        msg_id=1234567890123456,
        content="this is a test",
    )


def test_image_message():
    inbound = parse_safe(IMAGE)
    assert (inbound.kind, inbound.pic_url, inbound.media_id) == (
        "image",
        "this is a url",
        "media_id",
    )
    assert inbound.content is None and inbound.msg_id == 1234567890123456


def test_location_message():
    inbound = parse_safe(LOCATION)
    assert inbound.kind == "location"
    assert (inbound.latitude, inbound.longitude) == (23.134521, 113.358803)
    assert inbound.label == "位置信息"


def test_unsupported_type_is_other():
    inbound = parse_safe(VOICE)
    assert (inbound.kind, inbound.msg_type, inbound.media_id) == ("other", "voice", "media_id")


def test_subscribe_with_scene_strips_qrscene_prefix():
    inbound = parse_safe(SUBSCRIBE_WITH_SCENE)
    assert (inbound.kind, inbound.event, inbound.event_key) == ("event", "subscribe", "123123")
    assert inbound.msg_id is None
    assert (inbound.from_user, inbound.create_time) == ("FromUser", 123456789)


def test_plain_subscribe_and_unsubscribe():
    subscribe = parse_safe(SUBSCRIBE)
    assert (subscribe.event, subscribe.event_key) == ("subscribe", None)
    assert parse_safe(UNSUBSCRIBE).event == "unsubscribe"


def test_scan_event_keeps_scene_value():
    inbound = parse_safe(SCAN)
    assert (inbound.kind, inbound.event, inbound.event_key) == ("event", "scan", "SCENE_VALUE")


def test_click_event():
    inbound = parse_safe(CLICK)
    assert (inbound.kind, inbound.event, inbound.event_key) == ("event", "click", "EVENTKEY")


def test_location_event():
    inbound = parse_safe(LOCATION_EVENT)
    assert (inbound.event, inbound.latitude, inbound.longitude) == (
        "location",
        23.137466,
        113.352425,
    )


def test_location_select_event():
    inbound = parse_safe(LOCATION_SELECT)
    assert (inbound.event, inbound.event_key) == ("location_select", "6")
    assert (inbound.latitude, inbound.longitude) == (23.0, 113.0)
    assert inbound.label == "广州市海珠区客村艺苑路 106号"  # xmltodict trims text


def test_plaintext_mode_parses_the_body():
    body, query = plain_push(CLICK)
    inbound = parse_inbound(PLAIN, body, **query)
    assert (inbound.event, inbound.event_key) == ("click", "EVENTKEY")


# --- Tampering -----------------------------------------------------------------------


def flip_byte(encrypt: str, index: int) -> str:
    raw = bytearray(base64.b64decode(encrypt))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def resigned(encrypt: str, config: WeChatConfig = SAFE) -> tuple[bytes, dict[str, str]]:
    """A body re-signed with the token: only the AES layer can still refuse it."""
    return encrypted_body(encrypt), {
        "signature": sha1_signature(config.token, TIMESTAMP, NONCE),
        "timestamp": TIMESTAMP,
        "nonce": NONCE,
        "msg_signature": sha1_signature(config.token, TIMESTAMP, NONCE, encrypt),
        "encrypt_type": "aes",
    }


def encrypt_of(body: bytes) -> str:
    return xmltodict.parse(body)["xml"]["Encrypt"]


@pytest.mark.parametrize(
    "change",
    [
        {"msg_signature": "0" * 40},
        {"msg_signature": None},
        {"signature": "0" * 40},
        {"timestamp": "1411525904"},
        {"nonce": "461056295"},
        {"encrypt_type": "raw"},
    ],
)
def test_changed_query_is_rejected(change):
    body, query = encrypted_push(TEXT)
    with pytest.raises(InvalidSignature):
        parse_inbound(SAFE, body, **{**query, **change})


@pytest.mark.parametrize("index", [0, 17, -1])
def test_changed_ciphertext_byte_is_rejected(index):
    body, query = encrypted_push(TEXT)
    tampered = encrypted_body(flip_byte(encrypt_of(body), index))
    with pytest.raises(InvalidSignature):
        parse_inbound(SAFE, tampered, **query)


@pytest.mark.parametrize("index", [-1, -17])
def test_bad_aes_payload_is_rejected_even_when_resigned(index):
    # Corrupting the last blocks garbles the padding and the trailing AppID.
    body, _ = encrypted_push(TEXT)
    tampered_body, query = resigned(flip_byte(encrypt_of(body), index))
    with pytest.raises(InvalidSignature):
        parse_inbound(SAFE, tampered_body, **query)


@pytest.mark.parametrize("encrypt", ["bm90IGJhc2U2NA", "AAAA", "!!!!", "A" * 44])
def test_garbage_ciphertext_is_rejected(encrypt):
    body, query = resigned(encrypt)
    with pytest.raises(InvalidSignature):
        parse_inbound(SAFE, body, **query)


def test_message_for_another_app_id_is_rejected():
    other = WeChatConfig(SAFE.token, "wx0000000000000000", SAFE.encoding_aes_key)
    body, query = encrypted_push(TEXT, config=other)
    with pytest.raises(InvalidSignature):
        parse_inbound(SAFE, body, **query)


def test_message_under_another_aes_key_is_rejected():
    other = WeChatConfig(SAFE.token, SAFE.app_id, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
    body, query = encrypted_push(TEXT, config=other)
    with pytest.raises(InvalidSignature):
        parse_inbound(SAFE, body, **query)


def test_safe_mode_refuses_plaintext_downgrade():
    body, query = plain_push(TEXT, config=SAFE)
    with pytest.raises(InvalidSignature):
        parse_inbound(SAFE, body, **query)


def test_safe_mode_body_without_encrypt_is_rejected():
    _, query = encrypted_push(TEXT)
    with pytest.raises(InvalidSignature):
        parse_inbound(SAFE, TEXT.encode(), **query)


def test_plaintext_config_refuses_encrypted_request():
    body, query = encrypted_push(TEXT)
    with pytest.raises(InvalidSignature):
        parse_inbound(PLAIN, body, **query)


def test_plaintext_mode_rejects_bad_signature():
    body, query = plain_push(TEXT)
    with pytest.raises(InvalidSignature):
        parse_inbound(PLAIN, body, **{**query, "signature": "0" * 40})


def test_random_ciphertexts_raise_only_our_errors():
    rng = random.Random(20261101)
    for _ in range(300):
        raw = rng.randbytes(rng.choice([0, 1, 15, 16, 32, 48, 64, 160]))
        body, query = resigned(base64.b64encode(raw).decode() or "A")
        with pytest.raises((InvalidSignature, MalformedMessage)):
            parse_inbound(SAFE, body, **query)


# --- Malformed XML -------------------------------------------------------------------

MALFORMED = [
    b"",
    b"not xml",
    b"<xml><ToUserName>",
    b"<xml/>",
    b"<root><MsgType>text</MsgType></root>",
    b"<xml><MsgType>text</MsgType></xml>",  # no sender
    b"\xff\xfe<xml/>",
    TEXT.replace("1348831860", "soon").encode(),
    TEXT.replace("1234567890123456", "-1").encode(),
    TEXT.replace("<MsgType><![CDATA[text]]></MsgType>", "<MsgType><a>text</a></MsgType>").encode(),
    TEXT.replace("</xml>", "<FromUserName>x</FromUserName></xml>").encode(),
    LOCATION.replace("23.134521", "nan").encode(),
    LOCATION.replace("113.358803", "181").encode(),
    CLICK.replace("<![CDATA[CLICK]]>", "").encode(),
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
    b"<xml><MsgType>&b;</MsgType></xml>",
    b"<xml><MsgType>text</MsgType></xml><xml/>",
]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_plaintext_body(body):
    _, query = plain_push("")
    with pytest.raises(MalformedMessage):
        parse_inbound(PLAIN, body, **query)


# wechatpy decodes the plaintext as UTF-8 while decrypting, so only text rides inside.
MALFORMED_TEXT = [body.decode() for body in MALFORMED if not body.startswith(b"\xff")]


@pytest.mark.parametrize("inner", MALFORMED_TEXT)
def test_malformed_xml_inside_valid_encryption(inner):
    crypto = WeChatCrypto(SAFE.token, SAFE.encoding_aes_key, SAFE.app_id)
    encrypt = xmltodict.parse(crypto.encrypt_message(inner, NONCE, TIMESTAMP))["xml"]
    tampered_body, query = resigned(encrypt["Encrypt"])
    with pytest.raises(MalformedMessage):
        parse_inbound(SAFE, tampered_body, **query)


@pytest.mark.parametrize("body", [b"", b"<xml><Encrypt>", b"\xff", b"<xml/>"])
def test_malformed_safe_mode_envelope(body):
    _, query = encrypted_push(TEXT)
    with pytest.raises(MalformedMessage):
        parse_inbound(SAFE, body, **query)


# --- Dedupe key ------------------------------------------------------------------------


def test_dedupe_key_is_msg_id_for_messages():
    assert parse_safe(TEXT).dedupe_key == 1234567890123456


def test_dedupe_key_is_stable_across_retries_of_an_event():
    # A retry is the same event, re-encrypted with a new random prefix and a new nonce.
    first = parse_safe(SUBSCRIBE_WITH_SCENE)
    body, query = encrypted_push(SUBSCRIBE_WITH_SCENE, timestamp="1411525999", nonce="1")
    retry = parse_inbound(SAFE, body, **query)
    assert first.dedupe_key == retry.dedupe_key
    assert 0 <= first.dedupe_key < 2**63


def test_dedupe_key_differs_across_events():
    events = [SUBSCRIBE, SUBSCRIBE_WITH_SCENE, UNSUBSCRIBE, SCAN, CLICK, LOCATION_EVENT]
    events += [
        CLICK.replace("EVENTKEY", "REPORT"),
        CLICK.replace("[FromUser]", "[OtherUser]"),
        CLICK.replace("123456789", "123456790"),
    ]
    keys = {parse_safe(xml).dedupe_key for xml in events}
    assert len(keys) == len(events)
    assert all(0 <= key < 2**63 for key in keys)


def test_dedupe_key_hashes_msg_id_beyond_int64():
    inbound = parse_safe(TEXT.replace("1234567890123456", str(2**64 - 1)))
    assert inbound.msg_id == 2**64 - 1
    assert 0 <= inbound.dedupe_key < 2**63


# --- Passive reply ---------------------------------------------------------------------


def decrypt_reply(reply: str, timestamp: str = TIMESTAMP, nonce: str = NONCE):
    envelope = xmltodict.parse(reply)["xml"]
    assert (envelope["TimeStamp"], envelope["Nonce"]) == (timestamp, nonce)
    crypto = WeChatCrypto(SAFE.token, SAFE.encoding_aes_key, SAFE.app_id)
    return parse_message(crypto.decrypt_message(reply, envelope["MsgSignature"], timestamp, nonce))


def test_safe_mode_reply_round_trips():
    inbound = parse_safe(TEXT)
    reply = decrypt_reply(
        build_reply(SAFE, inbound, "收到，谢谢！", timestamp=TIMESTAMP, nonce=NONCE)
    )
    assert (reply.type, reply.content) == ("text", "收到，谢谢！")
    assert (reply.source, reply.target) == ("toUser", "fromUser")


def test_plain_reply_is_text_reply_xml():
    inbound = parse_safe(CLICK)
    reply = parse_message(build_reply(PLAIN, inbound, "hello", timestamp=TIMESTAMP, nonce=NONCE))
    assert (reply.type, reply.content, reply.target) == ("text", "hello", "FromUser")


def test_reply_text_with_cdata_end_and_control_characters_survives():
    inbound = parse_safe(TEXT)
    text = "a]]>b<c>&\x00d\x1fe\nf"
    reply = decrypt_reply(build_reply(SAFE, inbound, text, timestamp=TIMESTAMP, nonce=NONCE))
    assert reply.content == "a]]>b<c>&de\nf"


@pytest.mark.parametrize("text", ["创文" * 2000, "a" * 5000, "a" + "😀" * 1000])
def test_long_reply_is_truncated_by_utf8_bytes(text):
    inbound = parse_safe(TEXT)
    content = decrypt_reply(
        build_reply(SAFE, inbound, text, timestamp=TIMESTAMP, nonce=NONCE)
    ).content
    assert len(content.encode("utf-8")) <= MAX_REPLY_BYTES
    assert content.endswith("…")
    assert text.startswith(content[:-1])
    assert len(content.encode("utf-8")) > MAX_REPLY_BYTES - 7  # cut no more than needed


def test_reply_of_exactly_the_limit_is_kept_whole():
    inbound = parse_safe(TEXT)
    text = "文" * (MAX_REPLY_BYTES // 3) + "ab"
    assert len(text.encode()) == MAX_REPLY_BYTES
    reply = parse_message(build_reply(PLAIN, inbound, text, timestamp=TIMESTAMP, nonce=NONCE))
    assert reply.content == text


@pytest.mark.parametrize("config", [PLAIN, SAFE])
def test_empty_reply_is_success(config):
    inbound = parse_safe(TEXT)
    assert build_reply(config, inbound, "", timestamp=TIMESTAMP, nonce=NONCE) == NO_REPLY


# --- Config and layering ---------------------------------------------------------------


def test_config_repr_hides_secrets():
    assert "123456" not in repr(SAFE) and "kWxPEV" not in repr(SAFE)
    assert SAFE.safe_mode and not PLAIN.safe_mode


@pytest.mark.parametrize(
    "kwargs",
    [
        {"token": "", "app_id": "wx1"},
        {"token": "t", "app_id": "", "encoding_aes_key": SAFE.encoding_aes_key},
        {"token": "t", "app_id": "wx1", "encoding_aes_key": "short"},
        {"token": "t", "app_id": "wx1", "encoding_aes_key": "!" * 43},
    ],
)
def test_bad_config_is_refused(kwargs):
    with pytest.raises(ValueError):
        WeChatConfig(**kwargs)


def test_wechat_layer_does_not_import_telegram():
    folder = Path(__file__).resolve().parent.parent / "handlers" / "wechat"
    for module in folder.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(name.split(".")[0] == "telegram" for name in names), module
