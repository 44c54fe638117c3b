"""Demo data: fictional farms and organizations in real Lanaudière towns.

Phone numbers are in +1 450 555 0100–0199 (reserved for fiction) and emails
under example.org. Seeding is deterministic and idempotent: a database that
already has farms is left as it is.
"""

from __future__ import annotations

import csv
import math
import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry import Polygon
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from shared.models import Contact, Farm, Organization, Parcel, User, utcnow
from shared.privacy import CONSENT_DEMO

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Town:
    name: str
    lat: float
    lon: float


def towns() -> dict[str, Town]:
    with (DATA / "lanaudiere_municipalities.csv").open(encoding="utf-8") as f:
        return {
            row["name"]: Town(
                row["name"], float(row["latitude"]), float(row["longitude"])
            )
            for row in csv.DictReader(f)
        }


# (farm name, town, [(parcel name, rules)], farmer, language)
FARMS = [
    (
        "Ferme Beaulieu",
        "Saint-Jacques",
        ["le champ du haut", "le bas", "la serre"],
        "François Beaulieu",
        "fr",
    ),
    (
        "Les Jardins Ducharme",
        "Sainte-Élisabeth",
        ["le grand champ", "le potager"],
        "Martine Ducharme",
        "fr",
    ),
    (
        "Ferme Lavallée et fils",
        "Saint-Thomas",
        ["le champ de patates", "le verger", "le bord du rang"],
        "Gilles Lavallée",
        "fr",
    ),
    (
        "Potager de l'Achigan",
        "Saint-Roch-de-l'Achigan",
        ["le champ nord", "le champ sud"],
        "Julie Morin",
        "fr",
    ),
    (
        "Ferme Rivest",
        "L'Épiphanie",
        ["le champ 1", "le champ 2", "le champ 3", "la butte"],
        "Luc Rivest",
        "fr",
    ),
    (
        "Maraîcher Gagnon",
        "Saint-Paul",
        ["la terre noire", "le jardin"],
        "Sylvie Gagnon",
        "fr",
    ),
    (
        "Ferme Sunny Acres",
        "Rawdon",
        ["the upper field", "the lower field"],
        "Peter Walsh",
        "en",
    ),
    (
        "Ferme Perreault",
        "Saint-Cuthbert",
        ["le champ de courges", "le champ de maïs", "les rangs"],
        "André Perreault",
        "fr",
    ),
    (
        "Les Récoltes Boisvert",
        "Lavaltrie",
        ["la pointe", "le champ"],
        "Nadia Boisvert",
        "fr",
    ),
    (
        "Ferme Coutu",
        "Saint-Esprit",
        ["le haut", "le milieu", "le bas"],
        "Denis Coutu",
        "fr",
    ),
    (
        "Jardins de la Chaloupe",
        "Saint-Barthélemy",
        ["la baissière", "le champ"],
        "Karine Lessard",
        "fr",
    ),
    (
        "Ferme Ouellet",
        "Saint-Félix-de-Valois",
        ["le champ", "la serre froide"],
        "Robert Ouellet",
        "fr",
    ),
]

RULES = [
    "Stationnez le long du rang, pas dans la cour. Ne marchez pas sur les rangs.",
    "Entrée par la barrière verte. Apportez vos caisses. Pas de chiens.",
    "De 8 h à 18 h seulement. Cueillez les rangs marqués d'un ruban orange.",
    "Bottes obligatoires, le champ est boueux. Appelez en arrivant.",
    "",
]

VEGETABLES = ["legume", "legume-feuille", "legume-racine"]
FRUITS = ["fruit", "petits-fruits"]

# (name, kind, town, capacity kg/week, cold storage, categories, priority,
#  language, channels)
ORGANIZATIONS = [
    (
        "Moisson Lanaudière",
        "banque alimentaire",
        "Saint-Charles-Borromée",
        3000,
        True,
        [],
        True,
        "fr",
        ["sms", "email"],
    ),
    (
        "Comptoir alimentaire de Joliette",
        "comptoir alimentaire",
        "Joliette",
        800,
        True,
        [],
        True,
        "fr",
        ["sms"],
    ),
    (
        "Cuisine collective Les Prairies",
        "cuisine collective",
        "Notre-Dame-des-Prairies",
        250,
        False,
        VEGETABLES,
        False,
        "fr",
        ["sms"],
    ),
    (
        "Le Garde-Manger de Berthier",
        "comptoir alimentaire",
        "Berthierville",
        500,
        True,
        [],
        True,
        "fr",
        ["sms"],
    ),
    (
        "Popote roulante de Saint-Jacques",
        "popote roulante",
        "Saint-Jacques",
        150,
        True,
        VEGETABLES,
        False,
        "fr",
        ["sms"],
    ),
    (
        "Action Famille Lavaltrie",
        "maison de la famille",
        "Lavaltrie",
        300,
        False,
        [],
        False,
        "fr",
        ["email"],
    ),
    (
        "Centre d'entraide de Repentigny",
        "centre d'entraide",
        "Repentigny",
        1500,
        True,
        [],
        True,
        "fr",
        ["sms", "email"],
    ),
    (
        "Épicerie solidaire de Terrebonne",
        "épicerie solidaire",
        "Terrebonne",
        1200,
        True,
        [],
        False,
        "fr",
        ["sms"],
    ),
    (
        "Frigo partagé de Mascouche",
        "frigo communautaire",
        "Mascouche",
        120,
        True,
        [],
        False,
        "fr",
        ["sms"],
    ),
    (
        "La Soupière de L'Assomption",
        "cuisine collective",
        "L'Assomption",
        400,
        True,
        [],
        True,
        "fr",
        ["sms"],
    ),
    (
        "Bonne Boîte Rawdon",
        "groupe d'achats",
        "Rawdon",
        200,
        False,
        [*VEGETABLES, *FRUITS],
        False,
        "en",
        ["sms"],
    ),
    (
        "Comptoir d'entraide de Saint-Lin",
        "comptoir alimentaire",
        "Saint-Lin–Laurentides",
        600,
        False,
        [],
        True,
        "fr",
        ["sms"],
    ),
    (
        "Maison des jeunes de Sainte-Julienne",
        "maison des jeunes",
        "Sainte-Julienne",
        100,
        False,
        [],
        False,
        "fr",
        ["sms"],
    ),
    (
        "Centre d'action bénévole Brandon",
        "centre d'action bénévole",
        "Saint-Gabriel",
        350,
        True,
        [],
        True,
        "fr",
        ["sms"],
    ),
    (
        "Cuisine collective de Saint-Félix",
        "cuisine collective",
        "Saint-Félix-de-Valois",
        200,
        False,
        VEGETABLES,
        False,
        "fr",
        ["sms"],
    ),
    (
        "Entraide Matawinie",
        "centre d'entraide",
        "Chertsey",
        400,
        True,
        [],
        True,
        "fr",
        ["email"],
    ),
    (
        "Comptoir alimentaire de Saint-Donat",
        "comptoir alimentaire",
        "Saint-Donat",
        300,
        True,
        [],
        False,
        "fr",
        ["sms"],
    ),
    (
        "Popote roulante de L'Épiphanie",
        "popote roulante",
        "L'Épiphanie",
        180,
        True,
        [],
        False,
        "fr",
        ["sms"],
    ),
    (
        "Garde-manger de Saint-Roch",
        "comptoir alimentaire",
        "Saint-Roch-de-l'Achigan",
        450,
        True,
        [],
        True,
        "fr",
        ["sms"],
    ),
    (
        "Cuisines de Lanoraie",
        "cuisine collective",
        "Lanoraie",
        220,
        False,
        [],
        False,
        "fr",
        ["sms"],
    ),
    (
        "Accueil Saint-Paul",
        "comptoir alimentaire",
        "Saint-Paul",
        500,
        True,
        [],
        True,
        "fr",
        ["sms", "email"],
    ),
    (
        "Maison de la famille Montcalm",
        "maison de la famille",
        "Saint-Esprit",
        250,
        False,
        [],
        False,
        "fr",
        ["sms"],
    ),
    (
        "Soupe populaire de Crabtree",
        "soupe populaire",
        "Crabtree",
        300,
        True,
        [],
        True,
        "fr",
        ["sms"],
    ),
    (
        "Banque alimentaire de Saint-Michel",
        "banque alimentaire",
        "Saint-Michel-des-Saints",
        350,
        True,
        [],
        True,
        "fr",
        ["sms"],
    ),
    (
        "Jardin collectif Sainte-Mélanie",
        "jardin collectif",
        "Sainte-Mélanie",
        150,
        False,
        [*VEGETABLES, *FRUITS],
        False,
        "fr",
        ["sms"],
    ),
    (
        "Fruits partagés Saint-Liguori",
        "cuisine collective",
        "Saint-Liguori",
        200,
        False,
        FRUITS,
        False,
        "fr",
        ["sms"],
    ),
    (
        "Entraide Saint-Ambroise",
        "centre d'entraide",
        "Saint-Ambroise-de-Kildare",
        280,
        True,
        [],
        False,
        "fr",
        ["sms"],
    ),
]

FIRST_NAMES = [
    "Simon",
    "Isabelle",
    "Marc",
    "Chantal",
    "Mélanie",
    "Patrick",
    "Josée",
    "Éric",
    "Nathalie",
    "Stéphane",
    "Geneviève",
    "Alain",
    "Caroline",
    "Yves",
    "Lucie",
]

ROADS = ["rang Saint-Jacques", "rang du Ruisseau", "rang de la Rivière", "rang Double"]

DEMO_ADMIN_EMAIL = "coordination@example.org"
DEMO_ADMIN_PASSWORD = "glanage-demo"  # nosec B105 # demo mode only


def phone(n: int) -> str:
    return f"+1450555{100 + n:04d}"


def _offset(
    lat: float, lon: float, km_north: float, km_east: float
) -> tuple[float, float]:
    return (
        lat + km_north / 111.2,
        lon + km_east / (111.2 * math.cos(math.radians(lat))),
    )


def _parcel_polygon(lat: float, lon: float, size_m: float) -> Polygon:
    d_lat = size_m / 111_200
    d_lon = size_m / (111_200 * math.cos(math.radians(lat)))
    return Polygon(
        [(lon, lat), (lon + d_lon, lat), (lon + d_lon, lat + d_lat), (lon, lat + d_lat)]
    )


def seed_demo(session: Session) -> bool:
    """Add the demo farms and organizations; False when data is already there."""
    if session.scalar(select(func.count(Farm.id))):
        return False
    rng = random.Random(2026)  # nosec B311 # repeatable demo data, not secrets
    places = towns()
    _farms(session, places, rng)
    _organizations(session, places, rng)
    session.flush()
    return True


def _farms(session: Session, places: dict[str, Town], rng: random.Random) -> None:
    for n, (name, town_name, parcel_names, farmer, lang) in enumerate(FARMS):
        town = places[town_name]
        lat, lon = _offset(town.lat, town.lon, rng.uniform(-3, 3), rng.uniform(-3, 3))
        farm = Farm(
            name=name,
            municipality=town.name,
            address=f"{rng.randint(100, 2999)}, {rng.choice(ROADS)}, {town.name}",
            lat=round(lat, 5),
            lon=round(lon, 5),
            radius_km=40.0,
            form_token=secrets.token_urlsafe(16),
            language=lang,
        )
        session.add(farm)
        for i, parcel_name in enumerate(parcel_names, start=1):
            p_lat, p_lon = _offset(
                lat, lon, rng.uniform(-0.8, 0.8), rng.uniform(-0.8, 0.8)
            )
            shape = _parcel_polygon(p_lat, p_lon, rng.uniform(80, 300))
            # Some parcels are just a point the farmer dropped on a map.
            geometry = shape if i % 3 else shape.centroid
            centre = shape.centroid
            farm.parcels.append(
                Parcel(
                    code=f"P{i}",
                    name=parcel_name,
                    geometry_wkt=geometry.wkt,
                    lat=round(centre.y, 6),
                    lon=round(centre.x, 6),
                    rules=RULES[(n + i) % len(RULES)],
                )
            )
        farm.contacts.append(
            Contact(
                name=farmer,
                phone=phone(n),
                email=f"ferme{n + 1}@example.org",
                language=lang,
                consent_at=utcnow(),
                consent_source="demo",
                consent_text=CONSENT_DEMO,
            )
        )


def _organizations(
    session: Session, places: dict[str, Town], rng: random.Random
) -> None:
    for n, row in enumerate(ORGANIZATIONS):
        name, kind, town_name, capacity, cold, categories, priority, lang, channels = (
            row
        )
        town = places[town_name]
        lat, lon = _offset(town.lat, town.lon, rng.uniform(-1, 1), rng.uniform(-1, 1))
        org = Organization(
            name=name,
            kind=kind,
            municipality=town.name,
            address=f"{rng.randint(10, 999)}, rue Principale, {town.name}",
            lat=round(lat, 5),
            lon=round(lon, 5),
            service_radius_km=float(rng.choice([20, 25, 30, 35, 40])),
            weekly_capacity_kg=float(capacity),
            cold_storage=cold,
            transport=capacity >= 400,
            categories=categories,
            priority=priority,
            language=lang,
            channels=channels,
        )
        session.add(org)
        slug = f"org{n + 1}"
        org.contacts.append(
            Contact(
                name=f"{FIRST_NAMES[n % len(FIRST_NAMES)]} ({name.split(' ')[0]})",
                phone=phone(20 + n),
                email=f"{slug}@example.org",
                language=lang,
                consent_at=utcnow(),
                consent_source="demo",
                consent_text=CONSENT_DEMO,
            )
        )


def ensure_admin(session: Session, email: str, password: str) -> User:
    """Create or update the coordinator account (GLANAGE_ADMIN_EMAIL/PASSWORD)."""
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        user = User(email=email.lower(), password_hash="", role="coordinator")  # nosec B106 # set below
        session.add(user)
    user.password_hash = generate_password_hash(password)
    session.flush()
    return user
