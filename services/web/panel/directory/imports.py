"""Importing a spreadsheet of organizations or farms, saved as CSV: the rows
are added at once, and the page says what became of each one."""

from __future__ import annotations

import io

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from services.web.context import db
from services.web.panel.base import audit_change, bp, changes
from services.web.panel.directory.common import render
from services.web.panel.directory.forms import Form
from shared import importer

IMPORT_KINDS = {"organizations": _l("Organizations"), "farms": _l("Farms")}
MAX_UPLOAD_MB = 1


def reason(error: importer.RowError | importer.ShapeError) -> str:
    """Why a row was refused, in the reader's language."""
    return _(error.msgid, **error.params)


@bp.get("/directory/import")
@changes
def import_page() -> ResponseReturnValue:
    kind = request.args.get("kind", "organizations")
    return _import_page(
        Form({"kind": kind if kind in IMPORT_KINDS else "organizations"})
    )


@bp.post("/directory/import")
@changes
def import_upload() -> ResponseReturnValue:
    """Run the import now, row by row, and show what became of each row."""
    form = Form({"kind": request.form.get("kind", "")})
    kind = form.choice("kind", IMPORT_KINDS, "")
    upload = _chosen_file(form, kind)
    sheet = _sheet(upload, kind, form) if upload is not None else None
    if upload is None or sheet is None:
        return _import_page(form)

    report = _run(kind, sheet, upload.filename)
    return render(
        "import_result.html",
        kind=kind,
        kinds=IMPORT_KINDS,
        filename=upload.filename,
        report=report,
        made=report.counts(),
        total=len(sheet.numbered),
        ignored=sheet.ignored,
        reason=reason,
    )


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    if request.endpoint != "panel.import_upload":
        return error
    form = Form({"kind": "organizations"})
    form.error(
        "file",
        _(
            "This file is larger than %(mb)s MB: split it into smaller files.",
            mb=MAX_UPLOAD_MB,
        ),
    )
    return _import_page(form, 413)


def _import_page(form: Form, status: int | None = None) -> ResponseReturnValue:
    page, code = render(
        "import.html",
        form,
        kinds=IMPORT_KINDS,
        columns={kind: columns for kind, (columns, _req) in importer.KINDS.items()},
        required={kind: required for kind, (_cols, required) in importer.KINDS.items()},
        max_mb=MAX_UPLOAD_MB,
    )
    return page, status or code


def _chosen_file(form: Form, kind: str) -> FileStorage | None:
    """The uploaded file, once both it and what it holds are given."""
    if not kind:
        form.error("kind", _("Pick what the file holds."))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.error("file", _("Choose a CSV file."))
    return None if form.errors else upload


def _sheet(upload: FileStorage, kind: str, form: Form) -> importer.Sheet | None:
    """The file's rows, or None with a message beside the file field."""
    text = _text_of(upload.read(), form)
    if text is None:
        return None
    try:
        return importer.read(io.StringIO(text, newline=""), kind)
    except importer.RowError as problem:
        form.error(
            "file", _("We could not use this file: %(why)s.", why=reason(problem))
        )
        return None


def _text_of(data: bytes, form: Form) -> str | None:
    """The file as text, or None with a message that says how to save it."""
    how = _("In Excel or LibreOffice: File › Save as › CSV UTF-8 (comma delimited).")
    if not data.strip():
        form.error("file", _("This file is empty."))
        return None

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.error(
            "file",
            _("This file is not a CSV in UTF-8 (a spreadsheet or another encoding?).")
            + " "
            + how,
        )
        return None

    if "\x00" in text:
        form.error(
            "file", _("This file is not a CSV (it holds binary data).") + " " + how
        )
        return None
    return text


def _run(kind: str, sheet: importer.Sheet, filename: str | None) -> importer.Report:
    """Add the rows and, when any was added, say so in the audit log."""
    run = importer.import_rows if kind == "organizations" else importer.import_farms
    report = run(db(), sheet.numbered)
    if report.added:
        audit_change(
            "import",
            "organization" if kind == "organizations" else "farm",
            None,
            None,
            {
                "file": filename,
                "added": report.added,
                "rejected": len(report.errors),
                "created": report.created,
            },
        )
    db().commit()
    return report
