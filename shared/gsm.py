"""SMS text that fits: GSM-7 vs UCS-2 encoding and segment counting.

An SMS is sent in GSM-7 (7-bit septets) when every character is in the GSM 03.38
default alphabet, otherwise the whole message switches to UCS-2 (UTF-16), which
fits less than half as many characters per segment. One stray curly apostrophe
from a phone keyboard is enough to double the cost of a French message, so
`to_gsm7` swaps such characters for GSM-7 equivalents when the meaning survives.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# 3GPP TS 23.038, 6.2.1: default alphabet in table order (0x00 to 0x7F). 0x1B is
# the escape to the extension table, not a character, so it is left out.
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# 6.2.1.1: default extension table; each costs an escape septet plus itself.
GSM7_EXTENDED: frozenset[str] = frozenset("\f^{}\\[~]|€")

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# Septets (GSM-7) or UTF-16 code units (UCS-2) per segment. A multipart message
# loses 7 septets / 3 code units of each segment to the 6-byte concatenation UDH.
_SINGLE = {GSM7: 160, UCS2: 70}
_MULTI = {GSM7: 153, UCS2: 67}

# Characters that force UCS-2 but have a GSM-7 spelling with the same meaning.
# Accented letters missing from GSM-7 (â ê î ô û ë ï ç, À Â Ê È ...) are not
# listed: `_fold` drops their accent. "ç" becomes "c" rather than the GSM-7 "Ç",
# because "franÇais" reads worse than "francais".
_REPLACEMENTS: dict[str, str] = {
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’ (the apostrophe French keyboards type)
    "\u201a": "'",  # ‚
    "\u201b": "'",  # ‛
    "\u2032": "'",  # ′
    "`": "'",
    "\u00b4": "'",  # ´
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    "\u2039": '"',  # ‹
    "\u203a": '"',  # ›
    "\u2033": '"',  # ″
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # – en dash
    "\u2014": "-",  # — em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # …
    "\u00a0": " ",  # no-break space (French typography before : ; ! ?)
    "\u202f": " ",  # narrow no-break space
    "\u2009": " ",  # thin space
    "\t": " ",
    "\u00b0": "o",  # ° as in "n°" (numéro) -> "no", "4 °C" -> "4 oC"
    "\u00ba": "o",  # º ordinal indicator, often typed for °
    "\u2022": "-",  # • bullet
    "\u00b7": ".",  # · middle dot (inclusive writing: producteur·rice·s)
    "\u00d7": "x",  # ×
    "\u0153": "oe",  # œ (NFKD does not split the ligature)
    "\u0152": "OE",  # Œ
    "\u200b": "",  # zero-width space
    "\u00ad": "",  # soft hyphen
    "\ufeff": "",  # BOM / zero-width no-break space
}

# « Bonjour » -> "Bonjour": the spaces inside French quotes are typography only.
_GUILLEMETS = re.compile("«[ \u00a0\u202f]*|[ \u00a0\u202f]*»")


@dataclass(frozen=True)
class Segments:
    """How a text is encoded and how many SMS segments it takes."""

    encoding: str  # GSM7 ("GSM-7") or UCS2 ("UCS-2")
    units: int  # septets for GSM-7 (extended chars count 2), UTF-16 code units
    segments: int
    per_segment: int  # 160/70 for a single SMS, 153/67 once concatenated


@dataclass(frozen=True)
class SmsText:
    """A body ready to send, with its segment count (for logs and costs)."""

    body: str
    segments: Segments


def is_gsm7(text: str) -> bool:
    """True when every character of `text` can be sent in GSM-7."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def _unit_costs(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENDED else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(costs: list[int], capacity: int) -> int:
    """Number of segments when characters are packed greedily, never split.

    Phones and carriers keep an escape pair (GSM-7) or a surrogate pair (UCS-2)
    in one segment, so a 2-unit character that would straddle the boundary
    moves whole to the next segment and leaves one unit unused.
    """
    segments, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            segments, used = segments + 1, 0
        used += cost
    return segments


def count_segments(text: str) -> Segments:
    """Encoding, size and segment count of `text` as an SMS.

    An empty text still counts as one (empty) segment.
    """
    encoding = GSM7 if is_gsm7(text) else UCS2
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    if units <= _SINGLE[encoding]:
        return Segments(encoding, units, 1, _SINGLE[encoding])
    per_segment = _MULTI[encoding]
    return Segments(encoding, units, _pack(costs, per_segment), per_segment)


def _fold(ch: str) -> str:
    """GSM-7 spelling of one non-GSM-7 character, or the character itself.

    NFKD splits accents off (ê -> e + U+0302) and unfolds compatibility forms
    (ﬁ -> fi, ² -> 2); the result is used only if it is entirely GSM-7.
    """
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base if base and is_gsm7(base) else ch


def to_gsm7(text: str) -> str:
    """Replace characters that would force UCS-2 when the meaning survives.

    Typographic quotes, dashes, ellipsis and special spaces get their ASCII
    form (« Bonjour » -> "Bonjour"); French accents that GSM-7 lacks lose the
    accent (ê -> e, Â -> A, ç -> c) while the ones it has are kept (é è à ù É Ç).
    Anything without a faithful GSM-7 form, such as an emoji or a non-Latin
    script, is left as is: the message then goes out in UCS-2, because meaning
    matters more than cost.
    """
    out: list[str] = []
    for ch in _GUILLEMETS.sub('"', text):
        if ch in GSM7_BASIC or ch in GSM7_EXTENDED:
            out.append(ch)
        elif ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
        else:
            out.append(_fold(ch))
    return "".join(out)


_SPACE_RUNS = re.compile(r" {2,}")
_SPACES_AT_LINE_ENDS = re.compile(r" *\n *")


def fit_sms(text: str) -> str:
    """`to_gsm7`, then collapse runs of spaces and trim spaces at line ends.

    Newlines are kept: they are one GSM-7 septet and help reading on a phone.
    """
    body = _SPACE_RUNS.sub(" ", to_gsm7(text))
    return _SPACES_AT_LINE_ENDS.sub("\n", body).strip()


def prepare_sms(text: str) -> SmsText:
    """`fit_sms` plus the segment count of the result."""
    body = fit_sms(text)
    return SmsText(body, count_segments(body))
