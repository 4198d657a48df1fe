"""The Open311 GeoReport v2 API, over real HTTP against a real database.

A city platform lists the services, submits requests with its key, and reads them
back with the standard filters; nothing it reads names a reporter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bot.web import WebServer, start_web
from models import Notification, Report
from services import report_photos, reports
from services.reports import PhotoInput, Submission
from services.settings import Settings
from tests.services import helpers

NOW = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
KEY = "test-key-1"
# Inside the shipped boundary of dongfeng-1 (grids.geojson).
LAT, LONG = 30.272, 120.162
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 4


class MovableClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@dataclass
class Api:
    client: httpx.AsyncClient
    settings: Settings
    clock: MovableClock
    db: object
    server: WebServer

    async def post(self, **fields) -> httpx.Response:
        fields.setdefault("api_key", KEY)
        return await self.client.post("/open311/v2/requests.json", data=fields)

    async def submit(self, **fields) -> str:
        fields.setdefault("service_code", "parking")
        if "address_string" not in fields:
            fields.setdefault("lat", str(LAT))
            fields.setdefault("long", str(LONG))
        response = await self.post(**fields)
        assert response.status_code == 201, response.text
        return response.json()[0]["service_request_id"]

    async def get(self, path: str, **params) -> httpx.Response:
        return await self.client.get(f"/open311/v2/{path}", params=params)

    async def listed(self, **params) -> list[dict]:
        response = await self.get("requests.json", **params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
async def api(db, base_settings, tmp_path):
    settings = base_settings.model_copy(
        update={
            "bot": base_settings.bot.model_copy(update={"data_dir": str(tmp_path / "data")}),
            "open311": base_settings.open311.model_copy(
                update={"api_keys": [KEY], "port": 0, "host": "127.0.0.1"}
            ),
        }
    )
    clock = MovableClock(NOW)
    server = await start_web(settings, db.session_factory, clock)
    base = f"http://127.0.0.1:{server.port}"
    try:
        async with httpx.AsyncClient(base_url=base, trust_env=False) as client:
            yield Api(client, settings, clock, db, server)
    finally:
        await server.stop()


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == status
    return body[0]["description"]


# --- services ------------------------------------------------------------------------------


async def test_service_list_has_every_category_with_the_georeport_fields(api):
    response = await api.get("services.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    services = response.json()
    assert [s["service_code"] for s in services] == [
        c.code for c in api.settings.reports.categories
    ]
    parking = services[0]
    assert parking["service_name"] == "Illegal parking"
    assert parking["metadata"] is False
    assert parking["type"] == "realtime"
    assert "乱停乱放" in parking["keywords"] and "parking" in parking["keywords"]
    assert parking["group"]
    assert "24 hours" in parking["description"]

    definition = await api.get("services/parking.json")
    assert definition.json() == {"service_code": "parking", "attributes": []}
    assert "nope" in _error(await api.get("services/nope.json"), 404)


async def test_only_json_and_only_our_jurisdiction(api):
    assert _error(await api.get("services.xml"), 400) == "only JSON is supported"
    assert _error(await api.get("requests.xml"), 400) == "only JSON is supported"
    assert _error(await api.get("services/parking.xml"), 400) == "only JSON is supported"
    assert (await api.get("services.json", jurisdiction_id="chengdong")).status_code == 200
    _error(await api.get("services.json", jurisdiction_id="elsewhere"), 404)
    _error(await api.get("requests.json", jurisdiction_id="elsewhere"), 404)
    _error(await api.post(service_code="parking", lat=LAT, long=LONG, jurisdiction_id="x"), 404)
    # Unknown paths answer in the same error shape.
    _error(await api.get("nothing-here.json"), 404)


async def test_discovery_points_at_this_server(api):
    document = (await api.get("discovery.json")).json()
    endpoint = document["endpoints"][0]
    assert endpoint["url"] == f"http://127.0.0.1:{api.server.port}/open311/v2"
    assert endpoint["formats"] == ["application/json"]


# --- submitting ----------------------------------------------------------------------------


async def test_a_submitted_request_is_listed_with_the_georeport_fields(api):
    response = await api.post(
        service_code="parking",
        lat=str(LAT),
        long=str(LONG),
        address_string="东风路12号门口",
        description="白色轿车停在盲道上",
        email="li@example.com",
        first_name="Li",
        last_name="Na",
        phone="13900001111",
    )
    assert response.status_code == 201, response.text
    [created] = response.json()
    ticket = created["service_request_id"]
    assert ticket.startswith("R") and len(ticket) == 7
    assert "Dongfeng Grid 1" in created["service_notice"]

    [listed] = await api.listed()
    assert listed == {
        "service_request_id": ticket,
        "status": "open",
        "status_notes": "Waiting to be accepted",
        "service_name": "Illegal parking",
        "service_code": "parking",
        "description": "白色轿车停在盲道上",
        "agency_responsible": "Dongfeng Grid 1",
        "service_notice": "Dongfeng Grid 1 aims to resolve it within 24 hours.",
        "requested_datetime": "2026-11-27T09:30:00+08:00",
        "updated_datetime": "2026-11-27T09:30:00+08:00",
        "expected_datetime": "2026-11-28T09:30:00+08:00",
        "address": "东风路12号门口",
        "address_id": None,
        "zipcode": None,
        "lat": LAT,
        "long": LONG,
    }
    assert await api.listed(service_request_id=ticket) == [listed]
    assert (await api.get(f"requests/{ticket}.json")).json() == [listed]

    # The submitter's details are kept for the admins, never published.
    async with api.db.session_factory() as session:
        report = (await session.exec(select(Report))).one()
    assert report.source == "open311" and report.anonymous and report.reporter_id is None
    assert report.contact == {
        "email": "li@example.com",
        "first_name": "Li",
        "last_name": "Na",
        "phone": "13900001111",
    }
    raw = (await api.get("requests.json")).text
    for secret in ("li@example.com", "13900001111", "Li", "Na"):
        assert f'"{secret}"' not in raw and secret + "@" not in raw


async def test_json_bodies_and_typed_addresses_are_accepted(api):
    response = await api.client.post(
        "/open311/v2/requests.json",
        json={
            "api_key": KEY,
            "service_code": "dumping",
            "address_string": "建设路88号垃圾房旁",
            "description": "建筑垃圾",
        },
    )
    assert response.status_code == 201, response.text
    [listed] = await api.listed()
    # A typed address waits in triage, which the campaign office answers for.
    assert listed["agency_responsible"] == api.settings.organisation.name_en
    assert listed["lat"] is None and listed["long"] is None
    assert listed["address"] == "建设路88号垃圾房旁"

    response = await api.client.post(
        "/open311/v2/requests.json",
        json={"api_key": KEY, "service_code": "dogs", "lat": LAT, "long": LONG},
    )
    assert response.status_code == 201, response.text
    newest = (await api.listed())[0]
    assert (newest["service_code"], newest["lat"], newest["long"]) == ("dogs", LAT, LONG)


async def test_the_grids_handlers_are_told_of_a_new_request(api):
    async with api.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
    await api.submit()
    async with api.db.session_factory() as session:
        notes = (await session.exec(select(Notification))).all()
    # Nobody on the ground in that grid yet: the office (the admin) gets it.
    assert [(n.person_id, n.kind) for n in notes] == [(admin.id, "report")]
    assert "R0000" in notes[0].text


async def test_a_missing_or_wrong_api_key_is_refused(api):
    description = _error(
        await api.post(service_code="parking", lat=LAT, long=LONG, api_key=""), 403
    )
    assert "api_key" in description
    _error(await api.post(service_code="parking", lat=LAT, long=LONG, api_key="guess"), 403)
    response = await api.client.post(
        "/open311/v2/requests.json", data={"service_code": "parking", "lat": LAT, "long": LONG}
    )
    _error(response, 403)
    assert await api.listed() == []


async def test_bad_submissions_get_a_georeport_error_and_change_nothing(api):
    assert "service_code" in _error(await api.post(lat=LAT, long=LONG), 400)
    assert "location" in _error(await api.post(service_code="parking"), 400)
    assert "unknown service_code" in _error(
        await api.post(service_code="spaceships", lat=LAT, long=LONG), 400
    )
    _error(await api.post(service_code="parking", lat=LAT), 400)  # long missing
    _error(await api.post(service_code="parking", lat="north", long=LONG), 400)
    _error(await api.post(service_code="parking", lat="nan", long=LONG), 400)
    _error(await api.post(service_code="parking", lat="95", long=LONG), 400)
    assert "address_string" in _error(
        await api.post(service_code="parking", address_string="东"), 400
    )
    assert "description" in _error(
        await api.post(service_code="parking", lat=LAT, long=LONG, description="长" * 600), 400
    )
    _error(
        await api.client.post(
            "/open311/v2/requests.json",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        ),
        400,
    )
    assert await api.listed() == []


async def test_an_unknown_request_is_not_found(api):
    _error(await api.get("requests/R999999.json"), 404)
    _error(await api.get("requests/banana.json"), 404)
    _error(await api.get("requests.json", service_request_id="banana"), 400)


# --- status ---------------------------------------------------------------------------------


async def test_status_follows_the_handling_of_the_report(api):
    accepted = await api.submit(description="accepted one")
    rejected = await api.submit(service_code="vending", description="rejected one")
    duplicate = await api.submit(description="same car")
    untouched = await api.submit(service_code="dogs")
    async with api.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        by_ticket = {t: await session.get(Report, int(t[1:])) for t in (accepted, rejected)}
        await reports.accept(session, by_ticket[accepted], admin, now=NOW)
        await reports.reject(session, by_ticket[rejected], admin, reason="不在本街道范围", now=NOW)
        await reports.mark_duplicate(
            session,
            await session.get(Report, int(duplicate[1:])),
            admin,
            original_id=by_ticket[accepted].id,
            now=NOW,
        )

    everything = {r["service_request_id"]: r for r in await api.listed()}
    assert everything[accepted]["status"] == "open"
    assert everything[accepted]["status_notes"] == "Accepted"
    assert everything[rejected]["status"] == "closed"
    assert everything[rejected]["status_notes"] == "Rejected: 不在本街道范围"
    assert everything[rejected]["service_notice"] is None
    assert everything[duplicate]["status_notes"] == f"Merged as a duplicate of {accepted}"
    assert everything[untouched]["status"] == "open"

    open_ = {r["service_request_id"] for r in await api.listed(status="open")}
    closed = {r["service_request_id"] for r in await api.listed(status="closed")}
    assert open_ == {accepted, untouched}
    assert closed == {rejected, duplicate}
    assert len(await api.listed(status="open,closed")) == 4
    assert {r["service_request_id"] for r in await api.listed(service_code="dogs,vending")} == {
        rejected,
        untouched,
    }
    several = await api.listed(service_request_id=f"{accepted},{untouched}", status="closed")
    # Ids override every other filter (the specification).
    assert {r["service_request_id"] for r in several} == {accepted, untouched}
    _error(await api.get("requests.json", status="pending"), 400)


# --- anonymity -----------------------------------------------------------------------------


async def test_a_chat_reporter_who_gave_their_name_is_not_published(api):
    async with api.db.session_factory.begin() as session:
        resident = await helpers.person(session, external_id="777000111")
        await helpers.register(
            session, resident, api.settings.registration, name="王小明", phone="13712345678"
        )
        report = await reports.submit(
            session,
            Submission(category="parking", latitude=LAT, longitude=LONG, anonymous=False),
            reporter=resident,
            settings=api.settings.reports,
            now=NOW,
        )
    [listed] = await api.listed()
    assert listed["service_request_id"] == f"R{report.id:06d}"
    raw = (await api.get("requests.json")).text + (
        await api.get("requests/" + listed["service_request_id"] + ".json")
    ).text
    for secret in ("王小明", "13712345678", "777000111"):
        assert secret not in raw
    forbidden = {"email", "first_name", "last_name", "phone", "account_id", "device_id"}
    assert not forbidden & set(listed)
    assert not any("reporter" in key for key in listed)


# --- dates ---------------------------------------------------------------------------------


async def test_date_filters_and_the_default_window(api):
    api.clock.moment = NOW - timedelta(days=100)
    old = await api.submit(service_code="structures")
    api.clock.moment = NOW - timedelta(days=10)  # 2026-11-17 09:30 in Shanghai
    recent = await api.submit(service_code="dogs")
    api.clock.moment = NOW
    today = await api.submit()

    def tickets(found):
        return [r["service_request_id"] for r in found]

    # The last 90 days, newest first.
    assert tickets(await api.listed()) == [today, recent]
    assert tickets(await api.listed(start_date="2026-01-01")) == [today, recent, old]
    # end_date names a day: all of it, and the 90 days before.
    assert tickets(await api.listed(end_date="2026-11-17")) == [recent]
    assert tickets(await api.listed(start_date="2026-11-18", end_date="2026-11-27")) == [today]
    assert tickets(
        await api.listed(start_date="2026-11-17T09:30:00+08:00", end_date="2026-11-17T01:30:00Z")
    ) == [recent]
    # An unencoded "+" in a query string arrives as a space; it still means +08:00.
    response = await api.client.get(
        "/open311/v2/requests.json?start_date=2026-11-27T09:30:00+08:00"
    )
    assert tickets(response.json()) == [today]
    assert tickets(await api.listed(start_date="2026-11-27T09:31:00+08:00")) == []
    assert tickets(await api.listed(start_date="2026-08")) == [today, recent, old]

    assert "start_date" in _error(await api.get("requests.json", start_date="yesterday"), 400)
    _error(await api.get("requests.json", end_date="2026-13-01"), 400)
    _error(await api.get("requests.json", start_date="2026-11-27", end_date="2026-11-01"), 400)


# --- media ---------------------------------------------------------------------------------


async def _chat_report_with_photo(api: Api, path: str | None) -> Report:
    async with api.db.session_factory.begin() as session:
        resident = await helpers.person(session)
        return await reports.submit(
            session,
            Submission(
                category="posters",
                latitude=LAT,
                longitude=LONG,
                anonymous=True,
                photos=[PhotoInput(file_id="tg-file-1", channel="telegram", local_path=path)],
            ),
            reporter=resident,
            settings=api.settings.reports,
            now=NOW,
        )


async def test_media_url_serves_the_reporters_photo(api):
    folder = api.settings.reports.photo_path(api.settings.bot.data_dir)
    stored = report_photos.store(folder, "unique-1", JPEG, limit=1_000_000)
    await _chat_report_with_photo(api, str(stored))
    [listed] = await api.listed()
    url = listed["media_url"]
    assert url.startswith(f"http://127.0.0.1:{api.server.port}/open311/v2/media/")
    assert url.endswith(".jpg")
    photo = await api.client.get(url)
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.content == JPEG
    _error(await api.get("media/999999.jpg"), 404)
    for name in ("abc", "²", "99999999999999999999"):
        _error(await api.get(f"media/{name}.jpg"), 404)
    _error(await api.get("requests/R99999999999999.json"), 404)


async def test_no_media_url_without_our_copy_and_no_file_outside_the_photo_folder(
    api, tmp_path: Path
):
    await _chat_report_with_photo(api, None)  # only Telegram's file id
    [listed] = await api.listed()
    assert "media_url" not in listed

    outside = tmp_path / "secret.jpg"
    outside.write_bytes(JPEG)
    report = await _chat_report_with_photo(api, str(outside))
    found = await api.listed(service_request_id=f"R{report.id:06d}")
    response = await api.client.get(found[0]["media_url"])
    _error(response, 404)


def test_errors_are_json_arrays():
    # The shape every client parses (kept literal so a refactor cannot drift from it).
    from services.open311 import Open311Error

    assert json.loads(json.dumps(Open311Error(400, "x").body)) == [
        {"code": 400, "description": "x"}
    ]
