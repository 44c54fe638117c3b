"""Demo content for the network's public site, in French and English.

Fictional partners in real Lanaudière towns, news, events around today's date,
resources, fact sheets, roadmap items and a job offer, so that the demo shows a
site that reads like the real thing. Emails are under example.org and phone
numbers in 450 555-01xx (reserved for fiction). Seeding is idempotent: a
database that already holds any content is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.content import FIELDS
from shared.figures import mrc_of
from shared.models import ContentItem
from shared.seed import towns


@dataclass(frozen=True)
class Text:
    title: str
    summary: str = ""
    body: str = ""


@dataclass(frozen=True)
class Seed:
    kind: str
    slug: str
    fr: Text
    en: Text
    fields: dict[str, Any] = field(default_factory=dict)
    # Days before now it was published; None keeps it a draft.
    age_days: int | None = 30
    position: int = 0


def seed_site(session: Session, now: datetime | None = None) -> bool:
    """Add the demo site content; False when there is content already."""
    if session.scalar(select(func.count(ContentItem.id))):
        return False
    tz = Settings().tz
    moment = (now or datetime.now(tz)).astimezone(tz)
    for seed in _everything(moment):
        _check(seed)
        published_at = (
            None
            if seed.age_days is None
            else (moment - timedelta(days=seed.age_days)).astimezone(UTC)
        )
        session.add(
            ContentItem(
                kind=seed.kind,
                slug=seed.slug,
                status="draft" if seed.age_days is None else "published",
                title_fr=seed.fr.title,
                title_en=seed.en.title,
                summary_fr=seed.fr.summary,
                summary_en=seed.en.summary,
                body_fr=seed.fr.body,
                body_en=seed.en.body,
                fields=seed.fields,
                position=seed.position,
                published_at=published_at,
            )
        )
    session.flush()
    return True


def _check(seed: Seed) -> None:
    """The demo keeps to the same table of fields the panel's forms follow."""
    for spec in FIELDS[seed.kind]:
        if spec.required:
            assert seed.fields.get(spec.name), (seed.slug, spec.name)
        if spec.choices and spec.name in seed.fields:
            assert seed.fields[spec.name] in spec.choices, (seed.slug, spec.name)


def _everything(now: datetime) -> list[Seed]:
    return [
        *PAGES,
        *NEWS,
        *_events(now),
        *_partners(),
        *RESOURCES,
        *FACTSHEETS,
        *ROADMAP,
        *_jobs(now),
    ]


# ---- Fixed pages ----------------------------------------------------------

ABOUT = Seed(
    "page",
    "a-propos",
    Text(
        "À propos de Nourrir Lanaudière",
        "Un réseau régional qui relie les fermes, les organismes et les "
        "institutions de Lanaudière pour que chacun mange bien, et local.",
        """\
## Notre mission

Nourrir Lanaudière rassemble celles et ceux qui produisent, transforment,
distribuent et partagent la nourriture dans la région. Ensemble, nous
rendons les aliments frais et locaux plus faciles à trouver et à payer,
d'abord pour les personnes qui en manquent.

## Notre vision

Une région où le chemin entre le champ et l'assiette est court, où rien de
bon ne se perd, et où chaque organisme sait vers qui se tourner.

## Nos valeurs

- **Solidarité** : on avance ensemble, on partage nos moyens.
- **Cohérence** : nos projets se complètent au lieu de se doubler.
- **Transparence** : nos décisions, nos chiffres et nos résultats sont publics.
- **Reconnaissance** : chaque ferme, chaque bénévole, chaque organisme compte.

## Notre histoire

Le réseau est né de la rencontre de deux comités régionaux : l'un travaillait
sur la sécurité alimentaire depuis 2005, l'autre sur la saine alimentation.
Les deux rejoignaient souvent les mêmes personnes; ils ont choisi de ne faire
plus qu'un. La plateforme de glanage par texto est l'un des premiers projets
du réseau ainsi réuni.

## Notre gouvernance

La coordination est assurée par la Table des partenaires du développement
social de Lanaudière. Les partenaires se réunissent deux fois par année en
personne, et plus souvent en sous-comités, en ligne. Un comité de vigie suit
la feuille de route et en rend compte à tous.

## Nos bailleurs de fonds

Le travail de concertation est soutenu par le Plateau lanaudois
intersectoriel, le CISSS de Lanaudière et la Table des préfets de
Lanaudière. Merci de nous faire confiance.
""",
    ),
    Text(
        "About Nourrir Lanaudière",
        "A regional network that connects Lanaudière's farms, community "
        "organizations and institutions so that everyone eats well, and local.",
        """\
## Our mission

Nourrir Lanaudière brings together the people who grow, process, distribute
and share food in the region. Together, we make fresh local food easier to
find and to afford, first of all for the people who go without.

## Our vision

A region where the road from the field to the plate is short, where nothing
good goes to waste, and where every organization knows whom to call.

## Our values

- **Solidarity**: we move forward together and pool what we have.
- **Coherence**: our projects complete each other instead of overlapping.
- **Transparency**: our decisions, figures and results are public.
- **Recognition**: every farm, every volunteer, every organization counts.

## Our history

The network grew out of two regional committees: one had worked on food
security since 2005, the other on healthy eating. They kept reaching the same
people, so they chose to become one. The text-message gleaning platform is
one of the first projects of the joined network.

## How we are run

Coordination is provided by the Table des partenaires du développement social
de Lanaudière. Partners meet in person twice a year, and more often online in
sub-committees. A monitoring committee follows the roadmap and reports to
everyone.

## Our funders

Our collaborative work is supported by the Plateau lanaudois intersectoriel,
the CISSS de Lanaudière and the Table des préfets de Lanaudière. Thank you for
your trust.
""",
    ),
    age_days=200,
)

GLEANING = Seed(
    "page",
    "glanage",
    Text(
        "Le glanage, simplement",
        "Vos légumes invendus nourrissent des familles d'ici. Un texto suffit.",
        """\
Chaque été, des tonnes de légumes parfaitement bons restent au champ : trop
petits, trop tordus, ou tout simplement plus rentables à récolter. Le glanage
leur donne une deuxième chance.

## Pour les fermes

Vous écrivez ce qui est prêt, où, et jusqu'à quand. On s'occupe du reste : les
organismes les plus proches reçoivent l'offre, réservent ce qu'ils peuvent
prendre, et vous recevez un texto pour chaque réservation. C'est vous qui
choisissez les parcelles ouvertes, les heures et les consignes; les glaneurs
les respectent.

## Pour les organismes

Vous recevez les offres des fermes de votre secteur, selon ce que vous
acceptez et ce que vous pouvez entreposer. Vous répondez par texto ou par le
lien reçu. Premier arrivé, premier servi : une réservation confirmée est à
vous, personne d'autre ne peut la prendre.

## Le partage

La coutume veut qu'une récolte glanée se partage en trois : une part pour la
ferme, une pour les glaneurs et une pour un organisme d'aide alimentaire.
La coordination ajuste ce partage avec chaque ferme.
""",
    ),
    Text(
        "Gleaning, made simple",
        "Your unsold vegetables feed local families. One text is all it takes.",
        """\
Every summer, tonnes of perfectly good vegetables stay in the field: too
small, too crooked, or simply not worth the cost of harvesting. Gleaning gives
them a second chance.

## For farms

You text what is ready, where, and until when. We take care of the rest: the
nearest organizations get the offer and claim what they can take, and you get
a text for each claim. You choose which parcels are open, the hours and the
rules; gleaners follow them.

## For organizations

You get offers from farms in your area, matching what you accept and what you
can store. You answer by text or with the link you receive. First come, first
served: a confirmed claim is yours and no one else can take it.

## The share

By custom, a gleaned harvest is shared in three: one part for the farm, one
for the gleaners and one for a food aid organization. The coordinator agrees
on the share with each farm.
""",
    ),
    age_days=200,
)

CONTACT = Seed(
    "page",
    "contact",
    Text(
        "Nous joindre",
        "Une question, une idée, une ferme qui a des surplus? Écrivez-nous.",
        """\
**Nourrir Lanaudière**, coordination régionale, Joliette (Québec)

- Courriel : [coordination@example.org](mailto:coordination@example.org)
- Téléphone : [450 555-0100](tel:+14505550100), du lundi au jeudi, de 9 h à 16 h

En pleine saison de glanage, un texto au même numéro est souvent le plus
rapide.
""",
    ),
    Text(
        "Contact us",
        "A question, an idea, a farm with surplus? Write to us.",
        """\
**Nourrir Lanaudière**, regional coordination, Joliette, Quebec

- Email: [coordination@example.org](mailto:coordination@example.org)
- Phone: [450 555-0100](tel:+14505550100), Monday to Thursday, 9 am to 4 pm

During the gleaning season, a text to the same number is often the quickest
way.
""",
    ),
    age_days=200,
)

PAGES = [ABOUT, GLEANING, CONTACT]


# ---- News -----------------------------------------------------------------

NEWS = [
    Seed(
        "news",
        "la-saison-de-glanage-est-lancee",
        Text(
            "La saison de glanage est lancée",
            "Les fermes peuvent dès maintenant offrir leurs surplus par texto. "
            "Les organismes inscrits recevront les offres de leur secteur.",
            """\
La plateforme de glanage par texto ouvre pour une nouvelle saison. Les fermes
inscrites n'ont qu'à écrire ce qui est prêt au numéro de Glanage; les
organismes de leur secteur reçoivent l'offre dans la minute.

Cette année, la coordination a ajouté la possibilité de réserver par un lien,
pour les organismes qui préfèrent choisir une journée de cueillette en ligne.

Votre ferme ou votre organisme n'est pas encore inscrit? [Faites une
demande](/glanage#adherer), c'est gratuit.
""",
        ),
        Text(
            "The gleaning season is open",
            "Farms can now offer their surplus by text. Registered "
            "organizations will get the offers from their area.",
            """\
The text-message gleaning platform opens for a new season. Registered farms
only need to text what is ready to the Glanage number; organizations in their
area get the offer within a minute.

This year the coordinator added claiming by link, for organizations that
prefer to pick a pickup day online.

Your farm or organization is not registered yet? [Ask to
join](/en/glanage#adherer), it is free.
""",
        ),
        age_days=3,
    ),
    Seed(
        "news",
        "retour-sur-la-rencontre-du-printemps",
        Text(
            "Retour sur la rencontre du printemps",
            "Trente-deux personnes, dix-neuf organisations et beaucoup "
            "d'idées pour la saison qui vient.",
            """\
La rencontre régionale du printemps s'est tenue à Saint-Gabriel. Au menu :
le bilan de la dernière saison de glanage, un atelier sur les besoins en
entreposage froid et une demi-heure de réseautage qui a largement débordé.

Trois idées reviendront à l'automne :

- mettre en commun des bacs et des glacières entre organismes voisins;
- former des bénévoles « chefs d'équipe » pour les sorties au champ;
- mieux faire connaître le réseau auprès des municipalités.

Merci à toutes les personnes présentes!
""",
        ),
        Text(
            "Looking back on the spring meeting",
            "Thirty-two people, nineteen organizations and plenty of ideas for "
            "the coming season.",
            """\
The regional spring meeting took place in Saint-Gabriel. On the agenda: a
review of last gleaning season, a workshop on cold storage needs, and a
half-hour of networking that ran well over time.

Three ideas will come back in the fall:

- sharing bins and coolers between neighbouring organizations;
- training volunteer "team leads" for field outings;
- making the network better known to municipalities.

Thank you to everyone who came!
""",
        ),
        age_days=24,
    ),
    Seed(
        "news",
        "une-boite-a-outils-pour-les-partenaires",
        Text(
            "Une boîte à outils pour les partenaires",
            "Modèles, guides et liens utiles, classés par thème et faciles à chercher.",
            """\
Les partenaires nous l'ont demandé : un seul endroit pour retrouver les
documents utiles. La [boîte à outils](/boite-a-outils) rassemble des modèles
à télécharger, des guides et des liens, classés par thème.

Vous avez un outil qui a fait ses preuves dans votre organisme? Envoyez-le à
la coordination : nous l'ajouterons avec plaisir.
""",
        ),
        Text(
            "A toolbox for partners",
            "Templates, guides and useful links, sorted by theme and easy to search.",
            """\
Partners asked for it: one place to find the documents that help. The
[toolbox](/en/boite-a-outils) gathers templates to download, guides and links,
sorted by theme.

Do you have a tool that works well in your organization? Send it to the
coordinator and we will gladly add it.
""",
        ),
        age_days=51,
    ),
    Seed(
        "news",
        "trois-fiches-pour-comprendre",
        Text(
            "Trois fiches pour comprendre le glanage",
            "Pourquoi des légumes restent au champ, comment glaner en toute "
            "sécurité et comment se partage une récolte.",
            """\
Certaines questions reviennent souvent. Nous y répondons dans trois
[fiches explicatives](/fiches), courtes et faciles à imprimer :

- pourquoi des légumes restent au champ;
- le glanage et la salubrité des aliments;
- le partage d'une récolte glanée.

Elles sont faites pour être affichées au local ou remises aux bénévoles.
""",
        ),
        Text(
            "Three fact sheets to understand gleaning",
            "Why vegetables stay in the field, how to glean safely, and how a "
            "harvest is shared.",
            """\
Some questions come up again and again. We answer them in three short
[fact sheets](/en/fiches) that print well:

- why vegetables stay in the field;
- gleaning and food safety;
- how a gleaned harvest is shared.

They are made to be pinned up in your premises or handed to volunteers.
""",
        ),
        age_days=80,
    ),
    Seed(
        "news",
        "bilan-de-saison-brouillon",
        Text(
            "Bilan de la saison (brouillon)",
            "À compléter quand les chiffres de l'automne seront connus.",
            "Texte à venir.",
        ),
        Text("Season review (draft)", "", ""),
        age_days=None,
    ),
]


# ---- Events: two to come, two past, around the day the demo starts --------


def _at(now: datetime, days: int, hour: int, minute: int = 0) -> str:
    day = (now + timedelta(days=days)).date()
    return datetime.combine(day, time(hour, minute), now.tzinfo).isoformat()


def _events(now: datetime) -> list[Seed]:
    return [
        Seed(
            "event",
            "webinaire-glaner-en-securite",
            Text(
                "Webinaire : glaner en toute sécurité",
                "Une heure, sur l'heure du dîner, pour préparer une sortie au "
                "champ : matériel, consignes, conservation.",
                """\
Une partenaire de la santé publique et un producteur maraîcher présentent les
bons gestes d'une sortie de glanage : ce qu'on apporte, ce qu'on demande à la
ferme, et comment garder les légumes frais jusqu'au comptoir.

Gratuit, ouvert à tous les bénévoles et au personnel des organismes. Le lien
de connexion est envoyé la veille aux personnes inscrites.
""",
            ),
            Text(
                "Webinar: gleaning safely",
                "One hour at lunchtime to prepare a field outing: equipment, "
                "rules, keeping food fresh.",
                """\
A public health partner and a vegetable grower walk through a good gleaning
outing: what to bring, what to ask the farm, and how to keep vegetables fresh
all the way to the food bank's shelves.

Free, open to all volunteers and staff of organizations. The link is sent the
day before to everyone who registered.
""",
            ),
            fields={
                "starts_at": _at(now, 12, 12),
                "ends_at": _at(now, 12, 13),
                "location": "En ligne / Online",
                "url": "https://example.org/webinaire-glanage",
            },
            age_days=10,
        ),
        Seed(
            "event",
            "rencontre-regionale-automne",
            Text(
                "Rencontre régionale d'automne",
                "La rencontre en personne des partenaires : bilan de saison, "
                "ateliers et réseautage.",
                """\
Au programme :

- le bilan de la saison de glanage, chiffres à l'appui;
- deux ateliers au choix : entreposage partagé, ou recrutement de bénévoles;
- une période de réseautage autour d'un dîner préparé avec des légumes
  glanés.

La salle est accessible en fauteuil roulant. Merci de vous inscrire pour
nous aider à prévoir le repas.
""",
            ),
            Text(
                "Fall regional meeting",
                "The partners' in-person meeting: season review, workshops and "
                "networking.",
                """\
On the programme:

- the gleaning season in review, with figures;
- two workshops to choose from: shared storage, or recruiting volunteers;
- networking over a lunch cooked with gleaned vegetables.

The room is wheelchair accessible. Please register to help us plan the meal.
""",
            ),
            fields={
                "starts_at": _at(now, 40, 9),
                "ends_at": _at(now, 40, 13),
                "location": "Salle communautaire, Saint-Jacques",
                "url": "",
            },
            age_days=20,
        ),
        Seed(
            "event",
            "cinq-a-sept-coulisses-comptoir",
            Text(
                "5 à 7 : les coulisses d'un comptoir alimentaire",
                "Une visite guidée pour voir où vont les légumes glanés.",
                """\
Le Comptoir alimentaire de Joliette a ouvert ses portes aux partenaires : tri,
chambre froide, distribution. Une belle occasion de comprendre ce qu'un
organisme peut accepter, et à quelles conditions.
""",
            ),
            Text(
                "After-work visit: behind the scenes at a food bank",
                "A guided visit to see where gleaned vegetables go.",
                """\
The Comptoir alimentaire de Joliette opened its doors to partners: sorting,
cold room, distribution. A good way to understand what an organization can
accept, and on what conditions.
""",
            ),
            fields={
                "starts_at": _at(now, -30, 17),
                "ends_at": _at(now, -30, 19),
                "location": "Comptoir alimentaire de Joliette, Joliette",
                "url": "",
            },
            age_days=60,
        ),
        Seed(
            "event",
            "rencontre-regionale-printemps",
            Text(
                "Rencontre régionale du printemps",
                "La première rencontre en personne de l'année, à Saint-Gabriel.",
                """\
Bilan de la saison passée, atelier sur l'entreposage froid et réseautage.
Le compte rendu est dans les nouvelles.
""",
            ),
            Text(
                "Spring regional meeting",
                "The year's first in-person meeting, in Saint-Gabriel.",
                """\
Last season in review, a workshop on cold storage, and networking. The report
is in the news.
""",
            ),
            fields={
                "starts_at": _at(now, -26, 9),
                "ends_at": _at(now, -26, 12, 30),
                "location": "Centre communautaire, Saint-Gabriel",
                "url": "",
            },
            age_days=70,
        ),
    ]


# ---- Partners: two farms, four organizations, an institution, a funder ----

# (slug, name, kind, town, French description, English description)
PARTNERS = [
    (
        "ferme-beaulieu",
        "Ferme Beaulieu",
        "ferme",
        "Saint-Jacques",
        "Maraîcher de troisième génération. Ouvre ses rangs de courges et de "
        "carottes aux glaneurs chaque automne.",
        "Third-generation vegetable farm. Opens its squash and carrot rows to "
        "gleaners every fall.",
    ),
    (
        "jardins-du-ruisseau-vert",
        "Les Jardins du Ruisseau Vert",
        "ferme",
        "L'Épiphanie",
        "Petite ferme biologique. Offre ses surplus de légumes-feuilles et de "
        "petits fruits, souvent à court préavis.",
        "Small organic farm. Offers its surplus leafy greens and berries, "
        "often at short notice.",
    ),
    (
        "garde-manger-de-berthier",
        "Le Garde-Manger de Berthier",
        "organisme",
        "Berthierville",
        "Comptoir alimentaire qui sert plus de 300 ménages par mois. Dispose "
        "d'une chambre froide.",
        "Food bank serving over 300 households a month. Has a cold room.",
    ),
    (
        "comptoir-alimentaire-de-joliette",
        "Comptoir alimentaire de Joliette",
        "organisme",
        "Joliette",
        "Distribution alimentaire et cuisines collectives. Vient chercher les "
        "dons avec son propre camion.",
        "Food distribution and community kitchens. Picks up donations with its "
        "own truck.",
    ),
    (
        "entraide-moulinoise",
        "Entraide moulinoise",
        "organisme",
        "Mascouche",
        "Paniers d'épicerie et repas communautaires pour les familles de "
        "Mascouche et de Terrebonne.",
        "Grocery baskets and community meals for families in Mascouche and Terrebonne.",
    ),
    (
        "popote-des-hautes-terres",
        "Popote des Hautes-Terres",
        "organisme",
        "Saint-Michel-des-Saints",
        "Popote roulante du nord de la région. Transforme les légumes glanés "
        "en repas livrés aux aînés.",
        "Meals on wheels in the north of the region. Turns gleaned vegetables "
        "into meals delivered to seniors.",
    ),
    (
        "carrefour-agroalimentaire-lanaudois",
        "Carrefour agroalimentaire lanaudois",
        "institution",
        "Joliette",
        "Accompagne les entreprises agricoles de la région. Fait le lien avec "
        "les fermes qui veulent donner leurs surplus.",
        "Supports the region's farm businesses. Connects farms that want to "
        "give their surplus.",
    ),
    (
        "fondation-terre-et-partage",
        "Fondation Terre et Partage",
        "bailleur",
        "Repentigny",
        "Finance des projets d'accès à une alimentation saine dans le sud de "
        "Lanaudière.",
        "Funds projects that improve access to healthy food in southern Lanaudière.",
    ),
]


def _partners() -> list[Seed]:
    places = towns()
    seeds = []
    for position, (slug, name, kind, town, about_fr, about_en) in enumerate(PARTNERS):
        place = places[town]
        seeds.append(
            Seed(
                "partner",
                slug,
                Text(name, about_fr),
                Text(name, about_en),
                fields={
                    "partner_kind": kind,
                    "mrc": mrc_of(town),
                    "municipality": town,
                    "lat": place.lat,
                    "lon": place.lon,
                    "url": f"https://example.org/{slug}",
                },
                age_days=150,
                position=position,
            )
        )
    return seeds


# ---- Toolbox: six resources in three themes -------------------------------

GLEANING_FR, GLEANING_EN = "Glanage", "Gleaning"
SAFETY_FR, SAFETY_EN = "Salubrité et conservation", "Food safety and storage"
FUNDING_FR, FUNDING_EN = "Financement et projets", "Funding and projects"


def _theme(fr: str, en: str) -> dict[str, str]:
    # The panel edits "theme"; "theme_en" is shown in English when present.
    return {"theme": fr, "theme_en": en}


RESOURCES = [
    Seed(
        "resource",
        "registre-de-sortie-de-glanage",
        Text(
            "Registre de sortie de glanage",
            "Un tableau à remplir à chaque sortie : ferme, parcelle, culture, "
            "kilos récoltés et partage.",
        ),
        Text(
            "Gleaning outing log",
            "A sheet to fill in at each outing: farm, parcel, crop, kilos "
            "harvested and the share.",
        ),
        fields={
            **_theme(GLEANING_FR, GLEANING_EN),
            "file": "/static/site/files/registre-glanage.csv",
        },
        position=1,
    ),
    Seed(
        "resource",
        "guide-des-textos",
        Text(
            "Guide des textos de Glanage",
            "Les mots à écrire pour offrir, réserver ou annuler, avec des exemples.",
        ),
        Text(
            "Glanage text message guide",
            "What to text to offer, claim or cancel, with examples.",
        ),
        fields={
            **_theme(GLEANING_FR, GLEANING_EN),
            "url": "https://example.org/glanage/guide-textos",
        },
        position=2,
    ),
    Seed(
        "resource",
        "liste-de-verification-salubrite",
        Text(
            "Liste de vérification avant une sortie",
            "Contenants propres, glacières, gants, eau : rien d'oublié avant de "
            "partir au champ.",
        ),
        Text(
            "Checklist before an outing",
            "Clean containers, coolers, gloves, water: nothing forgotten before "
            "heading to the field.",
        ),
        fields={
            **_theme(SAFETY_FR, SAFETY_EN),
            "file": "/static/site/files/verification-sortie.txt",
        },
        position=3,
    ),
    Seed(
        "resource",
        "conserver-les-legumes-frais",
        Text(
            "Conserver les légumes frais",
            "Températures et durées de conservation des légumes les plus "
            "souvent glanés dans la région.",
        ),
        Text(
            "Keeping vegetables fresh",
            "Storage temperatures and times for the vegetables most often "
            "gleaned in the region.",
        ),
        fields={
            **_theme(SAFETY_FR, SAFETY_EN),
            "url": "https://example.org/conservation-legumes",
        },
        position=4,
    ),
    Seed(
        "resource",
        "modele-de-budget-de-projet",
        Text(
            "Modèle de budget de projet",
            "Un budget type pour une demande de financement en sécurité "
            "alimentaire, à adapter.",
        ),
        Text(
            "Project budget template",
            "A sample budget for a food security funding request, to adapt.",
        ),
        fields={
            **_theme(FUNDING_FR, FUNDING_EN),
            "file": "/static/site/files/budget-projet.csv",
        },
        position=5,
    ),
    Seed(
        "resource",
        "calendrier-des-appels-de-projets",
        Text(
            "Calendrier des appels de projets",
            "Les dates limites des programmes de soutien connus du réseau, "
            "tenues à jour par la coordination.",
        ),
        Text(
            "Calls for projects calendar",
            "Deadlines of the support programmes the network knows of, kept up "
            "to date by the coordinator.",
        ),
        fields={
            **_theme(FUNDING_FR, FUNDING_EN),
            "url": "https://example.org/appels-de-projets",
        },
        position=6,
    ),
]


# ---- Fact sheets ----------------------------------------------------------

FACTSHEETS = [
    Seed(
        "factsheet",
        "pourquoi-des-legumes-restent-au-champ",
        Text(
            "Pourquoi des légumes restent au champ",
            "Ce n'est ni de la négligence ni du gaspillage volontaire : voici "
            "ce qui se passe vraiment.",
            """\
## Ce qu'on voit

Après la récolte, il reste souvent des légumes dans les rangs : des carottes
fourchues, des courges trop petites, des laitues montées un peu tôt. Vus de la
route, on se demande pourquoi personne ne les ramasse.

## Ce qui se passe

- **Les normes d'apparence.** Les acheteurs demandent une taille et une forme
  précises. Ce qui n'entre pas dans la norme ne se vend pas, ou presque.
- **Le coût de la récolte.** Récolter coûte du temps et de la main-d'œuvre.
  Quand le prix du marché baisse, une deuxième récolte coûte plus cher
  qu'elle ne rapporte.
- **La météo.** Une canicule ou une pluie forte fait mûrir tout un champ en
  même temps; impossible de tout cueillir à temps.
- **Les contrats.** Une ferme plante souvent un peu plus que ce qui est
  commandé, pour ne pas manquer. Les bonnes années, le surplus reste.

## Ce que le glanage change

Le glanage ne coûte rien à la ferme : ce sont des bénévoles qui récoltent, aux
conditions du producteur. Les légumes nourrissent des familles au lieu de
retourner à la terre.
""",
        ),
        Text(
            "Why vegetables stay in the field",
            "It is neither neglect nor wilful waste: here is what really happens.",
            """\
## What you see

After the harvest, vegetables are often left in the rows: forked carrots,
squash that are too small, lettuce that bolted a little early. Seen from the
road, you wonder why nobody picks them up.

## What is going on

- **Appearance standards.** Buyers ask for a precise size and shape. What
  does not fit the standard does not sell, or hardly.
- **The cost of harvesting.** Harvesting takes time and labour. When market
  prices drop, a second pass costs more than it brings in.
- **The weather.** A heat wave or heavy rain ripens a whole field at once;
  there is no way to pick it all in time.
- **Contracts.** Farms often plant a little more than was ordered, so as not
  to fall short. In good years, the extra stays.

## What gleaning changes

Gleaning costs the farm nothing: volunteers harvest, on the grower's terms.
The vegetables feed families instead of going back into the soil.
""",
        ),
        age_days=80,
        position=1,
    ),
    Seed(
        "factsheet",
        "glanage-et-salubrite",
        Text(
            "Glanage et salubrité des aliments",
            "Quelques gestes simples pour que les légumes glanés arrivent frais "
            "et sûrs dans l'assiette.",
            """\
## Avant la sortie

- Apportez des contenants propres, réservés aux aliments.
- Prévoyez des glacières et des blocs réfrigérants par temps chaud.
- Lavez-vous les mains avant de cueillir; apportez de l'eau et du savon.

## Au champ

- Respectez les consignes de la ferme : rangs ouverts, accès, horaire.
- Cueillez seulement ce qui est sain : pas de légumes pourris, moisis ou
  abîmés par des animaux.
- Ne lavez pas les légumes sur place : un légume mouillé se conserve moins
  bien.

## Au retour

- Mettez au froid le plus tôt possible les légumes-feuilles et les petits
  fruits.
- Notez la ferme, la date et la culture : en cas de question, on retrouve
  l'origine.
- Triez de nouveau avant la distribution.
""",
        ),
        Text(
            "Gleaning and food safety",
            "A few simple steps so that gleaned vegetables reach the plate fresh "
            "and safe.",
            """\
## Before the outing

- Bring clean containers used only for food.
- Plan coolers and ice packs in hot weather.
- Wash your hands before picking; bring water and soap.

## In the field

- Follow the farm's rules: open rows, access, hours.
- Pick only what is sound: no rotten, mouldy or animal-damaged vegetables.
- Do not wash vegetables on site: a wet vegetable keeps less well.

## Back home

- Chill leafy greens and berries as soon as possible.
- Write down the farm, the date and the crop: if a question comes up, the
  origin can be traced.
- Sort again before distribution.
""",
        ),
        age_days=80,
        position=2,
    ),
    Seed(
        "factsheet",
        "le-partage-du-glanage",
        Text(
            "Le partage d'une récolte glanée",
            "Un tiers, un tiers, un tiers : d'où vient la coutume et comment "
            "elle s'adapte.",
            """\
## La coutume

Une récolte glanée se partage souvent en trois parts égales :

1. **la ferme**, qui peut garder ou vendre sa part;
2. **les glaneurs**, qui repartent avec des légumes pour leur famille;
3. **un organisme d'aide alimentaire**, qui les redistribue.

## Pourquoi ça marche

Chacun y trouve son compte. La ferme n'a rien à payer, les bénévoles sont
remerciés concrètement, et les organismes reçoivent des légumes frais qu'ils
n'auraient pas pu acheter.

## Quand on l'ajuste

Le partage n'est pas une règle fixe. Certaines fermes donnent tout; certains
groupes de glaneurs remettent leur part à l'organisme. La coordination note
le partage convenu à chaque cueillette, pour que tout le monde sache à quoi
s'attendre.
""",
        ),
        Text(
            "How a gleaned harvest is shared",
            "A third, a third, a third: where the custom comes from and how it adapts.",
            """\
## The custom

A gleaned harvest is often shared in three equal parts:

1. **the farm**, which may keep or sell its part;
2. **the gleaners**, who take vegetables home to their families;
3. **a food aid organization**, which hands them out.

## Why it works

Everyone gains. The farm pays nothing, volunteers are thanked in a concrete
way, and organizations get fresh vegetables they could not have bought.

## When it changes

The share is not a fixed rule. Some farms give everything; some groups of
gleaners hand their part to the organization. The coordinator records the
agreed share at each pickup, so everyone knows what to expect.
""",
        ),
        age_days=80,
        position=3,
    ),
]


# ---- Roadmap: the plan's kinds of actions, by objective -------------------

SHARE_FR = "Partager nos connaissances"
SHARE_EN = "Share what we know"
ORGANIZE_FR = "Mieux organiser nos communications"
ORGANIZE_EN = "Organize our communications better"
KNOWN_FR = "Faire connaître le réseau et ses valeurs"
KNOWN_EN = "Make the network and its values known"


def _road(
    slug: str,
    objective: tuple[str, str],
    term: str,
    progress: str,
    fr: tuple[str, str],
    en: tuple[str, str],
    position: int,
) -> Seed:
    return Seed(
        "roadmap",
        slug,
        Text(*fr),
        Text(*en),
        fields={
            "objective": objective[0],
            "objective_en": objective[1],
            "term": term,
            "progress": progress,
        },
        age_days=90,
        position=position,
    )


ROADMAP = [
    _road(
        "plateforme-de-glanage",
        (ORGANIZE_FR, ORGANIZE_EN),
        "medium",
        "done",
        (
            "Une plateforme de glanage par texto",
            "Les fermes offrent leurs surplus par texto, les organismes "
            "réservent en un message.",
        ),
        (
            "A text-message gleaning platform",
            "Farms offer their surplus by text; organizations claim it in one message.",
        ),
        1,
    ),
    _road(
        "site-web-du-reseau",
        (KNOWN_FR, KNOWN_EN),
        "short",
        "done",
        (
            "Un site web à nous",
            "Nouvelles, événements, partenaires et outils au même endroit, en "
            "français et en anglais.",
        ),
        (
            "A website of our own",
            "News, events, partners and tools in one place, in French and English.",
        ),
        2,
    ),
    _road(
        "fiches-explicatives",
        (SHARE_FR, SHARE_EN),
        "short",
        "done",
        (
            "Des fiches pour les enjeux complexes",
            "Trois premières fiches publiées; d'autres suivront selon vos questions.",
        ),
        (
            "Fact sheets on complex issues",
            "The first three are out; more will follow from your questions.",
        ),
        3,
    ),
    _road(
        "infolettre-reguliere",
        (ORGANIZE_FR, ORGANIZE_EN),
        "short",
        "in_progress",
        (
            "Une infolettre à date fixe",
            "Les nouvelles importantes et les dates limites, dans votre boîte "
            "courriel, à un rythme prévisible.",
        ),
        (
            "A newsletter on a set schedule",
            "Important news and deadlines in your inbox, at a predictable pace.",
        ),
        4,
    ),
    _road(
        "webinaires-du-midi",
        (SHARE_FR, SHARE_EN),
        "ongoing",
        "in_progress",
        (
            "Des webinaires sur l'heure du dîner",
            "Un partenaire partage son expertise en une heure, une fois par saison.",
        ),
        (
            "Lunchtime webinars",
            "A partner shares their know-how in one hour, once a season.",
        ),
        5,
    ),
    _road(
        "outil-de-collaboration",
        (SHARE_FR, SHARE_EN),
        "medium",
        "planned",
        (
            "Un espace d'échange entre partenaires",
            "Un outil simple pour se parler entre les rencontres, avec une "
            "section par sous-comité.",
        ),
        (
            "A shared space for partners",
            "A simple tool to talk between meetings, with a section for each "
            "sub-committee.",
        ),
        6,
    ),
    _road(
        "gabarits-visuels",
        (ORGANIZE_FR, ORGANIZE_EN),
        "medium",
        "planned",
        (
            "Des gabarits visuels communs",
            "Affiches et publications aux couleurs du réseau, prêtes à adapter "
            "par chaque partenaire.",
        ),
        (
            "Shared visual templates",
            "Posters and posts in the network's colours, ready for each partner "
            "to adapt.",
        ),
        7,
    ),
    _road(
        "calendrier-de-suivi",
        (KNOWN_FR, KNOWN_EN),
        "long",
        "planned",
        (
            "Un calendrier de suivi des actions",
            "Toutes les actions du réseau dans un échéancier partagé, pour "
            "savoir qui fait quoi, et quand.",
        ),
        (
            "A shared action calendar",
            "Every action of the network on one shared timeline, to know who "
            "does what, and when.",
        ),
        8,
    ),
]


# ---- A job offer ----------------------------------------------------------


def _jobs(now: datetime) -> list[Seed]:
    return [
        Seed(
            "job",
            "agente-de-mobilisation-glanage",
            Text(
                "Agent·e de mobilisation en glanage (saisonnier)",
                "De juin à novembre, 28 heures par semaine, partout dans Lanaudière.",
                """\
## Le poste

Vous êtes la personne qui fait le lien entre les fermes et les organismes
pendant la saison : vous recrutez des fermes, accompagnez les premières
sorties de glanage et aidez les organismes à s'approprier la plateforme.

## Vous aimerez ce poste si

- vous aimez parler aux gens, au champ comme au téléphone;
- vous savez vous organiser quand trois choses arrivent en même temps;
- vous avez une voiture et un permis de conduire valide.

## Conditions

- 28 heures par semaine, horaire variable selon les récoltes;
- 24 $ l'heure, frais de déplacement remboursés;
- entrée en poste au début de juin.

Envoyez votre CV et quelques lignes sur vous à
[emplois@example.org](mailto:emplois@example.org).
""",
            ),
            Text(
                "Gleaning outreach worker (seasonal)",
                "June to November, 28 hours a week, all over Lanaudière.",
                """\
## The job

You connect farms and organizations during the season: you recruit farms,
come along on the first gleaning outings and help organizations get the hang
of the platform.

## You will enjoy this job if

- you like talking to people, in the field as on the phone;
- you stay organized when three things happen at once;
- you have a car and a valid driver's licence.

## Conditions

- 28 hours a week, hours follow the harvests;
- $24 an hour, travel expenses paid;
- starts early June.

Send your résumé and a few lines about yourself to
[emplois@example.org](mailto:emplois@example.org).
""",
            ),
            fields={
                "employer": "Nourrir Lanaudière",
                "deadline": (now + timedelta(days=21)).date().isoformat(),
                "url": "",
            },
            age_days=5,
        )
    ]
