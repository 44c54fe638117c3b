"""Where messages go: the outbox (demo), Twilio, SMTP — one interface.

Transports raise TransientError for what a retry may fix (network, 5xx, rate
limits) and PermanentError for what it will not (invalid number, opted out
at the carrier); the notifier records either on the message.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from shared.config import Settings


class TransientError(RuntimeError):
    pass


class PermanentError(RuntimeError):
    pass


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    to: str
    body: str
    subject: str = ""
    sender: str = ""
    # Email only: extra headers (List-Unsubscribe, ...) and an HTML
    # alternative to the plain-text body; other transports ignore them.
    headers: Mapping[str, str] = field(default_factory=dict)
    html: str = ""


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str  # "sent" (outbox, SMTP) or Twilio's first status ("queued")


class Transport(Protocol):
    channel: str

    def send(self, message: Outgoing) -> Sent: ...


class OutboxTransport:
    """Keeps the message in the database only: the SMS simulator shows it."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, message: Outgoing) -> Sent:
        return Sent(provider_id=f"outbox-{uuid.uuid4().hex[:24]}", status="sent")


class TwilioTransport:
    channel = "sms"

    def __init__(self, settings: Settings, client: Any = None) -> None:
        from twilio.rest import Client

        self.settings = settings
        self.client = client or Client(
            settings.twilio_account_sid, settings.twilio_auth_token
        )

    def send(self, message: Outgoing) -> Sent:
        from twilio.base.exceptions import TwilioRestException

        params: dict[str, str] = {
            "to": message.to,
            "body": message.body,
            "status_callback": f"{self.settings.public_base_url}/sms/status",
        }
        if self.settings.twilio_messaging_service_sid:
            params["messaging_service_sid"] = self.settings.twilio_messaging_service_sid
        else:
            params["from_"] = self.settings.twilio_from
        try:
            created = self.client.messages.create(**params)
        except TwilioRestException as error:
            if error.status == 429 or error.status >= 500:
                raise TransientError(f"twilio {error.status} {error.code}") from error
            raise PermanentError(f"twilio {error.status} {error.code}") from error
        except OSError as error:
            raise TransientError(f"twilio unreachable: {error}") from error
        return Sent(provider_id=created.sid, status=created.status or "queued")


class SmtpTransport:
    channel = "email"

    def __init__(self, settings: Settings) -> None:
        self.url = urlsplit(settings.smtp_url)
        self.sender = settings.mail_from

    def send(self, message: Outgoing) -> Sent:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Message-ID"] = make_msgid(domain="glanage")
        for name, value in message.headers.items():
            email[name] = value
        email.set_content(message.body)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        try:
            with self._connect() as smtp:
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentError(f"recipient refused: {error}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientError(f"smtp: {error}") from error
        return Sent(provider_id=email["Message-ID"].strip("<>"), status="sent")

    def _connect(self) -> smtplib.SMTP:
        host, port = self.url.hostname or "localhost", self.url.port
        if self.url.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port or 465, context=ssl.create_default_context(), timeout=20
            )
        else:
            smtp = smtplib.SMTP(host, port or 25, timeout=20)
            if self.url.query == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if self.url.username:
            smtp.login(unquote(self.url.username), unquote(self.url.password or ""))
        return smtp


def from_settings(settings: Settings) -> dict[str, Transport]:
    sms: Transport = (
        TwilioTransport(settings)
        if settings.twilio_account_sid
        else OutboxTransport("sms")
    )
    email: Transport = (
        SmtpTransport(settings) if settings.smtp_url else OutboxTransport("email")
    )
    return {"sms": sms, "email": email}
