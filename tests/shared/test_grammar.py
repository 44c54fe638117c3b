"""The SMS grammar, read the way farmers and organizations really write.

Every test reads messages on Monday 14 September 2026 at 10:00 in Lanaudière,
so "vendredi" is 2026-09-18 and "demain" 2026-09-15.
"""

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import grammar
from shared.grammar import MAX_LENGTH, PROBLEMS, Parsed, parse

NOW = datetime(2026, 9, 14, 10, 0, tzinfo=ZoneInfo("America/Toronto"))
MESSAGES = Path(__file__).parent.parent / "data" / "messages.jsonl"
KEYS = [
    "intent",
    "language",
    "parcel",
    "crop",
    "quantity",
    "unit",
    "quantity_kg",
    "available_until",
    "offer_code",
    "problems",
]


def read(text: str, **parcel_names: str) -> Parsed:
    return parse(text, now=NOW, parcel_names=parcel_names or None)


# --- The contract in DESIGN §5 --------------------------------------------------


def test_design_example_parses_to_the_documented_json() -> None:
    assert read("DISPO P3 courges 500 kg jusqu'à vendredi").to_dict() == {
        "intent": "announce",
        "language": "fr",
        "parcel": "P3",
        "crop": "courge",
        "quantity": 500,
        "unit": "kg",
        "quantity_kg": 500.0,
        "available_until": "2026-09-18",
        "offer_code": None,
        "problems": [],
    }


def test_to_dict_has_exactly_the_documented_keys_in_order() -> None:
    assert list(read("OUI A12 200").to_dict()) == KEYS


def test_to_dict_types() -> None:
    result = read("dispo p3 courges 1,5 t demain").to_dict()
    assert result["quantity"] == 1.5 and isinstance(result["quantity"], float)
    assert isinstance(result["quantity_kg"], float)
    assert result["available_until"] == "2026-09-15"
    whole = read("dispo p3 courges 500 kg").to_dict()
    assert whole["quantity"] == 500 and isinstance(whole["quantity"], int)
    assert json.loads(json.dumps(whole)) == whole


def test_to_dict_of_an_unreadable_message_is_all_nulls() -> None:
    assert read("Merci beaucoup!").to_dict() == {
        "intent": "unknown",
        "language": "fr",
        "parcel": None,
        "crop": None,
        "quantity": None,
        "unit": None,
        "quantity_kg": None,
        "available_until": None,
        "offer_code": None,
        "problems": ["unreadable"],
    }


def test_the_raw_message_is_kept_untouched() -> None:
    text = "  Dispo P3 courges 500 kg jusqu’à vendredi 😀\n"
    assert read(text).text == text


def test_relative_dates_resolve_against_the_given_now() -> None:
    sunday_night = datetime(2026, 9, 20, 23, 30, tzinfo=ZoneInfo("America/Toronto"))
    result = parse("dispo p3 courges 500 kg demain", now=sunday_night)
    assert result.available_until == date(2026, 9, 21)


# --- Intents --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("DISPO P3 courges 500 kg", "announce"),
        ("DISPONIBLE P3 courges 500 kg", "announce"),
        ("disponible", "announce"),
        ("READY P1 lettuce 40 crates", "announce"),
        ("AVAILABLE P1 lettuce 40 crates", "announce"),
        ("SURPLUS P1 laitue 40 caisses", "announce"),
        ("Parcelle 2 prête, carottes environ 300 lb", "announce"),
        ("dispnible p2 tomates 25 boites", "announce"),
        ("OUI A12 200", "claim"),
        ("oui A12", "claim"),
        ("YES A12 150 kg", "claim"),
        ("ok A12", "claim"),
        ("A12 ok", "claim"),
        ("On prend A12", "claim"),
        ("je prends a12", "claim"),
        ("A12 200 kg", "claim"),
        ("A-12 200 kg", "claim"),
        ("merci A12 200 kg", "claim"),
        ("Nous allons prendre A12", "claim"),
        ("NON A12", "decline"),
        ("NO A12", "decline"),
        ("Non merci A12", "decline"),
        ("no thanks A12", "decline"),
        ("pas intéressé A12", "decline"),
        ("ANNULE A12", "cancel"),
        ("ANNULER A12", "cancel"),
        ("annulé A12", "cancel"),
        ("CANCEL A12", "cancel"),
        ("A12 plus dispo", "cancel"),
        ("LISTE", "status"),
        ("STATUT", "status"),
        ("STATUS", "status"),
        ("LIST", "status"),
        ("état", "status"),
        ("AIDE", "help"),
        ("HELP", "help"),
        ("INFO", "help"),
        ("?", "help"),
        ("aide svp", "help"),
        ("ARRET", "stop"),
        ("ARRÊT", "stop"),
        ("arrêt", "stop"),
        ("STOP", "stop"),
        ("Stop svp", "stop"),
        ("DESABONNER", "stop"),
        ("DÉSABONNER", "stop"),
        ("UNSUBSCRIBE", "stop"),
        ("Désabonnez-moi", "stop"),
        ("STOP annuler", "stop"),
        ("START", "start"),
        ("REPRISE", "start"),
        ("UNSTOP", "start"),
        ("", "unknown"),
        ("Merci beaucoup!", "unknown"),
        ("ok merci", "unknown"),
        ("A12", "unknown"),
        ("Info P3", "help"),
        ("Les carottes sont plus dispo", "cancel"),
        ("12345678", "unknown"),
    ],
)
def test_intent(text: str, intent: str) -> None:
    assert read(text).intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "Je veux plus recevoir vos textos",
        "je ne veux plus recevoir de messages",
        "Retirez-moi de la liste svp",
        "Retire moi de ta liste stp",
        "Enlevez-nous de vos envois",
        "Ne m'écrivez plus",
        "plus de textos svp",
        "Please remove me from your list",
        "Take me off this list",
        "Don't text me again",
        "no more texts please",
        "opt out",
        # Carriers' own opt-out words, alone: the carrier already stopped texts.
        "CANCEL",
        "End",
        "STOPALL",
        "QUIT",
    ],
)
def test_sentences_that_clearly_mean_stop(text: str) -> None:
    assert read(text).intent == "stop"


@pytest.mark.parametrize(
    "text",
    [
        "CANCEL A12",  # a farmer withdrawing an offer
        "Retire A12",
        "on veut pas avoir de courges",  # about squash, not about texts
        "on veut plus recevoir de courges",
        "dispo p2 patates 20 kg, plus de place au frigo",
    ],
)
def test_near_stop_sentences_are_not_a_stop(text: str) -> None:
    assert read(text).intent != "stop"


@pytest.mark.parametrize(
    "text",
    ["Liste", "LISTE", "liste", "lIsTe", "Statut", "statut", "STATUT", "Aïde", "AIDE"],
)
def test_keywords_ignore_case_and_accents(text: str) -> None:
    assert read(text).intent in ("status", "help")


def test_help_or_status_keyword_then_an_announcement_is_an_announcement() -> None:
    assert read("Info: P3 carottes 300 kg").intent == "announce"


def test_a_farmer_answering_oui_with_an_announcement_announces() -> None:
    result = read("Oui, parcelle 3 carottes 300 lb")
    assert (result.intent, result.parcel, result.crop) == ("announce", "P3", "carotte")


# --- Offer codes and replies ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent", "code", "quantity", "unit", "kg"),
    [
        ("OUI A12 200", "claim", "A12", 200, "kg", 200.0),
        ("oui a12", "claim", "A12", None, None, None),
        ("OUI A12 200kg", "claim", "A12", 200, "kg", 200.0),
        ("YES A12 150 kg", "claim", "A12", 150, "kg", 150.0),
        ("yes a12 100 lbs", "claim", "A12", 100, "lb", 45.36),
        ("oui B7 1 000 lb", "claim", "B7", 1000, "lb", 453.59),
        ("Oui on prend A7, 80 kilos", "claim", "A7", 80, "kg", 80.0),
        ("Bonjour, oui pour A12 svp", "claim", "A12", None, None, None),
        ("oui #A12 50", "claim", "A12", 50, "kg", 50.0),
        ("oui A-12", "claim", "A12", None, None, None),
        ("oui a 12", "claim", "A12", None, None, None),
        ("Oui A12 - 200 kg", "claim", "A12", 200, "kg", 200.0),
        ("oui z9999", "claim", "Z9999", None, None, None),
        ("OUI P3", "claim", "P3", None, None, None),
        ("NON A12", "decline", "A12", None, None, None),
        ("non merci a12, pas de place au frigo", "decline", "A12", None, None, None),
        ("ANNULE A12", "cancel", "A12", None, None, None),
        ("annuler a12 svp", "cancel", "A12", None, None, None),
    ],
)
def test_replies_about_an_offer(
    text: str,
    intent: str,
    code: str,
    quantity: float | None,
    unit: str | None,
    kg: float | None,
) -> None:
    result = read(text)
    assert (result.intent, result.offer_code) == (intent, code)
    assert (result.quantity, result.unit, result.quantity_kg) == (quantity, unit, kg)
    assert result.problems == []


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("OUI", "claim"),
        ("Non", "decline"),
        ("annule", "cancel"),
        ("Oui 200 kg", "claim"),
    ],
)
def test_reply_without_offer_code(text: str, intent: str) -> None:
    result = read(text)
    assert result.intent == intent
    assert result.offer_code is None
    assert result.problems == ["missing_offer_code"]


def test_in_an_announcement_a_p_code_is_a_parcel_not_an_offer() -> None:
    result = read("DISPO P3 courges 500 kg")
    assert (result.parcel, result.offer_code) == ("P3", None)


def test_absurd_claim_is_flagged() -> None:
    assert read("OUI A12 2000000 kg").problems == ["bad_quantity"]


# --- Parcels --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parcel"),
    [
        ("P3 courges", "P3"),
        ("p3 courges", "P3"),
        ("P 3 courges", "P3"),
        ("P-3 courges", "P3"),
        ("P03 courges", "P3"),
        ("parcelle 3 courges", "P3"),
        ("Parcelle 3: courges", "P3"),
        ("parcelle no 3 courges", "P3"),
        ("parcelle no. 3 courges", "P3"),
        ("parcelle #3 courges", "P3"),
        ("parcelle n° 3 courges", "P3"),
        ("parcelle nº 3 courges", "P3"),
        ("parcelle numéro 3 courges", "P3"),
        ("parcele 3 courges", "P3"),
        ("parcelle3 courges", "P3"),
        ("champ 3 courges", "P3"),
        ("au champ 12, courges", "P12"),
        ("#3 courges", "P3"),
        ("field 3 squash", "P3"),
        ("plot 3 squash", "P3"),
        ("parcelle deux courges", "P2"),
        ("courges 2 300 lb parcelle 4", "P4"),
    ],
)
def test_parcel(text: str, parcel: str) -> None:
    assert read(text).parcel == parcel


def test_a_parcel_number_is_not_a_quantity() -> None:
    result = read("parcelle 2 300 lb de carottes")
    assert (result.parcel, result.quantity, result.unit) == ("P2", 300, "lb")


def test_champ_followed_by_a_weight_is_not_a_parcel() -> None:
    result = read("dans le champ 300 kg de carottes")
    assert (result.parcel, result.quantity) == (None, 300)


@pytest.mark.parametrize(
    ("text", "names", "parcel", "crop"),
    [
        ("DISPO verger pommes 200 kg", {"verger": "P4"}, "P4", "pomme"),
        ("Dispo au Verger, pommes 200 kg", {"verger": "P4"}, "P4", "pomme"),
        ("champ du bas carottes 10 poches", {"champ du bas": "P5"}, "P5", "carotte"),
        ("Champ du Bas: carottes", {"Champ du Bas": "p5"}, "P5", "carotte"),
        ("serre tomates 20 kg", {"serre": "6"}, "P6", "tomate"),
        ("la serre tomates 20 kg", {"La serre": "P6"}, "P6", "tomate"),
        (
            "champ des fraises laitues 10 kg",
            {"champ des fraises": "P2"},
            "P2",
            "laitue",
        ),
        ("verger pommes", {}, None, "pomme"),
    ],
)
def test_named_parcels_resolve_against_the_senders_farm(
    text: str, names: dict[str, str], parcel: str | None, crop: str
) -> None:
    result = parse(text, now=NOW, parcel_names=names)
    assert (result.parcel, result.crop) == (parcel, crop)


def test_unknown_named_parcel_is_missing() -> None:
    assert "missing_parcel" in read("DISPO verger pommes 200 kg").problems


# --- Quantities and units -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quantity", "unit", "kg"),
    [
        ("p3 courges 500 kg", 500, "kg", 500.0),
        ("p3 courges 500kg", 500, "kg", 500.0),
        ("p3 courges 500 kgs", 500, "kg", 500.0),
        ("p3 courges 300 kilos", 300, "kg", 300.0),
        ("p3 courges 300 KG", 300, "kg", 300.0),
        ("p3 carottes 300 lb", 300, "lb", 136.08),
        ("p3 carottes 300 lbs", 300, "lb", 136.08),
        ("p3 carottes 300 livres", 300, "lb", 136.08),
        ("p3 carrots 300 pounds", 300, "lb", 136.08),
        ("p3 courges 2 tonnes", 2, "t", 2000.0),
        ("p3 courges 2 t", 2, "t", 2000.0),
        ("p3 squash 2 tons", 2, "t", 2000.0),
        ("p3 carottes 10 poches", 10, "poche", 226.8),
        ("p3 carrots 10 sacks", 10, "poche", 226.8),
        ("p3 oignons 10 sacs", 10, "sac", 13.6),
        ("p3 onions 10 bags", 10, "sac", 13.6),
        ("p3 patates 3 palettes", 3, "palette", 2721.0),
        ("p3 potatoes 3 pallets", 3, "palette", 2721.0),
        ("p3 laitues 40 caisses", 40, "caisse", 720.0),
        ("p3 lettuce 40 crates", 40, "caisse", 720.0),
        ("p3 pommes 20 minots", 20, "minot", 380.0),
        ("p3 apples 20 bushels", 20, "minot", 380.0),
        ("p3 tomates 25 boîtes", 25, "boite", 283.5),
        ("p3 tomates 25 boites", 25, "boite", 283.5),
        ("p3 tomatoes 25 boxes", 25, "boite", 283.5),
        ("p3 fraises 30 paniers", 30, "panier", 18.0),
        ("p3 fraises 30 casseaux", 30, "panier", 18.0),
        ("p3 bleuets 20 chopines", 20, "panier", 7.0),
        ("p3 laitues 150 têtes", 150, "unite", 90.0),
        ("p3 courges 40 pièces", 40, "unite", 60.0),
        ("p3 melons 30 unités", 30, "unite", 45.0),
        ("p3 lettuce 30 units", 30, "unite", 18.0),
        ("p3 lettuce 30 heads", 30, "unite", 18.0),
        ("p3 brocoli 30 pieds", 30, "unite", 15.0),
        ("p3 asperges 20 bottes", 20, "unite", 9.0),
        ("p3 40 citrouilles", 40, "unite", 160.0),
        ("p3 maïs 3 douzaines", 36, "unite", 11.88),
        ("p3 corn 40 dozen", 480, "unite", 158.4),
        ("p3 ble dinde 200 épis", 200, "unite", 66.0),
        ("p3 pétaques 2 minots", 2, "minot", 54.4),
        ("p3 tomates 20 paniers", 20, "panier", None),
        ("p3 concombres 20 caisses", 20, "caisse", None),
    ],
)
def test_units(text: str, quantity: float, unit: str, kg: float | None) -> None:
    result = read(text)
    assert (result.quantity, result.unit, result.quantity_kg) == (quantity, unit, kg)


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("p3 courges 1 000 kg", 1000),
        ("p3 courges 1\u00a0000 kg", 1000),
        ("p3 courges 1\u202f000 kg", 1000),
        ("p3 courges 1,000 kg", 1000),
        ("p3 courges 12 500 kg", 12500),
        ("p3 courges 1,5 t", 1.5),
        ("p3 courges 1.5 t", 1.5),
        ("p3 courges 1,5t", 1.5),
        ("p3 courges ~300 kg", 300),
        ("p3 courges environ 300 kg", 300),
        ("p3 courges env. 300 kg", 300),
        ("p3 courges env.300 kg", 300),
        ("p3 courges approx 300 kg", 300),
        ("p3 courges à peu près 300 kg", 300),
        ("p3 courges +/- 300 kg", 300),
        ("p3 courges 300+ kg", 300),
        ("p3 courges 200-300 kg", 200),
        ("p3 courges 200 à 300 kg", 200),
        ("p3 courges entre 200 et 300 kg", 200),
        ("p3 courges 1/2 tonne", 0.5),
        ("p3 courges ½ tonne", 0.5),
        ("p3 courges une demi-tonne", 0.5),
        ("p3 courges deux tonnes", 2),
        ("p3 une couple de poches de patates", 2),
        ("p3 une vingtaine de caisses de laitues", 20),
        ("p3 une douzaine de citrouilles", 12),
        ("p3 quarante citrouilles", 40),
        ("p3 a dozen crates of lettuce", 12),
    ],
)
def test_numbers(text: str, quantity: float) -> None:
    assert read(text).quantity == quantity


@pytest.mark.parametrize(
    ("text", "kg"),
    [
        ("P2 betteraves 4 poches de 25 lb", 45.36),
        ("10 poches de 50 lb de patates P2", 226.8),
        ("10 poches 50 lb patates P2", 226.8),
        ("P2 laitues 40 caisses (environ 500 kg)", 500.0),
        ("P2 tomates 40 caisses 500 kg", 500.0),
        ("P2 tomates 2 palettes de 900 kg", 1800.0),
    ],
)
def test_a_weight_beside_a_count_gives_the_kg(text: str, kg: float) -> None:
    assert read(text).quantity_kg == kg


@pytest.mark.parametrize(
    "text",
    [
        "P3 carottes 2e rang 300 lb",
        "P3 carottes 300 lb, appelez au 450-555-0123",
        "P3 carottes 300 lb à 2$ la livre",
        "P3 carottes 300 lb, venez à 17h",
        "P3 carottes 300 lb, 50% abîmées",
    ],
)
def test_numbers_that_are_not_quantities_are_ignored(text: str) -> None:
    result = read(text)
    assert (result.quantity, result.unit) == (300, "lb")


# --- Dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "until"),
    [
        ("demain", "2026-09-15"),
        ("dmain", "2026-09-15"),
        ("après-demain", "2026-09-16"),
        ("apres demain", "2026-09-16"),
        ("après demain", "2026-09-16"),
        ("vendredi", "2026-09-18"),
        ("Vendredi", "2026-09-18"),
        ("vendredie", "2026-09-18"),
        ("jusqu'à vendredi", "2026-09-18"),
        ("jusqu’à vendredi", "2026-09-18"),
        ("jusqu‘à vendredi", "2026-09-18"),
        ("jusquʼà vendredi", "2026-09-18"),
        ("jusqua vendredi", "2026-09-18"),
        ("jusqu a vendredi", "2026-09-18"),
        ("d'ici samedi", "2026-09-19"),
        ("avant dimanche", "2026-09-20"),
        ("lundi", "2026-09-21"),
        ("mardi prochain", "2026-09-15"),
        ("mercredi", "2026-09-16"),
        ("mecredi", "2026-09-16"),
        ("jeudi", "2026-09-17"),
        ("ce soir", "2026-09-14"),
        ("aujourd'hui", "2026-09-14"),
        ("aujourdhui", "2026-09-14"),
        ("15 oct", "2026-10-15"),
        ("15 oct.", "2026-10-15"),
        ("15 octobre", "2026-10-15"),
        ("jusqu'au 15 octobre", "2026-10-15"),
        ("1er octobre", "2026-10-01"),
        ("15/10", "2026-10-15"),
        ("30/09", "2026-09-30"),
        ("15/10/2026", "2026-10-15"),
        ("2026-10-15", "2026-10-15"),
        ("5 janvier", "2027-01-05"),
        ("jusqu'au 20", "2026-09-20"),
        ("vendredi le 18", "2026-09-18"),
        ("dans 3 jours", "2026-09-17"),
        ("dans une semaine", "2026-09-21"),
        ("dans 2 semaines", "2026-09-28"),
        ("fin de semaine", "2026-09-20"),
        ("cette fin de semaine", "2026-09-20"),
        ("tomorrow", "2026-09-15"),
        ("friday", "2026-09-18"),
        ("until Sunday", "2026-09-20"),
        ("by Saturday", "2026-09-19"),
        ("Oct 15", "2026-10-15"),
        ("October 15", "2026-10-15"),
        ("October 15th", "2026-10-15"),
        ("Sept 20", "2026-09-20"),
        ("until the 20th", "2026-09-20"),
        ("today", "2026-09-14"),
        ("tonight", "2026-09-14"),
        ("in 3 days", "2026-09-17"),
        ("this weekend", "2026-09-20"),
        ("weekend", "2026-09-20"),
    ],
)
def test_dates(text: str, until: str) -> None:
    result = read(f"P3 courges 500 kg {text}")
    assert result.available_until == date.fromisoformat(until)
    assert result.problems == []


def test_a_weekday_is_never_today() -> None:
    assert read("lundi").available_until == date(2026, 9, 21)


def test_weekend_on_a_sunday_is_today() -> None:
    sunday = datetime(2026, 9, 20, 9, 0, tzinfo=ZoneInfo("America/Toronto"))
    assert parse("fin de semaine", now=sunday).available_until == date(2026, 9, 20)


def test_the_until_date_wins_over_other_dates() -> None:
    result = read("récolté lundi, P3 courges 500 kg dispo jusqu'à jeudi")
    assert result.available_until == date(2026, 9, 17)


def test_a_time_of_day_is_not_a_quantity_or_a_date() -> None:
    result = read("P3 courges 500 kg d'ici vendredi 17h")
    assert (result.quantity, result.available_until) == (500, date(2026, 9, 18))


@pytest.mark.parametrize("text", ["10 sept", "10/09", "2026-09-01", "2025-10-15"])
def test_date_in_the_past(text: str) -> None:
    result = read(f"P3 courges 500 kg jusqu'au {text}")
    assert result.problems == ["date_in_past"]
    assert result.available_until is not None
    assert result.available_until < NOW.date()


@pytest.mark.parametrize("text", ["31/02", "2026-02-30", "32 octobre"])
def test_impossible_dates_are_ignored(text: str) -> None:
    assert read(f"P3 courges 500 kg {text}").available_until is None


def test_no_date_is_not_a_problem() -> None:
    result = read("P3 courges 500 kg")
    assert (result.available_until, result.problems) == (None, [])


# --- Crops ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "crop"),
    [
        ("P1 carottes 10 kg", "carotte"),
        ("P1 carrotes 10 kg", "carotte"),
        ("P1 carrots 10 kg", "carotte"),
        ("P1 patates 10 kg", "pomme de terre"),
        ("P1 pétaques 10 kg", "pomme de terre"),
        ("P1 petaques 10 kg", "pomme de terre"),
        ("P1 pommes de terre 10 kg", "pomme de terre"),
        ("P1 pommes 10 kg", "pomme"),
        ("P1 blé d'Inde 10 kg", "maïs"),
        ("P1 blé d’Inde 10 kg", "maïs"),
        ("P1 ble dinde 10 kg", "maïs"),
        ("P1 maïs 10 kg", "maïs"),
        ("P1 MAÏS 10 kg", "maïs"),
        ("dispo p3 mais 30 minots", "maïs"),
        ("P1 30 minots de mais", "maïs"),
        ("P1 corn 10 kg", "maïs"),
        ("P1 bleuets 10 kg", "bleuet"),
        ("P1 citrouilles 10 kg", "citrouille"),
        ("P1 fèves jaunes 10 kg", "haricot"),
        ("P1 haricots verts 10 kg", "haricot"),
        ("P1 courges 10 kg", "courge"),
        ("P1 courgettes 10 kg", "courgette"),
        ("P1 zucchini 10 kg", "courgette"),
        ("P1 laitue 10 kg", "laitue"),
        ("P1 lettuce 10 kg", "laitue"),
        ("P1 salade 10 kg", "laitue"),
        ("P1 choux 10 kg", "chou"),
        ("P1 chou-fleur 10 kg", "chou-fleur"),
        ("P1 choux de Bruxelles 10 kg", "chou de bruxelles"),
        ("P1 fraises 10 kg", "fraise"),
        ("P1 strawberries 10 kg", "fraise"),
        ("P1 oignons 10 kg", "oignon"),
        ("P1 tomates cerises 10 kg", "tomate"),
        ("P1 poireaux 10 kg", "poireau"),
        ("P1 rutabagas 10 kg", "rutabaga"),
        ("P1 épinards 10 kg", "épinard"),
        ("P1 atocas 10 kg", "canneberge"),
        ("P1 cerises de terre 10 kg", "cerise de terre"),
        ("P1 patates douces 10 kg", "patate douce"),
    ],
)
def test_crops(text: str, crop: str) -> None:
    assert read(text).crop == crop


@pytest.mark.parametrize(
    "text",
    ["Non merci, mais on prend la prochaine", "P1 10 kg mais pas avant lundi"],
)
def test_mais_as_but_is_not_corn(text: str) -> None:
    assert read(text).crop is None


# --- Language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("DISPO P3 courges 500 kg", "fr"),
        ("READY P1 lettuce 40 crates until Sunday", "en"),
        ("P1 potatoes 10 bags", "en"),
        ("P1 patates 10 poches", "fr"),
        ("OUI A12", "fr"),
        ("YES A12", "en"),
        ("Yes A12 merci", "en"),
        ("NO A12", "en"),
        ("NON A12", "fr"),
        ("STOP", "fr"),
        ("INFO", "fr"),
        ("HELP", "en"),
        ("ok A12", "fr"),
        ("P3 300 kg", "fr"),
        ("", "fr"),
    ],
)
def test_language(text: str, language: str) -> None:
    assert read(text).language == language


# --- Problems -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("DISPO P3 courges 500 kg", []),
        ("DISPO courges 500 kg", ["missing_parcel"]),
        ("DISPO P3 500 kg", ["missing_crop"]),
        ("DISPO P3 courges", ["missing_quantity"]),
        ("DISPO", ["missing_parcel", "missing_crop", "missing_quantity"]),
        ("DISPO P3 courges 500", ["unknown_unit"]),
        ("DISPO P3 courges 500 brouettes", ["unknown_unit"]),
        ("DISPO P3 courges 0 kg", ["bad_quantity"]),
        ("DISPO P3 courges -5 kg", ["bad_quantity"]),
        ("DISPO P3 courges 2000000 kg", ["bad_quantity"]),
        ("DISPO P3 courges 5000 t", ["bad_quantity"]),
        ("DISPO P3 courges 500 kg jusqu'au 2026-09-01", ["date_in_past"]),
        ("OUI", ["missing_offer_code"]),
        ("NON", ["missing_offer_code"]),
        ("ANNULE", ["missing_offer_code"]),
        ("", ["empty"]),
        ("   \n\t ", ["empty"]),
        ("\x00\x01", ["empty"]),
        ("😀😀😀", ["unreadable"]),
        ("...", ["unreadable"]),
        ("Merci!", ["unreadable"]),
        ("asdfghjkl", ["unreadable"]),
        ("1234567890", ["unreadable"]),
    ],
)
def test_problems(text: str, problems: list[str]) -> None:
    assert read(text).problems == problems


def test_problem_codes_are_the_documented_ones() -> None:
    assert set(PROBLEMS) == {
        "missing_parcel",
        "missing_crop",
        "missing_quantity",
        "unknown_unit",
        "missing_offer_code",
        "bad_quantity",
        "date_in_past",
        "unreadable",
        "empty",
        "too_long",
    }


def test_too_long_still_reads_the_first_part() -> None:
    text = "DISPO P3 courges 500 kg jusqu'à vendredi. " + "bla " * MAX_LENGTH
    result = read(text)
    assert result.intent == "announce"
    assert (result.parcel, result.crop, result.quantity) == ("P3", "courge", 500)
    assert result.problems == ["too_long"]
    assert result.text == text


# --- Fragments answering a missing piece ----------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "value", "problems"),
    [
        ("P3", "parcel", "P3", ["missing_crop", "missing_quantity"]),
        ("parcelle 2", "parcel", "P2", ["missing_crop", "missing_quantity"]),
        ("champ 4", "parcel", "P4", ["missing_crop", "missing_quantity"]),
        ("300 kg", "quantity", 300, ["missing_parcel", "missing_crop"]),
        ("10 poches", "quantity", 10, ["missing_parcel", "missing_crop"]),
        ("carottes", "crop", "carotte", ["missing_parcel", "missing_quantity"]),
        (
            "des patates",
            "crop",
            "pomme de terre",
            ["missing_parcel", "missing_quantity"],
        ),
        (
            "jusqu'à vendredi",
            "available_until",
            date(2026, 9, 18),
            ["missing_parcel", "missing_crop", "missing_quantity"],
        ),
        (
            "15 oct",
            "available_until",
            date(2026, 10, 15),
            ["missing_parcel", "missing_crop", "missing_quantity"],
        ),
    ],
)
def test_fragments_are_announcements_with_what_they_carry(
    text: str, field: str, value: object, problems: list[str]
) -> None:
    result = read(text)
    assert result.intent == "announce"
    assert getattr(result, field) == value
    assert result.problems == problems


def test_a_farewell_with_a_date_is_not_a_fragment() -> None:
    assert read("Merci, à demain!").intent == "unknown"


# --- Anything at all ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "\x00" * 50,
        "\u202e\u200b\ufeff",
        "💩" * 500,
        "a" * 10_000,
        "9" * 10_000,
        "P3 " * 4000,
        "1/0 kg",
        "99999999999999999999999999 kg",
        "\ud800",
        "ﷺ" * 100,
        "OUI " * 1000,
        "DISPO\nP3\ncourges\n500\nkg",
        "𝟓𝟎𝟎 𝐤𝐠 𝐜𝐚𝐫𝐨𝐭𝐭𝐞𝐬",
        "٣٠٠ kg",
    ],
)
def test_nothing_breaks_it(text: str) -> None:
    result = read(text)
    assert result.intent in grammar.INTENTS
    assert set(result.problems) <= set(PROBLEMS)
    json.dumps(result.to_dict(), allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_parses_without_raising(text: str) -> None:
    # The private parser has no safety net: a crash here is a real bug.
    result = grammar._parse(text, NOW.date(), {"verger": "P4"})
    assert result.intent in grammar.INTENTS
    assert set(result.problems) <= set(PROBLEMS)
    assert result.text == text
    json.dumps(result.to_dict(), allow_nan=False)


_PIECES = st.sampled_from(
    [
        "P3", "#", "3", "1 000", "1,5", "~300", "kg", "lb", "t", "poches", "de",
        "A12", "oui", "non", "annule", "jusqu'à", "vendredi", "15", "oct", "15/10",
        "2026-10-15", "mais", "maïs", "carottes", "dans", "jours", "une", "couple",
        "douzaine", "épis", "31/02", "0", "1/0", "$", "%", "17h", "parcelle", "no",
        "n°", "champ", "a", "x", "?", "😀", "\u202f", "\x00", "’", "le", "au",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=12).map(" ".join))
def test_any_mix_of_grammar_pieces_parses(text: str) -> None:
    result = grammar._parse(text, NOW.date(), {})
    json.dumps(result.to_dict(), allow_nan=False)


# --- Real-style messages --------------------------------------------------------


def _messages() -> list[dict[str, Any]]:
    lines = MESSAGES.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("message", _messages(), ids=lambda message: message["text"])
def test_real_style_messages(message: dict[str, Any]) -> None:
    result = parse(message["text"], now=NOW, parcel_names=message.get("parcel_names"))
    assert result.to_dict() == message["expected"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hi, we have about 500 lbs of carrots in field 2, available until Friday.",
            ("announce", "en", "P2", "carotte", 500, "lb", 226.8, "2026-09-18"),
        ),
        (
            "Got extra tomatoes, about 300 lbs, field 1, pick up by Thursday",
            ("announce", "en", "P1", "tomate", 300, "lb", 136.08, "2026-09-17"),
        ),
        (
            "Surplus de laitue au champ 3! 200 têtes à glaner d'ici demain",
            ("announce", "fr", "P3", "laitue", 200, "unite", 120.0, "2026-09-15"),
        ),
        (
            "J'ai des patates à donner, 40 poches, champ 1",
            ("announce", "fr", "P1", "pomme de terre", 40, "poche", 907.2, None),
        ),
        (
            "Salut c'est Francois. Parcelle 3. Environ 500 kg de courges. "
            "Dispo jusqu'à vendredi.",
            ("announce", "fr", "P3", "courge", 500, "kg", 500.0, "2026-09-18"),
        ),
        (
            "appelez-moi au 450-555-0123 pour les carottes P2 300 kg",
            ("announce", "fr", "P2", "carotte", 300, "kg", 300.0, None),
        ),
        (
            "dispo jusqu'à la fin de semaine p2 carottes 20 poches",
            ("announce", "fr", "P2", "carotte", 20, "poche", 453.6, "2026-09-20"),
        ),
        (
            "pattates p2 3 poches demin",
            ("announce", "fr", "P2", "pomme de terre", 3, "poche", 68.04, "2026-09-15"),
        ),
        (
            "PARCELLE 4 PRETE BLE DINDE 30 DOUZAINES JUSQU A SAMEDI",
            ("announce", "fr", "P4", "maïs", 360, "unite", 118.8, "2026-09-19"),
        ),
        (
            "Plot 5 ready: 1/2 ton of squash, till Oct 1",
            ("announce", "en", "P5", "courge", 0.5, "t", 500.0, "2026-10-01"),
        ),
    ],
)
def test_more_real_style_announcements(text: str, expected: tuple[object, ...]) -> None:
    result = read(text).to_dict()
    assert tuple(result[key] for key in KEYS[:8]) == expected
    assert result["problems"] == []
