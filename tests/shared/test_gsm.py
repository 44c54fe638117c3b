from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.gsm import (
    GSM7,
    GSM7_BASIC,
    GSM7_EXTENDED,
    UCS2,
    Segments,
    count_segments,
    fit_sms,
    is_gsm7,
    prepare_sms,
    to_gsm7,
)

OFFER_FR = (
    "Offre A12 : 500 kg de courges à Saint-Jacques, jusqu’à ven. "
    "Répondez OUI A12 ou NON A12."
)
EMOJI = "😀"  # outside the BMP: two UTF-16 code units


# --- character sets -----------------------------------------------------------


def test_basic_set_is_the_default_alphabet_without_escape() -> None:
    assert len(GSM7_BASIC) == 127
    assert "\x1b" not in GSM7_BASIC
    assert set("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r") <= GSM7_BASIC


def test_extended_set() -> None:
    assert set("\f^{}\\[~]|€") == GSM7_EXTENDED
    assert not GSM7_BASIC & GSM7_EXTENDED


@pytest.mark.parametrize("ch", list("âêîôûëïçœÀÂÊÎÔÛÈ’«»–…`"))
def test_characters_missing_from_gsm7(ch: str) -> None:
    assert not is_gsm7(ch)


# --- count_segments: GSM-7 ----------------------------------------------------


@pytest.mark.parametrize(
    ("length", "segments", "per_segment"),
    [
        (0, 1, 160),
        (1, 1, 160),
        (160, 1, 160),
        (161, 2, 153),
        (306, 2, 153),
        (307, 3, 153),
        (459, 3, 153),
        (460, 4, 153),
    ],
)
def test_gsm7_boundaries(length: int, segments: int, per_segment: int) -> None:
    assert count_segments("a" * length) == Segments(GSM7, length, segments, per_segment)


def test_extended_chars_count_two_septets() -> None:
    assert count_segments("€" * 80) == Segments(GSM7, 160, 1, 160)
    assert count_segments("{" * 80 + "a") == Segments(GSM7, 161, 2, 153)


def test_escape_pair_fits_exactly_at_the_153_boundary() -> None:
    # 151 + 2 = 153: the pair closes the first segment.
    assert count_segments("a" * 151 + "€" + "a" * 153).segments == 2


def test_escape_pair_never_splits_across_segments() -> None:
    # 306 septets would fit 2 x 153, but the pair at septets 153-154 cannot be
    # split: it moves to segment 2, whose last septet spills into a third.
    text = "a" * 152 + "€" + "a" * 152
    assert count_segments(text) == Segments(GSM7, 306, 3, 153)


def test_newlines_and_gsm7_accents_stay_gsm7() -> None:
    text = "Été\nà ù ì ò É Ç Ñ ß Æ æ"
    assert count_segments(text) == Segments(GSM7, len(text), 1, 160)


# --- count_segments: UCS-2 ----------------------------------------------------


@pytest.mark.parametrize(
    ("length", "segments", "per_segment"),
    [(70, 1, 70), (71, 2, 67), (134, 2, 67), (135, 3, 67), (201, 3, 67)],
)
def test_ucs2_boundaries(length: int, segments: int, per_segment: int) -> None:
    assert count_segments("ê" * length) == Segments(UCS2, length, segments, per_segment)


def test_one_non_gsm_char_switches_the_whole_text_to_ucs2() -> None:
    result = count_segments("a" * 100 + "’")
    assert result == Segments(UCS2, 101, 2, 67)


def test_emoji_counts_two_code_units() -> None:
    assert count_segments(EMOJI * 35) == Segments(UCS2, 70, 1, 70)
    assert count_segments(EMOJI * 36) == Segments(UCS2, 72, 2, 67)


def test_surrogate_pair_never_splits_across_segments() -> None:
    text = "a" * 66 + EMOJI + "a" * 66
    assert count_segments(text) == Segments(UCS2, 134, 3, 67)


def test_extended_chars_cost_one_unit_in_ucs2() -> None:
    assert count_segments("€" * 69 + "ê") == Segments(UCS2, 70, 1, 70)


@given(st.text(max_size=400))
def test_segment_count_is_consistent(text: str) -> None:
    result = count_segments(text)
    assert result.segments >= max(1, math.ceil(result.units / result.per_segment))
    assert result.segments * result.per_segment >= result.units
    if result.segments == 1:
        assert result.units <= result.per_segment


# --- to_gsm7 ------------------------------------------------------------------


def test_french_offer_fits_one_gsm7_segment_after_conversion() -> None:
    assert count_segments(OFFER_FR).encoding == UCS2
    converted = to_gsm7(OFFER_FR)
    assert converted == OFFER_FR.replace("’", "'")
    assert count_segments(converted) == Segments(GSM7, len(converted), 1, 160)


def test_long_french_confirmation_fits_one_segment() -> None:
    text = (
        "Réservé : 200 kg de courges (offre A12) pour la Maison d’entraide "
        "Saint-Gabriel. Cueillette à la ferme « Les Quatre Vents » jeudi "
        "entre 9 h et 11 h — merci !"
    )
    body = fit_sms(text)
    assert count_segments(body).encoding == GSM7
    assert count_segments(body).segments == 1
    assert '"Les Quatre Vents"' in body


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jusqu’à", "jusqu'à"),
        ("‘oui’", "'oui'"),
        ("“oui”", '"oui"'),
        ("« Bonjour »", '"Bonjour"'),
        ("«\u00a0Bonjour\u202f»", '"Bonjour"'),
        ("9 h – 11 h", "9 h - 11 h"),
        ("courges — 500 kg", "courges - 500 kg"),
        ("à suivre…", "à suivre..."),
        ("Prix\u00a0: 0\u202f$", "Prix : 0 $"),
        ("n° 12", "no 12"),
        ("• courges", "- courges"),
        ("producteur·rice·s", "producteur.rice.s"),
        ("œufs", "oeufs"),
        ("Œuvre", "OEuvre"),
        ("fenêtre", "fenetre"),
        ("île", "ile"),
        ("hôpital", "hopital"),
        ("flûte", "flute"),
        ("Noël", "Noel"),
        ("maïs", "mais"),
        ("âge", "age"),
        ("français", "francais"),
        ("À VENDRE", "A VENDRE"),
        ("ÂGE", "AGE"),
        ("ÊTRE", "ETRE"),
        ("ÎLE", "ILE"),
        ("HÔTEL", "HOTEL"),
        ("FLÛTE", "FLUTE"),
        ("ÈRE", "ERE"),
        ("NOËL", "NOEL"),
        ("MAÏS", "MAIS"),
        ("OÙ", "OU"),
        ("m²", "m2"),
    ],
)
def test_to_gsm7_replacements(raw: str, expected: str) -> None:
    assert to_gsm7(raw) == expected
    assert is_gsm7(expected)


def test_gsm7_letters_are_kept() -> None:
    kept = "é è à ù ì ò É Ä Ö Ñ Ü ä ö ñ ü ß Ç Ø ø Å å Æ æ € { } [ ] ~ \\ | ^"
    assert to_gsm7(kept) == kept


def test_capital_c_cedilla_is_kept_and_lowercase_loses_its_cedilla() -> None:
    assert to_gsm7("ÇA") == "ÇA"
    assert to_gsm7("ça") == "ca"
    assert count_segments(to_gsm7("Reçu, ÇA MARCHE")).encoding == GSM7


@pytest.mark.parametrize("text", [f"Merci {EMOJI}", "Спасибо", "谢谢", "½ tonne"])
def test_unmappable_characters_are_left_as_is(text: str) -> None:
    assert to_gsm7(text) == text
    assert count_segments(to_gsm7(text)).encoding == UCS2


@given(st.text(max_size=200))
def test_to_gsm7_is_idempotent(text: str) -> None:
    once = to_gsm7(text)
    assert to_gsm7(once) == once


def test_every_french_letter_becomes_gsm7() -> None:
    french = "àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ"
    assert is_gsm7(to_gsm7(french))


# --- fit_sms / prepare_sms ----------------------------------------------------


def test_fit_sms_collapses_spaces_and_trims() -> None:
    raw = "  Offre  A12 :\u00a0 500 kg   \n  Répondez OUI A12  "
    assert fit_sms(raw) == "Offre A12 : 500 kg\nRépondez OUI A12"


def test_fit_sms_keeps_line_breaks() -> None:
    assert fit_sms("Ligne 1\nLigne 2\n\nLigne 4") == "Ligne 1\nLigne 2\n\nLigne 4"


def test_fit_sms_french_offer() -> None:
    assert fit_sms(OFFER_FR) == OFFER_FR.replace("’", "'")


def test_prepare_sms_returns_body_and_segments() -> None:
    sms = prepare_sms(OFFER_FR)
    assert sms.body == fit_sms(OFFER_FR)
    assert sms.segments == count_segments(sms.body)
    assert sms.segments.encoding == GSM7
