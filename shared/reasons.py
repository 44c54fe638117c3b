"""Reasons behind a match, as codes with figures, and in words.

The matcher stores a reason as its code and the rounded figures it quotes
({"code": "distance", "params": {"km": 4.2}}); the panel, the API and any
message render it in the reader's language, the same way later.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


# Names of the food categories, as read in "n'accepte pas …" / "does not take …".
CATEGORY_NAMES: Mapping[str, tuple[str, str]] = {
    "legume": ("les légumes", "vegetables"),
    "legume-feuille": ("les légumes feuilles", "leafy greens"),
    "legume-racine": ("les légumes racines", "root vegetables"),
    "fruit": ("les fruits", "fruit"),
    "petits-fruits": ("les petits fruits", "berries"),
}

# (French, English) wording of each reason code except "fairness", which has
# several forms. Apostrophes are straight and accents limited to the GSM-7 SMS
# alphabet, so a reason quoted in an SMS does not double its cost.
_TEXTS: Mapping[str, tuple[str, str]] = {
    "distance": ("à {km} km", "{km} km away"),
    "capacity": (
        "peut encore recevoir {kg} kg cette semaine",
        "can still take {kg} kg this week",
    ),
    "priority": ("sert les plus vulnérables", "serves the most vulnerable"),
    "cold_storage": (
        "chambre froide pour un produit périssable",
        "cold storage for a perishable product",
    ),
    "inactive": ("inactif", "inactive"),
    "opted_out": (
        "tous les contacts se sont désabonnés",
        "every contact has opted out of messages",
    ),
    "category": ("n'accepte pas {category}", "does not take {category}"),
    "too_far_for_farm": (
        "hors du rayon de la ferme ({radius_km} km)",
        "outside the farm's radius ({radius_km} km)",
    ),
    "too_far_for_org": (
        "hors du rayon de l'organisme ({radius_km} km)",
        "outside the organization's radius ({radius_km} km)",
    ),
    "no_capacity": ("capacité de la semaine atteinte", "weekly capacity reached"),
    "reliability": (
        "{no_shows} absence(s) et {declines} refus récents",
        "{no_shows} recent no-show(s) and {declines} decline(s)",
    ),
    "coordinator": ("choisi par la coordination", "chosen by the coordinator"),
    "no_cold_storage": (
        "pas de chambre froide pour un produit périssable",
        "no cold storage for a perishable product",
    ),
}
REASON_CODES = frozenset(_TEXTS) | {"fairness"}


@dataclass(frozen=True)
class Reason:
    """Why an organization ranks where it does, or why it was left out.

    `code` is stable for machines; `params` hold the rounded figures the words
    quote, so a stored reason reads the same later.
    """

    code: str
    params: Mapping[str, float | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require(self.code in REASON_CODES, f"unknown reason code {self.code!r}")
        object.__setattr__(self, "params", dict(self.params))

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted(self.params.items()))))

    def text(self, lang: str = "fr") -> str:
        """The reason in words: Quebec French by default, or English ("en")."""
        english = lang.lower().startswith("en")
        if self.code == "fairness":
            return _fairness_text(self.params.get("days"), english)
        words = {key: _word(key, value, english) for key, value in self.params.items()}
        return _in_language(_TEXTS[self.code], english).format(**words)


def _fairness_text(days: float | str | None, english: bool) -> str:
    if days is None:
        return "never served yet" if english else "jamais servi"
    days = float(days)
    if days < 1:
        return (
            "served less than a day ago" if english else "servi il y a moins d'un jour"
        )
    count = _number(days, english)
    if english:
        return f"not served for {count} day{'' if days == 1 else 's'}"
    return f"pas servi depuis {count} jour{'' if days < 2 else 's'}"


def _in_language(texts: tuple[str, str], english: bool) -> str:
    french, in_english = texts
    return in_english if english else french


def _word(key: str, value: float | str, english: bool) -> str:
    if isinstance(value, str):
        return _category_name(value, english) if key == "category" else value
    return _number(value, english)


def _category_name(category: str, english: bool) -> str:
    if category in CATEGORY_NAMES:
        return _in_language(CATEGORY_NAMES[category], english)
    return f"the {category} category" if english else f"la catégorie {category}"


def _number(value: float, english: bool) -> str:
    """At most one decimal: "1,234.5" in English, "1 234,5" in French.

    French groups thousands with a plain space: the no-break spaces typography
    asks for are outside the GSM-7 SMS alphabet.
    """
    text = f"{round(value, 1) + 0.0:,.1f}".removesuffix(".0")
    return text if english else text.translate(_FRENCH_DIGITS)


_FRENCH_DIGITS = str.maketrans({",": " ", ".": ","})
