"""The directory, as a coordinator and a viewer use it: farms, parcels,
organizations, contacts, opt-outs, spreadsheet imports and CSV exports."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from shared import exports, seed
from shared.db import transaction
from shared.models import AuditEntry, Contact, Farm, Organization, Parcel, Surplus
from shared.runtime import Runtime
from tests.services.web.panel.conftest import csrf

ORG_PHONE = seed.phone(20)


def post(client: FlaskClient, url: str, data: dict[str, Any], page: str) -> Any:
    """POST a form the way a browser does: with the CSRF token of its page."""
    token = csrf(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def text(response: Any) -> str:
    """The page as a person reads it (French first, entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def audit_rows(runtime: Runtime, entity: str, entity_id: int) -> list[AuditEntry]:
    with runtime.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
                .order_by(AuditEntry.id)
            )
        )


def org_form(org: Organization, **changes: Any) -> dict[str, Any]:
    """Every field of an organization's form, as the page fills it in."""
    data: dict[str, Any] = {
        "name": org.name,
        "kind": org.kind,
        "municipality": org.municipality,
        "address": org.address,
        "lat": str(org.lat),
        "lon": str(org.lon),
        "service_radius_km": str(org.service_radius_km),
        "weekly_capacity_kg": str(org.weekly_capacity_kg),
        "language": org.language,
        "categories": list(org.categories),
        "channels": list(org.channels),
    }
    for flag in ("cold_storage", "transport", "priority", "active"):
        if getattr(org, flag):
            data[flag] = "1"
    data.update(changes)
    return data


def first(runtime: Runtime, model: type[Any], **where: Any) -> Any:
    with runtime.sessions() as session:
        query = select(model).filter_by(**where).order_by(model.id).limit(1)
        found = session.scalar(query)
        assert found is not None
        return found


# ---- Who may do what --------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/panel/directory",
        "/panel/directory/farms/1",
        "/panel/directory/opt-out",
        "/panel/directory/export/contacts.csv",
    ],
)
def test_the_directory_needs_login(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/panel/login" in response.headers["Location"]


def test_a_viewer_reads_everything_and_changes_nothing(
    viewer: FlaskClient, runtime: Runtime
) -> None:
    for tab in ("farms", "organizations", "contacts"):
        assert viewer.get(f"/panel/directory?tab={tab}").status_code == 200
    farm_page = "/panel/directory/farms/1"
    page = text(viewer.get(farm_page))
    assert "Ferme Beaulieu" in page and "<fieldset disabled" in page
    farm = first(runtime, Farm, id=1)
    assert farm.form_token not in page  # the form link is a key: coordinators only
    assert viewer.get("/panel/directory/organizations/1").status_code == 200
    assert viewer.get("/panel/directory/contacts/1").status_code == 200
    assert viewer.get("/panel/directory/parcels/1").status_code == 200
    assert viewer.get("/panel/directory/opt-out").status_code == 200
    for path in (
        "/panel/directory/farms/new",
        "/panel/directory/import",
        "/panel/directory/organizations/new",
    ):
        assert viewer.get(path).status_code == 403
    token = csrf(page)
    for path in (
        "/panel/directory/farms/new",
        "/panel/directory/farms/1",
        "/panel/directory/farms/1/link",
        "/panel/directory/farms/1/parcels/new",
        "/panel/directory/parcels/1",
        "/panel/directory/parcels/1/delete",
        "/panel/directory/organizations/new",
        "/panel/directory/organizations/1",
        "/panel/directory/farms/1/contacts/new",
        "/panel/directory/organizations/1/contacts/new",
        "/panel/directory/contacts/1",
        "/panel/directory/contacts/1/opt-out",
        "/panel/directory/contacts/1/opt-in",
        "/panel/directory/import",
    ):
        response = viewer.post(path, data={"csrf_token": token, "name": "X"})
        assert response.status_code == 403, path
    assert first(runtime, Farm, id=1).form_token == farm.form_token
    with runtime.sessions() as session:
        assert session.scalars(select(AuditEntry)).all() == []


# ---- The list ---------------------------------------------------------------


def test_the_directory_counts_and_searches_without_accents(
    coordinator: FlaskClient,
) -> None:
    page = text(coordinator.get("/panel/directory"))
    assert "Ferme Beaulieu" in page and "/panel/directory/farms/new" in page
    found = text(coordinator.get("/panel/directory?q=epiphanie"))
    assert "Ferme Rivest" in found and "Ferme Beaulieu" not in found
    # The counts of each section follow the search.
    counts = re.findall(r'<span class="pill pill--muted">(\d+)</span>', found)
    assert counts[0] == "1"
    by_phone = text(coordinator.get(f"/panel/directory?tab=contacts&q={ORG_PHONE[2:]}"))
    assert by_phone.count("/panel/directory/contacts/") == 1
    typed = text(coordinator.get("/panel/directory?tab=contacts&q=(450) 555-0120"))
    assert typed.count("/panel/directory/contacts/") == 1


# ---- Farms and parcels ------------------------------------------------------


def test_a_coordinator_adds_a_farm_placed_by_its_municipality(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    response = post(
        coordinator,
        "/panel/directory/farms/new",
        {"name": "Ferme des Tests", "municipality": "st-jacques", "language": "fr"},
        "/panel/directory/farms/new",
    )
    assert response.status_code == 302
    farm = first(runtime, Farm, name="Ferme des Tests")
    town = seed.towns()["Saint-Jacques"]
    assert (farm.municipality, farm.lat, farm.lon) == (town.name, town.lat, town.lon)
    assert farm.radius_km is None and len(farm.form_token) >= 16
    (created,) = audit_rows(runtime, "farm", farm.id)
    assert created.action == "create" and created.before is None
    assert created.after is not None and created.after["municipality"] == town.name
    page = text(coordinator.get(response.headers["Location"]))
    assert f"https://glanage.test/f/{farm.form_token}" in page


def test_a_farm_form_with_mistakes_keeps_what_was_typed(
    coordinator: FlaskClient,
) -> None:
    response = post(
        coordinator,
        "/panel/directory/farms/new",
        {
            "name": "Ferme Quelque Part",
            "municipality": "Atlantide",
            "radius_km": "beaucoup",
        },
        "/panel/directory/farms/new",
    )
    assert response.status_code == 422
    page = text(response)
    assert 'value="Ferme Quelque Part"' in page and 'value="Atlantide"' in page
    assert 'value="beaucoup"' in page and page.count('aria-invalid="true"') == 2


def test_a_coordinator_adds_a_polygon_parcel_and_a_bad_one_is_kept(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    farm = first(runtime, Farm, id=1)
    with runtime.sessions() as session:
        codes = [p.code for p in session.scalars(select(Parcel).filter_by(farm_id=1))]
    form_page = f"/panel/directory/farms/{farm.id}/parcels/new"
    crossing = "45.95,-73.57; 45.96,-73.56; 45.95,-73.56; 45.96,-73.57"
    refused = post(
        coordinator,
        form_page,
        {"name": "le champ croche", "outline": crossing, "rules": "Bottes"},
        form_page,
    )
    assert refused.status_code == 422
    page = text(refused)
    assert "crosses itself" in page or "croise" in page
    assert crossing in page and "le champ croche" in page and "Bottes" in page

    outline = "45.95,-73.57; 45.95,-73.56; 45.96,-73.56; 45.96,-73.57"
    added = post(
        coordinator,
        form_page,
        {"name": "le carré", "outline": outline, "rules": "Par la barrière verte"},
        form_page,
    )
    assert added.status_code == 302
    code = f"P{len(codes) + 1}"
    parcel = first(runtime, Parcel, farm_id=farm.id, code=code)
    assert parcel.geometry_wkt.startswith("POLYGON ((-73.57 45.95")
    assert (parcel.lat, parcel.lon) == (45.955, -73.565)
    assert parcel.rules == "Par la barrière verte"
    (created,) = audit_rows(runtime, "parcel", parcel.id)
    assert created.after is not None and created.after["code"] == code

    # A point, with the longitude's minus sign forgotten.
    point = post(
        coordinator,
        form_page,
        {"name": "le puits", "lat": "45,951", "lon": "73,571"},
        form_page,
    )
    assert point.status_code == 302
    well = first(runtime, Parcel, farm_id=farm.id, name="le puits")
    assert well.geometry_wkt == "POINT (-73.571 45.951)"
    assert well.code == f"P{len(codes) + 2}"


def test_a_parcel_is_edited_and_deleted_only_when_unused(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    used, unused = (first(runtime, Parcel, farm_id=1, code=c) for c in ("P1", "P2"))
    with transaction(runtime.sessions) as session:
        session.add(
            Surplus(
                farm_id=1,
                parcel_id=used.id,
                crop="courge",
                category="legume",
                quantity=100,
                unit="kg",
                quantity_kg=100,
                remaining_kg=100,
                available_until=date(2026, 9, 20),
            )
        )
    page = f"/panel/directory/parcels/{used.id}"
    edited = post(coordinator, page, {"name": "le champ du haut (est)"}, page)
    assert edited.status_code == 302
    assert first(runtime, Parcel, id=used.id).name == "le champ du haut (est)"
    assert first(runtime, Parcel, id=used.id).geometry_wkt == used.geometry_wkt

    refused = post(coordinator, f"{page}/delete", {}, page)
    assert refused.status_code == 302
    assert first(runtime, Parcel, id=used.id)  # still there
    assert "surplus enregistrés" in text(coordinator.get(refused.headers["Location"]))

    other = f"/panel/directory/parcels/{unused.id}"
    deleted = post(coordinator, f"{other}/delete", {}, other)
    assert deleted.status_code == 302
    with runtime.sessions() as session:
        assert session.get(Parcel, unused.id) is None
    entry = audit_rows(runtime, "parcel", unused.id)[-1]
    assert entry.action == "delete" and entry.after is None
    assert entry.before is not None and entry.before["code"] == "P2"


def test_a_new_form_link_retires_the_old_one(
    coordinator: FlaskClient, client: FlaskClient, runtime: Runtime
) -> None:
    old = first(runtime, Farm, id=2).form_token
    assert client.get(f"/f/{old}").status_code == 200
    page = "/panel/directory/farms/2"
    response = post(coordinator, f"{page}/link", {}, page)
    assert response.status_code == 302
    new = first(runtime, Farm, id=2).form_token
    assert new != old
    assert client.get(f"/f/{old}").status_code == 404
    assert client.get(f"/f/{new}").status_code == 200
    assert f"https://glanage.test/f/{new}" in text(coordinator.get(page))
    (entry,) = audit_rows(runtime, "farm", 2)
    assert entry.action == "new_link"
    assert entry.before == {"form_link": "…" + old[-4:]}


# ---- Organizations ----------------------------------------------------------


def test_editing_an_organization_is_audited_before_and_after(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    org = first(runtime, Organization, id=1)
    page = f"/panel/directory/organizations/{org.id}"
    response = post(
        coordinator,
        page,
        org_form(org, weekly_capacity_kg="1 250,5", categories=["fruit", "legume"]),
        page,
    )
    assert response.status_code == 302
    saved = first(runtime, Organization, id=org.id)
    assert saved.weekly_capacity_kg == 1250.5
    assert saved.categories == ["legume", "fruit"]  # in the catalogue's order
    assert (saved.lat, saved.lon, saved.name) == (org.lat, org.lon, org.name)
    (entry,) = audit_rows(runtime, "organization", org.id)
    assert entry.action == "edit" and entry.user_id is not None
    assert entry.before is not None and entry.after is not None
    assert entry.before["weekly_capacity_kg"] == org.weekly_capacity_kg
    assert entry.after["weekly_capacity_kg"] == 1250.5
    assert "1250.5" in text(coordinator.get(page))


def test_an_organization_is_created_with_every_field(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    form = "/panel/directory/organizations/new"
    missing = post(
        coordinator,
        form,
        {"name": "Frigo Test", "municipality": "Joliette", "weekly_capacity_kg": "200"},
        form,
    )
    assert missing.status_code == 422  # no radius, no channel
    assert 'value="Frigo Test"' in text(missing)
    response = post(
        coordinator,
        form,
        {
            "name": "Frigo Test",
            "kind": "frigo communautaire",
            "municipality": "Joliette",
            "lat": "46.03",
            "lon": "-73.44",
            "service_radius_km": "15",
            "weekly_capacity_kg": "200",
            "cold_storage": "1",
            "categories": ["petits-fruits"],
            "channels": ["sms", "email"],
            "language": "en",
            "active": "1",
        },
        form,
    )
    assert response.status_code == 302
    org = first(runtime, Organization, name="Frigo Test")
    assert (org.lat, org.lon, org.service_radius_km) == (46.03, -73.44, 15)
    assert org.cold_storage and not org.transport and not org.priority and org.active
    assert org.categories == ["petits-fruits"] and org.channels == ["sms", "email"]
    assert org.language == "en" and org.kind == "frigo communautaire"


# ---- Contacts, consent, opt-out ---------------------------------------------


def test_a_contact_with_a_bad_or_taken_number_gets_a_kind_error(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    form = "/panel/directory/organizations/2/contacts/new"
    bad = post(
        coordinator,
        form,
        {"name": "Simon Tremblay", "phone": "450 555 01", "email": "simon@example.org"},
        form,
    )
    assert bad.status_code == 422
    page = text(bad)
    assert 'value="Simon Tremblay"' in page and 'value="450 555 01"' in page
    assert 'value="simon@example.org"' in page
    assert re.search(r'class="field__error" id="f-phone-error">[^<]*450 555 01', page)

    taken = post(
        coordinator, form, {"name": "Simon Tremblay", "phone": seed.phone(0)}, form
    )
    assert taken.status_code == 422
    assert "François Beaulieu" in text(taken)  # whose number it is

    added = post(
        coordinator,
        form,
        {"name": "Simon Tremblay", "phone": "(450) 555-0175", "consent": "1"},
        form,
    )
    assert added.status_code == 302
    contact = first(runtime, Contact, phone="+14505550175")
    assert contact.organization_id == 2 and contact.consent_source == "panel"
    assert contact.consent_at is not None
    (entry,) = audit_rows(runtime, "contact", contact.id)
    assert entry.action == "create" and entry.after is not None
    assert entry.after["phone"] == "+14505550175"


def test_opting_a_contact_out_and_back_in_is_recorded(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    contact = first(runtime, Contact, phone=ORG_PHONE)
    page = f"/panel/directory/contacts/{contact.id}"
    assert post(coordinator, f"{page}/opt-out", {}, page).status_code == 302
    out = first(runtime, Contact, id=contact.id)
    assert out.opted_out_at is not None and out.opted_out_via == "panel"
    listed = text(coordinator.get("/panel/directory/opt-out"))
    assert contact.name in listed and "panel" in listed

    # Opting back in needs the coordinator to confirm the person asked.
    unconfirmed = post(coordinator, f"{page}/opt-in", {}, page)
    assert "a demandé à recevoir de nouveau les messages" in text(
        coordinator.get(unconfirmed.headers["Location"])
    )
    assert first(runtime, Contact, id=contact.id).opted_out_at is not None
    assert post(coordinator, f"{page}/opt-in", {"asked": "1"}, page).status_code == 302
    back = first(runtime, Contact, id=contact.id)
    assert back.opted_out_at is None and back.opted_out_via == ""
    assert back.consent_source == "panel" and back.consent_at is not None
    coordinator.get(page)  # shows, and so clears, the "gets messages again" note
    assert page not in text(coordinator.get("/panel/directory/opt-out"))

    opt_out, opt_in = audit_rows(runtime, "contact", contact.id)
    assert (opt_out.action, opt_in.action) == ("opt_out", "opt_in")
    assert opt_out.before is not None and opt_out.before["opted_out_at"] is None
    assert opt_in.before is not None and opt_in.before["opted_out_via"] == "panel"
    history = text(coordinator.get(page))
    assert history.count("coord@example.org") == 2  # both steps, and who took them


def test_a_stop_text_shows_in_the_contact_history(
    coordinator: FlaskClient, twilio: Any, runtime: Runtime
) -> None:
    twilio.text(ORG_PHONE, "STOP")
    contact = first(runtime, Contact, phone=ORG_PHONE)
    assert contact.opted_out_via == "sms"
    page = text(coordinator.get(f"/panel/directory/contacts/{contact.id}"))
    assert "« STOP »" in page
    assert contact.name in text(coordinator.get("/panel/directory/opt-out"))


# ---- Import from the panel --------------------------------------------------


def upload(
    client: FlaskClient, kind: str, content: bytes, name: str = "file.csv"
) -> Any:
    token = csrf(text(client.get("/panel/directory/import")))
    return client.post(
        "/panel/directory/import",
        data={"csrf_token": token, "kind": kind, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_the_panel_import_keeps_good_rows_and_names_bad_lines(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    content = (
        "farm_name;municipality;phone;parcel_code;parcel_name\n"
        "Ferme Import;Joliette;450 555 0191;P1;le verger\n"
        "Ferme Import;Joliette;450 555 0191;P2;le jardin\n"
        "Ferme Fantôme;Atlantide;;P1;\n"
        "Ferme Import;Joliette;;Q9;\n"
    ).encode()
    response = upload(coordinator, "farms", content, "fermes.csv")
    assert response.status_code == 200
    page = text(response)
    assert "<progress" in page
    rejected = page[page.index('id="rejected"') :]
    assert re.search(r"\b4\b.*Atlantide", rejected, re.S)
    assert re.search(r"\b5\b.*parcel_code", rejected, re.S)
    farm = first(runtime, Farm, name="Ferme Import")
    with runtime.sessions() as session:
        parcels = session.scalars(select(Parcel).where(Parcel.farm_id == farm.id))
        assert [p.code for p in parcels] == ["P1", "P2"]
    entry = first(runtime, AuditEntry, action="import")
    assert entry.entity == "farm" and entry.after is not None
    assert entry.after["added"] == 2 and entry.after["rejected"] == 2
    assert entry.after["created"]["farm"] == [farm.id]


def test_the_panel_imports_organizations(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    content = (
        "\ufeffname,municipality,weekly_capacity_kg,categories,phone\n"
        "Cuisine Import,Rawdon,150,legume;fruit,450 555 0192\n"
        "Cuisine Ratée,Rawdon,beaucoup,,\n"
    ).encode()
    page = text(upload(coordinator, "organizations", content))
    assert "weekly_capacity_kg" in page and "Cuisine Ratée" in page
    with runtime.sessions() as session:
        org = session.scalars(
            select(Organization).where(Organization.name == "Cuisine Import")
        ).one()
        assert org.categories == ["legume", "fruit"] and org.phone == "+14505550192"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("farm_name,municipality\nFerme Élan,Joliette\n".encode("cp1252"), "UTF-8"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U\xd7\xa8", "UTF-8"),
        (b"\x00\x01\x02farm_name\x00", "binaires"),
        (b"name,kind\nCuisine,banque\n", "farm_name"),
        (b"", "vide"),
        (b'farm_name,municipality\n"Ferme,Joliette\n', "CSV"),
    ],
)
def test_a_bad_file_gets_a_kind_message(
    coordinator: FlaskClient, runtime: Runtime, content: bytes, words: str
) -> None:
    response = upload(coordinator, "farms", content, "fermes.xlsx")
    assert response.status_code == 422
    assert words in text(response)
    with runtime.sessions() as session:
        assert session.scalars(select(AuditEntry)).all() == []


def test_an_upload_without_a_file_or_kind_says_so(coordinator: FlaskClient) -> None:
    token = csrf(text(coordinator.get("/panel/directory/import")))
    response = coordinator.post(
        "/panel/directory/import",
        data={"csrf_token": token, "kind": "cats"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert text(response).count('aria-invalid="true"') == 2


def test_a_file_too_large_is_refused_kindly(coordinator: FlaskClient) -> None:
    big = b"farm_name,municipality\n" + b"Ferme,Joliette\n" * 80_000
    response = upload(coordinator, "farms", big)
    response.request.input_stream.close()  # the test client's temporary file
    assert response.status_code == 413
    assert "Mo" in text(response) and "<form" in text(response)


# ---- Export -----------------------------------------------------------------


@pytest.mark.parametrize("table", list(exports.TABLES))
def test_every_table_exports_as_csv(coordinator: FlaskClient, table: str) -> None:
    response = coordinator.get(f"/panel/directory/export/{table}.csv")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "id" and rows[0] == exports.header(table, secrets=True)


def test_exports_hold_full_numbers_and_hide_form_links_from_viewers(
    coordinator: FlaskClient, viewer: FlaskClient, runtime: Runtime
) -> None:
    def table(client: FlaskClient, name: str) -> list[dict[str, str]]:
        body = text(client.get(f"/panel/directory/export/{name}.csv"))
        return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))

    contacts = table(coordinator, "contacts")
    with runtime.sessions() as session:
        assert len(contacts) == len(session.scalars(select(Contact)).all())
    assert {r["phone"] for r in contacts} >= {ORG_PHONE, seed.phone(0)}
    token = first(runtime, Farm, id=1).form_token
    assert table(coordinator, "farms")[0]["form_token"] == token
    as_viewer = table(viewer, "farms")
    assert as_viewer[0]["name"] == "Ferme Beaulieu" and "form_token" not in as_viewer[0]
    org = table(coordinator, "organizations")[0]
    saved = first(runtime, Organization, id=1)
    assert org["name"] == saved.name and org["active"] == "1"
    assert org["categories"] == ";".join(saved.categories)
    assert float(org["lon"]) == saved.lon
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", org["created_at"])


def test_an_unknown_table_is_not_found(coordinator: FlaskClient) -> None:
    assert coordinator.get("/panel/directory/export/users.csv").status_code == 404


def test_a_formula_in_a_message_is_not_run_by_a_spreadsheet(
    coordinator: FlaskClient, twilio: Any
) -> None:
    twilio.text(ORG_PHONE, '=HYPERLINK("http://evil.example","clic")')
    body = text(coordinator.get("/panel/directory/export/messages.csv"))
    assert "'=HYPERLINK" in body
    assert f",{ORG_PHONE}," in body  # a number stays a number, in full


def test_a_contact_of_no_farm_or_organization_still_opens(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    with transaction(runtime.sessions) as session:
        loose = Contact(name="Sans Attache", phone="+14505550198")
        session.add(loose)
        session.flush()
        contact_id = loose.id
    page = f"/panel/directory/contacts/{contact_id}"
    assert "Sans Attache" in text(coordinator.get(page))
    saved = post(coordinator, page, {"name": "Avec Nom", "phone": "450 555 0198"}, page)
    assert saved.status_code == 302
    assert first(runtime, Contact, id=contact_id).name == "Avec Nom"
