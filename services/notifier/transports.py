"""Where messages go: the outbox (demo), Twilio, SMTP — one interface.

Transports raise TransientError for what a retry may fix (network, timeouts,
5xx, rate limits) and PermanentError for what it will not (invalid number,
opted out at the carrier); the notifier records either on the message.

A timeout is ambiguous: the provider may have taken the message before the
answer was lost. So before trying a message again the notifier asks the
transport whether it already left (`find_sent`): Twilio can say; a mail server
cannot, and an email tried again keeps its Message-ID, which mail programs
use to show a duplicate once.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from services.notifier import senders
from shared.config import Settings


class TransientError(RuntimeError):
    pass


class PermanentError(RuntimeError):
    def __init__(self, text: str, code: int | None = None) -> None:
        super().__init__(text)
        self.code = code  # the provider's error code (Twilio 21610: opted out)


# Twilio: "Attempt to send to unsubscribed recipient" (the person texted STOP
# to the carrier, not to us).
UNSUBSCRIBED = 21610


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    to: str
    body: str
    subject: str = ""
    # SMS: the pool's number the throttle gave a turn to; "": the transport's
    # own choice (the same one).
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

    def sender_for(self, to: str) -> str | None:
        """The sending number (or service) that texts `to`, whose rate the
        carrier limits; None: no limit."""
        ...

    def send(self, message: Outgoing) -> Sent: ...

    def find_sent(self, message: Outgoing, since: datetime) -> Sent | None:
        """The provider's record of this message if it already left, else None."""
        ...


class OutboxTransport:
    """Keeps the message in the database only: the SMS simulator shows it."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def sender_for(self, to: str) -> str | None:
        return None

    def send(self, message: Outgoing) -> Sent:
        return Sent(provider_id=f"outbox-{uuid.uuid4().hex[:24]}", status="sent")

    def find_sent(self, message: Outgoing, since: datetime) -> Sent | None:
        return None  # nothing ever leaves the database


class TwilioTransport:
    channel = "sms"

    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        self.client = client or _twilio_client(settings)
        self.pool = settings.twilio_numbers

    def sender_for(self, to: str) -> str | None:
        """The Messaging Service (Twilio picks its number and keeps it sticky
        itself), or the pool's number that always texts `to`."""
        if self.settings.twilio_messaging_service_sid:
            return self.settings.twilio_messaging_service_sid
        return senders.sender_for(self.pool, to) or None

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
            # The notifier passes the number it throttled; the same choice else.
            params["from_"] = message.sender or senders.sender_for(
                self.pool, message.to
            )
        try:
            created = self.client.messages.create(**params)
        except TwilioRestException as error:
            if error.status == 429 or error.status >= 500:
                raise TransientError(f"twilio {error.status} {error.code}") from error
            raise PermanentError(
                f"twilio {error.status} {error.code}", error.code
            ) from error
        except OSError as error:  # requests' timeouts and connection errors too
            raise TransientError(f"twilio unreachable: {error}") from error
        return Sent(provider_id=created.sid, status=created.status or "queued")

    def find_sent(self, message: Outgoing, since: datetime) -> Sent | None:
        """Twilio's message to the same number, with the same text, created
        since the first try. Twilio keeps a queued message's DateSent empty, so
        the list is read by recipient and filtered on the creation time here."""
        from twilio.base.exceptions import TwilioRestException

        try:
            recent = self.client.messages.list(to=message.to, limit=50)
        except (TwilioRestException, OSError) as error:
            raise TransientError(f"twilio lookup failed: {error}") from error
        earliest = since - timedelta(minutes=1)  # clocks differ a little
        for found in recent:
            created = found.date_created
            if found.body == message.body and (created is None or created >= earliest):
                return Sent(provider_id=found.sid, status=found.status or "queued")
        return None


def _twilio_client(settings: Settings) -> Any:
    """The real client, with a timeout on every call and no retry of its own:
    the notifier decides what to try again, and after looking first."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    http_client = TwilioHttpClient(
        timeout=settings.provider_timeout_seconds, max_retries=0
    )
    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=http_client,
    )
    if settings.twilio_api_url:
        client.api.base_url = settings.twilio_api_url.rstrip("/")
    _environment_once(http_client.session, client.api.base_url)
    return client


def _environment_once(session: Any, base_url: str) -> None:
    """Read the proxy and CA settings of the environment once, not per call.

    requests reads them again at every request (trust_env): it walks the
    whole environment twice, about 1 ms, half of what a text costs the
    client. Every call goes to the one API host, so the answer is the same
    each time; NO_PROXY is honoured by asking for that host.
    """
    import requests.utils

    if session is None:
        return
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


class SmtpTransport:
    channel = "email"

    def __init__(self, settings: Settings) -> None:
        self.url = urlsplit(settings.smtp_url)
        self.mail_from = settings.mail_from
        self.timeout = settings.provider_timeout_seconds
        # The Message-ID is made from the message's own id: the same at every
        # try, so a message sent twice after a lost answer reads as one.
        self.domain = urlsplit(settings.public_base_url).hostname or "glanage"

    def sender_for(self, to: str) -> str | None:
        return None  # mail servers take many messages a second

    def send(self, message: Outgoing) -> Sent:
        email = EmailMessage()
        email["From"] = self.mail_from
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Message-ID"] = f"<glanage-{message.message_id}@{self.domain}>"
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
        except smtplib.SMTPResponseException as error:
            # 5xx: the server will say the same thing again; 4xx: later.
            if error.smtp_code >= 500:
                raise PermanentError(f"smtp {error.smtp_code}: {error}") from error
            raise TransientError(f"smtp {error.smtp_code}: {error}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientError(f"smtp: {error}") from error
        return Sent(provider_id=email["Message-ID"].strip("<>"), status="sent")

    def find_sent(self, message: Outgoing, since: datetime) -> Sent | None:
        return None  # SMTP cannot tell; the same Message-ID goes again

    def _connect(self) -> smtplib.SMTP:
        host, port = self.url.hostname or "localhost", self.url.port
        if self.url.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host,
                port or 465,
                context=ssl.create_default_context(),
                timeout=self.timeout,
            )
        else:
            smtp = smtplib.SMTP(host, port or 25, timeout=self.timeout)
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
