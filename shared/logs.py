"""Structured logs: one event a line, key=value fields, phones and emails masked.

Modules log through their own `logging.getLogger(__name__)`; `configure` sets up
the single root handler that writes to stderr, as text:

    2025-05-12 10:00:00,123 INFO services.notifier offer.sent to=+1450555••42

or, with `json=True`, one JSON object a line with `event` and the fields.
"""

from __future__ import annotations

import json as jsonlib
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from shared.phones import MASK, mask, mask_in_text

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
PHONE_FIELDS = frozenset({"to", "from", "from_", "phone"})
EMAIL_FIELDS = frozenset({"email", "to_addr", "from_addr"})

# Local part and domain of an address in running text; not the tail of a
# longer word, and not one already masked ("j••@example.org").
_EMAIL_IN_TEXT = re.compile(r"(?<![\w.+%•-])([\w.+%-]+)@([\w-]+(?:\.[\w-]+)+)")
# Local parts this short show nothing of themselves.
_MIN_LOCAL_TO_HINT = 3

_EVENT_ATTR = "glanage_event"
_FIELDS_ATTR = "glanage_fields"
_JSON_RESERVED = frozenset({"ts", "level", "logger", "event", "message", "exc"})


def mask_email(address: str | None) -> str:
    """An email address safe to log: "jean.tremblay@example.org" -> "j••@example.org".

    The domain stays (it tells a bounce at one provider from a bug); of the
    local part only the first character shows, and nothing when it is short.
    Text without an @ is masked whole.
    """
    if not address:
        return ""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        return MASK
    hint = local[0] if len(local) >= _MIN_LOCAL_TO_HINT else ""
    return f"{hint}{MASK}@{domain}"


def mask_emails_in_text(text: str) -> str:
    """`text` with every email-address-looking substring masked."""
    return _EMAIL_IN_TEXT.sub(lambda found: mask_email(found.group()), text)


def mask_personal(text: str) -> str:
    """`text` with email addresses, then phone numbers, masked.

    Emails first: a local part of digits ("4505550142@sms.example") is then
    masked as an address rather than half as a phone number.
    """
    return mask_in_text(mask_emails_in_text(text))


class MaskPhonesFilter(logging.Filter):
    """Masks phone numbers and email addresses in a record's message,
    traceback and stack (the name predates email masking).

    Installed on the handler, not on a logger: logger filters do not see
    records propagated from child loggers (third-party libraries included).
    The record is rewritten in place, so handlers that run after this one
    see the masked text as well.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_personal(_message(record))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal(record.stack_info)
        return True


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:
        # A bad format string would make logging print msg and args in full on
        # stderr; keep them, masked, in the message instead.
        return f"{record.msg!s} args={record.args!r}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, then event + fields or message."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
        }
        event = getattr(record, _EVENT_ATTR, None)
        if event is None:
            payload["message"] = record.getMessage()
        else:
            payload["event"] = event
            payload.update(_unreserved(getattr(record, _FIELDS_ATTR, {})))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exc"] = record.exc_text
        return jsonlib.dumps(payload, ensure_ascii=False, default=str)


def _unreserved(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields renamed `key_` when their name is one of the JSON object's own."""
    return {(f"{k}_" if k in _JSON_RESERVED else k): v for k, v in fields.items()}


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is at emit time (pytest swaps it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure(level: str = "INFO", json: bool = False) -> None:
    """Send all logs to stderr through one masked handler on the root logger.

    Idempotent: a second call reuses the handler, only changing level and format.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        handler.addFilter(MaskPhonesFilter())
        # First in line, so that handlers added earlier (pytest's, a framework's)
        # also get the record after the filter has masked it.
        root.handlers.insert(0, handler)
    handler.setFormatter(JsonFormatter() if json else logging.Formatter(TEXT_FORMAT))
    root.setLevel(level.upper())


def _is_phone_field(key: str) -> bool:
    return key in PHONE_FIELDS or key.endswith("_phone")


def _is_email_field(key: str) -> bool:
    return key in EMAIL_FIELDS or key.endswith("_email")


def _safe_value(key: str, value: object) -> object:
    """The value with phone numbers and emails masked; JSON scalars keep their
    type."""
    if value is None or isinstance(value, bool | float):
        return value
    if _is_phone_field(key):
        return mask(str(value))
    if _is_email_field(key):
        # An address field may hold a phone number (a message's to_addr).
        text = str(value)
        return mask_email(text) if "@" in text else mask(text)
    if isinstance(value, int):
        masked = mask_in_text(str(value))
        return value if masked == str(value) else masked
    return mask_personal(str(value))


def _render(value: object) -> str:
    """logfmt value: quoted (JSON escapes) when empty or holding spaces, quotes, =."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if not text or any(c.isspace() or c in '"=' for c in text):
        return jsonlib.dumps(text, ensure_ascii=False)
    return text


def log_event(
    logger: logging.Logger,
    event: str,
    *,
    level: int = logging.INFO,
    **fields: object,
) -> None:
    """Log `event` with key=value fields, phone numbers and emails masked.

    `log_event(log, "offer.sent", offer_id=12, channel="sms", to="+14505550142")`
    writes `offer.sent offer_id=12 channel=sms to=+1450555••42`. Fields named
    to, from_, phone or *_phone are always masked as phones, email, to_addr,
    from_addr or *_email as addresses; any other value is masked where it
    looks like a phone number or an email address. Newlines are escaped: one
    event, one line.
    """
    if not logger.isEnabledFor(level):
        return
    safe = {key: _safe_value(key, value) for key, value in fields.items()}
    line = " ".join(
        [_render(event), *(f"{key}={_render(value)}" for key, value in safe.items())]
    )
    logger.log(level, line, extra={_EVENT_ATTR: event, _FIELDS_ATTR: safe})
