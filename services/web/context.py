"""Per-request access to the runtime and a database session."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, g
from sqlalchemy.orm import Session

from shared.runtime import Runtime


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["glanage"]
    return rt


def db() -> Session:
    """The request's session; closed at the end of the request."""
    if "db" not in g:
        g.db = runtime().sessions()
    session: Session = g.db
    return session


def now() -> datetime:
    return runtime().now()
