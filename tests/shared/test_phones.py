from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.phones import MASK, mask, mask_in_text, normalize

# --- normalize ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "450-555-0142",
        "(450) 555 0142",
        "(450)555-0142",
        "+1 450 555 0142",
        "+1 (450) 555-0142",
        "1-450-555-0142",
        "1 450 555 0142",
        "450.555.0142",
        "4505550142",
        "14505550142",
        "+14505550142",
        "  450 555 0142  ",
    ],
)
def test_normalize_usual_spellings(raw: str) -> None:
    assert normalize(raw) == "+14505550142"


@pytest.mark.parametrize("area", ["450", "514", "819", "438", "263", "354", "873"])
def test_fictional_555_01xx_numbers_are_accepted(area: str) -> None:
    lines = [f"{n:04d}" for n in range(100, 200)]
    normalized = [normalize(f"+1 {area} 555 {line}") for line in lines]
    assert normalized == [f"+1{area}555{line}" for line in lines]


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "12345",
        "555-0142",  # no area code
        "450-555-01423",  # too long
        "450-555-014",  # too short
        "911-555-0142",  # N11 area code
        "450-411-0142",  # N11 exchange
        "150-555-0142",  # area code starting with 1
        "450-155-0142",  # exchange starting with 1
        "050-555-0142",
        "abc",
        "450 555 0142 svp",  # letters would be read as a keypad
        "1-800-FLOWERS",
        "450-555-0142 ext 5",
        "+",
        "+999 1234 5678",  # unassigned country code
    ],
)
def test_normalize_rejects(raw: str) -> None:
    assert normalize(raw) is None


def test_normalize_international() -> None:
    assert normalize("+33 6 12 34 56 78") == "+33612345678"
    assert normalize("06 12 34 56 78", region="FR") == "+33612345678"
    assert normalize("06 12 34 56 78") is None  # read as North American


def test_normalize_is_idempotent() -> None:
    e164 = normalize("(450) 555 0142")
    assert e164 is not None
    assert normalize(e164) == e164


# --- mask ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+14505550142", "+1450555••42"),
        ("(450) 555-0142", "+1450555••42"),
        ("1-819-555-0199", "+1819555••99"),
        ("+33 6 12 34 56 78", "+33••78"),
        (None, ""),
        ("", ""),
        ("12", MASK),
        ("12345", MASK),
        ("555-0142", "••42"),
        ("not a phone", MASK),
        ("450 555 0142 svp", "••42"),
        ("+1450555••42", "+1450555••42"),
    ],
)
def test_mask(phone: str | None, expected: str) -> None:
    assert mask(phone) == expected


def test_mask_of_masked_text_still_hides_a_full_number() -> None:
    assert mask("+1450555••42 / 4505550143") == "+1450555••42 / +1450555••43"


@given(st.text(alphabet="0123456789 +-()x", max_size=30))
def test_mask_never_shows_more_than_two_subscriber_digits(raw: str) -> None:
    masked = mask(raw)
    e164 = normalize(raw)
    if e164 is not None and e164.startswith("+1"):
        # Country code, area code and exchange, then only the last two digits.
        assert masked == e164[:8] + MASK + e164[-2:]
    else:
        assert len(re.sub(r"\D", "", masked.split(MASK)[-1])) <= 2


# --- mask_in_text -------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "+14505550142",
        "+1 450 555 0142",
        "+1-450-555-0142",
        "+1 (450) 555-0142",
        "1-450-555-0142",
        "1.450.555.0142",
        "(450) 555-0142",
        "(450)555-0142",
        "450-555-0142",
        "450.555.0142",
        "450 555 0142",
        "4505550142",
    ],
)
def test_mask_in_text_north_american_spellings(spelling: str) -> None:
    line = f"twilio: POST to={spelling}, status=queued"
    assert mask_in_text(line) == "twilio: POST to=+1450555••42, status=queued"


def test_mask_in_text_several_numbers() -> None:
    line = "from +14505550142 to (819) 555-0199 and +33 6 12 34 56 78."
    assert mask_in_text(line) == "from +1450555••42 to +1819555••99 and +33••78."


@pytest.mark.parametrize(
    "line",
    [
        "offer.sent offer_id=12 wave=2 qty=500 kg",
        "date=2024-05-12T10:20:30Z",
        "ts=1717171717 ms=1717171717123",
        "ip=192.168.100.200",
        "sid=SM4505550142abcdef",
        "lat=45.4505550142 lon=-73.5",
        "postal=J0K 1A0 offer A12",
        "price=12.50$ weight=1 234 kg",
        "id=550e8400-e29b-41d4-a716-446655440000",
    ],
)
def test_mask_in_text_leaves_other_numbers(line: str) -> None:
    assert mask_in_text(line) == line


def test_mask_in_text_is_idempotent() -> None:
    once = mask_in_text("to=+14505550142 from=+33612345678")
    assert mask_in_text(once) == once


def test_mask_in_text_masks_too_long_international_numbers() -> None:
    assert mask_in_text("to=+1 450 555 01423") == "to=••23"


@given(st.from_regex(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True))
def test_mask_in_text_never_leaks_an_e164_number(e164: str) -> None:
    assert e164 not in mask_in_text(f"sms to {e164} failed")
