"""The figures the network reports: kilos offered, claimed and collected, how
fast offers find a taker, messages and their delivery, who took part.

Pure SQLAlchemy and Python, no web framework: the panel and the API share it.
Every query filters on a UTC date range and fetches plain rows; weeks, MRCs and
medians are worked out here in Python, so the same code runs on SQLite and on
PostgreSQL without dialect-specific date functions.

How things are counted (the panel says so in words):

- A surplus belongs to the range when it was *announced* in it. Its claims and
  what was collected are counted with it, in the week it was announced, even
  when the claim or the pickup came later. So a week's claim rate is "of what
  was offered that week, how much found a taker", and never exceeds 100 %.
- Claims cancelled by the coordinator (status "cancelled") are not claims.
- Collected kilos are those of claims whose outcome was recorded "collected".
- Active farms announced in the range; active organizations claimed in it
  (by the claim's own date).
- Messages are counted by the date they were created. An SMS counts as
  delivered on a delivery report ("delivered", or "read"); an email when the
  mail server accepted it ("sent"). The rate's denominator is every outgoing
  message that was handed to the provider: sent, delivered, read, failed or
  undelivered. Queued ones have not been tried yet and are left out.
- Newsletter: subscribers active at the end of the range; the issues sent in
  it, with their unique opens (a click counts as an open) and clicks, whenever
  readers opened them.
- Satisfaction: the surveys sent in the range, by kind, with their answers so
  far (response rate, average score from 1 to 5).
- Site visits: page views of the public site, counted per path and day with
  nothing about who viewed (shared.visits), by week and by page.
"""

from __future__ import annotations

import csv
import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared import surveys, visits
from shared.models import (
    Claim,
    Farm,
    Message,
    NewsletterDelivery,
    NewsletterIssue,
    Organization,
    Subscriber,
    Surplus,
)
from shared.surveys import KindSummary as Satisfaction

DATA = Path(__file__).parent / "data"

DEFAULT_WEEKS = 12
# Longest range shown at once: two years of weekly rows is already a long page.
MAX_DAYS = 2 * 366
CHANNELS = ("sms", "email")
# Outgoing statuses: handed to the provider (the delivery rate's denominator).
ATTEMPTED = frozenset({"sent", "delivered", "read", "failed", "undelivered"})
FAILED = frozenset({"failed", "undelivered"})
DELIVERED = {
    "sms": frozenset({"delivered", "read"}),
    # SMTP has no delivery report: accepted by the server is as far as we see.
    "email": frozenset({"sent", "delivered", "read"}),
}
CANCELLED_CLAIM = "cancelled"
UNKNOWN_MRC = ""

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


# ---- The date range -------------------------------------------------------


def monday(day: date) -> date:
    """The Monday that starts day's ISO week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Period:
    """Whole local days, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[first instant, first instant after) in local time, as aware datetimes."""
        lower = datetime.combine(self.start, time(0), tz)
        upper = datetime.combine(self.end + timedelta(days=1), time(0), tz)
        return lower, upper

    def weeks(self) -> list[date]:
        """The Mondays of every week the period touches, in order."""
        first, last = monday(self.start), monday(self.end)
        return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def default_period(today: date, weeks: int = DEFAULT_WEEKS) -> Period:
    """The current week and the weeks before it, `weeks` in all, up to today."""
    return Period(monday(today) - timedelta(weeks=weeks - 1), today)


def parse_day(raw: str | None) -> date | None:
    """YYYY-MM-DD, or None when it is not a real date in that form."""
    text = (raw or "").strip()
    if not _ISO_DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class PeriodChoice:
    period: Period
    # What was wrong with what was asked, for the caller to put in words:
    # "bad_start", "bad_end", "reversed", "too_long".
    problems: tuple[str, ...] = ()


def choose_period(start: str | None, end: str | None, today: date) -> PeriodChoice:
    """The range asked for; the default range (and why) when it cannot be used.

    Empty values are not problems: a missing end is today, a missing start is
    the default number of weeks before the end. A range longer than MAX_DAYS
    keeps its end and is shortened.
    """
    start_text, end_text = (start or "").strip(), (end or "").strip()
    problems = []
    first = parse_day(start_text)
    last = parse_day(end_text)
    if start_text and first is None:
        problems.append("bad_start")
    if end_text and last is None:
        problems.append("bad_end")
    if problems:
        return PeriodChoice(default_period(today), tuple(problems))
    if last is None:
        last = today if first is None or first <= today else first
    if first is None:
        first = default_period(last).start
    if first > last:
        return PeriodChoice(default_period(today), ("reversed",))
    if (last - first).days + 1 > MAX_DAYS:
        return PeriodChoice(
            Period(last - timedelta(days=MAX_DAYS - 1), last), ("too_long",)
        )
    return PeriodChoice(Period(first, last))


# ---- MRC of a municipality ------------------------------------------------


def _town_key(name: str) -> str:
    """Saint-Lin–Laurentides, saint lin laurentides, ST-LIN-LAURENTIDES: one key."""
    bare = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(c for c in bare if not unicodedata.combining(c))
    bare = re.sub(
        r"\bste?\b", lambda m: "sainte" if m.group() == "ste" else "saint", bare
    )
    return re.sub(r"[^a-z0-9]+", "", bare)


@cache
def _mrc_index() -> dict[str, str]:
    with (DATA / "lanaudiere_municipalities.csv").open(encoding="utf-8") as f:
        return {_town_key(row["name"]): row["mrc"] for row in csv.DictReader(f)}


def mrc_of(municipality: str) -> str:
    """The MRC of a Lanaudière municipality; "" when the name is not known."""
    return _mrc_index().get(_town_key(municipality), UNKNOWN_MRC)


def mrcs() -> list[str]:
    """Every MRC of the region, sorted."""
    return sorted(set(_mrc_index().values()))


# ---- The figures ----------------------------------------------------------


@dataclass
class Kilos:
    offered: float = 0.0
    claimed: float = 0.0
    collected: float = 0.0
    surpluses: int = 0

    @property
    def claim_rate(self) -> float | None:
        """kg claimed / kg offered; None when nothing was offered."""
        return self.claimed / self.offered if self.offered > 0 else None

    def rounded(self) -> Kilos:
        return Kilos(
            round(self.offered, 2),
            round(self.claimed, 2),
            round(self.collected, 2),
            self.surpluses,
        )


@dataclass(frozen=True)
class Week:
    start: date  # the Monday
    kg: Kilos
    messages_in: int = 0
    messages_out: int = 0

    @property
    def iso(self) -> tuple[int, int]:
        """(ISO year, ISO week number)."""
        year, week, _day = self.start.isocalendar()
        return year, week


@dataclass(frozen=True)
class Group:
    """One MRC or one crop."""

    key: str
    kg: Kilos
    category: str = ""  # crops only


@dataclass
class ChannelFigures:
    channel: str
    received: int = 0  # in
    sent: int = 0  # out, whatever their status
    delivered: int = 0
    failed: int = 0
    attempted: int = 0  # handed to the provider (sent, delivered, failed...)
    waiting: int = 0  # out, not delivered nor failed: queued, or no report yet

    @property
    def delivery_rate(self) -> float | None:
        return self.delivered / self.attempted if self.attempted else None


@dataclass(frozen=True)
class People:
    active_farms: int
    total_farms: int
    active_organizations: int
    total_organizations: int  # active in the directory


@dataclass(frozen=True)
class Newsletter:
    """The newsletter in the period.

    Subscribers are counted at the end of the period: confirmed by then and not
    unsubscribed by then. Opens and clicks are those of the issues sent in the
    period, whenever they happened; an open is unique per delivery (a click
    counts as an open, since many mail clients block the pixel).
    """

    active_subscribers: int = 0
    new_subscribers: int = 0  # confirmed in the period
    unsubscribed: int = 0  # left in the period
    issues_sent: int = 0
    deliveries: int = 0
    unique_opens: int = 0
    clicks: int = 0

    @property
    def open_rate(self) -> float | None:
        return self.unique_opens / self.deliveries if self.deliveries else None


@dataclass(frozen=True)
class Visits:
    """Views of the public site's pages in the period."""

    total: int = 0
    by_week: list[tuple[date, int]] = field(default_factory=list)  # every Monday
    pages: list[tuple[str, int]] = field(default_factory=list)  # most viewed first


@dataclass(frozen=True)
class Figures:
    period: Period
    totals: Kilos
    weeks: list[Week]
    by_mrc: list[Group]
    by_crop: list[Group]
    messages: list[ChannelFigures]
    people: People
    # Surpluses announced in the range that got at least one claim.
    surpluses_claimed: int = 0
    median_first_claim: timedelta | None = None
    # Claimed kg whose pickup outcome is not recorded yet, and no-shows.
    pending_kg: float = 0.0
    no_show_kg: float = 0.0
    newsletter: Newsletter = field(default_factory=Newsletter)
    satisfaction: list[Satisfaction] = field(default_factory=list)
    visits: Visits = field(default_factory=Visits)

    @property
    def messages_in(self) -> int:
        return sum(c.received for c in self.messages)

    @property
    def messages_out(self) -> int:
        return sum(c.sent for c in self.messages)


def _local_monday(moment: datetime, tz: tzinfo) -> date:
    return monday(moment.astimezone(tz).date())


def compute(session: Session, period: Period, tz: tzinfo) -> Figures:
    """Every figure for the period, days and weeks taken in time zone tz."""
    lower, upper = period.utc_bounds(tz)

    surpluses = session.execute(
        select(
            Surplus.id,
            Surplus.created_at,
            Surplus.crop,
            Surplus.category,
            Surplus.quantity_kg,
            Surplus.farm_id,
            Farm.municipality,
        )
        .join(Farm, Farm.id == Surplus.farm_id)
        .where(Surplus.created_at >= lower, Surplus.created_at < upper)
    ).all()
    claims = session.execute(
        select(
            Claim.surplus_id,
            Claim.quantity_kg,
            Claim.outcome,
            Claim.collected_kg,
            Claim.created_at,
        )
        .join(Surplus, Surplus.id == Claim.surplus_id)
        .where(
            Surplus.created_at >= lower,
            Surplus.created_at < upper,
            Claim.status != CANCELLED_CLAIM,
        )
    ).all()

    weeks = {start: Kilos() for start in period.weeks()}
    by_mrc: dict[str, Kilos] = {}
    by_crop: dict[str, Kilos] = {}
    crop_category: dict[str, str] = {}
    totals = Kilos()
    # Where each surplus's claims go: its week, its MRC, its crop.
    buckets: dict[int, tuple[Kilos, ...]] = {}
    announced_at: dict[int, datetime] = {}
    for row in surpluses:
        mrc = mrc_of(row.municipality)
        crop_category.setdefault(row.crop, row.category)
        tallies = (
            totals,
            weeks.setdefault(_local_monday(row.created_at, tz), Kilos()),
            by_mrc.setdefault(mrc, Kilos()),
            by_crop.setdefault(row.crop, Kilos()),
        )
        for tally in tallies:
            tally.offered += row.quantity_kg
            tally.surpluses += 1
        buckets[row.id] = tallies
        announced_at[row.id] = row.created_at

    first_claim: dict[int, datetime] = {}
    pending = no_show = 0.0
    for claim in claims:
        collected = (claim.collected_kg or 0.0) if claim.outcome == "collected" else 0.0
        for tally in buckets[claim.surplus_id]:
            tally.claimed += claim.quantity_kg
            tally.collected += collected
        if claim.outcome == "pending":
            pending += claim.quantity_kg
        elif claim.outcome == "no_show":
            no_show += claim.quantity_kg
        seen = first_claim.get(claim.surplus_id)
        if seen is None or claim.created_at < seen:
            first_claim[claim.surplus_id] = claim.created_at

    waits = [
        (first_claim[sid] - announced_at[sid]).total_seconds() for sid in first_claim
    ]
    median = timedelta(seconds=statistics.median(waits)) if waits else None

    channels, messages_by_week = _messages(session, lower, upper, tz)
    return Figures(
        period=period,
        totals=totals.rounded(),
        weeks=[
            Week(
                start,
                kg.rounded(),
                messages_by_week.get((start, "in"), 0),
                messages_by_week.get((start, "out"), 0),
            )
            for start, kg in sorted(weeks.items())
        ],
        by_mrc=_groups(by_mrc),
        by_crop=_groups(by_crop, crop_category),
        messages=channels,
        people=_people(session, lower, upper, {row.farm_id for row in surpluses}),
        surpluses_claimed=len(first_claim),
        median_first_claim=median,
        pending_kg=round(pending, 2),
        no_show_kg=round(no_show, 2),
        newsletter=_newsletter(session, lower, upper),
        satisfaction=surveys.summary(session, lower, upper),
        visits=_visits(session, period),
    )


def _groups(
    tallies: dict[str, Kilos], categories: dict[str, str] | None = None
) -> list[Group]:
    """Most kilos offered first; unknown MRC last; ties by name."""
    ordered = sorted(
        tallies.items(), key=lambda kv: (kv[0] == UNKNOWN_MRC, -kv[1].offered, kv[0])
    )
    return [
        Group(key, kg.rounded(), (categories or {}).get(key, "")) for key, kg in ordered
    ]


def _messages(
    session: Session, lower: datetime, upper: datetime, tz: tzinfo
) -> tuple[list[ChannelFigures], dict[tuple[date, str], int]]:
    rows = session.execute(
        select(
            Message.direction, Message.channel, Message.status, Message.created_at
        ).where(Message.created_at >= lower, Message.created_at < upper)
    ).all()
    channels = {name: ChannelFigures(name) for name in CHANNELS}
    by_week: dict[tuple[date, str], int] = {}
    for row in rows:
        key = (_local_monday(row.created_at, tz), row.direction)
        by_week[key] = by_week.get(key, 0) + 1
        figures = channels.setdefault(row.channel, ChannelFigures(row.channel))
        if row.direction == "in":
            figures.received += 1
            continue
        figures.sent += 1
        if row.status in ATTEMPTED:
            figures.attempted += 1
        if row.status in DELIVERED.get(row.channel, DELIVERED["sms"]):
            figures.delivered += 1
        elif row.status in FAILED:
            figures.failed += 1
        else:
            figures.waiting += 1
    return list(channels.values()), by_week


def _people(
    session: Session, lower: datetime, upper: datetime, farm_ids: set[int]
) -> People:
    active_organizations = session.scalar(
        select(func.count(func.distinct(Claim.organization_id))).where(
            Claim.created_at >= lower,
            Claim.created_at < upper,
            Claim.status != CANCELLED_CLAIM,
        )
    )
    return People(
        active_farms=len(farm_ids),
        total_farms=session.scalar(select(func.count(Farm.id))) or 0,
        active_organizations=active_organizations or 0,
        total_organizations=session.scalar(
            select(func.count(Organization.id)).where(Organization.active)
        )
        or 0,
    )


def _newsletter(session: Session, lower: datetime, upper: datetime) -> Newsletter:
    subscribers = session.execute(
        select(Subscriber.confirmed_at, Subscriber.unsubscribed_at).where(
            Subscriber.confirmed_at.is_not(None)
        )
    ).all()
    active = sum(
        1
        for row in subscribers
        if row.confirmed_at < upper
        and (row.unsubscribed_at is None or row.unsubscribed_at >= upper)
    )
    new = sum(1 for row in subscribers if lower <= row.confirmed_at < upper)
    left = session.scalar(
        select(func.count(Subscriber.id)).where(
            Subscriber.unsubscribed_at >= lower, Subscriber.unsubscribed_at < upper
        )
    )
    issues = list(
        session.scalars(
            select(NewsletterIssue.id).where(
                NewsletterIssue.sent_at >= lower, NewsletterIssue.sent_at < upper
            )
        )
    )
    deliveries, opened, clicks = session.execute(
        select(
            func.count(NewsletterDelivery.id),
            func.count(NewsletterDelivery.opened_at),
            func.coalesce(func.sum(NewsletterDelivery.clicks), 0),
        ).where(NewsletterDelivery.issue_id.in_(issues))
    ).one()
    return Newsletter(
        active_subscribers=active,
        new_subscribers=new,
        unsubscribed=left or 0,
        issues_sent=len(issues),
        deliveries=deliveries,
        unique_opens=opened,
        clicks=int(clicks),
    )


def _visits(session: Session, period: Period) -> Visits:
    weeks = dict.fromkeys(period.weeks(), 0)
    for day, views in visits.views_by_day(session, period.start, period.end):
        weeks[monday(day)] += views
    return Visits(
        total=sum(weeks.values()),
        by_week=sorted(weeks.items()),
        pages=visits.views_by_path(session, period.start, period.end),
    )


# ---- Tables for export ----------------------------------------------------

TABLES = (
    "weekly",
    "mrc",
    "crop",
    "messages",
    "newsletter",
    "satisfaction",
    "visits",
    "pages",
)


def _num(value: float | None, places: int = 2) -> str:
    """Plain machine-readable numbers: 300, 12.5, 0.3333; empty for "none"."""
    if value is None:
        return ""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _kg_cells(kg: Kilos) -> list[str]:
    return [
        str(kg.surpluses),
        _num(kg.offered),
        _num(kg.claimed),
        _num(kg.collected),
        _num(kg.claim_rate, 4),
    ]


KG_HEADER = ["surpluses", "offered_kg", "claimed_kg", "collected_kg", "claim_rate"]


def table(figures: Figures, name: str) -> list[list[str]]:
    """One table as rows of text cells, the header row first."""
    if name == "weekly":
        rows = [["week_start", "iso_week", *KG_HEADER, "messages_in", "messages_out"]]
        for week in figures.weeks:
            year, number = week.iso
            rows.append(
                [
                    week.start.isoformat(),
                    f"{year}-W{number:02d}",
                    *_kg_cells(week.kg),
                    str(week.messages_in),
                    str(week.messages_out),
                ]
            )
        return rows
    if name == "mrc":
        return [["mrc", *KG_HEADER]] + [
            [group.key, *_kg_cells(group.kg)] for group in figures.by_mrc
        ]
    if name == "crop":
        return [["crop", "category", *KG_HEADER]] + [
            [group.key, group.category, *_kg_cells(group.kg)]
            for group in figures.by_crop
        ]
    if name == "messages":
        header = [
            "channel",
            "in",
            "out",
            "delivered",
            "failed",
            "waiting",
            "attempted",
            "delivery_rate",
        ]
        return [header] + [
            [
                c.channel,
                str(c.received),
                str(c.sent),
                str(c.delivered),
                str(c.failed),
                str(c.waiting),
                str(c.attempted),
                _num(c.delivery_rate, 4),
            ]
            for c in figures.messages
        ]
    if name == "newsletter":
        n = figures.newsletter
        return [
            [
                "active_subscribers",
                "new_subscribers",
                "unsubscribed",
                "issues_sent",
                "deliveries",
                "unique_opens",
                "open_rate",
                "clicks",
            ],
            [
                str(n.active_subscribers),
                str(n.new_subscribers),
                str(n.unsubscribed),
                str(n.issues_sent),
                str(n.deliveries),
                str(n.unique_opens),
                _num(n.open_rate, 4),
                str(n.clicks),
            ],
        ]
    if name == "satisfaction":
        return [["survey", "sent", "answered", "response_rate", "average_score"]] + [
            [
                s.kind,
                str(s.sent),
                str(s.answered),
                _num(s.response_rate, 4),
                _num(s.average),
            ]
            for s in figures.satisfaction
        ]
    if name == "visits":
        return [["week_start", "views"]] + [
            [start.isoformat(), str(views)] for start, views in figures.visits.by_week
        ]
    if name == "pages":
        return [["path", "views"]] + [
            [path, str(views)] for path, views in figures.visits.pages
        ]
    raise KeyError(name)
