"""Every table as a CSV file, for spreadsheets and backups."""

from __future__ import annotations

from flask import Response, abort
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from services.web.context import now, runtime
from services.web.panel.base import bp, can_change, login_required
from shared import exports

EXPORT_LABELS = {
    "farms": _l("Farms"),
    "parcels": _l("Parcels"),
    "organizations": _l("Organizations"),
    "contacts": _l("Contacts"),
    "surpluses": _l("Surpluses"),
    "matches": _l("Matches"),
    "offers": _l("Offers"),
    "claims": _l("Claims"),
    "messages": _l("Messages"),
    "audit_log": _l("Audit log"),
}


def export_labels() -> dict[str, str]:
    """The tables there is a file of, each with its name for the reader."""
    return {key: EXPORT_LABELS.get(key, key) for key in exports.TABLES}


@bp.get("/directory/export/<table>.csv")
@login_required
def directory_export(table: str) -> ResponseReturnValue:
    """One table as CSV (UTF-8 with BOM), streamed."""
    if table not in exports.TABLES:
        abort(404)
    chunks = exports.csv_chunks(
        runtime().sessions, table, runtime().settings.tz, secrets=can_change()
    )

    response = Response(chunks, mimetype="text/csv")
    stamp = now().strftime("%Y-%m-%d")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="glanage-{table}-{stamp}.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
