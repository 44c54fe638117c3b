"""The audit log, readable in the panel: who changed what, when, from what."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.web.context import db
from services.web.panel.base import bp, login_required, nav
from shared.models import AuditEntry

PAGE = 100


@bp.get("/audit")
@login_required
def audit_log() -> ResponseReturnValue:
    entity = request.args.get("entity", "").strip()
    query = (
        select(AuditEntry)
        .order_by(AuditEntry.id.desc())
        .limit(PAGE)
        .options(selectinload(AuditEntry.user))
    )
    if entity:
        query = query.where(AuditEntry.entity == entity)
    entries = db().scalars(query).all()
    return render_template(
        "panel/audit.html", entries=entries, entity=entity, nav_items=nav()
    )
