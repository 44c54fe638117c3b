from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from shared.logs import MaskPhonesFilter, configure, log_event, mask_email

LOGGER = "services.notifier"


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def log() -> logging.Logger:
    return logging.getLogger(LOGGER)


def _is_masked(handler: logging.Handler) -> bool:
    return any(isinstance(f, MaskPhonesFilter) for f in handler.filters)


def stderr_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


# --- log_event ----------------------------------------------------------------


def test_log_event_key_value_line(
    caplog: pytest.LogCaptureFixture, log: logging.Logger
) -> None:
    with caplog.at_level(logging.INFO):
        log_event(log, "offer.sent", offer_id=12, channel="sms", to="+14505550142")
    (record,) = caplog.records
    assert record.getMessage() == "offer.sent offer_id=12 channel=sms to=+1450555••42"
    assert record.levelno == logging.INFO
    assert record.name == LOGGER


@pytest.mark.parametrize("field", ["to", "from_", "phone", "farmer_phone"])
def test_phone_fields_are_always_masked(
    caplog: pytest.LogCaptureFixture, log: logging.Logger, field: str
) -> None:
    with caplog.at_level(logging.INFO):
        fields: dict[str, Any] = {field: "(450) 555-0142"}
        log_event(log, "sms.received", **fields)
    assert caplog.records[0].getMessage() == f"sms.received {field}=+1450555••42"


def test_odd_phone_field_values_are_masked(
    caplog: pytest.LogCaptureFixture, log: logging.Logger
) -> None:
    with caplog.at_level(logging.INFO):
        log_event(log, "sms.received", from_="0142", to="555-0199", phone=None)
    assert caplog.records[0].getMessage() == "sms.received from_=•• to=••99 phone=null"


def test_phone_like_values_are_masked_in_any_field(
    caplog: pytest.LogCaptureFixture, log: logging.Logger
) -> None:
    with caplog.at_level(logging.INFO):
        log_event(
            log,
            "sms.parsed",
            body="OUI A12, rappelez au 450 555 0142",
            contact=4505550142,
            qty=500,
        )
    assert caplog.records[0].getMessage() == (
        'sms.parsed body="OUI A12, rappelez au +1450555••42" '
        "contact=+1450555••42 qty=500"
    )


def test_values_are_quoted_when_needed(
    caplog: pytest.LogCaptureFixture, log: logging.Logger
) -> None:
    with caplog.at_level(logging.INFO):
        log_event(
            log,
            "org.created",
            name="Maison d'entraide",
            note='dit "oui"',
            expr="a=b",
            empty="",
            ok=True,
            ratio=0.5,
            city="Saint-Jacques",
        )
    assert caplog.records[0].getMessage() == (
        'org.created name="Maison d\'entraide" note="dit \\"oui\\"" '
        'expr="a=b" empty="" ok=true ratio=0.5 city=Saint-Jacques'
    )


def test_one_event_is_one_line(
    caplog: pytest.LogCaptureFixture, log: logging.Logger
) -> None:
    with caplog.at_level(logging.INFO):
        log_event(log, "sms.received", body="OUI A12\nmerci\r\n")
    message = caplog.records[0].getMessage()
    assert message == 'sms.received body="OUI A12\\nmerci\\r\\n"'
    assert "\n" not in message


def test_level_and_disabled_levels(
    caplog: pytest.LogCaptureFixture, log: logging.Logger
) -> None:
    with caplog.at_level(logging.WARNING):
        log_event(log, "offer.sent", offer_id=1)
        log_event(log, "sms.failed", level=logging.ERROR, code=30003)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, "sms.failed code=30003")
    ]


# --- configure: text ----------------------------------------------------------


def test_configure_writes_text_lines_to_stderr(
    capsys: pytest.CaptureFixture[str], log: logging.Logger
) -> None:
    configure()
    log_event(log, "offer.sent", offer_id=12, channel="sms", to="+14505550142")
    (line,) = stderr_lines(capsys)
    assert line.endswith(
        " INFO services.notifier offer.sent offer_id=12 channel=sms to=+1450555••42"
    )


def test_configure_sets_the_level(
    capsys: pytest.CaptureFixture[str], log: logging.Logger
) -> None:
    configure(level="warning")
    log.info("hidden")
    log.warning("shown")
    assert [line.split()[-1] for line in stderr_lines(capsys)] == ["shown"]


def test_configure_is_idempotent(
    capsys: pytest.CaptureFixture[str], log: logging.Logger
) -> None:
    configure()
    after_first = len(logging.getLogger().handlers)
    configure()
    configure(json=True)
    handlers = logging.getLogger().handlers
    assert len(handlers) == after_first
    assert sum(_is_masked(h) for h in handlers) == 1
    log.warning("once")
    lines = stderr_lines(capsys)
    assert len(lines) == 1
    assert json.loads(lines[0])["message"] == "once"


def test_third_party_lines_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure()
    logging.getLogger("twilio.http_client").info(
        "POST /Messages.json To=%s From=%s", "+14505550142", "+1 819 555 0199"
    )
    (line,) = stderr_lines(capsys)
    assert line.endswith("To=+1450555••42 From=+1819555••99")


def test_tracebacks_are_masked(
    capsys: pytest.CaptureFixture[str], log: logging.Logger
) -> None:
    configure()
    try:
        raise ValueError("cannot reach +14505550142")
    except ValueError:
        log.exception("sms to %s failed", "450-555-0142")
    err = capsys.readouterr().err
    assert "sms to +1450555••42 failed" in err
    assert "ValueError: cannot reach +1450555••42" in err
    assert "0142" not in err.replace("••42", "")


def test_bad_format_arguments_do_not_leak(
    capsys: pytest.CaptureFixture[str], log: logging.Logger
) -> None:
    configure()
    log.info("to=%s from=%s", "+14505550142")
    err = capsys.readouterr().err
    assert "+14505550142" not in err
    assert "+1450555••42" in err


def test_handlers_added_before_configure_see_masked_records(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure()
    logging.getLogger("urllib3").warning("retry %s", "+14505550142")
    assert caplog.records[0].getMessage() == "retry +1450555••42"


# --- configure: JSON ----------------------------------------------------------


def test_json_event(capsys: pytest.CaptureFixture[str], log: logging.Logger) -> None:
    configure(json=True)
    log_event(log, "offer.sent", offer_id=12, channel="sms", to="+14505550142", ok=True)
    (line,) = stderr_lines(capsys)
    payload = json.loads(line)
    assert payload.pop("ts").endswith("+00:00")
    assert payload == {
        "level": "INFO",
        "logger": LOGGER,
        "event": "offer.sent",
        "offer_id": 12,
        "channel": "sms",
        "to": "+1450555••42",
        "ok": True,
    }


def test_json_reserved_field_names_are_renamed(
    capsys: pytest.CaptureFixture[str], log: logging.Logger
) -> None:
    configure(json=True)
    log_event(log, "river.checked", level=logging.WARNING, ts="noon", message="hi")
    payload = json.loads(stderr_lines(capsys)[0])
    assert payload["level"] == "WARNING"
    assert (payload["ts_"], payload["message_"]) == ("noon", "hi")


def test_json_plain_record_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure(json=True)
    logging.getLogger("rq.worker").warning("job for %s", "+14505550142")
    payload = json.loads(stderr_lines(capsys)[0])
    assert payload["message"] == "job for +1450555••42"
    assert payload["logger"] == "rq.worker"
    assert "event" not in payload


def test_json_exception(
    capsys: pytest.CaptureFixture[str], log: logging.Logger
) -> None:
    configure(json=True)
    try:
        raise RuntimeError("to +14505550142")
    except RuntimeError:
        log.exception("boom")
    (line,) = stderr_lines(capsys)
    payload = json.loads(line)
    assert payload["exc"].endswith("RuntimeError: to +1450555••42")


# --- MaskPhonesFilter on its own ----------------------------------------------


def test_filter_rewrites_the_record() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "call %s (%d)", ("450-555-0142", 3), None
    )
    assert MaskPhonesFilter().filter(record) is True
    assert record.getMessage() == "call +1450555••42 (3)"
    assert record.args is None


# --- email addresses ----------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("jean.tremblay@example.org", "j••@example.org"),
        ("Jo@Example.org", "••@Example.org"),
        ("4505550142@sms.example.net", "4••@sms.example.net"),
        ("not an address", "••"),
        ("", ""),
    ],
)
def test_mask_email(address: str, masked: str) -> None:
    assert mask_email(address) == masked


@pytest.mark.parametrize("field", ["email", "to_addr", "contact_email"])
def test_email_fields_are_always_masked(
    caplog: pytest.LogCaptureFixture, log: logging.Logger, field: str
) -> None:
    with caplog.at_level(logging.INFO):
        fields: dict[str, Any] = {field: "marie.lafleur@example.org"}
        log_event(log, "mail.sent", **fields)
    assert caplog.records[0].getMessage() == f"mail.sent {field}=m••@example.org"


def test_an_address_field_holding_a_phone_is_masked_as_one(
    caplog: pytest.LogCaptureFixture, log: logging.Logger
) -> None:
    with caplog.at_level(logging.INFO):
        log_event(log, "message.sent", to_addr="+14505550142")
    assert caplog.records[0].getMessage() == "message.sent to_addr=+1450555••42"


def test_emails_are_masked_in_any_field(
    caplog: pytest.LogCaptureFixture, log: logging.Logger
) -> None:
    with caplog.at_level(logging.INFO):
        log_event(
            log,
            "site.form",
            note="écrire à Marie.Lafleur@example.org ou au 450 555 0142.",
        )
    assert caplog.records[0].getMessage() == (
        'site.form note="écrire à M••@example.org ou au +1450555••42."'
    )


def test_emails_are_masked_in_third_party_lines_and_tracebacks(
    capsys: pytest.CaptureFixture[str], log: logging.Logger
) -> None:
    configure()
    logging.getLogger("smtplib").warning("RCPT TO:<%s> refused", "marie@example.org")
    try:
        raise RuntimeError("550 no such user marie@example.org")
    except RuntimeError:
        log.exception("mail to %s failed", "Marie@Example.org")
    err = capsys.readouterr().err
    assert "RCPT TO:<m••@example.org> refused" in err
    assert "mail to M••@Example.org failed" in err
    assert "550 no such user m••@example.org" in err
    assert "marie@" not in err.lower()


def test_an_address_already_masked_stays_as_it_is(
    caplog: pytest.LogCaptureFixture, log: logging.Logger
) -> None:
    with caplog.at_level(logging.INFO):
        log_event(log, "mail.sent", note="to j••@example.org")
    assert caplog.records[0].getMessage() == 'mail.sent note="to j••@example.org"'
