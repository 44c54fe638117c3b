"""The news feed and the event calendars, read back with real parsers."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import func, select

from shared.models import ContentItem
from shared.runtime import Runtime
from shared.site_seed import seed_site
from tests.conftest import BASE_URL

ATOM = {"a": "http://www.w3.org/2005/Atom"}
TORONTO = ZoneInfo("America/Toronto")


@pytest.fixture
def site(runtime: Runtime) -> Runtime:
    with runtime.sessions() as session:
        assert seed_site(session, now=runtime.now())
        session.commit()
    return runtime


def published(runtime: Runtime, kind: str) -> int:
    with runtime.sessions() as session:
        return (
            session.scalar(
                select(func.count(ContentItem.id)).where(
                    ContentItem.kind == kind, ContentItem.status == "published"
                )
            )
            or 0
        )


def test_atom_feed_has_one_entry_per_published_news(
    client: FlaskClient, site: Runtime
) -> None:
    response = client.get("/nouvelles.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    entries = feed.findall("a:entry", ATOM)
    assert len(entries) == published(site, "news") == 4

    titles = [e.findtext("a:title", namespaces=ATOM) for e in entries]
    assert titles[0] == "La saison de glanage est lancée"  # newest first
    assert "Bilan de la saison (brouillon)" not in titles
    first = entries[0]
    link = first.find("a:link", ATOM)
    assert link is not None
    assert link.get("href") == f"{BASE_URL}/nouvelles/la-saison-de-glanage-est-lancee"
    assert first.findtext("a:updated", namespaces=ATOM)
    content = first.findtext("a:content", namespaces=ATOM) or ""
    assert "<p>" in content  # the body, rendered


def test_english_feed_speaks_english(client: FlaskClient, site: Runtime) -> None:
    feed = ET.fromstring(client.get("/en/nouvelles.atom").data)
    titles = [
        e.findtext("a:title", namespaces=ATOM) for e in feed.findall("a:entry", ATOM)
    ]
    assert "The gleaning season is open" in titles
    link = feed.find("a:entry/a:link", ATOM)
    assert link is not None and "/en/nouvelles/" in (link.get("href") or "")


def test_calendar_has_every_published_event_in_local_time(
    client: FlaskClient, site: Runtime
) -> None:
    response = client.get("/evenements.ics")
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    assert len(events) == published(site, "event") == 4
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "America/Toronto"

    uids = {str(e["UID"]) for e in events}
    assert len(uids) == 4 and all(u.endswith("@glanage.test") for u in uids)
    for event in events:
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND")
        assert isinstance(start, datetime) and start.tzinfo is not None
        assert str(start.tzinfo) == "America/Toronto"
        assert end > start
        assert str(event["URL"]).startswith(f"{BASE_URL}/evenements/")
        assert str(event["SUMMARY"])

    autumn = next(e for e in events if "automne" in str(e["SUMMARY"]))
    assert str(autumn["LOCATION"]) == "Salle communautaire, Saint-Jacques"
    assert autumn.decoded("DTSTART").hour == 9


def test_one_event_has_its_own_calendar_file(
    client: FlaskClient, site: Runtime
) -> None:
    response = client.get("/en/evenements/webinaire-glaner-en-securite.ics")
    assert response.status_code == 200
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Webinar: gleaning safely"
    assert event.decoded("DTSTART").astimezone(TORONTO).hour == 12
    assert str(event["URL"]) == f"{BASE_URL}/en/evenements/webinaire-glaner-en-securite"
    assert client.get("/evenements/nope.ics").status_code == 404


def test_an_event_without_end_lasts_an_hour(client: FlaskClient, site: Runtime) -> None:
    with site.sessions() as session:
        session.add(
            ContentItem(
                kind="event",
                slug="sans-fin",
                status="published",
                title_fr="Sans heure de fin",
                # Typed without an offset: the network's local time.
                fields={"starts_at": "2030-06-03T10:00:00"},
            )
        )
        session.commit()
    [event] = Calendar.from_ical(client.get("/evenements/sans-fin.ics").data).walk(
        "VEVENT"
    )
    assert event.decoded("DTSTART") == datetime(2030, 6, 3, 10, tzinfo=TORONTO)
    assert event.decoded("DTEND") == datetime(2030, 6, 3, 11, tzinfo=TORONTO)
