"""Offer texts: in the reader's language, with the code and link, one SMS."""

from __future__ import annotations

from datetime import date

from shared import compose, gsm
from shared.models import Farm, Surplus


def surplus(crop: str = "courge", town: str = "Saint-Jacques") -> Surplus:
    farm = Farm(
        name="Ferme Beaulieu", municipality=town, lat=46, lon=-73.5, form_token="x"
    )
    return Surplus(
        code="A12",
        crop=crop,
        quantity=500,
        unit="kg",
        quantity_kg=500,
        remaining_kg=500,
        available_until=date(2026, 9, 18),
        kind="glean",
        farm=farm,
    )


LINK = "https://glanage.example.org/r/3f-tpn0yl.czfp8tR02zbBF2uPE1L-TvwJ-OA"


def test_offer_sms_fits_one_gsm7_segment_in_both_languages() -> None:
    for lang in ("fr", "en"):
        text = compose.offer(surplus(), lang, LINK).sms
        segments = gsm.count_segments(text)
        assert segments.encoding == "GSM-7" and segments.segments == 1, text
        assert "A12" in text and LINK in text


def test_offer_is_french_or_english() -> None:
    assert "OUI A12" in compose.offer(surplus(), "fr", LINK).sms
    assert "YES A12" in compose.offer(surplus(), "en", LINK).sms
    assert "courge 500 kg" in compose.offer(surplus(), "fr", LINK).sms
    assert "18 sept" in compose.offer(surplus(), "fr", LINK).sms
    english = compose.offer(surplus(), "en", LINK).sms
    assert "squash" in english and "Sep 18" in english


def test_long_town_names_still_make_a_readable_sms() -> None:
    text = compose.offer(
        surplus("pomme de terre", "Sainte-Émélie-de-l'Énergie"), "fr", LINK
    ).sms
    assert gsm.count_segments(text).segments <= 2
    assert "Sainte-Émélie-de-l'Énergie" in text  # É is GSM-7: the name survives
