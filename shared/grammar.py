"""The SMS grammar: one parser for every channel (SMS, simulator, form, API, CLI).

``parse()`` reads what farmers and organizations really write: French or
English, accents or none, typos, Quebec words, ``1 000`` and ``1,5``. It never
raises; whatever it cannot read comes back as intent ``unknown`` with a problem
code, and the raw message is kept untouched in ``Parsed.text``.

Decisions the contract in DESIGN §5 leaves open:

- A message that only answers a missing piece (``P3``, ``300 kg``,
  ``carottes``, ``jusqu'à vendredi``) is an ``announce`` with what it carries;
  the caller merges it into the sender's pending announcement.
- A claim word negated (``can't take A8``, ``on prend pas A8``) declines. An
  offer code with a quantity but no keyword and no produce (``Can we get A12?
  100 kg``) claims.
- A bare number in a claim is kilograms (``OUI A12 200``): offers are sized in
  kg. In an announcement it has no unit (problem ``unknown_unit``), except
  before a crop name (``40 laitues``), where it counts items (``unite``).
- A range (``200-300 kg``, ``200 à 300 kg``) keeps its lower bound: an
  organization must never be promised more than there is. Of several
  quantities the first with a unit is the one; a weight beside a count gives
  its kg (``40 caisses (500 kg)``, ``10 poches de 50 lb``).
- A weekday is its next occurrence strictly after today; ``avant dimanche``
  and ``d'ici samedi`` mean that day, like ``jusqu'à``. ``ven`` and ``jeu`` are
  weekdays anywhere, abbreviations that are also words (``sam``, ``sat``,
  ``mon``) only after "jusqu'à", "until"... ``fin de semaine`` and
  ``weekend`` are the coming Sunday (today on a Sunday).
- A date written without a year (``15/10``, ``15 oct``) takes the year that
  puts it nearest to today, so "5 janvier" sent in December is next year; one
  that is still behind today (``10 sept`` sent on 14 September) keeps its date
  and gets the problem ``date_in_past`` rather than jumping a year ahead.
  A day alone (``jusqu'au 20``) is the next date falling on it. Of several
  dates the latest written after "jusqu'à", "until", "avant"... wins.
- Offer codes are one letter and 1-4 digits. After a reply keyword (``OUI``,
  ``NON``, ``ANNULE``) the code is the offer code whatever its letter; found
  elsewhere in a message, codes starting with P are parcels, never offers
  (``shared.surpluses`` never issues P codes).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from shared import crops

INTENTS: tuple[str, ...] = (
    "announce",
    "claim",
    "decline",
    "cancel",
    "status",
    "help",
    "stop",
    "start",
    "unknown",
)

PROBLEMS: tuple[str, ...] = (
    "empty",  # nothing but blanks
    "too_long",  # over MAX_LENGTH characters; the first MAX_LENGTH were read
    "unreadable",  # no intent and nothing an announcement carries
    "missing_offer_code",  # a claim, decline or cancel that names no offer
    "missing_parcel",
    "missing_crop",
    "missing_quantity",
    "unknown_unit",  # a quantity without a unit the grammar knows
    "bad_quantity",  # zero, negative, or over MAX_KG
    "date_in_past",
)
"""Problem codes, stable: callers pick reply texts by them. Listed in reply order."""

MAX_LENGTH = 1600
MAX_KG = 1_000_000

REPLY_INTENTS = frozenset({"claim", "decline", "cancel"})

# --- Vocabulary -------------------------------------------------------------------

_KEYWORDS: Mapping[str, str] = {
    # Announcing a surplus.
    **dict.fromkeys(
        (
            "dispo", "dispos", "disponible", "disponibles", "available", "avail",
            "ready", "surplus", "pret", "prete", "prets", "pretes", "a glaner",
            "glanage", "glaner", "glean", "gleaning", "a donner",
        ),
        "announce",
    ),
    # A farmer withdrawing a surplus.
    **dict.fromkeys(
        (
            "annule", "annuler", "annulee", "annulation", "cancel", "canceled",
            "cancelled", "retire", "retirer", "withdraw", "plus dispo",
            "pu dispo", "plus disponible", "plus disponibles",
            "no longer available",
        ),
        "cancel",
    ),
    # An organization taking an offer.
    **dict.fromkeys(
        (
            "oui", "yes", "yep", "yeah", "ouais", "je prends", "je le prends",
            "je la prends", "on prend", "on le prend", "on la prend", "prends",
            "nous prenons", "on va prendre", "je vais prendre", "prendre",
            "prend", "prenons", "reserve",
            "reserver", "claim", "take", "we take", "we ll take", "i ll take",
            "interesse", "interessee", "interesses", "interested", "accepte",
            "accept",
        ),
        "claim",
    ),
    # An organization passing on an offer.
    **dict.fromkeys(
        (
            "non", "no", "nope", "non merci", "no thanks", "no thank you",
            "pas interesse", "pas interessee", "pas interesses", "pas besoin",
            "not interested", "pass", "refuse", "decline", "pas pour nous",
            "pas pour moi", "not for us", "passe notre tour", "passe mon tour",
            "passons notre tour", "passer notre tour",
        ),
        "decline",
    ),
    **dict.fromkeys(
        ("liste", "list", "statut", "status", "etat", "mes offres", "my offers"),
        "status",
    ),
    **dict.fromkeys(
        ("aide", "help", "info", "infos", "menu", "commandes", "commands",
         "comment"),
        "help",
    ),
    **dict.fromkeys(
        (
            "arret", "arrete", "arreter", "stop", "stopall", "desabonner",
            "desabonne", "desabonnement", "desinscrire", "desinscription",
            "unsubscribe", "quit",
        ),
        "stop",
    ),
    **dict.fromkeys(
        ("start", "reprise", "reprendre", "unstop", "abonner", "subscribe",
         "resume", "recommencer"),
        "start",
    ),
}  # fmt: skip
_LONGEST_KEYWORD = max(len(keyword.split()) for keyword in _KEYWORDS)
_FUZZY_KEYWORDS = tuple(
    word for word in _KEYWORDS if len(word) >= 5 and " " not in word
)

# Sentences that clearly ask us to stop texting, in the normalized text
# (lowercase, no accents, apostrophes as spaces). Consent law wants them
# honoured like the STOP keyword.
_OPT_OUT_RE = re.compile(
    r"\b(?:veux|veut|voulons|voudrais|voudrions)\s+(?:plus|pu|pas)\s+"
    r"(?:jamais\s+)?recevoir(?:\s+(?:de|d|vos|tes|les|des|ces))?\s*"
    r"(?:messages?|textos?|sms|courriels?|offres?|$)"
    r"|\bne\s+plus\s+recevoir\b"
    r"|\b(?:m|nous)\s+(?:ecrivez|envoyez|textez|contactez)\s+plus\b"
    r"|\b(?:retirez|retire|retirer|enlevez|enleve|enlever|effacez|desinscrivez"
    r"|otez|sortez)\s+(?:moi|nous)\b"
    r"|\bplus\s+de\s+(?:messages?|textos?|sms|courriels?)\b"
    r"|\b(?:remove|take)\s+(?:me|us|my number|our number)\s+(?:off|from)\b"
    r"|\b(?:don\s*t|do\s+not|dont)\s+(?:text|message|contact|sms|email)\s+"
    r"(?:me|us)\b"
    r"|\bno\s+more\s+(?:texts?|messages?|sms)\b"
    r"|\bopt\s*out\b"
)
# Carriers' own opt-out words: alone, they already stopped the texts at the
# carrier (Twilio answers 21610 after them), so they stop them here too.
_CARRIER_STOP_WORDS = frozenset({"cancel", "end", "stop all"})

# A claim only when an offer code follows: "ok A12", but "ok merci" is nothing.
_SOFT_CLAIMS = frozenset(
    {"ok", "okay", "oki", "go", "parfait", "dac", "daccord", "sure"}
)

# Words a message may open with before its keyword.
_OPENERS = frozenset(
    {
        "bonjour", "bonsoir", "salut", "allo", "hello", "hi", "hey", "coucou",
        "merci", "thanks", "thank", "you", "svp", "stp", "please", "pls", "re",
        "bon", "ben", "alors", "madame", "monsieur", "mme", "cher", "chere",
        "dear", "oh", "eh", "ah", "bonne", "journee", "day",
    }
)  # fmt: skip

_UNIT_SPELLINGS: Mapping[str, tuple[str, ...]] = {
    "kg": ("kg", "kgs", "kilo", "kilos", "kilogramme", "kilogrammes", "kilogram",
           "kilograms"),
    "lb": ("lb", "lbs", "livre", "livres", "pound", "pounds"),
    "t": ("t", "tonne", "tonnes", "ton", "tons", "tm"),
    "caisse": ("caisse", "caisses", "caise", "caises", "cageot", "cageots",
               "crate", "crates", "case", "cases", "flat", "flats"),
    "poche": ("poche", "poches", "sack", "sacks"),
    "sac": ("sac", "sacs", "bag", "bags"),
    "minot": ("minot", "minots", "bushel", "bushels", "bu"),
    "boite": ("boite", "boites", "box", "boxes", "carton", "cartons"),
    "palette": ("palette", "palettes", "pallet", "pallets", "palete", "paletes"),
    "panier": ("panier", "paniers", "casseau", "casseaux", "chopine", "chopines",
               "basket", "baskets", "pint", "pints", "pinte", "pintes"),
    "unite": ("unite", "unites", "unit", "units", "piece", "pieces", "pc", "pcs",
              "tete", "tetes", "head", "heads", "pied", "pieds", "botte", "bottes",
              "bunch", "bunches", "epi", "epis", "bulbe", "bulbes"),
}  # fmt: skip
_DOZENS = ("douzaine", "douzaines", "dozen", "dozens", "dz", "doz", "douz", "dzn")
_UNIT_WORDS: Mapping[str, tuple[str, int]] = {
    **{word: (unit, 1) for unit, words in _UNIT_SPELLINGS.items() for word in words},
    **dict.fromkeys(_DOZENS, ("unite", 12)),
}
_FUZZY_UNITS = tuple(word for word in _UNIT_WORDS if len(word) >= 5)

_NUMBER_WORDS: Mapping[str, float] = {
    "un": 1, "une": 1, "a": 1, "an": 1, "one": 1, "deux": 2, "two": 2,
    "trois": 3, "three": 3, "quatre": 4, "four": 4, "cinq": 5, "five": 5,
    "six": 6, "sept": 7, "seven": 7, "huit": 8, "eight": 8, "neuf": 9,
    "nine": 9, "dix": 10, "ten": 10, "onze": 11, "douze": 12, "twelve": 12,
    "quinze": 15, "vingt": 20, "twenty": 20, "trente": 30, "cinquante": 50,
    "quarante": 40, "soixante": 60, "thirty": 30, "forty": 40, "fifty": 50,
    "cent": 100, "hundred": 100, "a hundred": 100, "mille": 1000, "demi": 0.5,
    "une demi": 0.5, "half a": 0.5,
    # "Une couple" is Quebec French for "two or so".
    "une couple": 2, "a couple": 2, "a couple of": 2, "une dizaine": 10,
    "une douzaine": 12, "a dozen": 12, "une vingtaine": 20,
    "une trentaine": 30, "une quarantaine": 40, "une cinquantaine": 50,
    "une quinzaine": 15, "une soixantaine": 60, "une centaine": 100,
    "un millier": 1000,
}  # fmt: skip
_SMALL_NUMBERS = {word: int(n) for word, n in _NUMBER_WORDS.items() if " " not in word
                  and 1 <= n <= 10 and word not in ("a", "an")}  # fmt: skip

_WEEKDAYS: Mapping[str, int] = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4,
    "samedi": 5, "dimanche": 6, "monday": 0, "tuesday": 1, "wednesday": 2,
    "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6, "tues": 1,
    "wed": 2, "thur": 3, "thurs": 3, "thu": 3, "fri": 4, "lun": 0, "merc": 2,
    "jeu": 3, "ven": 4, "vend": 4, "dim": 6,
}  # fmt: skip
# Abbreviations that are also words ("mon", "sat", "mer", "Sam"): weekdays only
# right after "jusqu'à", "d'ici", "until"...
_SHORT_WEEKDAYS: Mapping[str, int] = {
    "mar": 1, "mer": 2, "sam": 5, "mon": 0, "tue": 1, "sat": 5, "sun": 6,
}  # fmt: skip
_MONTHS: Mapping[str, int] = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1, "fevrier": 2, "fevr": 2,
    "fev": 2, "february": 2, "feb": 2, "mars": 3, "march": 3, "mar": 3,
    "avril": 4, "avr": 4, "april": 4, "apr": 4, "mai": 5, "may": 5, "juin": 6,
    "june": 6, "jun": 6, "juillet": 7, "juil": 7, "july": 7, "jul": 7,
    "aout": 8, "august": 8, "aug": 8, "septembre": 9, "sept": 9, "sep": 9,
    "september": 9, "octobre": 10, "oct": 10, "october": 10, "novembre": 11,
    "nov": 11, "november": 11, "decembre": 12, "dec": 12, "december": 12,
}  # fmt: skip
_RELATIVE_DAYS: Mapping[str, int] = {
    "aujourd hui": 0, "aujourdhui": 0, "auj": 0, "ajd": 0, "ce soir": 0,
    "ce matin": 0, "cet apres midi": 0, "cette apres midi": 0, "tantot": 0,
    "today": 0, "tonight": 0, "this evening": 0, "this afternoon": 0,
    "demain": 1, "dmain": 1, "tomorrow": 1, "tmrw": 1, "tomorow": 1,
    "apres demain": 2, "apres dmain": 2, "surlendemain": 2,
    "day after tomorrow": 2, "end of day": 0, "end of the day": 0,
    "fin de journee": 0, "fin de la journee": 0,
}  # fmt: skip
# Spelled-out words that typos are corrected towards.
_DATE_WORDS = tuple(
    word for word in (*_WEEKDAYS, *_MONTHS, "demain", "tomorrow", "aujourdhui")
    if len(word) >= 5
)  # fmt: skip

_FRENCH = frozenset(
    {
        "oui", "non", "dispo", "dispos", "disponible", "disponibles", "prete", "pret",
        "pretes", "prets", "parcelle", "parcelles", "champ", "jusqu", "jusqua",
        "demain", "aujourd", "apres", "environ", "livres", "livre", "poches", "poche",
        "caisses", "caisse", "minots", "minot", "boite", "boites", "palettes",
        "paniers", "panier", "casseaux", "unites", "tete", "tetes", "merci", "bonjour",
        "salut", "allo", "svp", "stp", "de", "des", "du", "le", "la", "les", "et",
        "pour", "avec", "dans", "j", "ai", "je", "nous", "on", "est", "sont", "pas",
        "annule", "annuler", "liste", "statut", "aide", "arret", "desabonner",
        "reprise", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
        "dimanche", "ce", "soir", "semaine", "fin", "ici", "avant", "tonnes", "kilos",
        "glanage", "glaner", "recolte", "mon", "ma", "mes", "notre", "voici", "il",
        "une", "un", "sur", "encore", "bonne", "journee", "prend", "prends", "prenons",
    }
)  # fmt: skip
_ENGLISH = frozenset(
    {
        "yes", "no", "ready", "available", "field", "plot", "until", "till", "tomorrow",
        "today", "tonight", "pounds", "pound", "bags", "bag", "boxes", "box", "crates",
        "crate", "bushels", "bushel", "units", "heads", "thanks", "thank", "hello",
        "hi", "please", "of", "the", "and", "for", "with", "i", "have", "we", "are",
        "is", "not", "cancel", "list", "status", "help", "unsubscribe", "monday",
        "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "this",
        "weekend", "in", "days", "about", "around", "pallets", "pallet", "sacks",
        "tons", "ton", "my", "our", "got", "some", "take", "from", "by", "left", "pick",
        "up", "start", "sure", "don", "text", "texts", "me", "again", "remove",
        "more", "opt", "out",
    }
)  # fmt: skip
# Every word the grammar itself knows: never read as a misspelt crop or date.
_VOCABULARY = frozenset(
    {word for phrase in _KEYWORDS for word in phrase.split()}
    | _SOFT_CLAIMS
    | _OPENERS
    | set(_UNIT_WORDS)
    | {word for phrase in _NUMBER_WORDS for word in phrase.split()}
    | set(_WEEKDAYS)
    | set(_MONTHS)
    | {word for phrase in _RELATIVE_DAYS for word in phrase.split()}
    | _FRENCH
    | _ENGLISH
    | {
        "parcelle", "parcelles", "parcel", "parcels", "champs", "fields", "plots",
        "environ", "approx", "approximativement", "about", "around", "jusqu",
        "until", "semaine", "semaines", "jours", "days", "week", "weeks",
        "matin", "soir", "glanage", "recolte", "recoltes", "fraiche", "fraiches",
        "frais", "belle", "belles", "beau", "beaux", "bonne", "bonnes", "grosse",
        "grosses", "petite", "petites", "rouge", "rouges", "jaune", "jaunes",
        "verte", "vertes", "venir", "chercher", "passer", "quantite", "quantity",
        "gratuit", "gratuits", "donner", "organisme", "organismes", "ferme",
        "message", "texte", "litre", "litres", "liter", "liters", "grade",
        "grades", "soiree", "soirees",
    }
)  # fmt: skip

# --- Patterns ---------------------------------------------------------------------


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first so "kgs" beats "kg"."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered)


_UNIT_ALT = _alternatives(_UNIT_WORDS)
# A lone "t" after "a" is French "a-t-il", not a tonne.
_WORD_UNIT_ALT = _alternatives(tuple(word for word in _UNIT_WORDS if word != "t"))
_WEEKDAY_ALT = _alternatives(_WEEKDAYS)
_MONTH_ALT = _alternatives(_MONTHS)
_DIGIT_WORD_ALT = _alternatives(_SMALL_NUMBERS)

_NUMBER = (
    r"(?:[0-9]{1,3} [0-9]{1,2}/[1-9][0-9]?(?![0-9])"  # 2 1/2
    r"|[0-9]{1,4}/[1-9][0-9]?(?![0-9])"  # 1/2
    r"|[0-9]{1,3}(?:[.,][0-9]{1,2})?k(?![a-z0-9])"  # 1k, 1.5k
    r"|[0-9]{1,3}(?: [0-9]{3})+(?![0-9])"  # 1 000 (spaces, nbsp, narrow nbsp)
    r"|[1-9][0-9]{0,2}(?:,[0-9]{3})+(?![0-9]|[.,][0-9])"  # 1,000 (not 0,001)
    r"|[0-9]{1,9}(?:[.,][0-9]{1,6})?(?![0-9]))"  # 300, 1,5, 1.5
)
_NOT_AFTER_NUMBER = r"(?<![0-9a-z])(?<![0-9][.,/])"

_NOISE_RE = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\S+"  # links and e-mail addresses
    r"|(?<![0-9])(?:\+?1[ .-]?)?\(?[0-9]{3}\)?[ .-]?[0-9]{3}[ .-][0-9]{4}(?![0-9])"
    r"|\$\s*[0-9][0-9.,]*|[0-9][0-9.,]*\s*(?:\$|dollars?\b|cents?\b|¢)"  # prices
    r"|[0-9]+(?:[.,][0-9]+)?\s*%"
    r"|(?<![0-9])[0-9]{1,2}\s*h\s*[0-9]{0,2}(?![0-9a-z])"  # 17h, 8 h 30
    r"|(?<![0-9])[0-9]{1,2}:[0-9]{2}|(?<![0-9])[0-9]{1,2}\s*(?:am|pm)\b"
)

_YEAR = r"(?:\s*,?\s*(?P<year>20[0-9]{2})(?![0-9]))?"
_UNIT_AHEAD = rf"(?!\s*(?:[.,/:][0-9]|(?:{_UNIT_ALT}|h)\b))"
_ISO_DATE_RE = re.compile(
    r"(?<![0-9])(?P<year>20[0-9]{2})[-/.](?P<month>[0-9]{1,2})[-/.]"
    r"(?P<day>[0-9]{1,2})(?![0-9])"
)
_NUMERIC_DATE_RE = re.compile(
    r"(?<![0-9.,/])(?P<day>[0-9]{1,2})/(?P<month>[0-9]{1,2})"
    rf"(?:/(?P<year>(?:20)?[0-9]{{2}}))?(?![0-9/]){_UNIT_AHEAD}"
)
_DAY_MONTH_RE = re.compile(
    rf"(?:(?:{_WEEKDAY_ALT})\s+(?:le\s+|the\s+)?)?(?<![0-9])(?P<day>[0-9]{{1,2}})"
    rf"\s*(?:er|e|st|nd|rd|th)?\s*(?:de\s+|of\s+)?(?P<month>{_MONTH_ALT})\b\.?{_YEAR}"
)
_MONTH_DAY_RE = re.compile(
    rf"(?<![a-z])(?P<month>{_MONTH_ALT})\.?\s*(?:the\s+)?(?P<day>[0-9]{{1,2}})"
    rf"(?:st|nd|rd|th|er)?(?![0-9]){_UNIT_AHEAD}{_YEAR}"
)
_RELATIVE_RE = re.compile(rf"(?<![a-z])(?P<word>{_alternatives(_RELATIVE_DAYS)})\b")
_IN_DAYS_RE = re.compile(
    r"(?<![a-z0-9])(?<!il y a )(?:(?:dans|d\s*ici|pour|encore|in|for|within)\s+)?"
    rf"(?P<count>[0-9]{{1,2}}|{_alternatives(_NUMBER_WORDS)})\s*"
    r"(?P<span>jours?|jrs?|days?|semaines?|sem|weeks?)\b(?!\s*ago)"
)
_SHORT_WEEKDAY_RE = re.compile(
    "(?:"
    + "|".join(
        f"(?<={until} )"
        for until in ("jusqu a", "jusqua", "jusqu au", "d ici", "avant", "until",
                      "till", "til", "by", "before")
    )
    + rf")(?P<weekday>{_alternatives(_SHORT_WEEKDAYS)})\b\.?"
)  # fmt: skip
_WEEKEND_RE = re.compile(
    r"(?<![a-z])(?:(?:cette|ce|en|this|the)\s+)?"
    r"(?:fin\s+de\s+semaine|week\s*end)s?\b"
)
_WEEKDAY_RE = re.compile(
    rf"(?<![a-z])(?:(?:next|this|ce)\s+)?(?P<weekday>{_WEEKDAY_ALT})\b"
    r"(?:\s+(?:prochaine?|next))?"
    rf"(?:\s+(?:le\s+|the\s+)?(?P<day>[0-9]{{1,2}})(?:er|st|nd|rd|th)?(?![0-9])"
    rf"{_UNIT_AHEAD})?"
)
_DAY_ONLY_RE = re.compile(
    r"(?<![a-z])(?:jusqu\s*(?:au|a)|au|avant\s+le|d\s*ici\s+le|until\s+the|by\s+the"
    r"|till\s+the)\s+(?P<day>[0-9]{1,2})(?:er|e|st|nd|rd|th)?(?![0-9])"
    rf"{_UNIT_AHEAD}"
)
_UNTIL_BEFORE_RE = re.compile(
    r"(?:jusqu|until|till?|thru|through|avant|before|d\s*ici|by|au\s+plus\s+tard"
    r"|expire)\w*"
    r"[\W_]*(?:(?:a|au|le|la|the|ce|cette|this)[\W_]+)*$"
)

_PARCEL_WORDS = (
    r"(?:parc?el+e?s?|champs?|fields?|plots?|lots?|blocs?|blocks?|sections?)"
)
_NUMBER_SIGN = r"(?:(?:no|n|nr|num|numero|number)\s*[.°]?\s*|n?°\s*|#\s*)?"
_PARCEL_RE = re.compile(
    rf"(?<![a-z0-9])(?:{_PARCEL_WORDS}\s*{_NUMBER_SIGN}|p\s?-?\s?|#\s*)"
    rf"(?P<number>[0-9]{{1,3}})(?![0-9]){_UNIT_AHEAD}"
)
# "P1" glued is a parcel even before a unit word: "P1 épis de maïs 200".
_GLUED_PARCEL_RE = re.compile(
    r"(?<![a-z0-9])p-?(?P<number>[0-9]{1,3})(?![0-9])(?!\s*[.,/:][0-9])"
)
_PARCEL_IN_WORDS_RE = re.compile(
    rf"(?<![a-z0-9]){_PARCEL_WORDS}\s+{_NUMBER_SIGN}(?P<word>{_DIGIT_WORD_ALT})\b"
)

_QUANTITY_RE = re.compile(
    rf"(?P<minus>(?<!\S)-)?{_NOT_AFTER_NUMBER}(?P<number>{_NUMBER})"
    rf"(?:\s*(?:-|a|to|ou|or|et|and)\s*(?P<upper>{_NUMBER}))?\+?"
    rf"(?:\s*(?P<unit>{_UNIT_ALT})\b\.?)?"
)
_WORD_QUANTITY_RE = re.compile(
    rf"(?<![a-z0-9])(?P<number>{_alternatives(_NUMBER_WORDS)})\s+"
    r"(?:(?P<times>cents?|hundred|mille|thousand)\s+)?"
    rf"(?:(?:de|d|of)\s+)?(?:(?P<unit>{_WORD_UNIT_ALT})\b\.?)?"
)
_NEXT_WORD_RE = re.compile(r"\s*(?P<word>[a-z]+)")
# Between "10 poches" and "50 lb": the weight of each poche, not the total.
_EACH_GAP_RE = re.compile(
    r"\s*(?:(?:de|d|of|x|a|@|/)\s*|(?:de|d|of)\s+[a-z]+(?:\s+[a-z]+)?\s+(?:de|d|of)\s*)?"
)
_MAX_KG_EACH_UNWORDED = 60.0

_CODE_RE = re.compile(r"(?<![a-z0-9])#?(?P<letter>[a-z])-?(?P<digits>[0-9]{1,4})\b")
_SPACED_CODE_RE = re.compile(
    rf"(?<![a-z0-9])(?P<letter>[a-z]) (?P<digits>[0-9]{{1,4}})(?![0-9]){_UNIT_AHEAD}"
)
# "ouiA12": a reply keyword glued to its offer code ("nov15" is a date).
_GLUED_REPLY_RE = re.compile(
    r"(?<![a-z0-9])(annule|cancel|oui|yes|non|ok|no(?!v))(?=[a-z][0-9]{1,4}(?![0-9]))"
)
_CODE_WORD_RE = re.compile(r"[a-z][0-9]{1,4}")
_DIGITS_RE = re.compile(r"[0-9 .,+()*-]+")

_NEGATION_BEFORE_RE = re.compile(
    r"(?:^|\s)(?:pas|not|cannot|t|(?:(?:pas|not|t)\s+(?:be\s+)?|un)"
    r"(?:capable|able)\s+(?:de|d|to))$"
)
_YES_WORDS = frozenset({"oui", "ouais", "yes", "yeah", "yep"})
_ALL_WORDS = frozenset({"tout", "toute", "tous", "toutes", "all", "everything"})

_CORN_BEFORE = frozenset(
    {"de", "d", "du", "des", "of", "en", "dispo", "dispos", "disponible",
     "disponibles", "ready", "available", "surplus", "notre", "mon"}
)  # fmt: skip
_CORN_AFTER = frozenset({"sucre", "sucres", "en", "epi", "epis", "frais"})
# Words that follow "mais" meaning "but": "mais pas avant lundi", "mais on...".
_BUT_AFTER = frozenset(
    {"pas", "on", "je", "j", "il", "elle", "nous", "vous", "ils", "elles", "c", "ce",
     "ca", "si", "plus", "seulement", "juste", "faut", "merci", "y", "non", "oui",
     "avant", "apres", "pour", "bon", "encore", "tout", "svp", "le", "la",
     "les", "pu", "ne", "n"}
)  # fmt: skip
_DATE_GLUE = frozenset(
    {"jusqu", "jusqua", "a", "au", "avant", "d", "ici", "le", "la", "until", "till",
     "by", "the", "before", "dispo", "disponible", "available", "ready", "et",
     "and", "pour", "for"}
)  # fmt: skip

_PUNCTUATION = str.maketrans(
    {
        "’": " ", "‘": " ", "ʼ": " ", "'": " ", "`": " ", "´": " ", "′": " ",
        "‛": " ", "“": '"', "”": '"', "«": '"', "»": '"', "–": "-", "—": "-",
        "‐": "-", "‑": "-", "−": "-", "⁄": "/", "_": " ",
    }
)  # fmt: skip


# --- Result -----------------------------------------------------------------------


@dataclass
class Parsed:
    intent: str = "unknown"
    language: str = "fr"
    parcel: str | None = None
    crop: str | None = None
    quantity: float | None = None
    unit: str | None = None
    quantity_kg: float | None = None
    available_until: date | None = None
    offer_code: str | None = None
    problems: list[str] = field(default_factory=list)
    text: str = ""

    def to_dict(self) -> dict[str, object]:
        """The parse result as DESIGN §5 defines its JSON."""
        return {
            "intent": self.intent,
            "language": self.language,
            "parcel": self.parcel,
            "crop": self.crop,
            "quantity": _plain_number(self.quantity),
            "unit": self.unit,
            "quantity_kg": _as_float(self.quantity_kg),
            "available_until": (
                self.available_until.isoformat() if self.available_until else None
            ),
            "offer_code": self.offer_code,
            "problems": list(self.problems),
        }


def _as_float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _plain_number(value: float | None) -> float | int | None:
    if value is not None and float(value).is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class _Quantity:
    value: float
    unit: str | None
    start: int
    end: int
    unit_word: str = ""
    each_kg: float | None = None  # "10 poches de 50 lb": the weight of one poche


@dataclass(frozen=True)
class _Date:
    value: date
    until: bool  # written after "jusqu'à", "until", "avant"...


class _Text:
    """The normalized message; what a step has read is blanked for the next ones."""

    BLANK = "|"

    def __init__(self, text: str) -> None:
        self.original = text
        self.text = text

    def take(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        found = list(pattern.finditer(self.text))
        for match in found:
            self.blank(match.start(), match.end())
        return found

    def blank(self, start: int, end: int) -> None:
        self.text = self.text[:start] + self.BLANK * (end - start) + self.text[end:]

    def words(self) -> list[str]:
        return re.findall(r"[a-z0-9]+", self.text)


# --- Entry point ------------------------------------------------------------------


def parse(
    text: str, *, now: datetime, parcel_names: Mapping[str, str] | None = None
) -> Parsed:
    """Read one message. ``now`` is aware, in GLANAGE_TZ; dates resolve against it.

    ``parcel_names`` maps the sender's farm's named parcels ("verger",
    "champ du bas") to their codes ("P4") when the sender is known.
    """
    try:
        return _parse(text, now.date(), parcel_names or {})
    except Exception:  # a message must never break its channel: keep it, say so
        return Parsed(problems=["unreadable"], text=text)


def _parse(text: str, today: date, parcel_names: Mapping[str, str]) -> Parsed:
    result = Parsed(text=text)
    if len(text) > MAX_LENGTH:
        result.problems.append("too_long")
    scan = _Text(_normalize(text[:MAX_LENGTH]))
    result.language = _language(scan.words())
    if not scan.words():
        return _finish(result, *_without_words(scan.text))

    scan.take(_NOISE_RE)
    dates = _take_dates(scan, today)
    if not dates and _DIGITS_RE.fullmatch(scan.original):  # a phone number, an id
        return _finish(result, "unknown", "unreadable")
    return _read(result, scan, dates, parcel_names, today)


def _without_words(normalized: str) -> tuple[str, ...]:
    """The intent and problem of a message without a word: blank, "?", emoji."""
    if not normalized:
        return ("unknown", "empty")
    return ("help",) if "?" in normalized else ("unknown", "unreadable")


def _read(
    result: Parsed,
    scan: _Text,
    dates: Sequence[_Date],
    parcel_names: Mapping[str, str],
    today: date,
) -> Parsed:
    words = scan.words()
    if _OPT_OUT_RE.search(scan.text) or " ".join(words) in _CARRIER_STOP_WORDS:
        return _finish(result, "stop")
    lead = _lead(words)
    if lead in ("stop", "start"):
        return _finish(result, lead)
    codes = _codes(scan.text, any_letter=lead in REPLY_INTENTS)
    intent = _reply_intent(lead, words, codes, scan.text)
    if intent is not None:
        return _read_reply(result, intent, scan, codes)
    return _read_announcement(result, lead, scan, dates, parcel_names, today)


def _finish(result: Parsed, intent: str, *problems: str) -> Parsed:
    result.intent = intent
    found = {*result.problems, *problems}
    result.problems = [problem for problem in PROBLEMS if problem in found]
    return result


# --- Normalizing ------------------------------------------------------------------


def _normalize(text: str) -> str:
    """Lowercase, accentless, one space between words, apostrophes as spaces."""
    # NFKC spells "2½" as "21⁄2": keep the whole number apart.
    text = re.sub(r"(?<=[0-9])(?=[½¼¾⅓⅔])", " ", text)
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        " " if unicodedata.category(char)[0] == "C" else char for char in text
    )
    # "maïs" is corn, but "mais" is also "but": keep what the diaeresis said.
    text = re.sub(r"(?i)\bma[ïî]s\b", "blé d'Inde", text)
    text = crops.strip_accents(text.translate(_PUNCTUATION))
    text = re.sub(r"(?<=[a-z])-+(?=[a-z])", " ", text)
    text = " ".join(_GLUED_REPLY_RE.sub(r"\1 ", text).split())
    return re.sub(r"[a-z]{5,}", _fix_date_typo, text)


def _fix_date_typo(match: re.Match[str]) -> str:
    word = match.group()
    if word in _VOCABULARY or crops.match_crop([word], 0):
        return word
    cutoff = 1 if len(word) < 9 else 2
    best = process.extractOne(
        word, _DATE_WORDS, scorer=DamerauLevenshtein.distance, score_cutoff=cutoff
    )
    return str(best[0]) if best else word


def _language(words: Sequence[str]) -> str:
    """French, unless English words outnumber French ones."""
    french = english = 0
    for word in words:
        language = (
            "fr" if word in _FRENCH
            else "en" if word in _ENGLISH
            else crops.alias_language(word)
        )  # fmt: skip
        # The first word that tells, usually the keyword, settles a tie.
        weight = 2 if french == english == 0 else 1
        french += weight * (language == "fr")
        english += weight * (language == "en")
    return "en" if english > french else "fr"


# --- Intent -----------------------------------------------------------------------


def _keyword_at(words: Sequence[str], start: int) -> tuple[str, int] | None:
    """The intent of the longest keyword starting at ``words[start]``, its length."""
    for count in range(min(_LONGEST_KEYWORD, len(words) - start), 0, -1):
        phrase = " ".join(words[start : start + count])
        intent = _KEYWORDS.get(phrase)
        followed_by_number = start + count < len(words) and (
            words[start + count].isdigit()
        )
        # "parcelle no 3" is a parcel number, not a "no".
        if intent and not (phrase in ("no", "n") and followed_by_number):
            if intent == "claim" and _negated(words, start, count):
                return "decline", count
            return intent, count
    return None


def _negated(words: Sequence[str], start: int, count: int) -> bool:
    """Whether a claim word is negated: "can't take", "je prends pas"."""
    after = [*words[start + count : start + count + 2], "", ""]
    # "can't take all of it", "on prend pas tout": a part is still a claim.
    if {after[0], after[1]} & _ALL_WORDS:
        return False
    # "Oui pas de problème" is still a yes.
    if after[0] == "pas" and words[start] not in _YES_WORDS:
        return True
    before = " ".join(words[max(0, start - 4) : start])
    return bool(_NEGATION_BEFORE_RE.search(before))


def _keywords(words: Sequence[str]) -> list[str]:
    """The intents of all keywords in the message, in order."""
    found: list[str] = []
    index = 0
    while index < len(words):
        hit = _keyword_at(words, index)
        if hit is not None:
            found.append(hit[0])
        index += hit[1] if hit else 1
    return found


def _lead(words: Sequence[str]) -> str | None:
    """The intent of the keyword the message opens with, after greetings and codes.

    Only this keyword is forgiven a typo ("disponnible", "annuller").
    """
    index = 0
    while index < len(words) and (
        words[index] in _OPENERS or _CODE_WORD_RE.fullmatch(words[index])
    ):
        index += 1
    if index == len(words):
        return None
    if words[index] in _SOFT_CLAIMS:
        return _soft_claim(words, index)
    hit = _keyword_at(words, index)
    if hit is not None:
        return hit[0]
    return _fuzzy_keyword(words[index])


def _soft_claim(words: Sequence[str], index: int) -> str | None:
    rest = [word for word in words[index + 1 :] if word not in _OPENERS]
    if rest and _CODE_WORD_RE.fullmatch(rest[0]):
        return "claim"
    return None


def _fuzzy_keyword(word: str) -> str | None:
    squeezed = re.sub(r"([a-z])\1+$", r"\1", word)  # "ouii", "nonn", not "noon"
    if squeezed != word and squeezed in _KEYWORDS:
        return _KEYWORDS[squeezed]
    if len(word) < 5 or word in _VOCABULARY:
        return None
    best = process.extractOne(
        word, _FUZZY_KEYWORDS, scorer=DamerauLevenshtein.distance, score_cutoff=1
    )
    return _KEYWORDS[best[0]] if best else None


def _codes(text: str, *, any_letter: bool) -> list[re.Match[str]]:
    """Offer codes in the message; P codes are parcels unless a reply names them."""
    found = list(_CODE_RE.finditer(text))
    if any_letter and not found:
        found = list(_SPACED_CODE_RE.finditer(text))  # "OUI A 12"
    return [code for code in found if any_letter or code["letter"] != "p"]


def _reply_intent(
    lead: str | None, words: Sequence[str], codes: Sequence[re.Match[str]], text: str
) -> str | None:
    """claim, decline or cancel when the message answers about an offer."""
    if lead in REPLY_INTENTS:
        # "Oui, parcelle 3 carottes": a farmer answering a question, announcing.
        if lead != "cancel" and not codes and _names_produce(words, text):
            return None
        return lead
    found = _keywords(words)
    if "cancel" in found and lead != "announce":  # "les carottes sont plus dispo"
        return "cancel"
    if not codes:
        return None
    replies = [intent for intent in found if intent in REPLY_INTENTS]
    if replies:
        return replies[0]
    if any(word in _SOFT_CLAIMS for word in words):  # "A12 ok"
        return "claim"
    if not _QUANTITY_RE.search(text):
        return None
    # "A12 200 kg": an organization claiming, code first; "Can we get A12?
    # 100 kg": a code and a quantity, and no produce, as a farmer would name.
    before_code = re.findall(r"[a-z0-9]+", text[: codes[0].start()])
    opens_with_code = all(word in _OPENERS for word in before_code)
    no_produce = "announce" not in found and not _names_produce(words, text)
    return "claim" if opens_with_code or no_produce else None


def _names_produce(words: Sequence[str], text: str) -> bool:
    found = [crops.match_crop(words, index) for index in range(len(words))]
    # Context decides whether "mais" is corn; here a reply word came first.
    has_crop = any(hit and words[index] != "mais" for index, hit in enumerate(found))
    return has_crop or bool(_PARCEL_RE.search(text))


# --- Replies ----------------------------------------------------------------------


def _read_reply(
    result: Parsed, intent: str, scan: _Text, codes: Sequence[re.Match[str]]
) -> Parsed:
    problems = [] if codes else ["missing_offer_code"]
    if codes:
        code = codes[0]
        result.offer_code = f"{code['letter'].upper()}{int(code['digits'])}"
        scan.blank(code.start(), code.end())
    if intent == "claim":
        _read_claimed_quantity(result, scan)
    return _finish(result, intent, *problems, *_quantity_problems(result))


def _read_claimed_quantity(result: Parsed, scan: _Text) -> None:
    quantities = _take_quantities(scan)
    if not quantities:
        return
    first = quantities[0]
    result.quantity = first.value
    # Offers are sized in kg: "OUI A12 200" claims 200 kg.
    first = replace(first, unit=first.unit or "kg")
    result.unit = first.unit
    result.quantity_kg = _kg_of(first, quantities, None)


# --- Announcements ----------------------------------------------------------------


def _read_announcement(
    result: Parsed,
    lead: str | None,
    scan: _Text,
    dates: Sequence[_Date],
    parcel_names: Mapping[str, str],
    today: date,
) -> Parsed:
    keywords = _keywords(scan.words())
    _fill_announcement(result, scan, dates, parcel_names)
    carried = (result.parcel, result.crop, result.quantity)
    carries = sum(value is not None for value in carried)
    if lead in ("help", "status") and carries < 2:
        return _finish(_bare(result), lead)
    if not carries and not _announces(lead, keywords, dates, scan):
        return _finish(_bare(result), "unknown", "unreadable")
    return _finish(result, "announce", *_announcement_problems(result, today))


def _fill_announcement(
    result: Parsed,
    scan: _Text,
    dates: Sequence[_Date],
    parcel_names: Mapping[str, str],
) -> None:
    result.parcel = _take_named_parcel(scan, parcel_names) or _take_parcel(scan)
    quantities = _take_quantities(scan)
    crop = _take_crop(scan, quantities)
    result.crop = crop.name if crop else None
    _set_quantity(result, quantities, crop)
    result.available_until = _pick_date(dates)


def _bare(result: Parsed) -> Parsed:
    """The result without announcement fields, for a message that is no announcement."""
    return Parsed(language=result.language, problems=result.problems, text=result.text)


def _announces(
    lead: str | None, keywords: Sequence[str], dates: Sequence[_Date], scan: _Text
) -> bool:
    """Whether a message naming no parcel, crop or quantity is still an announcement."""
    if lead == "announce" or "announce" in keywords:
        return True
    # "jusqu'à vendredi" alone answers "until when?"; "merci, à demain" does not.
    return bool(dates) and all(word in _DATE_GLUE for word in scan.words())


def _announcement_problems(result: Parsed, today: date) -> list[str]:
    problems = [
        problem
        for problem, value in (
            ("missing_parcel", result.parcel),
            ("missing_crop", result.crop),
            ("missing_quantity", result.quantity),
        )
        if value is None
    ]
    if result.available_until is not None and result.available_until < today:
        problems.append("date_in_past")
    return problems + _quantity_problems(result)


def _quantity_problems(result: Parsed) -> list[str]:
    if result.quantity is None:
        return []
    problems = [] if result.unit else ["unknown_unit"]
    kg = result.quantity_kg
    # A weight that comes to nothing once rounded ("0.004 kg") is no weight,
    # and a weight written beside a count ("1 ail -5 kg") counts too.
    no_weight = kg is not None and kg <= 0
    too_much = kg is not None and kg > MAX_KG
    if result.quantity <= 0 or no_weight or too_much or result.quantity > MAX_KG:
        problems.append("bad_quantity")
    return problems


def _parcel_code(code: str) -> str:
    compact = re.sub(r"[\s-]", "", code).upper()
    number = re.fullmatch(r"P?0*([0-9]+)", compact)
    return f"P{int(number.group(1))}" if number else compact


def _take_named_parcel(scan: _Text, parcel_names: Mapping[str, str]) -> str | None:
    """The code of a parcel the sender's farm calls by name ("le verger")."""
    named = [(_name_words(name), code) for name, code in parcel_names.items()]
    for words, code in sorted(named, key=lambda item: -len(" ".join(item[0]))):
        if not words:
            continue
        spelled = r"\s+".join(re.escape(word) for word in words)
        match = re.search(rf"(?<![a-z0-9]){spelled}s?(?![a-z0-9])", scan.text)
        if match:
            scan.blank(match.start(), match.end())
            return _parcel_code(code)
    return None


def _name_words(name: str) -> list[str]:
    """A parcel name without its article: "Le verger" is found as "verger"."""
    words = crops.words_of(name)
    while len(words) > 1 and words[0] in ("le", "la", "les", "l", "du", "the"):
        words = words[1:]
    return words


def _take_parcel(scan: _Text) -> str | None:
    found = scan.take(_PARCEL_RE)
    if found:
        return f"P{int(found[0]['number'])}"
    in_words = scan.take(_PARCEL_IN_WORDS_RE)
    if in_words:
        return f"P{_SMALL_NUMBERS[in_words[0]['word']]}"
    glued = scan.take(_GLUED_PARCEL_RE)
    return f"P{int(glued[0]['number'])}" if glued else None


# --- Quantities -------------------------------------------------------------------


def _take_quantities(scan: _Text) -> list[_Quantity]:
    """Every quantity in the message, in order, each weight paired with its unit."""
    text = scan.text
    numbers = [_digits_quantity(match, scan) for match in scan.take(_QUANTITY_RE)]
    found = sorted(
        [*(number for number in numbers if number), *_take_word_quantities(scan)],
        key=lambda quantity: quantity.start,
    )
    return _pair_weights(found, text)


def _digits_quantity(match: re.Match[str], scan: _Text) -> _Quantity | None:
    if not match["unit"] and scan.text[match.end() : match.end() + 1].isalpha():
        return None  # an ordinal or a reference: "2e rang", "3ieme"
    value = _number(match["number"])
    if match["upper"]:
        value = min(value, _number(match["upper"]))
    if match["minus"]:
        value = -value
    unit_word = match["unit"] or ""
    end = match.end()
    if not unit_word:
        unit_word, end = _unit_after(scan, end)
    return _quantity(value, unit_word, match.start(), end)


def _unit_after(scan: _Text, end: int) -> tuple[str, int]:
    """A unit misspelt after a bare number ("300 kilso"), or a crop ("40 laitues")."""
    following = _NEXT_WORD_RE.match(scan.text, end)
    if following is None:
        return "", end
    word = following["word"]
    if crops.match_crop(crops.words_of(scan.text[following.start("word") :]), 0):
        return "unite", end
    if len(word) >= 4 and word not in _VOCABULARY:
        best = process.extractOne(
            word, _FUZZY_UNITS, scorer=DamerauLevenshtein.distance, score_cutoff=1
        )
        if best:
            scan.blank(following.start("word"), following.end())
            return str(best[0]), following.end()
    return "", end


def _take_word_quantities(scan: _Text) -> list[_Quantity]:
    """Numbers in words: "deux palettes", "une couple de poches", "vingt choux"."""
    found: list[_Quantity] = []
    for match in _WORD_QUANTITY_RE.finditer(scan.text):
        quantity = _words_quantity(match, scan.text)
        if quantity is not None:
            scan.blank(match.start(), match.end())
            found.append(quantity)
    return found


def _words_quantity(match: re.Match[str], text: str) -> _Quantity | None:
    value = _NUMBER_WORDS[" ".join(match["number"].split())]
    if match["times"]:  # "deux cents", "three thousand"
        value *= 1000 if match["times"] in ("mille", "thousand") else 100
    if match["unit"]:
        return _quantity(value, match["unit"], match.start(), match.end())
    # Without a unit only a count of a crop ("vingt choux"): "un", "une" and "a"
    # are also articles ("une citrouille", "a pumpkin patch").
    following = crops.words_of(text[match.end() : match.end() + 60])
    if value >= 2 and crops.match_crop(following, 0):
        return _quantity(value, "unite", match.start(), match.end())
    return None


def _quantity(value: float, unit_word: str, start: int, end: int) -> _Quantity:
    unit, times = _UNIT_WORDS.get(unit_word, (None, 1))
    return _Quantity(value * times, unit, start, end, unit_word=unit_word)


def _number(written: str) -> float:
    if written.endswith("k"):  # 1k, 1,5k
        return _number(written[:-1]) * 1000
    if " " in written and "/" in written:  # 2 1/2
        whole, fraction = written.split(" ")
        return int(whole) + _number(fraction)
    if "/" in written:
        numerator, denominator = written.split("/")
        return int(numerator) / int(denominator)
    written = written.replace(" ", "")
    if re.fullmatch(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+", written):  # 1,000; 0,001 is 0.001
        return float(written.replace(",", ""))
    return float(written.replace(",", "."))


def _pair_weights(quantities: Sequence[_Quantity], text: str) -> list[_Quantity]:
    """Fold "10 poches de 50 lb" into one quantity that knows each poche's weight."""
    paired: list[_Quantity] = []
    for quantity in quantities:
        previous = paired[-1] if paired else None
        each_kg = _weight_of_each(previous, quantity, text) if previous else None
        if previous is not None and each_kg is not None:
            paired[-1] = replace(previous, each_kg=each_kg)
        else:
            paired.append(quantity)
    return paired


def _weight_of_each(count: _Quantity, weight: _Quantity, text: str) -> float | None:
    kg = _exact_kg(weight)
    if count.unit not in crops.COUNT_UNITS or count.each_kg is not None or kg is None:
        return None
    gap = text[count.end : weight.start]
    if not _EACH_GAP_RE.fullmatch(gap):
        return None
    # "40 caisses 500 kg" is a total; "10 poches 50 lb" names the poche's size.
    if not gap.strip() and kg > _MAX_KG_EACH_UNWORDED:
        return None
    return kg


def _set_quantity(
    result: Parsed, quantities: Sequence[_Quantity], crop: crops.Crop | None
) -> None:
    with_unit = [quantity for quantity in quantities if quantity.unit]
    candidates = with_unit or list(quantities)
    if not candidates:
        return
    chosen = candidates[0]
    result.quantity = chosen.value
    result.unit = chosen.unit
    result.quantity_kg = _kg_of(chosen, quantities, crop)


def _kg_of(
    chosen: _Quantity, quantities: Sequence[_Quantity], crop: crops.Crop | None
) -> float | None:
    """The weight: as written, from each unit's weight, a total given beside, or
    the crop's table, in that order of trust."""
    if chosen.unit is None:
        return None
    stated = _mass_kg(chosen)
    if stated is not None:
        return stated
    if chosen.each_kg is not None:
        return round(chosen.value * chosen.each_kg, 2)
    beside = [kg for other in quantities if (kg := _mass_kg(other)) is not None]
    return beside[0] if beside else crops.to_kg(chosen.value, chosen.unit, crop)


def _mass_kg(quantity: _Quantity) -> float | None:
    """The weight a quantity in kg, lb or t states; None for other units."""
    exact = _exact_kg(quantity)
    return None if exact is None else round(exact, 2)


def _exact_kg(quantity: _Quantity) -> float | None:
    """Unrounded, so "30 boîtes de 25 lb" is 750 lb exactly, not 30 x 11.34 kg."""
    factor = crops.MASS_UNITS.get(quantity.unit or "")
    return None if factor is None else quantity.value * factor


# --- Crops ------------------------------------------------------------------------


def _take_crop(scan: _Text, quantities: Sequence[_Quantity]) -> crops.Crop | None:
    tokens = list(re.finditer(r"[a-z0-9]+", scan.text))
    words = [token.group() for token in tokens]
    found = _spelt_crop(scan.text, tokens)
    if found is None:
        if any(quantity.unit_word in ("epi", "epis") for quantity in quantities):
            return crops.get_crop("maïs")
        return _misspelt_crop(words)
    # "carrotes 30 poches, brocolis 20 pieds": a misspelt crop before the
    # quantity beats one spelt right after it, which names a second lot.
    with_unit = [quantity for quantity in quantities if quantity.unit]
    first = next(iter(with_unit or quantities), None)
    if first is not None and tokens[found[1]].start() > first.start:
        before = [token.group() for token in tokens if token.end() <= first.start]
        return _misspelt_crop(before) or found[0]
    return found[0]


def _spelt_crop(
    text: str, tokens: Sequence[re.Match[str]]
) -> tuple[crops.Crop, int] | None:
    """The first crop named without a typo, and the index of its first word."""
    words = [token.group() for token in tokens]
    for allow_ambiguous in (False, True):
        for index in range(len(words)):
            found = crops.match_crop(words, index)
            if found is None:
                continue
            is_but = found[1] == 1 and words[index] == "mais"
            if not is_but or (allow_ambiguous and _is_corn(text, tokens, index)):
                return _misspelt_longer(words, index, found) or found[0], index
    return None


def _misspelt_longer(
    words: Sequence[str], index: int, found: tuple[crops.Crop, int]
) -> crops.Crop | None:
    """A longer name, misspelt, that starts where a crop was found: "pommes de
    tere" is pomme de terre, not pomme."""
    crop, count = found
    for size in range(min(crops.LONGEST_NAME, len(words) - index), count, -1):
        phrase = words[index : index + size]
        if not all(word.isalpha() for word in phrase):
            continue
        longer = crops.fuzzy_crop(" ".join(phrase))
        if longer is not None and longer != crop:
            return longer
    return None


def _is_corn(text: str, tokens: Sequence[re.Match[str]], index: int) -> bool:
    """Whether an unaccented "mais" is corn ("30 minots de mais") or "but"."""
    if len(tokens) == 1:
        return True
    before = text[: tokens[index].start()].rstrip()
    after = text[tokens[index].end() :].lstrip()
    previous = tokens[index - 1].group() if index > 0 else ""
    following = tokens[index + 1].group() if index + 1 < len(tokens) else ""
    if following in _BUT_AFTER:
        return False
    return (
        previous in _CORN_BEFORE
        or following in _CORN_AFTER
        or before.endswith(_Text.BLANK)
        or after.startswith(_Text.BLANK)
    )


def _misspelt_crop(words: Sequence[str]) -> crops.Crop | None:
    for word in words:
        if word.isalpha() and word not in _VOCABULARY:
            crop = crops.fuzzy_crop(word)
            if crop is not None:
                return crop
    return None


# --- Dates ------------------------------------------------------------------------


def _take_dates(scan: _Text, today: date) -> list[_Date]:
    found: list[_Date] = []
    for pattern, resolve in _DATE_RULES:
        for match in scan.take(pattern):
            value = resolve(match, today)
            if value is not None:
                before = scan.original[max(0, match.start() - 30) : match.start()]
                found.append(_Date(value, bool(_UNTIL_BEFORE_RE.search(before))))
    return found


def _pick_date(dates: Sequence[_Date]) -> date | None:
    """The end of availability: the latest "until" date, else the latest date."""
    until = [found.value for found in dates if found.until]
    return max(until or [found.value for found in dates], default=None)


def _make_date(year: int, month: int, day: int) -> date | None:
    with suppress(ValueError):
        return date(year, month, day)
    return None


def _nearest_year(today: date, month: int, day: int) -> date | None:
    candidates = [
        found
        for year in (today.year - 1, today.year, today.year + 1)
        if (found := _make_date(year, month, day)) is not None
    ]
    return min(
        candidates,
        key=lambda found: (abs((found - today).days), found < today),
        default=None,
    )


def _with_year(today: date, month: int, day: int, year: str | None) -> date | None:
    if not year:
        return _nearest_year(today, month, day)
    return _make_date(int(year) + (2000 if len(year) == 2 else 0), month, day)


def _iso_date(match: re.Match[str], today: date) -> date | None:
    return _make_date(int(match["year"]), int(match["month"]), int(match["day"]))


def _numeric_date(match: re.Match[str], today: date) -> date | None:
    day, month = int(match["day"]), int(match["month"])
    if month > 12 >= day:  # 10/15: written month first, the US way
        day, month = month, day
    return _with_year(today, month, day, match["year"])


def _named_month_date(match: re.Match[str], today: date) -> date | None:
    month = _MONTHS[match["month"]]
    return _with_year(today, month, int(match["day"]), match["year"])


def _relative_date(match: re.Match[str], today: date) -> date | None:
    return today + timedelta(days=_RELATIVE_DAYS[" ".join(match["word"].split())])


def _in_days_date(match: re.Match[str], today: date) -> date | None:
    count = match["count"]
    number = int(count) if count.isdigit() else _NUMBER_WORDS[" ".join(count.split())]
    weeks = match["span"].startswith(("s", "w"))
    return today + timedelta(days=number * (7 if weeks else 1))


def _weekend_date(match: re.Match[str], today: date) -> date | None:
    return today + timedelta(days=(6 - today.weekday()) % 7)


def _weekday_date(match: re.Match[str], today: date) -> date | None:
    if match["day"]:
        return _day_of_month(today, int(match["day"]))
    return _next_weekday(today, _WEEKDAYS[match["weekday"]])


def _short_weekday_date(match: re.Match[str], today: date) -> date | None:
    return _next_weekday(today, _SHORT_WEEKDAYS[match["weekday"]])


def _next_weekday(today: date, weekday: int) -> date:
    """The next date falling on ``weekday``, strictly after today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _day_only_date(match: re.Match[str], today: date) -> date | None:
    return _day_of_month(today, int(match["day"]))


def _day_of_month(today: date, day: int) -> date | None:
    """The next date, today included, that falls on this day of a month."""
    for ahead in range(3):
        year, month = divmod(today.month - 1 + ahead, 12)
        found = _make_date(today.year + year, month + 1, day)
        if found is not None and found >= today:
            return found
    return None


_DATE_RULES: tuple[
    tuple[re.Pattern[str], Callable[[re.Match[str], date], date | None]], ...
] = (
    (_ISO_DATE_RE, _iso_date),
    (_NUMERIC_DATE_RE, _numeric_date),
    (_DAY_MONTH_RE, _named_month_date),
    (_MONTH_DAY_RE, _named_month_date),
    (_IN_DAYS_RE, _in_days_date),
    (_RELATIVE_RE, _relative_date),
    (_WEEKEND_RE, _weekend_date),
    (_WEEKDAY_RE, _weekday_date),
    (_SHORT_WEEKDAY_RE, _short_weekday_date),
    (_DAY_ONLY_RE, _day_only_date),
)
