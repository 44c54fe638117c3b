"""Visits to the public site, counted without knowing who visited.

Each row is a path, a day and a number: no cookie, no IP address, no browser
string is read into the database. That is all the figures need (which pages
are read, and when), and there is nothing personal to protect or to delete.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.models import PageView

# The column's size; longer paths (only ever typed by hand) are cut.
MAX_PATH = 300


def count(session: Session, path: str, day: date) -> None:
    """One more view of path on day; the row is created on the first view."""
    path = path[:MAX_PATH]
    if _increment(session, path, day):
        return
    try:
        with session.begin_nested():
            session.add(PageView(path=path, day=day, views=1))
    except IntegrityError:
        # Another request created the row between our update and our insert.
        _increment(session, path, day)


def _increment(session: Session, path: str, day: date) -> bool:
    result = session.execute(
        update(PageView)
        .where(PageView.path == path, PageView.day == day)
        .values(views=PageView.views + 1)
    )
    return bool(getattr(result, "rowcount", 0))


def views_by_day(session: Session, start: date, end: date) -> list[tuple[date, int]]:
    """Every day from start to end (both included) with its views, zeros too."""
    rows = session.execute(
        select(PageView.day, func.sum(PageView.views))
        .where(PageView.day >= start, PageView.day <= end)
        .group_by(PageView.day)
    ).all()
    found = {day: int(views) for day, views in rows}
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [(day, found.get(day, 0)) for day in days]


def views_by_path(
    session: Session, start: date, end: date, limit: int | None = None
) -> list[tuple[str, int]]:
    """The most viewed paths between start and end, most views first."""
    total = func.sum(PageView.views).label("total")
    query = (
        select(PageView.path, total)
        .where(PageView.day >= start, PageView.day <= end)
        .group_by(PageView.path)
        .order_by(total.desc(), PageView.path)
    )
    if limit is not None:
        query = query.limit(limit)
    return [(path, int(views)) for path, views in session.execute(query).all()]
