"""Crops: the names farmers use, their categories and their unit weights."""

import pytest

from shared import crops
from shared.crops import CATEGORIES, CROPS, find_crop, get_crop, to_kg


def test_every_crop_is_well_formed() -> None:
    units = set(crops.COUNT_UNITS)
    for crop in CROPS:
        assert crop.category in CATEGORIES, crop.name
        assert crop.name == crop.name.lower()
        assert crop.perishable == (crop.shelf_days <= crops.PERISHABLE_MAX_SHELF_DAYS)
        assert set(crop.kg_per_unit) <= units, crop.name
        assert all(kg > 0 for kg in crop.kg_per_unit.values()), crop.name


def test_names_are_unique() -> None:
    names = [crop.name for crop in CROPS]
    assert len(names) == len(set(names))


def test_crops_are_hashable() -> None:
    assert len(set(CROPS)) == len(CROPS)


@pytest.mark.parametrize(
    "name",
    [
        "carotte",
        "pomme de terre",
        "courge",
        "laitue",
        "fraise",
        "maïs",
        "chou",
        "oignon",
        "tomate",
        "haricot",
        "concombre",
        "bleuet",
        "framboise",
        "asperge",
        "betterave",
        "rutabaga",
        "brocoli",
        "chou-fleur",
        "poireau",
    ],
)
def test_every_csv_crop_has_its_canonical_name(name: str) -> None:
    crop = get_crop(name)
    assert crop is not None
    assert crop.name == name


@pytest.mark.parametrize(
    "name",
    [
        "pomme",
        "citrouille",
        "courgette",
        "poivron",
        "radis",
        "épinard",
        "navet",
        "ail",
        "céleri",
        "panais",
        "chou de bruxelles",
        "bette à carde",
        "chou frisé",
        "melon",
        "cantaloup",
        "prune",
        "poire",
        "canneberge",
        "pois",
        "aubergine",
        "patate douce",
        "cerise de terre",
        "rhubarbe",
        "endive",
    ],
)
def test_common_crops_beyond_the_csv_are_known(name: str) -> None:
    assert get_crop(name) is not None


def test_get_crop_takes_only_canonical_names() -> None:
    assert get_crop("carottes") is None
    assert get_crop("Carotte") is None


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("carotte", "carotte"),
        ("Carottes", "carotte"),
        ("CAROTTES", "carotte"),
        ("carrots", "carotte"),
        ("carrotes", "carotte"),
        ("patates", "pomme de terre"),
        ("pétaques", "pomme de terre"),
        ("petaques", "pomme de terre"),
        ("pommes de terre", "pomme de terre"),
        ("pomme de tere", "pomme de terre"),
        ("potatoes", "pomme de terre"),
        ("grelots", "pomme de terre"),
        ("blé d'Inde", "maïs"),
        ("blé d’Inde", "maïs"),
        ("ble dinde", "maïs"),
        ("maïs sucré", "maïs"),
        ("corn", "maïs"),
        ("bleuets", "bleuet"),
        ("blueberries", "bleuet"),
        ("citrouilles", "citrouille"),
        ("pumpkins", "citrouille"),
        ("fèves jaunes", "haricot"),
        ("feves", "haricot"),
        ("green beans", "haricot"),
        ("haricots verts", "haricot"),
        ("courges", "courge"),
        ("courge musquée", "courge"),
        ("squash", "courge"),
        ("courgettes", "courgette"),
        ("zucchini", "courgette"),
        ("lettuce", "laitue"),
        ("salade", "laitue"),
        ("choux", "chou"),
        ("cabbages", "chou"),
        ("choux-fleurs", "chou-fleur"),
        ("choux de Bruxelles", "chou de bruxelles"),
        ("brussels sprouts", "chou de bruxelles"),
        ("kale", "chou frisé"),
        ("chou frise", "chou frisé"),
        ("pommes", "pomme"),
        ("apples", "pomme"),
        ("McIntosh", "pomme"),
        ("strawberries", "fraise"),
        ("tomatoes", "tomate"),
        ("tomates cerises", "tomate"),
        ("oignons", "oignon"),
        ("ognons", "oignon"),
        ("poireaux", "poireau"),
        ("épinards", "épinard"),
        ("epinard", "épinard"),
        ("atocas", "canneberge"),
        ("cranberries", "canneberge"),
        ("chou de Siam", "rutabaga"),
        ("cerises de terre", "cerise de terre"),
        ("ground cherries", "cerise de terre"),
        ("patates douces", "patate douce"),
        ("sweet potatoes", "patate douce"),
        ("des carottes", "carotte"),
        ("belles carottes nantaises", "carotte"),
        ("mais", "maïs"),
    ],
)
def test_find_crop_reads_how_farmers_write(written: str, name: str) -> None:
    crop = find_crop(written)
    assert crop is not None, written
    assert crop.name == name


@pytest.mark.parametrize(
    "written",
    ["", "   ", "poches", "caisse", "merci", "bonjour", "prête", "frais", "xyz", "42"],
)
def test_find_crop_does_not_guess_wildly(written: str) -> None:
    assert find_crop(written) is None


def test_short_words_are_never_fuzzy_matched() -> None:
    assert find_crop("pos") is None
    assert crops.fuzzy_crop("aill") is None


def test_longest_name_wins() -> None:
    words = crops.words_of("pommes de terre jaunes")
    assert crops.match_crop(words, 0) == (get_crop("pomme de terre"), 3)
    assert crops.match_crop(crops.words_of("patate douce"), 0) == (
        get_crop("patate douce"),
        2,
    )


@pytest.mark.parametrize(
    ("word", "language"),
    [("carottes", "fr"), ("carrots", "en"), ("melon", None), ("merci", None)],
)
def test_alias_language(word: str, language: str | None) -> None:
    assert crops.alias_language(word) == language


@pytest.mark.parametrize(
    ("quantity", "unit", "crop", "kg"),
    [
        (500, "kg", None, 500.0),
        (300, "lb", None, 136.08),
        (1, "lb", None, 0.45),
        (1000, "lb", None, 453.59),
        (2, "t", None, 2000.0),
        (1.5, "t", "courge", 1500.0),
        (40, "caisse", "laitue", 720.0),
        (10, "poche", "carotte", 226.8),
        (10, "poche", "pomme de terre", 226.8),
        (3, "palette", "pomme de terre", 2721.0),
        (5, "minot", "pomme de terre", 136.0),
        (2, "sac", "pomme de terre", 9.08),
        (2, "sac", "oignon", 2.72),
        (25, "boite", "tomate", 283.5),
        (30, "panier", "fraise", 18.0),
        (20, "unite", "laitue", 12.0),
        (12, "unite", "maïs", 3.96),
        (10, "minot", "pomme", 190.0),
    ],
)
def test_to_kg(quantity: float, unit: str, crop: str | None, kg: float) -> None:
    assert to_kg(quantity, unit, get_crop(crop) if crop else None) == kg


@pytest.mark.parametrize(
    ("unit", "crop"),
    [
        ("caisse", None),
        ("poche", "laitue"),
        ("palette", "fraise"),
        ("brouette", "chou"),
    ],
)
def test_to_kg_is_none_when_the_weight_is_unknown(unit: str, crop: str | None) -> None:
    assert to_kg(10, unit, get_crop(crop) if crop else None) is None


def test_the_bulk_size_wins_when_the_csv_lists_several() -> None:
    beet = get_crop("betterave")
    assert beet is not None
    assert beet.kg_per_unit["poche"] == 22.68  # poche 50 lb, not poche 25 lb


def test_perishable_follows_shelf_life() -> None:
    strawberry, potato = get_crop("fraise"), get_crop("pomme de terre")
    assert strawberry is not None and strawberry.perishable
    assert potato is not None and not potato.perishable
