"""Every table as CSV, for the coordinator's spreadsheets.

UTF-8 with a byte order mark (so Excel reads the accents right), a header
row with the column names, then one line per row in id order. Rows are read
in batches, each in its own short transaction, so a large table never sits
in memory and a slow download never holds the database.

Values are written so a spreadsheet reads them back: times in GLANAGE_TZ
("2026-09-14 10:00:00"), booleans as 1/0, lists of words as "legume;fruit"
(the importer reads them so), other structures as JSON. Phone numbers are
written in full: it is the coordinator's own data, behind the panel's login.
Text that a spreadsheet would run as a formula (=, +, -, @ first) gets a
leading apostrophe, unless it is a plain number such as "+14505550142".
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import Column, Table, select
from sqlalchemy.orm import Session, sessionmaker

from shared.models import (
    AuditEntry,
    Base,
    Claim,
    Contact,
    Farm,
    Match,
    Message,
    Offer,
    Organization,
    Parcel,
    Surplus,
)

TABLES: dict[str, type[Base]] = {
    "farms": Farm,
    "parcels": Parcel,
    "organizations": Organization,
    "contacts": Contact,
    "surpluses": Surplus,
    "matches": Match,
    "offers": Offer,
    "claims": Claim,
    "messages": Message,
    "audit_log": AuditEntry,
}
"""The tables one can export, by the name used in the file name and the URL."""

# Columns that are keys rather than data: only written when asked for (the
# farmer's form link opens the farm's form without a password).
SECRET_COLUMNS: dict[str, tuple[str, ...]] = {"farms": ("form_token",)}

BOM = "\ufeff"
BATCH = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d .]*")


def columns(table: str, secrets: bool = False) -> list[Column[Any]]:
    """The table's columns in their declared order."""
    hidden = () if secrets else SECRET_COLUMNS.get(table, ())
    return [c for c in _table(table).columns if c.name not in hidden]


def _table(name: str) -> Table:
    return Base.metadata.tables[TABLES[name].__tablename__]


def header(table: str, secrets: bool = False) -> list[str]:
    return [c.name for c in columns(table, secrets)]


def cell(value: Any, tz: tzinfo) -> str:
    """One value as spreadsheet text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        return _no_formula(value)
    return str(value)


def _no_formula(text: str) -> str:
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def records(
    sessions: sessionmaker[Session], table: str, tz: tzinfo, secrets: bool = False
) -> Iterator[list[str]]:
    """The header, then every row as a list of cells."""
    cols = columns(table, secrets)
    yield [c.name for c in cols]
    key = _table(table).c.id
    position = [c.name for c in cols].index("id")
    last = None
    while True:
        query = select(*cols).order_by(key).limit(BATCH)
        if last is not None:
            query = query.where(key > last)
        with sessions() as session:
            batch = session.execute(query).all()
        for row in batch:
            yield [cell(value, tz) for value in row]
        if len(batch) < BATCH:
            return
        last = batch[-1][position]


def csv_chunks(
    sessions: sessionmaker[Session], table: str, tz: tzinfo, secrets: bool = False
) -> Iterator[str]:
    """The CSV file as text chunks (about BATCH lines each), starting with the BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    for n, line in enumerate(records(sessions, table, tz, secrets)):
        writer.writerow(line)
        if n % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
