"""Whatever anyone texts, the SMS grammar answers with a well-formed reading."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import config, crops, grammar
from shared.grammar import INTENTS, MAX_KG, MAX_LENGTH, PROBLEMS, REPLY_INTENTS, parse
from tests.hostile.strategies import NUMBERS, UNITS, sms_texts

TZ = config.Settings().tz
FIELDS = {
    "intent", "language", "parcel", "crop", "quantity", "unit", "quantity_kg",
    "available_until", "offer_code", "problems",
}  # fmt: skip
OFFER_CODE = re.compile(r"[A-Z](?:0|[1-9][0-9]{0,3})")
PARCEL = re.compile(r"P[0-9]+")

# Noon every few days over years, and the edges: midnight, New Year's Eve, a
# leap day, the DST changes. Sampled, not built, so each example costs one draw.
MOMENTS = [
    *(datetime(2024, 1, 1, 12) + timedelta(days=n) for n in range(0, 5 * 365, 3)),
    datetime(2026, 12, 31, 23, 59),
    datetime(2027, 1, 1, 0, 0),
    datetime(2028, 2, 29, 8, 0),
    datetime(2026, 3, 8, 3, 30),
    datetime(2026, 11, 1, 1, 30),
    datetime(2099, 12, 31, 23, 59),
]
NOON = datetime(2026, 9, 14, 12, tzinfo=TZ)
moments = st.sampled_from([moment.replace(tzinfo=TZ) for moment in MOMENTS])
# What farms call their parcels, hostile names included; a farm has a few.
NAMES = (
    "verger", "le verger", "champ du bas", "la serre", "Le Grand Champ", "", " ",
    "le", "P3", "(.*)", "[", "\\", "oui", "500 kg", "carottes", "mais", "🍅", "\x00",
)  # fmt: skip
parcel_names = st.sampled_from(
    [
        {},
        *({name: "P4"} for name in NAMES),
        dict(zip(NAMES, ("P1", "P2", "P3"), strict=False)),
    ]
    + [{NAMES[n]: "P1", NAMES[-n]: "P 02", NAMES[n // 2]: "p-3"} for n in range(1, 9)]
)


@pytest.fixture(scope="module")
def safety_net() -> Iterator[list[BaseException]]:
    """What parse()'s catch-all swallowed: each one is a message read as
    "unreadable" because the grammar broke, not because the text was."""
    caught: list[BaseException] = []
    real: Callable[..., grammar.Parsed] = grammar._parse

    def watched(*args: object) -> grammar.Parsed:
        try:
            return real(*args)
        except Exception as error:
            caught.append(error)
            raise

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grammar, "_parse", watched)
        yield caught


@settings(
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=sms_texts(), now=moments, names=parcel_names)
def test_any_text_reads_as_a_well_formed_result(
    safety_net: list[BaseException],
    text: str,
    now: datetime,
    names: Mapping[str, str],
) -> None:
    safety_net.clear()
    result = parse(text, now=now, parcel_names=names)

    assert safety_net == [], f"the grammar broke on {text!r}: {safety_net[0]!r}"
    assert result.text == text
    assert result.intent in INTENTS
    assert result.language in ("fr", "en")
    assert result.problems == [p for p in PROBLEMS if p in result.problems]
    assert ("too_long" in result.problems) == (len(text) > MAX_LENGTH)
    if "empty" in result.problems:
        assert result.intent == "unknown"
        assert not re.search("[A-Za-z0-9]", text[:MAX_LENGTH])

    assert result.parcel is None or PARCEL.fullmatch(result.parcel)
    assert result.crop is None or crops.get_crop(result.crop) is not None
    assert result.unit is None or result.unit in crops.UNITS
    _check_quantity(result)
    _check_date(result, now.date())
    _check_offer_code(result)
    if result.intent not in ("announce", "claim"):
        assert result.quantity is None and result.crop is None

    as_json = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert set(as_json) == FIELDS
    assert as_json == result.to_dict()


def _check_quantity(result: grammar.Parsed) -> None:
    if result.quantity is None:
        assert result.quantity_kg is None and result.unit is None
        return
    assert math.isfinite(result.quantity)
    kg = result.quantity_kg
    if kg is not None:
        assert isinstance(kg, float) and math.isfinite(kg)
        assert result.unit is not None
    # Written zero, negative or absurd, it is kept as written and flagged
    # (kilos that come out at nothing are test_no_weight_at_all_is_always_flagged).
    if result.quantity <= 0 or result.quantity > MAX_KG or (kg or 0) > MAX_KG:
        assert "bad_quantity" in result.problems


def _check_date(result: grammar.Parsed, today: date) -> None:
    until = result.available_until
    shown = result.to_dict()["available_until"]
    if until is None:
        assert shown is None and "date_in_past" not in result.problems
        return
    assert isinstance(shown, str) and date.fromisoformat(shown) == until
    assert result.intent == "announce"
    assert ("date_in_past" in result.problems) == (until < today)


def _check_offer_code(result: grammar.Parsed) -> None:
    if result.intent in REPLY_INTENTS:
        missing = "missing_offer_code" in result.problems
        assert missing == (result.offer_code is None)
    else:
        assert result.offer_code is None
        assert "missing_offer_code" not in result.problems
    assert result.offer_code is None or OFFER_CODE.fullmatch(result.offer_code)


AMOUNTS = st.lists(
    st.sampled_from(
        [*NUMBERS, *UNITS, "ail", "courges", "carottes", "P1", "DISPO", "OUI A12",
         "de", "x", ":", "(", ")", "=", "0KG", "0 kg", "-5 kg", "- 5 kg", "0.004 kg"]
    ),
    min_size=1,
    max_size=8,
).map(" ".join)  # fmt: skip


@settings(max_examples=3_000, deadline=None)
@given(text=AMOUNTS)
def test_no_weight_at_all_is_always_flagged(text: str) -> None:
    """A reading of zero or fewer kilos must never pass for an amount."""
    result = parse(text, now=NOON)
    kg = result.quantity_kg
    if kg is not None and kg <= 0:
        assert "bad_quantity" in result.problems, result


@pytest.mark.parametrize(
    "text",
    [
        "DISPO P1 1 ail -5 kg",  # by SMS: a surplus of -5 kg, confirmed as such
        "DISPO P1 carottes 0.004 kg",  # 0.0 kg once rounded; inbox asks "how much?"
        "DISPO P1 1 AIL:0KG",
        "OUI A12 0.001",  # 0.0 kg; inbox asks "how many kg?"
    ],
)
def test_a_weight_of_nothing_or_less_is_a_bad_quantity(text: str) -> None:
    """The reproducers the two fuzz tests above found."""
    result = parse(text, now=NOON)
    assert result.quantity_kg is not None and result.quantity_kg <= 0
    assert "bad_quantity" in result.problems
