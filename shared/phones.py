"""Phone numbers: E.164 normalization, and masking so logs never hold one in full."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

DEFAULT_REGION = "CA"
MASK = "••"

# No letters: phonenumbers reads them as a phone keypad, so "450 555 0142 svp"
# would become a different, longer number instead of being rejected.
_ALLOWED_CHARS = re.compile(r"[\d\s+().\-/]+")
# NANP: area code and exchange start with 2-9 and are not N11 (411, 911...).
_NANP_NATIONAL = re.compile(r"[2-9](?!11)\d\d[2-9](?!11)\d\d\d{4}")
# Below this many digits an odd string is too short to show even its last two.
_MIN_DIGITS_TO_HINT = 6

_NANP_IN_TEXT = r"""
    (?:\+?1[ .-]?)?                      # optional country code
    (?:\([2-9]\d\d\)\ ?|[2-9]\d\d[ .-]?)  # area code, maybe in parentheses
    [2-9]\d\d[ .-]?\d{4}                 # exchange and line
"""
_INTL_IN_TEXT = r"\+[1-9](?:[ .-]?\d){6,14}"  # E.164, maybe spaced: 7-15 digits
# Not inside a word, a longer number, the decimals of a float (45.4505550142) or
# an already masked number ("+1450555••42" must not become "••55••42").
_PHONE_IN_TEXT = re.compile(
    rf"(?<![\w+•])(?<!\d\.)(?:{_NANP_IN_TEXT}|{_INTL_IN_TEXT})(?![\w•])",
    re.VERBOSE,
)


def _is_acceptable(number: PhoneNumber) -> bool:
    """Valid number, or a well-formed North American one.

    `is_valid_number` follows the metadata's list of assigned number blocks:
    it can reject a new area code before the library is updated, or a fictional
    555-01XX number used in demos and tests. For NANP the length and the N11 /
    leading-digit rules are enough to tell a number that can receive an SMS.
    """
    if number.country_code == 1:
        national = str(number.national_number)
        return phonenumbers.is_possible_number(number) and bool(
            _NANP_NATIONAL.fullmatch(national)
        )
    return phonenumbers.is_valid_number(number)


def normalize(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form of `raw` ("+14505550142"), or None if it is not a phone number.

    Accepts the usual spellings: "450-555-0142", "(450) 555 0142",
    "+1 450 555 0142", "1-450-555-0142". Numbers without a country code are read
    in `region`. Letters (vanity numbers, extensions) are rejected.
    """
    if not raw or not _ALLOWED_CHARS.fullmatch(raw):
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        return None
    if not _is_acceptable(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _mask_digits(raw: str) -> str:
    digits = re.findall(r"\d", raw)
    if len(digits) < _MIN_DIGITS_TO_HINT:
        return MASK
    return MASK + "".join(digits[-2:])


def mask(phone: str | None) -> str:
    """A phone number safe to log: "+14505550142" -> "+1450555••42".

    North American numbers keep country code, area code and exchange (enough to
    tell regions apart); other countries keep only their country code. Only the
    last two digits of the subscriber number are ever shown; input that is not
    a phone number shows at most its last two digits, or nothing when short.
    """
    if not phone:
        return ""
    if MASK in phone:  # already masked; still make sure nothing else leaks
        return mask_in_text(phone)
    e164 = normalize(phone)
    if e164 is None:
        return _mask_digits(phone)
    country_code = phonenumbers.parse(e164).country_code
    if country_code == 1:
        return e164[:-4] + MASK + e164[-2:]
    return f"+{country_code}{MASK}{e164[-2:]}"


def mask_in_text(text: str) -> str:
    """`text` with every phone-number-looking substring masked.

    Finds E.164 numbers (spaced or not) and the usual North American spellings;
    each is replaced by its `mask`. Errs toward masking a number that is not a
    phone number rather than missing one that is.
    """
    return _PHONE_IN_TEXT.sub(lambda match: mask(match.group()), text)
