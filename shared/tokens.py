"""Signed links: claim links for organizations, and each contact's link to
get no more messages.

A claim link names one offer (one organization, one surplus) and expires with
the surplus. It is signed with SECRET_KEY, so it cannot be forged or pointed
at another offer; it is checked again against the database when used. An
opt-out link names one contact and never expires: a way out must keep working.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, Signer

_SALT = "glanage.claim"
_OPTOUT_SALT = "glanage.optout"


class InvalidToken(ValueError):
    """Forged, damaged or for another installation."""


class ExpiredToken(ValueError):
    """Genuine, but the surplus it was for is past its date."""


def claim_expiry(until: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(until, time.max, tzinfo=tz)


def sign_claim(secret: str, offer_id: int, expires_at: datetime) -> str:
    # Compact on purpose: the link rides in an SMS that should stay one segment.
    payload = f"{_b36(offer_id)}-{_b36(int(expires_at.timestamp()))}"
    return _signer(secret).sign(payload).decode()


def load_claim(secret: str, token: str, now: datetime | None = None) -> int:
    """The offer id of a valid link; raises InvalidToken or ExpiredToken."""
    try:
        payload = _signer(secret).unsign(token).decode()
        offer_part, expires_part = payload.split("-")
        offer_id, expires = int(offer_part, 36), int(expires_part, 36)
    except (BadSignature, TypeError, ValueError) as error:
        raise InvalidToken(token) from error
    moment = now or datetime.now(UTC)
    if moment.timestamp() > expires:
        raise ExpiredToken(token)
    return offer_id


def sign_optout(secret: str, contact_id: int) -> str:
    return Signer(secret, salt=_OPTOUT_SALT).sign(_b36(contact_id)).decode()


def load_optout(secret: str, token: str) -> int:
    """The contact id of a genuine opt-out link; raises InvalidToken."""
    try:
        return int(Signer(secret, salt=_OPTOUT_SALT).unsign(token).decode(), 36)
    except (BadSignature, TypeError, ValueError) as error:
        raise InvalidToken(token) from error


def _signer(secret: str) -> Signer:
    return Signer(secret, salt=_SALT)


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text
