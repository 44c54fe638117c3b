"""The public site as a visitor reads it, in French and in English: every page,
the language twins, drafts kept out, friendly 404s, the forms that reach the
coordinator, the sitemap, robots.txt, visits counted without cookies, and
editors' text that can never run as script."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import select

from services.web.site import pages
from shared import visits
from shared.models import ContentItem, Message, PageView
from shared.runtime import Runtime
from shared.site_seed import seed_site
from tests.conftest import BASE_URL, FARMER, Twilio

PAGES = [
    "/",
    "/a-propos",
    "/nouvelles",
    "/nouvelles/la-saison-de-glanage-est-lancee",
    "/evenements",
    "/evenements/rencontre-regionale-automne",
    "/evenements/rencontre-regionale-printemps",
    "/partenaires",
    "/boite-a-outils",
    "/fiches",
    "/fiches/glanage-et-salubrite",
    "/feuille-de-route",
    "/emplois",
    "/emplois/agente-de-mobilisation-glanage",
    "/glanage",
    "/contact",
]
FORM_PAGES = {"/glanage", "/contact"}
DRAFT_NEWS = "/nouvelles/bilan-de-saison-brouillon"
A_FARMER_BROWSER = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"


@pytest.fixture
def site(runtime: Runtime) -> Runtime:
    with runtime.sessions() as session:
        assert seed_site(session, now=runtime.now())
        session.commit()
    return runtime


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the form carries a CSRF token"
    return found.group(1)


def hreflang(page: str) -> dict[str, str]:
    return dict(
        re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', page)
    )


def stored(runtime: Runtime) -> list[Message]:
    with runtime.sessions() as session:
        return list(
            session.scalars(select(Message).where(Message.to_addr == "coordination"))
        )


# ---- Every page, both languages -------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_exists_in_french_and_english(
    client: FlaskClient, site: Runtime, path: str
) -> None:
    english = "/en" + path
    for url, lang in ((path, "fr"), (english, "en")):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in page
        assert hreflang(page) == {
            "fr": BASE_URL + path,
            "en": BASE_URL + english,
            "x-default": BASE_URL + path,
        }
        assert f'<link rel="canonical" href="{BASE_URL}{url}">' in page
        assert '<meta property="og:title"' in page
        assert '<meta property="og:image" content="https://' in page
        assert '<meta name="twitter:card" content="summary_large_image">' in page
        assert 'type="application/atom+xml"' in page


def test_the_language_switch_leads_to_the_same_page(
    client: FlaskClient, site: Runtime
) -> None:
    page = client.get("/nouvelles/la-saison-de-glanage-est-lancee").get_data(
        as_text=True
    )
    assert (
        'class="lang-switch" href="/en/nouvelles/la-saison-de-glanage-est-lancee"'
        in (page)
    )
    assert "La saison de glanage est lancée" in page

    english = client.get("/en/partenaires?mrc=Joliette").get_data(as_text=True)
    assert 'class="lang-switch" href="/partenaires?mrc=Joliette"' in english


def test_english_pages_show_the_english_text(
    client: FlaskClient, site: Runtime
) -> None:
    page = client.get("/en/nouvelles/la-saison-de-glanage-est-lancee").get_data(
        as_text=True
    )
    assert "The gleaning season is open" in page
    assert "La saison de glanage est lancée" not in page


def test_an_item_without_english_falls_back_to_french(
    client: FlaskClient, site: Runtime
) -> None:
    with site.sessions() as session:
        session.add(
            ContentItem(
                kind="news",
                slug="seulement-en-francais",
                status="published",
                title_fr="Seulement en français",
                body_fr="Le texte.",
                published_at=site.now(),
            )
        )
        session.commit()
    page = client.get("/en/nouvelles/seulement-en-francais").get_data(as_text=True)
    assert "Seulement en français" in page and '<html lang="en">' in page


# ---- Drafts and missing pages ---------------------------------------------


def test_drafts_are_never_shown(client: FlaskClient, site: Runtime) -> None:
    with site.sessions() as session:
        session.add(
            ContentItem(
                kind="event",
                slug="brouillon-evenement",
                status="draft",
                title_fr="Événement pas prêt",
                fields={"starts_at": (site.now() + timedelta(days=3)).isoformat()},
            )
        )
        session.commit()
    for prefix in ("", "/en"):
        assert client.get(prefix + DRAFT_NEWS).status_code == 404
        assert client.get(prefix + "/evenements/brouillon-evenement").status_code == 404
    for path in ("/", "/nouvelles", "/evenements", "/sitemap.xml", "/nouvelles.atom"):
        page = client.get(path).get_data(as_text=True)
        assert "bilan-de-saison-brouillon" not in page, path
        assert "brouillon-evenement" not in page, path
    assert "Événement pas prêt" not in client.get("/evenements.ics").get_data(
        as_text=True
    )


def test_unknown_pages_are_a_friendly_404_in_the_right_language(
    client: FlaskClient, site: Runtime
) -> None:
    for path, lang in (
        ("/nouvelles/nexiste-pas", "fr"),
        ("/en/evenements/does-not-exist", "en"),
        ("/fiches/nope", "fr"),
        ("/en/emplois/nope", "en"),
        ("/pas-une-page", "fr"),
        ("/en/not-a-page", "en"),
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        page = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in page, path
        assert 'class="missing"' in page and 'name="robots" content="noindex"' in page
        home = "/en/" if lang == "en" else "/"
        assert f'<a href="{home}">' in page

    # The panel and the API keep their own answers.
    assert 'class="missing"' not in client.get("/panel/nope").get_data(as_text=True)
    assert 'class="missing"' not in client.get("/api/v1/nope").get_data(as_text=True)


# ---- What each page holds -------------------------------------------------


def test_home_shows_the_season_events_and_news(
    client: FlaskClient, site: Runtime, twilio: Twilio
) -> None:
    before = client.get("/").get_data(as_text=True)
    assert "registered farms" in before or "fermes inscrites" in before

    assert "Merci" in twilio.reply(FARMER, "DISPO P3 courges 500 kg")
    page = client.get("/").get_data(as_text=True)
    assert "500\u202fkg" in page or "500 kg" in page
    assert "Webinaire : glaner en toute sécurité" in page  # the next event
    assert "La saison de glanage est lancée" in page  # the latest news
    assert "/infolettre" in page


def test_events_come_first_then_past_ones(client: FlaskClient, site: Runtime) -> None:
    page = client.get("/evenements").get_data(as_text=True)
    soon = page.index("Webinaire : glaner en toute sécurité")
    later = page.index("Rencontre régionale d&#39;automne")
    past = page.index("Rencontre régionale du printemps")
    assert soon < later < past
    assert page.index('id="past"') < past

    event = client.get("/evenements/rencontre-regionale-automne").get_data(as_text=True)
    assert "/evenements/rencontre-regionale-automne.ics" in event
    assert "Salle communautaire, Saint-Jacques" in event


def test_partners_filter_by_mrc_and_kind_without_javascript(
    client: FlaskClient, site: Runtime
) -> None:
    everyone = client.get("/partenaires").get_data(as_text=True)
    assert everyone.count('class="partner"') == 8

    joliette = client.get("/partenaires?mrc=Joliette").get_data(as_text=True)
    assert joliette.count('class="partner"') == 2
    assert "Comptoir alimentaire de Joliette" in joliette
    assert "Ferme Beaulieu" not in joliette

    farms = client.get("/partenaires?type=ferme").get_data(as_text=True)
    assert farms.count('class="partner"') == 2 and "Ferme Beaulieu" in farms

    nothing = client.get("/partenaires?mrc=Joliette&type=ferme").get_data(as_text=True)
    assert 'class="partner"' not in nothing and 'class="notice"' in nothing

    ignored = client.get("/partenaires?mrc=Atlantide").get_data(as_text=True)
    assert ignored.count('class="partner"') == 8


def test_partners_map_data_matches_the_list(client: FlaskClient, site: Runtime) -> None:
    page = client.get("/en/partenaires?mrc=Matawinie").get_data(as_text=True)
    raw = re.search(
        r'<script type="application/json" id="partners-map-data">(.*?)</script>',
        page,
        re.S,
    )
    assert raw
    data = json.loads(raw.group(1))
    assert [p["name"] for p in data["points"]] == ["Popote des Hautes-Terres"]
    assert "Saint-Michel-des-Saints" in {t["name"] for t in data["towns"]}
    assert "vendor/leaflet/leaflet.js" in page and "site/partners.js" in page
    # No tiles and nothing from another site.
    assert "tile.openstreetmap" not in page and "cdn" not in page.lower()


def test_toolbox_groups_by_theme_and_searches(
    client: FlaskClient, site: Runtime
) -> None:
    page = client.get("/boite-a-outils").get_data(as_text=True)
    for theme in ("Glanage", "Salubrité et conservation", "Financement et projets"):
        assert f">{theme}</h2>" in page
    assert 'href="/static/site/files/registre-glanage.csv" download' in page

    found = client.get("/boite-a-outils?q=SALUBRITE").get_data(as_text=True)
    assert "Liste de vérification avant une sortie" in found
    assert "Modèle de budget de projet" not in found

    english = client.get("/en/boite-a-outils?q=budget").get_data(as_text=True)
    assert "Project budget template" in english
    assert ">Funding and projects</h2>" in english

    none = client.get("/boite-a-outils?q=zzzz").get_data(as_text=True)
    assert 'class="notice"' in none


def test_files_offered_in_the_toolbox_are_served(
    client: FlaskClient, site: Runtime
) -> None:
    for name in (
        "registre-glanage.csv",
        "verification-sortie.txt",
        "budget-projet.csv",
    ):
        response = client.get(f"/static/site/files/{name}")
        assert response.status_code == 200, name
        response.close()


def test_fact_sheets_are_printable(client: FlaskClient, site: Runtime) -> None:
    listing = client.get("/fiches").get_data(as_text=True)
    assert listing.count('class="sheet"') == 3
    page = client.get("/fiches/le-partage-du-glanage").get_data(as_text=True)
    assert "data-print" in page and 'class="print-only' in page
    css = client.get("/static/site.css")
    assert "@media print" in css.get_data(as_text=True)
    css.close()


def test_roadmap_by_objective_term_and_status(
    client: FlaskClient, site: Runtime
) -> None:
    page = client.get("/feuille-de-route").get_data(as_text=True)
    assert page.count('class="objective"') == 3
    assert page.count('class="step step--done"') == 3
    assert page.count('class="step step--in_progress"') == 2
    assert page.count('class="step step--planned"') == 3
    english = client.get("/en/feuille-de-route").get_data(as_text=True)
    assert ">Share what we know</h2>" in english


def test_a_job_past_its_deadline_leaves_the_list(
    client: FlaskClient, site: Runtime
) -> None:
    assert "agente-de-mobilisation-glanage" in client.get("/emplois").get_data(
        as_text=True
    )
    with site.sessions() as session:
        job = session.scalar(select(ContentItem).where(ContentItem.kind == "job"))
        assert job
        yesterday = (site.now() - timedelta(days=1)).date().isoformat()
        job.fields = dict(job.fields, deadline=yesterday)
        session.commit()
    assert "agente-de-mobilisation-glanage" not in client.get("/emplois").get_data(
        as_text=True
    )
    page = client.get("/emplois/agente-de-mobilisation-glanage").get_data(as_text=True)
    assert 'class="notice"' in page


def test_gleaning_page_shows_the_real_text_messages(
    client: FlaskClient, site: Runtime
) -> None:
    page = client.get("/glanage").get_data(as_text=True)
    assert "DISPO P3 courges 500 kg" in page and "OUI A12 200" in page
    assert "OUI A12 [kg] ou NON A12" in page  # the offer, in compose's own words
    english = client.get("/en/glanage").get_data(as_text=True)
    assert "YES A12 [kg] or NO A12" in english


# ---- Forms: joining the gleaning and contact ------------------------------

JOIN = {
    "name": "Julie Morin",
    "organization": "Potager de l'Achigan",
    "role": "farmer",
    "municipality": "Saint-Roch-de-l'Achigan",
    "phone": "450 555-0177",
    "email": "julie@example.org",
    "message": "Des courges en octobre, surtout.",
}


def test_join_request_reaches_the_coordinator(
    client: FlaskClient, site: Runtime
) -> None:
    page = client.get("/glanage").get_data(as_text=True)
    response = client.post("/glanage", data={**JOIN, "csrf_token": csrf(page)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/glanage/merci")
    assert client.get("/glanage/merci").status_code == 200

    [message] = stored(site)
    assert (message.channel, message.direction, message.status) == (
        "email",
        "in",
        "received",
    )
    assert message.from_addr == "julie@example.org"
    assert "Potager de l'Achigan" in message.subject
    for text in ("Julie Morin", "ferme", "Saint-Roch-de-l'Achigan", "450 555-0177"):
        assert text in message.body
    assert message.body.endswith("Des courges en octobre, surtout.")
    assert message.parsed and message.parsed["form"] == "join"


def test_a_bad_email_keeps_everything_typed(client: FlaskClient, site: Runtime) -> None:
    page = client.get("/en/glanage").get_data(as_text=True)
    response = client.post(
        "/en/glanage",
        data={**JOIN, "email": "julie@", "csrf_token": csrf(page)},
    )
    assert response.status_code == 422
    again = response.get_data(as_text=True)
    assert 'class="error-summary"' in again and 'aria-invalid="true"' in again
    assert 'value="julie@"' in again
    assert 'value="Julie Morin"' in again
    assert 'value="Potager de l&#39;Achigan"' in again
    assert 'value="farmer" checked' in again
    assert "Des courges en octobre, surtout.</textarea>" in again
    assert stored(site) == []


def test_join_needs_a_way_to_answer_and_a_role(
    client: FlaskClient, site: Runtime
) -> None:
    page = client.get("/glanage").get_data(as_text=True)
    response = client.post(
        "/glanage",
        data={**JOIN, "phone": "", "email": "", "role": "", "csrf_token": csrf(page)},
    )
    assert response.status_code == 422
    again = response.get_data(as_text=True)
    assert 'id="f-phone-error"' in again and 'id="f-role-error"' in again
    assert stored(site) == []

    # A phone alone is enough.
    response = client.post(
        "/glanage", data={**JOIN, "email": "", "csrf_token": csrf(page)}
    )
    assert response.status_code == 303
    assert stored(site)[0].from_addr == "+14505550177"


def test_contact_form_reaches_the_coordinator(
    client: FlaskClient, site: Runtime
) -> None:
    page = client.get("/en/contact").get_data(as_text=True)
    assert "coordination@example.org" in page  # the network's contact details
    missing = client.post(
        "/en/contact",
        data={
            "name": "Sophie",
            "email": "sophie@example.org",
            "csrf_token": csrf(page),
        },
    )
    assert missing.status_code == 422 and 'id="f-message-error"' in missing.get_data(
        as_text=True
    )
    sent = client.post(
        "/en/contact",
        data={
            "name": "Sophie",
            "email": "sophie@example.org",
            "subject": "Partnership",
            "message": "Could we meet?",
            "csrf_token": csrf(page),
        },
    )
    assert sent.status_code == 303 and sent.headers["Location"].endswith(
        "/en/contact/merci"
    )
    [message] = stored(site)
    assert message.subject == "Message du site : Partnership"
    assert "Langue du site : en" in message.body


def test_forms_refuse_a_missing_token_but_keep_the_text(
    client: FlaskClient, site: Runtime
) -> None:
    response = client.post("/glanage", data=JOIN)
    assert response.status_code == 400
    assert 'value="Julie Morin"' in response.get_data(as_text=True)
    assert stored(site) == []


def test_robots_filling_the_hidden_field_are_ignored(
    client: FlaskClient, site: Runtime
) -> None:
    page = client.get("/contact").get_data(as_text=True)
    response = client.post(
        "/contact",
        data={
            "name": "Bot",
            "email": "bot@example.org",
            "message": "Buy now",
            "website": "http://spam.example",
            "csrf_token": csrf(page),
        },
    )
    assert response.status_code == 303
    assert stored(site) == []


# ---- Sitemap and robots ---------------------------------------------------


def test_sitemap_lists_every_page_in_both_languages(
    client: FlaskClient, site: Runtime
) -> None:
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    ns = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "x": "http://www.w3.org/1999/xhtml",
    }
    locs = [loc.text for loc in root.findall("s:url/s:loc", ns)]
    for path in PAGES:
        assert BASE_URL + path in locs, path
        assert BASE_URL + "/en" + path in locs, path
    assert len(locs) == len(set(locs))
    first = root.find("s:url", ns)
    assert first is not None
    links = {
        link.get("hreflang"): link.get("href") for link in first.findall("x:link", ns)
    }
    assert set(links) == {"fr", "en", "x-default"}
    assert client.get("/en/sitemap.xml").status_code == 404


def test_robots_keep_out_of_private_paths(client: FlaskClient, site: Runtime) -> None:
    text = client.get("/robots.txt").get_data(as_text=True)
    for path in ("/panel", "/api", "/r/", "/f/", "/sms"):
        assert f"Disallow: {path}\n" in text
    assert f"Sitemap: {BASE_URL}/sitemap.xml" in text


# ---- Visits: counted per page per day, no cookie --------------------------


def views(runtime: Runtime) -> dict[str, int]:
    with runtime.sessions() as session:
        return {v.path: v.views for v in session.scalars(select(PageView))}


@pytest.mark.parametrize("path", sorted(set(PAGES) - FORM_PAGES))
def test_public_pages_set_no_cookie(
    client: FlaskClient, site: Runtime, path: str
) -> None:
    for url in (path, "/en" + path):
        response = client.get(url, headers={"User-Agent": A_FARMER_BROWSER})
        assert "Set-Cookie" not in response.headers, url


def test_visits_are_counted_per_page_per_day(
    client: FlaskClient, site: Runtime
) -> None:
    browser = {"User-Agent": A_FARMER_BROWSER}
    for _ in range(3):
        client.get("/", headers=browser)
    client.get("/en/partenaires?mrc=Joliette", headers=browser)
    client.get("/nouvelles.atom", headers=browser)
    client.get("/nouvelles/nexiste-pas", headers=browser)  # 404: not counted
    client.get("/sitemap.xml", headers=browser)  # for robots: not counted
    client.head("/fiches", headers=browser)

    assert views(site) == {"/": 3, "/en/partenaires": 1, "/nouvelles.atom": 1}
    with site.sessions() as session:
        today = site.now().date()
        assert visits.views_by_day(session, today, today) == [(today, 5)]
        assert dict(visits.views_by_path(session, today, today))["/"] == 3


def test_personal_links_are_counted_without_their_token(app: Flask) -> None:
    with app.test_request_context("/en/sondage/abc123secret"):
        if request.url_rule is None:
            pytest.skip("no survey links in this build")
        assert pages.counted_path() == "/en/sondage/<token>"
    with app.test_request_context("/nouvelles/un-titre"):
        assert pages.counted_path() == "/nouvelles/un-titre"


def test_robots_are_not_counted(client: FlaskClient, site: Runtime) -> None:
    for agent in (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "curl/8.5.0",
        "",
    ):
        assert client.get("/", headers={"User-Agent": agent}).status_code == 200
    assert views(site) == {}


def test_a_counting_failure_never_breaks_the_page(
    client: FlaskClient, site: Runtime, monkeypatch: Any, caplog: Any
) -> None:
    def broken(*_args: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(visits, "count", broken)
    response = client.get("/fiches", headers={"User-Agent": A_FARMER_BROWSER})
    assert response.status_code == 200
    assert 'class="sheet"' in response.get_data(as_text=True)
    assert "site.visit_not_counted path=/fiches" in caplog.text
    assert views(site) == {}


# ---- Editors' text can never run as script --------------------------------

SCRIPT = "<script>alert(1)</script>"
MARKDOWN_ATTACKS = (
    f"Intro {SCRIPT}\n\n[x](javascript:alert(1))\n\n"
    '<img src="x" onerror="alert(1)">\n\n<a href="javascript:alert(1)">y</a>'
)


def hostile(kind: str, slug: str, fields: dict[str, Any]) -> ContentItem:
    return ContentItem(
        kind=kind,
        slug=slug,
        status="published",
        title_fr=f"Titre {SCRIPT}",
        title_en=f"Title {SCRIPT}",
        summary_fr=f"Résumé {SCRIPT}",
        summary_en=f"Summary {SCRIPT}",
        body_fr=MARKDOWN_ATTACKS,
        body_en=MARKDOWN_ATTACKS,
        image="javascript:alert(1)",
        fields=fields,
    )


def test_script_typed_by_an_editor_comes_out_inert(
    client: FlaskClient, site: Runtime
) -> None:
    soon = (site.now() + timedelta(days=2)).isoformat()
    bad_url = "javascript:alert(1)"
    with site.sessions() as session:
        session.add_all(
            [
                hostile("news", "piege", {}),
                hostile(
                    "event",
                    "piege",
                    {"starts_at": soon, "location": SCRIPT, "url": bad_url},
                ),
                hostile(
                    "partner",
                    "piege",
                    {
                        "partner_kind": "ferme",
                        "mrc": "Joliette",
                        "municipality": SCRIPT,
                        "lat": 46.02,
                        "lon": -73.44,
                        "url": bad_url,
                    },
                ),
                hostile("resource", "piege", {"theme": SCRIPT, "url": bad_url}),
                hostile("factsheet", "piege", {}),
                hostile(
                    "roadmap",
                    "piege",
                    {"objective": SCRIPT, "term": "short", "progress": "done"},
                ),
                hostile("job", "piege", {"employer": SCRIPT, "url": bad_url}),
            ]
        )
        session.commit()

    pages = [
        "/",
        "/nouvelles",
        "/nouvelles/piege",
        "/evenements",
        "/evenements/piege",
        "/partenaires",
        "/boite-a-outils",
        "/fiches",
        "/fiches/piege",
        "/feuille-de-route",
        "/emplois",
        "/emplois/piege",
    ]
    for path in pages:
        for url in (path, "/en" + path):
            page = client.get(url).get_data(as_text=True)
            assert "<script>alert" not in page, url
            assert "javascript:" not in page, url
            assert "onerror" not in page, url
            assert "&lt;script&gt;" in page or "piege" in page, url
