"""Reading what people type in forms: kind errors, nothing thrown away."""

from __future__ import annotations

import re

_NUMBER = re.compile(
    r"^\s*~?\s*(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,](\d+))?\s*$"
)


def parse_quantity(raw: str | None) -> float | None:
    """ "1 000", "1,5", "~300" -> float; "" -> None; raises ValueError otherwise."""
    text = (raw or "").strip().lower().removesuffix("kg").strip()
    if not text:
        return None
    match = _NUMBER.match(text)
    if not match:
        raise ValueError(raw)
    whole = re.sub(r"\D", "", match.group(1))
    value = float(f"{whole}.{match.group(2) or '0'}")
    if value <= 0 or value > 1_000_000:
        raise ValueError(raw)
    return value
