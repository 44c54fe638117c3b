"""The figures, to the kilo: weeks in local time, MRCs, crops, the claim rate,
the median time to a first claim, messages and their delivery, who took part.

One story is built with the real announce and claim paths and checked on the
seeded SQLite database, and on PostgreSQL when one is reachable (the same
queries must give the same numbers on both)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shared import claims, config
from shared import figures as fig
from shared.db import make_engine, make_session_factory, transaction
from shared.models import Claim, Farm, Message, Organization, Surplus
from shared.runtime import Runtime
from tests.conftest import announce_kg

# PostgreSQL comes from the production suite's fixtures: they skip (or fail
# under CI=true) when no server is reachable.
from tests.production.conftest import pg_template, pg_url  # noqa: F401

TZ = ZoneInfo("America/Toronto")
# Three whole ISO weeks: Monday 31 August to Sunday 20 September 2026.
PERIOD = fig.Period(date(2026, 8, 31), date(2026, 9, 20))


def local(day: str, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), TZ).replace(
        hour=hh, minute=mm
    )


def farm(session: Session, name: str) -> Farm:
    found = session.scalar(select(Farm).where(Farm.name == name))
    assert found is not None, name
    return found


def org(session: Session, index: int) -> Organization:
    return session.scalars(select(Organization).order_by(Organization.id)).all()[index]


def surplus(
    session: Session, farm_name: str, crop: str, kg: float, at: datetime
) -> Surplus:
    owner = farm(session, farm_name)
    made = announce_kg(session, owner, kg, at.date() + timedelta(days=5), crop=crop)
    made.created_at = at
    session.flush()
    return made


def take(
    session: Session,
    made: Surplus,
    who: Organization,
    kg: float,
    at: datetime,
    outcome: str = "pending",
    collected: float | None = None,
) -> Claim:
    result = claims.claim(session, made.id, who, kg, via="sms")
    assert result.claim is not None
    result.claim.created_at = at
    result.claim.outcome = outcome
    result.claim.collected_kg = collected
    session.flush()
    return result.claim


def message(
    session: Session, direction: str, channel: str, status: str, at: datetime
) -> None:
    session.add(
        Message(
            direction=direction,
            channel=channel,
            to_addr="+14505550100",
            from_addr="+14505550199",
            body="…",
            status=status,
            created_at=at,
        )
    )


def build_story(session: Session) -> None:
    """Saint-Jacques is in Montcalm, Sainte-Élisabeth in D'Autray, Saint-Paul in
    Joliette."""
    a, b, c, d = (org(session, i) for i in range(4))

    # Before the range: not counted, though its claim (inside the range)
    # makes organization d active.
    before = surplus(session, "Ferme Beaulieu", "courge", 1000, local("2026-08-30", 23))
    take(session, before, d, 100, local("2026-09-01", 9))

    # Week of 31 August: 600 kg offered, all claimed, 280 collected.
    squash = surplus(session, "Ferme Beaulieu", "courge", 500, local("2026-08-31", 9))
    take(session, squash, a, 200, local("2026-08-31", 9, 30), "collected", 180)
    take(session, squash, b, 300, local("2026-08-31", 11), "no_show")
    # Sunday 23:30 in Quebec is Monday 03:30 UTC: still the week of 31 August.
    tomatoes = surplus(
        session, "Les Jardins Ducharme", "tomate", 100, local("2026-09-06", 23, 30)
    )
    take(session, tomatoes, a, 100, local("2026-09-07", 1, 30), "collected", 100)

    # Week of 14 September: 250 kg offered, 50 claimed (a cancelled claim
    # does not count), nothing collected yet.
    unclaimed = surplus(
        session, "Maraîcher Gagnon", "courge", 200, local("2026-09-15", 10)
    )
    cancelled = take(session, unclaimed, b, 40, local("2026-09-15", 10, 5))
    cancelled.status = "cancelled"
    cancelled.quantity_kg = 0
    unclaimed.remaining_kg = 200
    apples = surplus(session, "Ferme Beaulieu", "pomme", 50, local("2026-09-16", 8))
    take(session, apples, c, 50, local("2026-09-16", 12))

    # After the range (Monday 21 September, 00:30 local): not counted.
    surplus(session, "Ferme Coutu", "carotte", 80, local("2026-09-21", 0, 30))

    # Messages: SMS out 3 delivered, 1 sent without report, 1 failed,
    # 1 undelivered, 1 queued; SMS in 2; email out 3 sent and 1 failed.
    for status in ("delivered", "delivered", "delivered", "sent", "failed"):
        message(session, "out", "sms", status, local("2026-09-01", 10))
    message(session, "out", "sms", "undelivered", local("2026-09-15", 10))
    message(session, "out", "sms", "queued", local("2026-09-20", 23, 59))
    message(session, "in", "sms", "received", local("2026-09-01", 9))
    message(session, "in", "sms", "received", local("2026-09-16", 9))
    for status in ("sent", "sent", "sent", "failed"):
        message(session, "out", "email", status, local("2026-09-08", 10))
    message(session, "out", "sms", "delivered", local("2026-09-21", 1))  # after
    message(session, "in", "sms", "received", local("2026-08-30", 22))  # before


def check_story(session: Session) -> None:
    figures = fig.compute(session, PERIOD, TZ)

    assert figures.totals == fig.Kilos(850, 650, 280, 4)
    assert figures.totals.claim_rate == pytest.approx(650 / 850)
    assert figures.pending_kg == 50
    assert figures.no_show_kg == 300

    weeks = [(w.start, w.kg) for w in figures.weeks]
    assert weeks == [
        (date(2026, 8, 31), fig.Kilos(600, 600, 280, 2)),
        (date(2026, 9, 7), fig.Kilos(0, 0, 0, 0)),
        (date(2026, 9, 14), fig.Kilos(250, 50, 0, 2)),
    ]
    assert [w.iso for w in figures.weeks] == [(2026, 36), (2026, 37), (2026, 38)]
    assert figures.weeks[0].kg.claim_rate == 1
    assert figures.weeks[1].kg.claim_rate is None
    assert figures.weeks[2].kg.claim_rate == pytest.approx(0.2)
    assert [(w.messages_in, w.messages_out) for w in figures.weeks] == [
        (1, 5),
        (0, 4),
        (1, 2),
    ]

    assert [(g.key, g.kg) for g in figures.by_mrc] == [
        ("Montcalm", fig.Kilos(550, 550, 180, 2)),
        ("Joliette", fig.Kilos(200, 0, 0, 1)),
        ("D'Autray", fig.Kilos(100, 100, 100, 1)),
    ]
    assert [(g.key, g.category, g.kg) for g in figures.by_crop] == [
        ("courge", "legume", fig.Kilos(700, 500, 180, 2)),
        ("tomate", "legume", fig.Kilos(100, 100, 100, 1)),
        ("pomme", "fruit", fig.Kilos(50, 50, 0, 1)),
    ]

    # First claims: 30 min, 2 h, 4 h; the cancelled claim is not one.
    assert figures.surpluses_claimed == 3
    assert figures.median_first_claim == timedelta(hours=2)

    sms, email = figures.messages
    assert (sms.channel, sms.received, sms.sent) == ("sms", 2, 7)
    assert (sms.delivered, sms.failed, sms.waiting, sms.attempted) == (3, 2, 2, 6)
    assert sms.delivery_rate == 0.5
    assert (email.channel, email.received, email.sent) == ("email", 0, 4)
    assert (email.delivered, email.failed, email.attempted) == (3, 1, 4)
    assert email.delivery_rate == 0.75
    assert (figures.messages_in, figures.messages_out) == (2, 11)

    active_orgs = session.scalar(
        select(func.count(Organization.id)).where(Organization.active)
    )
    assert active_orgs
    assert figures.people == fig.People(
        active_farms=3,
        total_farms=12,
        active_organizations=4,
        total_organizations=active_orgs,
    )

    assert fig.table(figures, "weekly") == [
        [
            "week_start",
            "iso_week",
            "surpluses",
            "offered_kg",
            "claimed_kg",
            "collected_kg",
            "claim_rate",
            "messages_in",
            "messages_out",
        ],
        ["2026-08-31", "2026-W36", "2", "600", "600", "280", "1", "1", "5"],
        ["2026-09-07", "2026-W37", "0", "0", "0", "0", "", "0", "4"],
        ["2026-09-14", "2026-W38", "2", "250", "50", "0", "0.2", "1", "2"],
    ]
    assert fig.table(figures, "mrc")[1] == [
        "Montcalm",
        "2",
        "550",
        "550",
        "180",
        "1",
    ]
    assert fig.table(figures, "crop")[3] == [
        "pomme",
        "fruit",
        "1",
        "50",
        "50",
        "0",
        "1",
    ]
    assert fig.table(figures, "messages")[1:] == [
        ["sms", "2", "7", "3", "2", "2", "6", "0.5"],
        ["email", "0", "4", "3", "1", "0", "4", "0.75"],
    ]


def test_the_story_on_sqlite(runtime: Runtime) -> None:
    assert runtime.settings.tz == TZ
    with transaction(runtime.sessions) as session:
        build_story(session)
    with runtime.sessions() as session:
        check_story(session)


@pytest.fixture
def pg_sessions(pg_url: str) -> Iterator[sessionmaker[Session]]:  # noqa: F811
    engine = make_engine(pg_url)
    yield make_session_factory(engine)
    engine.dispose()


def test_the_story_on_postgresql(pg_sessions: sessionmaker[Session]) -> None:
    with transaction(pg_sessions) as session:
        build_story(session)
    with pg_sessions() as session:
        check_story(session)


def test_a_period_with_nothing_has_zeros_not_errors(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        figures = fig.compute(
            session, fig.Period(date(2020, 1, 1), date(2020, 1, 7)), TZ
        )
    assert figures.totals == fig.Kilos()
    assert figures.totals.claim_rate is None
    assert figures.median_first_claim is None
    assert [w.start for w in figures.weeks] == [date(2019, 12, 30), date(2020, 1, 6)]
    assert figures.by_mrc == figures.by_crop == []
    assert [c.delivery_rate for c in figures.messages] == [None, None]
    assert figures.people.active_farms == figures.people.active_organizations == 0


def test_a_farm_outside_the_known_towns_is_grouped_apart(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        outside = farm(session, "Ferme Coutu")
        outside.municipality = "Mirabel"
        surplus(session, "Ferme Coutu", "carotte", 80, local("2026-09-01", 8))
        surplus(session, "Ferme Beaulieu", "carotte", 20, local("2026-09-01", 8))
    with runtime.sessions() as session:
        figures = fig.compute(session, PERIOD, TZ)
    # Known MRCs first, even with fewer kilos; the unknown one last.
    assert [(g.key, g.kg.offered) for g in figures.by_mrc] == [
        ("Montcalm", 20),
        (fig.UNKNOWN_MRC, 80),
    ]


@pytest.mark.parametrize(
    ("town", "mrc"),
    [
        ("Saint-Jacques", "Montcalm"),
        ("st-jacques", "Montcalm"),
        ("SAINT LIN LAURENTIDES", "Montcalm"),  # the CSV writes Saint-Lin–Laurentides
        ("Sainte-Élisabeth", "D'Autray"),
        ("ste-elisabeth", "D'Autray"),
        ("L'Épiphanie", "L'Assomption"),
        ("Terrebonne", "Les Moulins"),
        ("Chertsey", "Matawinie"),
        ("Saint-Paul", "Joliette"),
        ("Montréal", ""),
        ("", ""),
    ],
)
def test_mrc_of_a_municipality(town: str, mrc: str) -> None:
    assert fig.mrc_of(town) == mrc


def test_every_seeded_farm_and_organization_town_has_an_mrc(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        towns = set(session.scalars(select(Farm.municipality))) | set(
            session.scalars(select(Organization.municipality))
        )
    assert {town for town in towns if not fig.mrc_of(town)} == set()
    assert fig.mrcs() == sorted(
        ["D'Autray", "Joliette", "L'Assomption", "Les Moulins", "Matawinie", "Montcalm"]
    )


TODAY = date(2026, 9, 16)  # a Wednesday


@pytest.mark.parametrize(
    ("start", "end", "period", "problems"),
    [
        # Default: this week and the 11 before it, up to today.
        (None, None, (date(2026, 6, 29), TODAY), ()),
        ("", "", (date(2026, 6, 29), TODAY), ()),
        ("2026-09-01", "2026-09-10", (date(2026, 9, 1), date(2026, 9, 10)), ()),
        (" 2026-09-01 ", None, (date(2026, 9, 1), TODAY), ()),
        (None, "2026-08-31", (date(2026, 6, 15), date(2026, 8, 31)), ()),
        ("2026-10-01", None, (date(2026, 10, 1), date(2026, 10, 1)), ()),
        ("2026-13-01", "2026-09-10", (date(2026, 6, 29), TODAY), ("bad_start",)),
        ("2026-09-01", "tomorrow", (date(2026, 6, 29), TODAY), ("bad_end",)),
        (
            "20260901",
            "2026-02-30",
            (date(2026, 6, 29), TODAY),
            ("bad_start", "bad_end"),
        ),
        ("2026-09-10", "2026-09-01", (date(2026, 6, 29), TODAY), ("reversed",)),
        (
            "1999-01-01",
            "2026-09-10",
            (date(2024, 9, 9), date(2026, 9, 10)),
            ("too_long",),
        ),
    ],
)
def test_choosing_the_period(
    start: str | None,
    end: str | None,
    period: tuple[date, date],
    problems: tuple[str, ...],
) -> None:
    choice = fig.choose_period(start, end, TODAY)
    assert (choice.period.start, choice.period.end) == period
    assert choice.problems == problems
    assert choice.period.days <= fig.MAX_DAYS


def test_period_bounds_follow_the_local_day() -> None:
    lower, upper = fig.Period(date(2026, 9, 14), date(2026, 9, 20)).utc_bounds(TZ)
    assert lower.isoformat() == "2026-09-14T00:00:00-04:00"
    assert upper.isoformat() == "2026-09-21T00:00:00-04:00"
    assert fig.default_period(date(2026, 9, 14)).weeks()[0] == date(2026, 6, 29)
    assert len(fig.default_period(date(2026, 9, 20)).weeks()) == 12


def test_settings_time_zone_is_the_default() -> None:
    assert config.Settings().tz == TZ
