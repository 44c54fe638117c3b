"""The live board: what is offered, to whom, what is claimed, what is stuck.

The page works without JavaScript (a refresh link). With it, the board
listens to server-sent events fed by Redis pub/sub (the relay announces
every published event) and refreshes its fragment; where the stream is not
available it polls.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import Response, abort, render_template, stream_with_context
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.web.context import db, now, runtime
from services.web.panel.base import bp, can_change, login_required, nav
from shared.models import (
    OPEN_STATUSES,
    Claim,
    Match,
    Message,
    Offer,
    Organization,
    Surplus,
)
from shared.reasons import Reason
from shared.relay import CHANGES_CHANNEL

# A stream lives this long, then the browser reconnects (EventSource does it
# by itself); it keeps a gunicorn thread no longer than that.
STREAM_SECONDS = 55
HEARTBEAT_SECONDS = 15


def reason_text(reason: dict[str, Any], lang: str) -> str:
    return Reason(reason["code"], reason.get("params", {})).text(lang)


def stale_after() -> timedelta:
    return timedelta(minutes=runtime().settings.stale_minutes)


def is_stuck(surplus: Surplus) -> bool:
    """Open, nothing claimed yet, and older than the configured delay."""
    if not surplus.is_open or surplus.claims:
        return False
    return now() - surplus.created_at > stale_after()


def _surpluses() -> tuple[list[Surplus], list[Surplus]]:
    options = (
        selectinload(Surplus.matches).selectinload(Match.organization),
        selectinload(Surplus.offers).selectinload(Offer.organization),
        selectinload(Surplus.claims).selectinload(Claim.organization),
        selectinload(Surplus.farm),
    )
    open_ones = (
        db()
        .scalars(
            select(Surplus)
            .where(Surplus.status.in_(OPEN_STATUSES))
            .order_by(Surplus.id.desc())
            .options(*options)
        )
        .all()
    )
    recent = (
        db()
        .scalars(
            select(Surplus)
            .where(Surplus.status.not_in(OPEN_STATUSES))
            .order_by(Surplus.id.desc())
            .limit(15)
            .options(*options)
        )
        .all()
    )
    stuck_first = sorted(open_ones, key=lambda s: (not is_stuck(s), -s.id))
    return stuck_first, list(recent)


def _context() -> dict[str, Any]:
    open_ones, recent = _surpluses()
    return {
        "open_surpluses": open_ones,
        "recent_surpluses": recent,
        "is_stuck": is_stuck,
        "reason_text": reason_text,
        "can_change": can_change(),
        "stale_minutes": runtime().settings.stale_minutes,
    }


@bp.get("/")
@login_required
def board() -> ResponseReturnValue:
    return render_template("panel/board.html", nav_items=nav(), **_context())


@bp.get("/board/live")
@login_required
def board_live() -> ResponseReturnValue:
    return render_template("panel/_board.html", **_context())


@bp.get("/board/stream")
@login_required
def board_stream() -> ResponseReturnValue:
    """Server-sent events: one "change" per batch of published events."""
    pubsub = runtime().redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANGES_CHANNEL)

    def events() -> Iterator[str]:
        ends = time.monotonic() + STREAM_SECONDS
        beat = time.monotonic() + HEARTBEAT_SECONDS
        yield "retry: 3000\n\n"
        try:
            while time.monotonic() < ends:
                message = pubsub.get_message(timeout=1.0)
                if message is not None:
                    data = message["data"]
                    kinds = data.decode() if isinstance(data, bytes) else str(data)
                    yield f"event: change\ndata: {kinds}\n\n"
                elif time.monotonic() > beat:
                    beat = time.monotonic() + HEARTBEAT_SECONDS
                    yield ": still here\n\n"
        finally:
            pubsub.close()

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


@bp.get("/surplus/<int:surplus_id>")
@login_required
def surplus_detail(surplus_id: int) -> ResponseReturnValue:
    """Why these organizations: the ranking, the left-out, the offers, the claims."""
    surplus = db().get(Surplus, surplus_id)
    if surplus is None:
        abort(404)
    messages = (
        db()
        .scalars(
            select(Message).where(Message.surplus_id == surplus_id).order_by(Message.id)
        )
        .all()
    )
    offers = {o.organization_id: o for o in surplus.offers}
    others = (
        db()
        .scalars(
            select(Organization)
            .where(Organization.active, Organization.id.not_in(list(offers) or [0]))
            .order_by(Organization.name)
        )
        .all()
    )
    return render_template(
        "panel/surplus.html",
        surplus=surplus,
        offers=offers,
        messages=messages,
        reason_text=reason_text,
        is_stuck=is_stuck,
        can_change=can_change(),
        nav_items=nav(),
        offer_choices=[(o.id, f"{o.name} · {o.municipality}") for o in others],
        tz=runtime().settings.tz,
    )
