"""Hypothesis strategies for what senders type: SMS words, numbers, odd unicode."""

from __future__ import annotations

from hypothesis import strategies as st

from shared import crops

KEYWORDS = (
    "DISPO", "dispo", "Dispo", "DISPONIBLE", "disponibles", "dispoo", "disponnible",
    "OUI", "oui", "Oui!", "ouii", "ouais", "yes", "YES", "ok", "OK", "je prends",
    "on prend pas", "can't take", "NON", "non", "non merci", "no", "nope", "pass",
    "ANNULE", "annulé", "ANNULER", "cancel", "plus dispo", "pu dispo",
    "STOP", "stop", "ARRÊT", "arret", "STOPALL", "unsubscribe", "REPRISE", "START",
    "AIDE", "aide", "help", "?", "LISTE", "statut", "status", "bonjour", "merci",
    "salut", "svp", "hi", "thanks", "mais", "maïs", "pas", "tout", "all",
)  # fmt: skip

UNITS = (
    "kg", "KG", "kgs", "kilos", "kilo", "lb", "lbs", "livres", "pounds", "t",
    "tonnes", "tonne", "poches", "poche", "sacs", "bags", "caisses", "caisse",
    "cageots", "crates", "minots", "bushels", "boîtes", "boxes", "palettes",
    "pallets", "paniers", "casseaux", "pintes", "unités", "têtes", "pieds", "épis",
    "douzaines", "dozen", "dz", "kilso", "livers",
)  # fmt: skip

NUMBERS = (
    "0", "1", "5", "40", "300", "500", "1 000", "1\u00a0000", "1\u202f000",
    "1,000", "1.000", "10 000 000", "1,5", "1.5", "0,25", "0.004", "~300",
    "+/-300", "≈300", "300+", "200-300", "200 à 300", "200 to 300", "-5", "−5",
    "- 5", "1/2", "1/0", "0/0", "2 1/2", "½", "2½", "1k", "1,5k", "1e9", "1e308",
    "9" * 30, "00000", "１２３", "٣٠٠", "𝟓𝟎𝟎", "²", "une couple", "deux", "vingt",
    "trois cents", "a dozen", "une douzaine", "demi", "mille", "un millier", "NaN",
    "inf",
)  # fmt: skip

DATES = (
    "demain", "aujourd'hui", "ce soir", "après-demain", "tomorrow", "today",
    "vendredi", "jusqu'à vendredi", "jusqu’à samedi", "until friday", "by sat",
    "d'ici dimanche", "avant lundi", "fin de semaine", "weekend", "ven", "jeu",
    "15/10", "10/15", "31/02", "00/00", "99/99", "15/10/2026", "1/1/99",
    "2026-10-15", "2026-02-30", "2099-12-31", "0000-00-00", "9999-99-99",
    "15 oct", "15 octobre", "oct 15", "October 15th", "1er novembre", "31 juin",
    "jusqu'au 20", "jusqu'au 31", "au 0", "dans 3 jours", "dans 99 jours",
    "in 2 weeks", "dans deux semaines", "il y a 3 jours", "17h", "8 h 30",
    "5pm", "12:30", "hier", "lundi prochain", "next monday",
)  # fmt: skip

CODES = (
    "A12", "a12", "A 12", "A-12", "#A12", "B7", "Z9999", "A0", "A00012", "P3",
    "p3", "P 3", "P-3", "parcelle 3", "champ no 2", "champ #4", "field 1",
    "plot two", "lot 7", "#4", "n°5", "ouiA12", "nonB3", "annuleC4", "nov15",
)  # fmt: skip

ODD = (
    "🍅", "🥕🌽", "👍🏽", "👨‍🌾", "🇨🇦", "💩" * 20, "\u200f", "\u200e", "\u202e",
    "\u2066", "\u2069", "\u200b", "\ufeff", "\u00ad", "\x00", "\x01", "\x1b[31m",
    "\x7f", "\r\n", "\n", "\t", "\u0085", "\u2028", "\u2029", "\u00a0", "e\u0301",
    "\u0301" * 30, "ǅ", "İ", "ß", "ﬁ", "ﷺ", "Ⅻ", "\ud800", "\U0010ffff", "’", "'",
    "«", "»", "—", "…", "$", "5$", "10 %", "%", "_", "\\", "'; DROP TABLE x; --",
    "<script>alert(1)</script>", "{{7*7}}", "%s%n", "${jndi:x}", "|", "||||",
    "http://example.com/a?b=1", "a@b.co", "(450) 555-0123", "+14505550123",
)  # fmt: skip

CROP_NAMES = tuple(
    sorted({crop.name for crop in crops.CROPS} | {crop.name_en for crop in crops.CROPS})
)

SEPARATORS = (" ", " ", " ", "", "\n", ", ", ",", ".", "  ", "\u00a0", "-", "/", ":")

WORDS = (*KEYWORDS, *CROP_NAMES, *UNITS, *NUMBERS, *DATES, *CODES, *ODD)
# Each word with what follows it: a sentence costs one draw per word, so ten
# thousand examples stay fast.
PIECES = tuple(word + sep for word in WORDS for sep in SEPARATORS)


def _sentence() -> st.SearchStrategy[str]:
    piece = st.one_of(
        st.sampled_from(PIECES),
        st.sampled_from(PIECES),
        st.sampled_from(PIECES),
        st.integers(-(10**12), 10**12).map(lambda n: f"{n} "),
        st.floats().map(lambda x: f"{x} "),
        st.text(max_size=6),
    )
    return st.lists(piece, max_size=12).map("".join)


PADDING = (" ", "\n", "\x00", "\u200f", "\u202e", "\ufeff", "🍅", "💩", "?!")


def _long() -> st.SearchStrategy[str]:
    """Over an SMS's 1,600 characters: a sentence repeated, or words around a run
    of blanks, control characters, bidi marks or emoji."""
    repeated = st.builds(
        lambda piece, times: ((piece or "x") * times)[:1_800],
        _sentence(),
        st.integers(min_value=1, max_value=2_000),
    )
    padded = st.builds(
        lambda head, pad, tail: head + pad * (1_700 // len(pad)) + tail,
        _sentence(),
        st.sampled_from(PADDING),
        _sentence(),
    )
    return st.one_of(repeated, padded, padded)


def sms_texts() -> st.SearchStrategy[str]:
    """What a person might text: mostly real words, sometimes anything at all.

    ``one_of`` draws its choices evenly (the same strategy object twice counts
    once), so sentences get many: long texts are slow to read, one in twenty.
    """
    return st.one_of(
        *(_sentence() for _ in range(9)),
        st.text(),
        _long(),
        st.text(st.characters(codec="utf-8")),
        *(_sentence() for _ in range(9)),
    )


def without_surrogates(text: str) -> str:
    """What can travel as UTF-8 (in a form, over HTTP): lone surrogates cannot."""
    return text.encode("utf-8", "replace").decode("utf-8")


def senders() -> st.SearchStrategy[str]:
    """Twilio's From: E.164 numbers, short codes, alphanumeric ids, and junk."""
    return st.one_of(
        st.from_regex(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True),
        st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True),
        st.from_regex(r"[0-9]{5,6}", fullmatch=True),
        st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{2,10}", fullmatch=True),
        st.sampled_from(
            ["", " ", "+", "+0", "00", "not a number", "whatsapp:+14505550100",
             "+14505550100", "+1 (450) 555-0100", "\x00", "'; --", "<b>x</b>"]
        ),
        st.text(max_size=40),
    )  # fmt: skip
