"""The public site's pages: what the network does, its news and events, its
partners, tools, fact sheets and roadmap, its jobs, how gleaning works and how
to join.

Each view serves both languages: the blueprint is registered twice (French at
/, English under /en/), and every page names its twin in the other language
(hreflang links, the language switch). Editors' text is Markdown, cleaned by
shared.content.render; plain fields are escaped by Jinja, and links editors
type are kept only when they are web, mail or phone links.

The pages read and set no cookie, except the two with a form: their CSRF token
lives in the session. Visits are counted per path and day (shared.visits).
"""

from __future__ import annotations

import csv
import html
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import cache
from typing import Any
from xml.etree import ElementTree as ET  # nosec B405 # writes the sitemap, parses none

from flask import Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from services.web.context import db, now, runtime
from services.web.panel.base import limiter
from services.web.security import PUBLIC_FORM_LIMIT
from services.web.site.base import ENGLISH, bp, site_lang, site_url
from shared import compose, figures, phones, visits
from shared.content import FIELDS, field, find, localized, plain, published, render
from shared.content import when as field_datetime
from shared.figures import Period
from shared.i18n import LANGUAGES, format_kg, t
from shared.logs import log_event
from shared.models import (
    Claim,
    Contact,
    ContentItem,
    Farm,
    Message,
    Organization,
    Parcel,
    Surplus,
)
from shared.seed import DATA, towns

log = logging.getLogger(__name__)

SITE_NAME = "Nourrir Lanaudière"
# The inbox address the panel's messages page shows for what the site receives.
COORDINATION = "coordination"
# Gleaning starts with the first early crops; figures count from this month.
SEASON_START_MONTH = 4
# An event without an end lasts this long in calendars.
DEFAULT_EVENT_LENGTH = timedelta(hours=1)
HOME_NEWS = 3
HOME_EVENTS = 3
# Towns this large are labelled on the partners' map, to find one's way.
MAP_TOWN_POPULATION = 40000

# The menu, in the order people look for things.
NAV = (
    ("gleaning", _l("Gleaning")),
    ("news", _l("News")),
    ("events", _l("Events")),
    ("partners", _l("Partners")),
    ("toolbox", _l("Toolbox")),
    ("factsheets", _l("Fact sheets")),
    ("roadmap", _l("Roadmap")),
    ("about", _l("About")),
    ("contact", _l("Contact")),
)
# A page that is not in the menu lights up the section it belongs to.
SECTION = {
    "news_item": "news",
    "event": "events",
    "factsheet": "factsheets",
    "job": "jobs",
    "gleaning_thanks": "gleaning",
    "contact_thanks": "contact",
}

PARTNER_KINDS = {
    "ferme": _l("Farm"),
    "organisme": _l("Community organization"),
    "institution": _l("Institution"),
    "bailleur": _l("Funder"),
}
TERMS = {
    "short": _l("Short term"),
    "medium": _l("Medium term"),
    "long": _l("Long term"),
    "ongoing": _l("Ongoing"),
}
PROGRESS = {
    "done": _l("Done"),
    "in_progress": _l("In progress"),
    "planned": _l("Planned"),
}
ROLES = {
    "farmer": _l("A farm with surplus to give"),
    "organization": _l("An organization that feeds people"),
}

SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:")


# ---- Rendering a page -----------------------------------------------------


@dataclass(frozen=True)
class Meta:
    """What a page says about itself to browsers, search engines and sharing."""

    title: str
    description: str
    url: str  # canonical, absolute
    alternates: dict[str, str]  # language -> absolute URL of the same page
    image: str
    og_type: str = "website"
    noindex: bool = False


def lang() -> str:
    return site_lang() or "fr"


def absolute(path: str) -> str:
    """A full URL on the public address, for feeds, sitemaps and sharing."""
    return runtime().settings.public_base_url.rstrip("/") + path


def safe_link(value: Any) -> str:
    """A link typed by an editor, or "" when it could run script or is odd."""
    text = str(value or "").strip()
    if text.lower().startswith(SAFE_SCHEMES):
        return text
    if text.startswith("/") and not text.startswith("//"):
        return text
    return ""


def text_of(markdown: str) -> str:
    """Markdown as plain text (entities decoded: Jinja escapes it again)."""
    return html.unescape(plain(markdown))


def _endpoint() -> str:
    return (request.endpoint or "site.index").split(".", 1)[-1]


def _nav(endpoint: str, language: str) -> list[tuple[str, str, bool]]:
    current = SECTION.get(endpoint, endpoint)
    return [
        (site_url(name, language), str(label), name == current) for name, label in NAV
    ]


def newsletter_url(language: str | None = None) -> str:
    """The newsletter's page (built beside this module); its path until it is."""
    try:
        return site_url("newsletter_form", language)
    except BuildError:
        return "/en/infolettre" if (language or lang()) == "en" else "/infolettre"


def show(
    template: str,
    title: str,
    description: str = "",
    *,
    status: int = 200,
    og_type: str = "website",
    image: str = "",
    noindex: bool = False,
    endpoint: str | None = None,
    values: dict[str, Any] | None = None,
    language: str | None = None,
    **context: Any,
) -> ResponseReturnValue:
    """Render a public page with its menu, language twin and sharing tags.

    The page's endpoint and URL values name its twin in the other language;
    they default to the current request's.
    """
    here = language or lang()
    endpoint = endpoint or _endpoint()
    values = (request.view_args or {}) if values is None else values
    alternates = {
        code: absolute(site_url(endpoint, code, **values)) for code in LANGUAGES
    }
    switch = site_url(endpoint, "en" if here == "fr" else "fr", **values)
    if request.query_string and request.method == "GET":
        switch += "?" + request.query_string.decode("utf-8", "replace")
    meta = Meta(
        title=title,
        description=description
        or _(
            "Nourrir Lanaudière connects farms, community organizations and "
            "institutions so that fresh local food reaches everyone in the region."
        ),
        url=alternates[here],
        alternates=alternates,
        image=image or absolute(url_for("static", filename="site/og-card.png")),
        og_type=og_type,
        noindex=noindex,
    )
    page = render_template(
        template,
        lang=here,
        meta=meta,
        site_name=SITE_NAME,
        nav_items=_nav(endpoint, here),
        home_url=site_url("index", here),
        lang_switch_url=switch,
        newsletter_url=newsletter_url(here),
        url=lambda name, **more: site_url(name, here, **more),
        text=lambda item, name: localized(item, name, here),
        md=lambda item, name="body": render(localized(item, name, here)),
        field=field,
        link=safe_link,
        **context,
    )
    return page, status


# ---- Reading content ------------------------------------------------------


def items(kind: str) -> list[ContentItem]:
    """Published items of a kind, newest first."""
    return list(db().scalars(published(kind)))


def ordered(kind: str) -> list[ContentItem]:
    """Published items of a kind in the editors' order (position, then title)."""
    return sorted(items(kind), key=lambda item: (item.position, item.title_fr))


def item_or_404(kind: str, slug: str) -> ContentItem:
    item = find(db(), kind, slug)
    if item is None:
        abort(404)
    return item


def fixed_page(slug: str) -> ContentItem | None:
    """One of the pages editors write once (about, gleaning, contact)."""
    return find(db(), "page", slug)


def describe(item: ContentItem) -> str:
    """A sentence or two about an item, for lists and sharing tags."""
    summary = localized(item, "summary", lang())
    text = text_of(summary or localized(item, "body", lang()))
    return text if len(text) <= 200 else text[:197].rsplit(" ", 1)[0] + "…"


def image_of(item: ContentItem) -> str:
    """The item's picture as a full URL for sharing tags; "" when it has none."""
    link = safe_link(item.image)
    if link.startswith("/"):
        return absolute(link)
    return link if link.startswith(("http://", "https://")) else ""


@dataclass(frozen=True)
class Dated:
    """An event with its times, in the network's time zone."""

    item: ContentItem
    start: datetime
    end: datetime


def dated(item: ContentItem, tz: tzinfo) -> Dated | None:
    """None when the event's start is missing or unreadable: it is not shown."""
    start = field_datetime(item, "starts_at")
    if start is None:
        return None
    start = _aware(start, tz)
    end = field_datetime(item, "ends_at")
    end = _aware(end, tz) if end else None
    if end is None or end < start:
        end = start + DEFAULT_EVENT_LENGTH
    return Dated(item, start, end)


def _aware(moment: datetime, tz: tzinfo) -> datetime:
    # A time typed without an offset is the network's local time.
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def events_split(moment: datetime) -> tuple[list[Dated], list[Dated]]:
    """(upcoming soonest first, past latest first); an event under way is upcoming."""
    tz = runtime().settings.tz
    every = [d for d in (dated(item, tz) for item in items("event")) if d]
    upcoming = sorted((d for d in every if d.end >= moment), key=lambda d: d.start)
    past = sorted(
        (d for d in every if d.end < moment), key=lambda d: d.start, reverse=True
    )
    return upcoming, past


# ---- Home and about -------------------------------------------------------


def season(today: date) -> Period:
    """This gleaning season so far: from the first of April to today."""
    year = today.year if today.month >= SEASON_START_MONTH else today.year - 1
    return Period(date(year, SEASON_START_MONTH, 1), today)


@bp.get("/")
def index() -> ResponseReturnValue:
    moment = now()
    period = season(moment.date())
    numbers = figures.compute(db(), period, runtime().settings.tz)
    upcoming, _past = events_split(moment)
    return show(
        "site/index.html",
        _("Farm surplus, shared across Lanaudière"),
        season=period,
        totals=numbers.totals,
        people=numbers.people,
        kg=lambda value: format_kg(value, lang()),
        events=upcoming[:HOME_EVENTS],
        news=items("news")[:HOME_NEWS],
        describe=describe,
    )


@bp.get("/a-propos")
def about() -> ResponseReturnValue:
    page = fixed_page("a-propos")
    title = localized(page, "title", lang()) if page else _("About")
    return show(
        "site/page.html",
        title,
        describe(page) if page else "",
        page=page,
    )


# ---- News and events ------------------------------------------------------


@bp.get("/nouvelles")
def news() -> ResponseReturnValue:
    return show(
        "site/news.html",
        _("News"),
        _("What is new in the network: projects, meetings, the gleaning season."),
        news=items("news"),
        describe=describe,
    )


@bp.get("/nouvelles/<slug>")
def news_item(slug: str) -> ResponseReturnValue:
    item = item_or_404("news", slug)
    return show(
        "site/news_item.html",
        localized(item, "title", lang()),
        describe(item),
        og_type="article",
        image=image_of(item),
        item=item,
    )


@bp.get("/evenements")
def events() -> ResponseReturnValue:
    upcoming, past = events_split(now())
    return show(
        "site/events.html",
        _("Events"),
        _("Meetings, webinars and visits of the network, coming and past."),
        upcoming=upcoming,
        past=past,
    )


@bp.get("/evenements/<slug>")
def event(slug: str) -> ResponseReturnValue:
    item = item_or_404("event", slug)
    found = dated(item, runtime().settings.tz)
    if found is None:
        abort(404)
    return show(
        "site/event.html",
        localized(item, "title", lang()),
        describe(item),
        og_type="article",
        image=image_of(item),
        event=found,
        is_past=found.end < now(),
    )


# ---- Partners -------------------------------------------------------------


def _choices(name: str) -> tuple[str, ...]:
    spec = next(f for f in FIELDS["partner"] if f.name == name)
    return spec.choices


@bp.get("/partenaires")
def partners() -> ResponseReturnValue:
    everyone = ordered("partner")
    mrc = request.args.get("mrc", "")
    kind = request.args.get("type", "")
    mrc = mrc if mrc in _choices("mrc") else ""
    kind = kind if kind in PARTNER_KINDS else ""
    shown = [
        p
        for p in everyone
        if (not mrc or field(p, "mrc") == mrc)
        and (not kind or field(p, "partner_kind") == kind)
    ]
    return show(
        "site/partners.html",
        _("Partners"),
        _(
            "The farms, organizations, institutions and funders that make the "
            "network, across the six MRCs of Lanaudière."
        ),
        partners=shown,
        total=len(everyone),
        mrc=mrc,
        kind=kind,
        mrcs=_choices("mrc"),
        kinds=PARTNER_KINDS,
        map_data=_map_data(shown),
    )


def _map_data(shown: list[ContentItem]) -> dict[str, Any]:
    """Points for the map script; the list on the page holds the same facts."""
    points = []
    for partner in shown:
        lat, lon = _number(field(partner, "lat")), _number(field(partner, "lon"))
        if lat is None or lon is None:
            continue
        kind = field(partner, "partner_kind", "")
        points.append(
            {
                "name": localized(partner, "title", lang()),
                "kind": kind,
                "kind_label": str(PARTNER_KINDS.get(kind, "")),
                "municipality": field(partner, "municipality", ""),
                "lat": lat,
                "lon": lon,
                "anchor": f"p-{partner.slug}",
            }
        )
    wanted = {p["municipality"] for p in points}
    labels = [
        {"name": town.name, "lat": town.lat, "lon": town.lon}
        for town in towns().values()
        if town.name in wanted or _population(town.name) >= MAP_TOWN_POPULATION
    ]
    return {"points": points, "towns": labels, "see": _("See in the list")}


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@cache
def _populations() -> dict[str, int]:
    with (DATA / "lanaudiere_municipalities.csv").open(encoding="utf-8") as f:
        return {row["name"]: int(row["population"] or 0) for row in csv.DictReader(f)}


def _population(town: str) -> int:
    return _populations().get(town, 0)


# ---- Toolbox, fact sheets, roadmap, jobs ----------------------------------


def _folded(text: str) -> str:
    """Lower case without accents: "Salubrité" and "salubrite" match."""
    bare = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in bare if not unicodedata.combining(c))


def _in_language(item: ContentItem, key: str) -> str:
    """A text field (theme, objective) in the page's language, when given."""
    english = field(item, f"{key}_en") if lang() == "en" else ""
    return str(english or field(item, key, "") or "")


def _matches(item: ContentItem, words: list[str]) -> bool:
    haystack = _folded(
        " ".join(
            [
                item.title_fr,
                item.title_en,
                item.summary_fr,
                item.summary_en,
                item.body_fr,
                item.body_en,
                str(field(item, "theme", "")),
                str(field(item, "theme_en", "")),
            ]
        )
    )
    return all(word in haystack for word in words)


def grouped(
    things: Iterable[ContentItem], key: str
) -> list[tuple[str, list[ContentItem]]]:
    """Items by a text field (a theme, an objective), groups in first-seen order."""
    groups: dict[str, list[ContentItem]] = {}
    for item in things:
        groups.setdefault(_in_language(item, key) or _("Other"), []).append(item)
    return list(groups.items())


@bp.get("/boite-a-outils")
def toolbox() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:100]
    words = _folded(query).split()
    found = [item for item in ordered("resource") if _matches(item, words)]
    return show(
        "site/toolbox.html",
        _("Toolbox"),
        _(
            "Templates, guides and useful links for partners, sorted by theme. "
            "Free to use and to share."
        ),
        query=query,
        groups=grouped(found, "theme"),
        count=len(found),
        describe=describe,
        extension_of=extension_of,
    )


def extension_of(path: str) -> str:
    """ "/files/budget.csv" -> "CSV": what the download link says it gets."""
    name = path.rsplit("/", 1)[-1].split("?", 1)[0]
    return name.rsplit(".", 1)[-1].upper() if "." in name else ""


@bp.get("/fiches")
def factsheets() -> ResponseReturnValue:
    return show(
        "site/factsheets.html",
        _("Fact sheets"),
        _(
            "Short explanations of the questions people ask us most. Each one "
            "prints on a sheet or two."
        ),
        sheets=ordered("factsheet"),
        describe=describe,
    )


@bp.get("/fiches/<slug>")
def factsheet(slug: str) -> ResponseReturnValue:
    item = item_or_404("factsheet", slug)
    return show(
        "site/factsheet.html",
        localized(item, "title", lang()),
        describe(item),
        og_type="article",
        image=image_of(item),
        item=item,
    )


@bp.get("/feuille-de-route")
def roadmap() -> ResponseReturnValue:
    steps = ordered("roadmap")
    tally = {key: 0 for key in PROGRESS}
    for step in steps:
        progress = field(step, "progress")
        if progress in tally:
            tally[progress] += 1
    return show(
        "site/roadmap.html",
        _("Roadmap"),
        _(
            "What the network has done, what it is working on and what comes "
            "next, by objective."
        ),
        objectives=grouped(steps, "objective"),
        tally=tally,
        terms=TERMS,
        progress=PROGRESS,
    )


def _deadline(item: ContentItem) -> date | None:
    raw = field(item, "deadline")
    try:
        return date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


@bp.get("/emplois")
def jobs() -> ResponseReturnValue:
    today = now().date()
    dated_jobs = [(job, _deadline(job)) for job in items("job")]
    listed = [(job, day) for job, day in dated_jobs if day is None or day >= today]
    return show(
        "site/jobs.html",
        _("Jobs"),
        _("Job offers from the network and its partners."),
        jobs=listed,
        describe=describe,
    )


@bp.get("/emplois/<slug>")
def job(slug: str) -> ResponseReturnValue:
    item = item_or_404("job", slug)
    deadline = _deadline(item)
    return show(
        "site/job.html",
        localized(item, "title", lang()),
        describe(item),
        og_type="article",
        item=item,
        deadline=deadline,
        closed=deadline is not None and deadline < now().date(),
    )


# ---- Gleaning and contact: explanations and forms -------------------------

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LIMITS = {
    "name": 200,
    "organization": 200,
    "municipality": 120,
    "phone": 40,
    "email": 254,
    "subject": 200,
    "message": 4000,
}
JOIN_FIELDS = ("name", "organization", "role", "municipality", "phone", "email")
CONTACT_FIELDS = ("name", "email", "phone", "subject")
# Filled only by robots: a person never sees this field.
TRAP = "website"
# The coordinator reads French: what the forms store is labelled in French.
LABELS_FR = {
    "name": "Nom",
    "organization": "Ferme ou organisme",
    "role": "Rôle",
    "municipality": "Municipalité",
    "phone": "Téléphone",
    "email": "Courriel",
    "subject": "Objet",
    "message": "Message",
    "language": "Langue du site",
}
ROLES_FR = {"farmer": "ferme", "organization": "organisme"}


def _read(names: Iterable[str]) -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in (*names, "message")}


def _check_lengths(values: dict[str, str], errors: dict[str, str]) -> None:
    # Said, not cut: what was typed stays in the form to be shortened.
    for name, value in values.items():
        limit = LIMITS.get(name, 100)
        if len(value) > limit and name not in errors:
            errors[name] = _(
                "This is too long: %(limit)d characters at most.", limit=limit
            )


def _check_reach(values: dict[str, str], errors: dict[str, str], need: str) -> None:
    """A way to answer: a valid email, or (when need is "either") a phone."""
    if values["email"] and not EMAIL.fullmatch(values["email"]):
        errors["email"] = _(
            "This email address looks incomplete. It is written like name@example.org."
        )
    if values["phone"] and phones.normalize(values["phone"]) is None:
        errors["phone"] = _(
            "Write a phone number with its area code, like 450 555-0100."
        )
    if need == "email" and not values["email"]:
        errors["email"] = _("Give your email address, so we can answer you.")
    if need == "either" and not values["email"] and not values["phone"]:
        errors["phone"] = _(
            "Give a phone number or an email address, so we can answer you."
        )


def _check_join(values: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = _("Write your name.")
    if not values["organization"]:
        errors["organization"] = _("Write the name of your farm or organization.")
    if values["role"] not in ROLES:
        errors["role"] = _("Tell us whether you are a farm or an organization.")
    if not values["municipality"]:
        errors["municipality"] = _("Write the municipality you are in.")
    _check_reach(values, errors, need="either")
    _check_lengths(values, errors)
    return errors


def _check_contact(values: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = _("Write your name.")
    if not values["message"]:
        errors["message"] = _("Write your message.")
    _check_reach(values, errors, need="email")
    _check_lengths(values, errors)
    return errors


def store_inbound(form: str, subject: str, values: dict[str, str]) -> Message:
    """What a visitor sent, as an email to the coordinator in the panel."""
    facts = dict(values, language=lang())
    if form == "join":
        facts["role"] = ROLES_FR.get(values.get("role", ""), values.get("role", ""))
    lines = [
        f"{LABELS_FR[name]} : {value}"
        for name, value in facts.items()
        if value and name != "message"
    ]
    body = "\n".join(lines)
    if values.get("message"):
        body += "\n\n" + values["message"]
    sender = values.get("email") or phones.normalize(values.get("phone", "")) or ""
    message = Message(
        direction="in",
        channel="email",
        to_addr=COORDINATION,
        from_addr=sender[:254],
        subject=subject[:300],
        body=body,
        status="received",
        parsed={"form": form, "fields": facts},
    )
    session = db()
    session.add(message)
    session.commit()
    log_event(log, "site.form_received", form=form, message_id=message.id)
    return message


def _is_trapped() -> bool:
    if request.form.get(TRAP):
        log_event(log, "site.form_trapped", path=request.path)
        return True
    return False


@bp.route("/glanage", methods=["GET", "POST"])
@limiter.limit(PUBLIC_FORM_LIMIT, methods=["POST"])
def gleaning() -> ResponseReturnValue:
    values = dict.fromkeys((*JOIN_FIELDS, "message"), "")
    errors: dict[str, str] = {}
    if request.method == "POST":
        if _is_trapped():
            return redirect(site_url("gleaning_thanks"), 303)
        values = _read(JOIN_FIELDS)
        errors = _check_join(values)
        if not errors:
            store_inbound(
                "join",
                f"Demande d'adhésion au glanage : {values['organization']} "
                f"({ROLES_FR[values['role']]}, {values['municipality']})",
                values,
            )
            return redirect(site_url("gleaning_thanks"), 303)
    return _gleaning_page(values, errors)


def _gleaning_page(
    values: dict[str, str], errors: dict[str, str], status: int | None = None
) -> ResponseReturnValue:
    page = fixed_page("glanage")
    title = localized(page, "title", lang()) if page else _("Gleaning")
    return show(
        "site/gleaning.html",
        title,
        describe(page)
        if page
        else _("Your unsold vegetables feed local families. One text is all it takes."),
        status=status or (422 if errors else 200),
        endpoint="gleaning",
        values={},
        page=page,
        form=values,
        errors=errors,
        roles=ROLES,
        towns=sorted(towns()),
        conversations=sms_examples(lang(), now().date()),
    )


@bp.get("/glanage/merci")
def gleaning_thanks() -> ResponseReturnValue:
    return show(
        "site/thanks.html",
        _("Thank you, we got your request"),
        noindex=True,
        form="join",
    )


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit(PUBLIC_FORM_LIMIT, methods=["POST"])
def contact() -> ResponseReturnValue:
    values = dict.fromkeys((*CONTACT_FIELDS, "message"), "")
    errors: dict[str, str] = {}
    if request.method == "POST":
        if _is_trapped():
            return redirect(site_url("contact_thanks"), 303)
        values = _read(CONTACT_FIELDS)
        errors = _check_contact(values)
        if not errors:
            store_inbound(
                "contact",
                f"Message du site : {values['subject'] or values['name']}",
                values,
            )
            return redirect(site_url("contact_thanks"), 303)
    return _contact_page(values, errors)


def _contact_page(
    values: dict[str, str], errors: dict[str, str], status: int | None = None
) -> ResponseReturnValue:
    page = fixed_page("contact")
    title = localized(page, "title", lang()) if page else _("Contact")
    return show(
        "site/contact.html",
        title,
        describe(page)
        if page
        else _("A question, an idea, a farm with surplus? Write to us."),
        status=status or (422 if errors else 200),
        endpoint="contact",
        values={},
        page=page,
        form=values,
        errors=errors,
    )


@bp.get("/contact/merci")
def contact_thanks() -> ResponseReturnValue:
    return show(
        "site/thanks.html",
        _("Thank you, your message is on its way"),
        noindex=True,
        form="contact",
    )


@bp.errorhandler(CSRFError)
def _expired_form(error: CSRFError) -> ResponseReturnValue:
    """The form's token is missing or stale: show it again, nothing lost."""
    problem = {
        "form": _(
            "Your form could not be sent: the page was open too long or "
            "cookies are blocked. Check your answers and send it again."
        )
    }
    if _endpoint() == "gleaning":
        return _gleaning_page(_read(JOIN_FIELDS), problem, status=400)
    if _endpoint() == "contact":
        return _contact_page(_read(CONTACT_FIELDS), problem, status=400)
    return error  # another form of the site: the plain answer


def sms_examples(language: str, today: date) -> dict[str, list[tuple[str, str]]]:
    """Two conversations, in the very words Glanage sends (shared.compose).

    Each line is (who, text): "person" for what a farmer or an organization
    texts, "glanage" for the answer. Built from throwaway objects that are
    never saved.
    """
    friday = today + timedelta(days=(4 - today.weekday()) % 7 or 7)
    farm = Farm(
        name="Ferme Beaulieu",
        municipality="Saint-Jacques",
        address="1240, rang Saint-Jacques",
    )
    farm.contacts = [Contact(name="François", phone="+14505550100")]
    organization = Organization(name="Comptoir alimentaire de Joliette")
    organization.contacts = [Contact(name="Simon", phone="+14505550142")]
    surplus = Surplus(
        code="A12",
        crop="courge",
        quantity_kg=500.0,
        remaining_kg=500.0,
        available_until=friday,
        kind="glean",
        farm=farm,
        parcel=Parcel(code="P3", rules=_("Park by the barn, rows 4 to 9 only.")),
    )
    link = absolute("/r/x7Kp2q")
    offer = compose.offer(surplus, language, link).sms
    claim = Claim(surplus=surplus, organization=organization, quantity_kg=200.0)
    surplus.remaining_kg = 300.0
    # The same words as the answer in services.web.inbox.
    announced = t(
        language,
        "Thanks! {code}: {crop}, {kg}, {parcel}, until {until}. We're finding "
        "organizations; you'll get a text when one takes it.",
        code="A12",
        crop=compose.crop_name("courge", language),
        kg=format_kg(500.0, language),
        parcel="P3",
        until=compose.short_date(friday, language),
    )
    ready = (
        "DISPO P3 courges 500 kg jusqu'à vendredi"
        if language == "fr"
        else "READY P3 squash 500 kg until Friday"
    )
    yes = "OUI A12 200" if language == "fr" else "YES A12 200"
    return {
        "farm": [
            ("person", ready),
            ("glanage", announced),
            ("glanage", compose.claim_confirmed_to_farmer(claim, language).sms),
        ],
        "organization": [
            ("glanage", offer),
            ("person", yes),
            ("glanage", compose.claim_confirmed_to_organization(claim, language).sms),
        ],
    }


# ---- Sitemap and robots ---------------------------------------------------

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
# The pages that always exist, and the kinds that have a page per item.
LISTED = (
    "index",
    "about",
    "gleaning",
    "news",
    "events",
    "partners",
    "toolbox",
    "factsheets",
    "roadmap",
    "jobs",
    "contact",
)
DETAILS = {
    "news": "news_item",
    "event": "event",
    "factsheet": "factsheet",
    "job": "job",
}


def public_urls() -> list[tuple[str, dict[str, Any], datetime | None]]:
    """(endpoint, URL values, last change) of every public page."""
    pages: list[tuple[str, dict[str, Any], datetime | None]] = [
        (name, {}, None) for name in LISTED
    ]
    try:
        site_url("newsletter_form", "fr")
        pages.append(("newsletter_form", {}, None))
    except BuildError:
        pass
    rows = db().scalars(
        select(ContentItem)
        .where(ContentItem.kind.in_(DETAILS), ContentItem.status == "published")
        .order_by(ContentItem.kind, ContentItem.id)
    )
    pages += [(DETAILS[r.kind], {"slug": r.slug}, r.updated_at) for r in rows]
    return pages


@bp.get("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    if request.blueprint == ENGLISH:
        abort(404)  # one sitemap for the site; it lists both languages
    ET.register_namespace("", SITEMAP_NS)
    ET.register_namespace("xhtml", XHTML_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for endpoint, values, changed in public_urls():
        twins = {
            code: absolute(site_url(endpoint, code, **values)) for code in LANGUAGES
        }
        for code in LANGUAGES:
            entry = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
            ET.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = twins[code]
            if changed:
                ET.SubElement(
                    entry, f"{{{SITEMAP_NS}}}lastmod"
                ).text = changed.date().isoformat()
            for other, href in [*twins.items(), ("x-default", twins["fr"])]:
                ET.SubElement(
                    entry,
                    f"{{{XHTML_NS}}}link",
                    rel="alternate",
                    hreflang=other,
                    href=href,
                )
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/xml")


# Never indexed: coordination, the API, personal links, Twilio's webhooks.
PRIVATE_PATHS = ("/panel", "/api", "/r/", "/f/", "/sms")


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    if request.blueprint == ENGLISH:
        abort(404)  # robots only look at the root
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE_PATHS)]
    lines += ["Allow: /", "", f"Sitemap: {absolute(url_for('site.sitemap'))}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


# ---- Not found ------------------------------------------------------------


@bp.app_errorhandler(404)
def not_found(error: HTTPException) -> ResponseReturnValue:
    """A page of the site that does not exist, in the language of its address.

    Addresses that belong to the panel, the API and the personal links keep
    the plain answer they always had.
    """
    public = request.blueprint in ("site", ENGLISH) or (
        request.blueprint is None
        and not request.path.startswith((*PRIVATE_PATHS, "/static"))
    )
    if not public:
        # A personal link with something added or cut ("/r/<token>/"): the
        # same kind page as a link that names nothing.
        if request.path.startswith("/r/"):
            return render_template("claim/invalid.html", reason="invalid"), 404
        if request.path.startswith("/f/"):
            return render_template("farmer/invalid.html"), 404
        return error
    english = request.blueprint == ENGLISH or request.path.startswith("/en/")
    language = "en" if english else "fr"
    # Outside the blueprint nothing has picked the language from the address.
    with force_locale(language):
        return show(
            "site/404.html",
            _("Page not found"),
            status=404,
            noindex=True,
            endpoint="index",
            values={},
            language=language,
        )


# ---- Visits ---------------------------------------------------------------

# Pages, feeds and calendars are counted; sitemaps, robots.txt and errors not.
COUNTED = frozenset({"text/html", "application/atom+xml", "text/calendar"})
ROBOTS = re.compile(
    r"bot|crawl|spider|slurp|scrap|headless|lighthouse|preview|monitor|curl|wget|"
    r"python|httpx|go-http|java/|okhttp|facebookexternalhit",
    re.IGNORECASE,
)


def is_robot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(ROBOTS.search(user_agent))


def counted_path() -> str:
    """The path a view is counted under.

    Personal links (a survey, a newsletter confirmation) are counted under
    their pattern, "/sondage/<token>", never under the token itself.
    """
    if request.url_rule is not None and "token" in (request.view_args or {}):
        return request.url_rule.rule
    return request.path


@bp.after_request
def count_visit(response: Response) -> Response:
    """One more view of this path today, for people's visits only.

    Nothing about the visitor is read beyond the User-Agent's "I am a robot",
    and nothing about them is kept. A failure to count never breaks the page.
    """
    if (
        request.method != "GET"
        or response.status_code != 200
        or response.mimetype not in COUNTED
        or is_robot(request.headers.get("User-Agent", ""))
    ):
        return response
    session = db()
    try:
        # On SQLite the page's own read transaction holds the write lock:
        # end it, then count in the same session.
        session.commit()
        visits.count(session, counted_path(), now().date())
        session.commit()
    except Exception:
        session.rollback()
        log.exception("site.visit_not_counted path=%s", request.path)
    return response
