from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.tokens import ExpiredToken, InvalidToken, load_claim, sign_claim

SECRET = "s" * 32


def test_round_trip_and_short_enough_for_an_sms() -> None:
    token = sign_claim(SECRET, 4321, datetime.now(UTC) + timedelta(days=5))
    assert load_claim(SECRET, token) == 4321
    assert len(token) < 45


def test_forged_or_other_secret_is_invalid() -> None:
    token = sign_claim(SECRET, 7, datetime.now(UTC) + timedelta(days=1))
    _offer, rest = token.split("-", 1)
    with pytest.raises(InvalidToken):
        load_claim(SECRET, "8-" + rest)
    with pytest.raises(InvalidToken):
        load_claim("another secret entirely!", token)
    with pytest.raises(InvalidToken):
        load_claim(SECRET, "garbage")


def test_expired_link_is_refused() -> None:
    token = sign_claim(SECRET, 7, datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(ExpiredToken):
        load_claim(SECRET, token)
