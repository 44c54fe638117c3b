"""Visits are a path, a day and a number: nothing else is kept."""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect, select

from shared import visits
from shared.models import PageView
from shared.runtime import Runtime

MONDAY = date(2026, 9, 14)
TUESDAY = date(2026, 9, 15)
THURSDAY = date(2026, 9, 17)


def test_the_first_view_creates_the_row_and_the_next_ones_add_up(
    runtime: Runtime,
) -> None:
    with runtime.sessions() as session:
        for _ in range(3):
            visits.count(session, "/", MONDAY)
        visits.count(session, "/", TUESDAY)
        visits.count(session, "/partenaires", MONDAY)
        session.commit()

        rows = {(v.path, v.day): v.views for v in session.scalars(select(PageView))}
    assert rows == {("/", MONDAY): 3, ("/", TUESDAY): 1, ("/partenaires", MONDAY): 1}


def test_only_a_path_a_day_and_a_count_are_stored() -> None:
    columns = {c.key for c in inspect(PageView).columns}
    assert columns == {"id", "path", "day", "views"}


def test_views_by_day_fills_the_quiet_days(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        visits.count(session, "/", MONDAY)
        visits.count(session, "/fiches", MONDAY)
        visits.count(session, "/", THURSDAY)
        session.commit()
        assert visits.views_by_day(session, MONDAY, THURSDAY) == [
            (MONDAY, 2),
            (TUESDAY, 0),
            (date(2026, 9, 16), 0),
            (THURSDAY, 1),
        ]


def test_views_by_path_most_read_first(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        for path, times in (("/", 2), ("/glanage", 5), ("/fiches", 2)):
            for _ in range(times):
                visits.count(session, path, TUESDAY)
        visits.count(session, "/", date(2026, 10, 1))  # outside the range
        session.commit()
        assert visits.views_by_path(session, MONDAY, THURSDAY) == [
            ("/glanage", 5),
            ("/", 2),
            ("/fiches", 2),
        ]
        assert visits.views_by_path(session, MONDAY, THURSDAY, limit=1) == [
            ("/glanage", 5)
        ]


def test_very_long_paths_are_cut_to_fit(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        visits.count(session, "/" + "x" * 500, MONDAY)
        session.commit()
        [view] = session.scalars(select(PageView)).all()
    assert len(view.path) == visits.MAX_PATH
