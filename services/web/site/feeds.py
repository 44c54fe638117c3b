"""The public site's feeds: news as Atom, events as iCalendar.

Both languages have their own (/nouvelles.atom and /en/nouvelles.atom), with
the same entries. A calendar subscribed to /evenements.ics keeps every event,
past ones too, so nothing disappears from people's agendas; each event also
has its own .ics to add it alone.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import Response, abort
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from services.web.context import now, runtime
from services.web.site.base import bp, site_url
from services.web.site.pages import (
    SITE_NAME,
    Dated,
    absolute,
    dated,
    describe,
    item_or_404,
    items,
    lang,
)
from shared.content import field, localized, render
from shared.models import ContentItem

ATOM = "application/atom+xml"
CALENDAR = "text/calendar"


@bp.get("/nouvelles.atom")
def news_feed() -> ResponseReturnValue:
    here = lang()
    news = items("news")
    feed = FeedGenerator()
    feed.id(absolute(site_url("news")))
    feed.title(f"{SITE_NAME} — {_('News')}")
    feed.subtitle(
        _("What is new in the network: projects, meetings, the gleaning season.")
    )
    feed.author(name=SITE_NAME)
    feed.link(href=absolute(site_url("news")), rel="alternate")
    feed.link(href=absolute(site_url("news_feed")), rel="self")
    feed.language(here)
    feed.updated(max((_changed(item) for item in news), default=now()))
    for item in news:
        url = absolute(site_url("news_item", slug=item.slug))
        entry = feed.add_entry(order="append")
        entry.id(url)
        entry.title(localized(item, "title", here))
        entry.link(href=url, rel="alternate")
        entry.summary(describe(item))
        entry.content(str(render(localized(item, "body", here))), type="html")
        entry.published(item.published_at or item.created_at)
        entry.updated(_changed(item))
    return Response(feed.atom_str(pretty=True), mimetype=ATOM)


def _changed(item: ContentItem) -> datetime:
    return max(item.updated_at, item.published_at or item.updated_at)


@bp.get("/evenements.ics")
def events_feed() -> ResponseReturnValue:
    tz = runtime().settings.tz
    found = [d for d in (dated(item, tz) for item in items("event")) if d]
    calendar = _calendar(sorted(found, key=lambda d: d.start))
    return _ics(calendar, "evenements.ics")


@bp.get("/evenements/<slug>.ics")
def event_feed(slug: str) -> ResponseReturnValue:
    found = dated(item_or_404("event", slug), runtime().settings.tz)
    if found is None:
        abort(404)
    return _ics(_calendar([found]), f"{slug}.ics")


def _calendar(events: list[Dated]) -> Calendar:
    here = lang()
    calendar = Calendar()
    calendar.add("prodid", f"-//{SITE_NAME}//Glanage//{here.upper()}")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{SITE_NAME} — {_('Events')}")
    calendar.add("x-wr-timezone", runtime().settings.timezone)
    host = urlsplit(runtime().settings.public_base_url).hostname or "localhost"
    for event in events:
        calendar.add_component(_vevent(event, here, host))
    # VTIMEZONE blocks for the zones used, so every calendar reads local times.
    calendar.add_missing_timezones()
    return calendar


def _vevent(event: Dated, here: str, host: str) -> CalendarEvent:
    item = event.item
    url = absolute(site_url("event", slug=item.slug))
    vevent = CalendarEvent()
    # The id never changes, even when the editors rename the event.
    vevent.add("uid", f"event-{item.id}@{host}")
    vevent.add("dtstamp", _changed(item))
    vevent.add("dtstart", event.start)
    vevent.add("dtend", event.end)
    vevent.add("summary", localized(item, "title", here))
    vevent.add("description", f"{describe(item)}\n\n{url}".strip())
    if location := str(field(item, "location", "") or "").strip():
        vevent.add("location", location)
    vevent.add("url", url)
    return vevent


def _ics(calendar: Calendar, filename: str) -> Response:
    response = Response(calendar.to_ical(), mimetype=CALENDAR)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
