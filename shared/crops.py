"""Quebec crops: names, food category, shelf life and the weight of a selling unit.

The reference table is ``shared/data/crops_quebec.csv``; common Quebec crops it
lacks come from ``_EXTRA_CROPS`` below. Shelf days and unit weights are modest
estimates a coordinator can change, not facts to show farmers.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

CATEGORIES: tuple[str, ...] = (
    "legume",  # fruiting, flower and stem vegetables: tomate, courge, maïs, brocoli
    "legume-feuille",  # leafy greens and head cabbages: laitue, épinard, chou
    "legume-racine",  # roots, tubers and bulbs that keep in a cellar: carotte, ail
    "fruit",  # tree fruits, grapes and melons: pomme, poire, melon
    "petits-fruits",  # berries, fragile: fraise, bleuet, framboise
)
"""Food categories an organization can choose to accept."""

MASS_UNITS: Mapping[str, float] = MappingProxyType(
    {"kg": 1.0, "lb": 0.45359237, "t": 1000.0}
)
COUNT_UNITS: tuple[str, ...] = (
    "caisse",
    "poche",
    "sac",
    "minot",
    "boite",
    "palette",
    "panier",
    "unite",
)
UNITS: tuple[str, ...] = (*MASS_UNITS, *COUNT_UNITS)
"""Every unit the SMS grammar reports, in the order DESIGN lists them."""

PERISHABLE_MAX_SHELF_DAYS = 3
"""A crop that keeps this many days or fewer at room temperature needs cold storage."""

_FUZZY_MIN_LENGTH = 5


@dataclass(frozen=True)
class Crop:
    name: str
    name_en: str
    category: str
    perishable: bool
    shelf_days: int
    kg_per_unit: Mapping[str, float] = field(hash=False)


def strip_accents(text: str) -> str:
    """Lowercase ``text`` and drop its accents: "Blé d'Inde" -> "blé d'inde" -> ..."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.replace("œ", "oe").replace("æ", "ae")


def _singular(word: str) -> str:
    # Both the aliases and the words looked up go through this, so it only has
    # to be consistent, not grammatical ("radis" -> "radi" on both sides).
    if len(word) <= 4:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("oes", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith(("s", "x")):
        return word[:-1]
    return word


def words_of(text: str) -> list[str]:
    """The bare lowercase words of ``text``: apostrophes and hyphens split words."""
    return re.findall(r"[a-z0-9]+", strip_accents(text))


def _key(words: Sequence[str]) -> str:
    return " ".join(_singular(word) for word in words)


# --- The reference CSV --------------------------------------------------------

# CSV rows whose French name carries a qualifier: canonical name, English name.
_CSV_NAMES: Mapping[str, tuple[str, str]] = {
    "Bleuet (en corymbe)": ("bleuet", "blueberry"),
    "Chou (pommé)": ("chou", "cabbage"),
    "Chou de Siam (rutabaga)": ("rutabaga", "rutabaga"),
    "Maïs sucré": ("maïs", "corn"),
    "Courge d'hiver": ("courge", "squash"),
    "Oignon (sec)": ("oignon", "onion"),
    "Tomate (champ)": ("tomate", "tomato"),
    "Haricot vert ou jaune": ("haricot", "bean"),
    "Concombre (champ)": ("concombre", "cucumber"),
}

_CSV_CATEGORIES: Mapping[str, str] = {
    "asperge": "legume",
    "fraise": "petits-fruits",
    "framboise": "petits-fruits",
    "bleuet": "petits-fruits",
    "laitue": "legume-feuille",
    "betterave": "legume-racine",
    "carotte": "legume-racine",
    "chou": "legume-feuille",
    "rutabaga": "legume-racine",
    "pomme de terre": "legume-racine",
    "maïs": "legume",
    "courge": "legume",
    "oignon": "legume-racine",
    "tomate": "legume",
    "haricot": "legume",
    "concombre": "legume",
    "brocoli": "legume",
    "chou-fleur": "legume",
    "poireau": "legume",
}

# The first word of a CSV unit ("poche 50 lb", "tête") and the grammar unit it is.
_CSV_UNIT_WORDS: Mapping[str, str] = {
    "caisse": "caisse",
    "poche": "poche",
    "sac": "sac",
    "minot": "minot",
    "boite": "boite",
    "palette": "palette",
    "panier": "panier",
    "casseau": "panier",
    "chopine": "panier",
    "tete": "unite",
    "piece": "unite",
    "pied": "unite",
    "botte": "unite",
    "douzaine": "unite",
}

# Units the CSV lacks but farmers use: a "sac" of potatoes is the 10 lb bag that
# the CSV lists as "poche 10 lb" (a "poche" is the 50 lb wholesale sack).
_CSV_MORE_UNITS: Mapping[str, Mapping[str, float]] = {
    "pomme de terre": {"sac": 4.54},
}


def _csv_units(units: str, weights: str) -> dict[str, float]:
    table: dict[str, float] = {}
    for unit, weight in zip(units.split(";"), weights.split(";"), strict=True):
        first = words_of(unit)[0]
        grammar_unit = _CSV_UNIT_WORDS.get(first)
        if grammar_unit is None:
            continue  # kg and lb are converted exactly, not by the table
        kg = float(weight) / (12 if first == "douzaine" else 1)
        # Several sizes of one unit ("poche 10 lb", "poche 50 lb"): keep the
        # largest, the bulk size a surplus moves in.
        table[grammar_unit] = round(max(kg, table.get(grammar_unit, 0.0)), 2)
    return table


def _csv_crop(row: Mapping[str, str]) -> Crop:
    name_fr = row["name_fr"].strip()
    name, name_en = _CSV_NAMES.get(name_fr, (name_fr.lower(), row["name_en"].lower()))
    units = _csv_units(row["units"], row["kg_per_unit"])
    units.update(_CSV_MORE_UNITS.get(name, {}))
    shelf_days = int(row["ambient_shelf_days"])
    return Crop(
        name=name,
        name_en=name_en,
        category=_CSV_CATEGORIES[name],
        perishable=shelf_days <= PERISHABLE_MAX_SHELF_DAYS,
        shelf_days=shelf_days,
        kg_per_unit=MappingProxyType(units),
    )


def _load_csv() -> list[Crop]:
    path = resources.files("shared").joinpath("data/crops_quebec.csv")
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    return [_csv_crop(row) for row in reader]


# --- Crops the CSV lacks --------------------------------------------------------

# The CSV's shape, with a category and with units already in the grammar's words.
# Unit weights follow the usual North American containers (a bushel of apples
# is about 42 lb, a case of peppers 25 lb), rounded down.
_EXTRA_CROPS = """\
name,name_en,category,shelf_days,units,kg_per_unit
pomme,apple,fruit,14,minot;caisse;sac;panier;unite,19;18.1;1.36;2;0.15
poire,pear,fruit,5,minot;caisse;panier;unite,22.7;18.1;2;0.2
prune,plum,fruit,4,minot;panier,25.4;1.5
cerise,cherry,fruit,2,caisse;panier,9.1;1
raisin,grape,fruit,3,caisse;panier,9.1;1
melon,melon,fruit,5,caisse;unite,18.1;1.5
cantaloup,cantaloupe,fruit,4,caisse;unite,18.1;1.2
pastèque,watermelon,fruit,10,unite,5
canneberge,cranberry,petits-fruits,14,caisse;sac,18.1;0.34
camerise,haskap,petits-fruits,2,caisse;panier,4.2;0.35
mûre,blackberry,petits-fruits,1,caisse;panier,3.6;0.3
cassis,blackcurrant,petits-fruits,2,panier,0.3
groseille,currant,petits-fruits,2,panier,0.3
cerise de terre,ground cherry,petits-fruits,14,caisse;panier,3.6;0.3
citrouille,pumpkin,legume,60,unite,4
courgette,zucchini,legume,3,minot;caisse;unite,19;9.1;0.3
poivron,bell pepper,legume,5,minot;caisse;unite,11.3;11.3;0.15
piment,hot pepper,legume,5,minot;panier,11.3;0.5
aubergine,eggplant,legume,3,minot;caisse;unite,15;11.3;0.4
radis,radish,legume-racine,3,minot;unite,13.6;0.25
épinard,spinach,legume-feuille,1,minot;caisse,9.1;4.5
navet,turnip,legume-racine,14,poche;minot;unite,22.68;24.5;0.4
ail,garlic,legume-racine,60,caisse;unite,9.1;0.05
céleri,celery,legume,3,caisse;unite,22.7;0.9
céleri-rave,celeriac,legume-racine,14,poche;unite,22.68;0.7
panais,parsnip,legume-racine,10,poche;minot,22.68;22.68
chou de Bruxelles,brussels sprout,legume,3,minot;caisse,11.3;11.3
chou-rave,kohlrabi,legume,7,caisse;unite,11.3;0.4
chou chinois,napa cabbage,legume-feuille,5,caisse;unite,22.7;1
bette à carde,swiss chard,legume-feuille,1,caisse;unite,9.1;0.4
chou frisé,kale,legume-feuille,2,caisse;unite,9.1;0.3
endive,endive,legume-feuille,3,caisse;unite,4.5;0.15
pois,pea,legume,1,minot;panier,13.6;0.5
gourgane,fava bean,legume,2,minot;panier,13.6;0.5
patate douce,sweet potato,legume-racine,30,minot;caisse;poche,24.9;18.1;22.68
rhubarbe,rhubarb,legume,3,caisse;unite,9.1;0.5
topinambour,jerusalem artichoke,legume-racine,7,poche,22.68
fenouil,fennel,legume,4,caisse;unite,11.3;0.4
"""


def _extra_crop(row: Mapping[str, str]) -> Crop:
    units = row["units"].split(";")
    weights = [float(weight) for weight in row["kg_per_unit"].split(";")]
    shelf_days = int(row["shelf_days"])
    return Crop(
        name=row["name"].lower(),
        name_en=row["name_en"],
        category=row["category"],
        perishable=shelf_days <= PERISHABLE_MAX_SHELF_DAYS,
        shelf_days=shelf_days,
        kg_per_unit=MappingProxyType(dict(zip(units, weights, strict=True))),
    )


CROPS: tuple[Crop, ...] = (
    *_load_csv(),
    *(_extra_crop(row) for row in csv.DictReader(io.StringIO(_EXTRA_CROPS))),
)

_BY_NAME: Mapping[str, Crop] = {crop.name: crop for crop in CROPS}

# --- Other names farmers use ------------------------------------------------------

# Beyond each crop's own names, singular and plural alike match.
_FRENCH_ALIASES: Mapping[str, tuple[str, ...]] = {
    "pomme de terre": ("patate", "pétaque", "petack", "pdt", "grelot"),
    # "mais" alone is also the word "but": the grammar decides from context.
    "maïs": ("maïs sucré", "blé d'Inde", "blé dinde", "blédinde", "épi de maïs"),
    # In Quebec "fèves jaunes" and "fèves vertes" are beans.
    "haricot": ("fève", "fève jaune", "fève verte", "haricot vert", "haricot jaune"),
    "bleuet": ("bluet", "myrtille", "bleuet sauvage"),
    "courge": (
        "courge d'hiver",
        "courge musquée",
        "courge poivrée",
        "courge spaghetti",
        "butternut",
    ),
    "citrouille": ("potiron",),
    "laitue": ("salade", "romaine", "laitue romaine", "mesclun"),
    "chou": ("chou pommé", "chou vert", "chou rouge"),
    "rutabaga": ("chou de Siam",),
    "oignon": ("ognon", "oignon jaune", "oignon rouge", "oignon espagnol"),
    "tomate": ("tomate cerise", "tomate raisin", "tomate italienne"),
    "concombre": ("cornichon",),
    "chou-fleur": ("choufleur",),
    "pomme": ("mcintosh", "cortland", "spartan", "honeycrisp", "lobo"),
    "chou frisé": ("chou kale",),
    "bette à carde": ("bette", "blette", "bette à cardes", "poirée"),
    "pastèque": ("melon d'eau",),
    "cerise de terre": ("amour en cage", "physalis"),
    "canneberge": ("atoca",),
    "groseille": ("gadelle",),
    "céleri": ("céleri branche",),
    "céleri-rave": ("celerirave",),
    "patate douce": ("patate sucrée",),
    "gourgane": ("fève des marais",),
    "chou chinois": ("chou nappa", "pak choi", "bok choy"),
}

_ENGLISH_ALIASES: Mapping[str, tuple[str, ...]] = {
    "pomme de terre": ("spud", "tater"),
    "maïs": ("sweet corn", "sweetcorn", "corn on the cob"),
    "concombre": ("cuke",),
    "courgette": ("zuke",),
    "haricot": ("green bean", "yellow bean", "snap bean", "string bean"),
    "courge": ("winter squash", "butternut squash", "acorn squash"),
    "laitue": ("romaine",),
    "tomate": ("cherry tomato",),
    "betterave": ("beetroot",),
    "rutabaga": ("swede",),
    "pastèque": ("water melon",),
    "cerise de terre": ("husk cherry",),
    "groseille": ("red currant",),
    "poivron": ("pepper", "sweet pepper"),
    "piment": ("chili", "chili pepper", "jalapeno"),
    "patate douce": ("yam",),
    "topinambour": ("sunchoke",),
    "gourgane": ("broad bean",),
    "chou chinois": ("chinese cabbage", "bok choy"),
    "chou de bruxelles": ("brussel sprout",),
    "bette à carde": ("chard",),
}


def _aliases() -> Iterator[tuple[str, str, str]]:
    """(alias, canonical name, language) for every name a crop is known by."""
    for crop in CROPS:
        yield crop.name, crop.name, "fr"
        yield crop.name_en, crop.name, "en"
    for language, table in (("fr", _FRENCH_ALIASES), ("en", _ENGLISH_ALIASES)):
        for name, aliases in table.items():
            for alias in aliases:
                yield alias, name, language


def _build_index() -> tuple[dict[str, Crop], dict[str, set[str]]]:
    index: dict[str, Crop] = {}
    languages: dict[str, set[str]] = {}
    for alias, name, language in _aliases():
        key = _key(words_of(alias))
        index[key] = _BY_NAME[name]
        languages.setdefault(key, set()).add(language)
    return index, languages


_INDEX, _LANGUAGES = _build_index()
LONGEST_NAME = max(len(key.split()) for key in _INDEX)  # in words
_LEADING_FILLERS = frozenset({"de", "d", "des", "du", "la", "le", "les", "l", "of"})


def get_crop(name: str) -> Crop | None:
    """The crop whose canonical French name is ``name`` (as stored)."""
    return _BY_NAME.get(name)


def match_crop(words: Sequence[str], start: int) -> tuple[Crop, int] | None:
    """The longest crop name that starts at ``words[start]``, and its word count.

    ``words`` are bare words as :func:`words_of` returns them; no typo is forgiven.
    """
    longest = min(LONGEST_NAME, len(words) - start)
    for count in range(longest, 0, -1):
        crop = _INDEX.get(_key(words[start : start + count]))
        if crop is not None:
            return crop, count
    return None


def alias_language(word: str) -> str | None:
    """ "fr" or "en" when ``word`` names a crop in one language only, else None."""
    languages = _LANGUAGES.get(_key(words_of(word)), set())
    return next(iter(languages)) if len(languages) == 1 else None


def fuzzy_crop(word: str) -> Crop | None:
    """The crop a misspelt name most likely means, or None when none is close.

    Words shorter than five letters are never guessed: "pois", "ail" and
    "chou" are one letter away from too many other words.
    """
    key = _key(words_of(word))
    if len(key) < _FUZZY_MIN_LENGTH:
        return None
    max_distance = 1 if len(key) < 9 else 2
    best = process.extractOne(
        key,
        _INDEX.keys(),
        scorer=DamerauLevenshtein.distance,
        score_cutoff=max_distance,
    )
    return _INDEX[best[0]] if best else None


def find_crop(word_or_phrase: str) -> Crop | None:
    """The crop a farmer means, in French or English, plural, accents or not.

    Tries the whole phrase, exactly then misspelt ("pomme de tere"), then any
    crop named inside it ("belles carottes nantaises"), then each word misspelt.
    """
    words = words_of(word_or_phrase)
    while words and words[0] in _LEADING_FILLERS:
        words = words[1:]
    whole = _INDEX.get(_key(words)) or fuzzy_crop(" ".join(words))
    if whole is not None:
        return whole
    for start in range(len(words)):
        found = match_crop(words, start)
        if found is not None:
            return found[0]
    return _fuzzy_any_word(words)


def _fuzzy_any_word(words: Sequence[str]) -> Crop | None:
    for word in words:
        crop = fuzzy_crop(word)
        if crop is not None:
            return crop
    return None


def to_kg(quantity: float, unit: str, crop: Crop | None) -> float | None:
    """``quantity`` of ``unit`` in kg, rounded to 2 decimals; None when unknown.

    kg, lb and t convert exactly; other units by the crop's table.
    """
    factor = MASS_UNITS.get(unit)
    if factor is None and crop is not None:
        factor = crop.kg_per_unit.get(unit)
    return None if factor is None else round(quantity * factor, 2)
