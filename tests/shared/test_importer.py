"""Spreadsheet imports: farms grouped with their parcels, organizations, and
every refused row reported with its line number while the good ones stay."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from services.cli import main
from shared import importer, seed
from shared.config import Settings
from shared.db import transaction
from shared.models import Contact, Farm, Parcel
from shared.runtime import Runtime

FARM_HEADER = (
    "farm_name,municipality,address,lat,lon,radius_km,language,contact_name,"
    "phone,email,parcel_code,parcel_name,parcel_lat,parcel_lon,parcel_rules\n"
)


def _import_farms(runtime: Runtime, text: str) -> importer.Report:
    with transaction(runtime.sessions) as session:
        return importer.import_farms(session, importer.rows(io.StringIO(text), "farms"))


def _farm(runtime: Runtime, name: str) -> Farm | None:
    with runtime.sessions() as session:
        farm = session.scalar(select(Farm).where(Farm.name == name))
        if farm is not None:
            _ = farm.parcels, farm.contacts  # load them before the session closes
        return farm


def _reasons(report: importer.Report) -> dict[int, str]:
    return {line: str(error) for line, error in report.errors}


def test_rows_of_one_farm_make_one_farm_with_its_parcels(runtime: Runtime) -> None:
    report = _import_farms(
        runtime,
        FARM_HEADER + "Ferme Test,Joliette,12 rang Nord,46.02,-73.44,30,fr,Anne Test,"
        "450 555 0177,anne@example.org,P1,le haut,46.021,-73.441,Pas de chiens\n"
        "Ferme Test,Joliette,,,,,,Anne Test,450 555 0177,,,le bas,46.022,-73.442,\n"
        "ferme test,JOLIETTE,,,,,,,,,P5,la serre,,,Fermé le dimanche\n",
    )
    assert report.errors == [] and report.added == 3
    farm = _farm(runtime, "Ferme Test")
    assert farm is not None
    assert [(p.code, p.name) for p in farm.parcels] == [
        ("P1", "le haut"),
        ("P2", "le bas"),
        ("P5", "la serre"),
    ]
    assert [(c.name, c.phone, c.consent_source) for c in farm.contacts] == [
        ("Anne Test", "+14505550177", "import")
    ]
    assert farm.radius_km == 30 and farm.address == "12 rang Nord"
    assert farm.form_token and len(farm.form_token) >= 16
    p1, _p2, p5 = farm.parcels
    assert p1.geometry_wkt == "POINT (-73.441 46.021)" and p1.rules == "Pas de chiens"
    # No coordinates for the parcel: it is placed at the farm.
    assert (p5.lat, p5.lon) == (farm.lat, farm.lon)
    assert report.counts() == {"farm": 1, "contact": 1, "parcel": 3}


def test_a_municipality_alone_places_the_farm(runtime: Runtime) -> None:
    report = _import_farms(
        runtime,
        FARM_HEADER
        + "Ferme du Rang,st-jacques,,,,,,,,,,,,,\n"
        + "Ferme Accents,L'Epiphanie,,,,,anglais,,,,,,,,\n",
    )
    assert report.errors == []
    places = seed.towns()
    farm = _farm(runtime, "Ferme du Rang")
    assert farm is not None and farm.municipality == "Saint-Jacques"
    assert (farm.lat, farm.lon) == (
        places["Saint-Jacques"].lat,
        places["Saint-Jacques"].lon,
    )
    other = _farm(runtime, "Ferme Accents")
    assert other is not None and other.municipality == "L'Épiphanie"
    assert other.language == "en" and other.parcels == []


def test_bad_rows_are_reported_by_line_and_good_rows_kept(runtime: Runtime) -> None:
    report = _import_farms(
        runtime,
        FARM_HEADER
        + "Ferme Bonne,Rawdon,,,,,,,,,P1,,,,\n"  # line 2: fine
        + ",Rawdon,,,,,,,,,,,,,\n"  # 3: no farm name
        + "Ferme Loin,Nulle-Part,,,,,,,,,,,,,\n"  # 4: unknown municipality
        + "Ferme Lat,Rawdon,,46.1,,,,,,,,,,,\n"  # 5: lat without lon
        + "Ferme Bonne,Rawdon,,,,,,,,,P1,,,,\n"  # 6: P1 again
        + "Ferme Bonne,Rawdon,,,,,,,,,champ nord,,,,\n"  # 7: not a code
        + "Ferme Bonne,Rawdon,,,,,,,,,P2,,12,-73,\n"  # 8: parcel not in Quebec
        + "Ferme Paris,Rawdon,,48.85,2.35,,,,,,,,,,\n"  # 9: France
        + "Ferme Bonne,Rawdon,,,,,,Jo,,,P3,,,,\n"  # 10: contact, no phone/email
        + "Ferme Bonne,Rawdon,,,,,klingon,,,,P4,,,,\n"  # 11: unknown language
        + ",,,,,,,,,,,,,,\n"  # 12: blank row: skipped, not an error
        + "Ferme Bonne,Rawdon,,,,,,,,,P6,,,,\n",  # 13: fine
    )
    reasons = _reasons(report)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "farm_name is empty" in reasons[3]
    assert "Nulle-Part" in reasons[4]
    assert "lat and lon" in reasons[5]
    assert "already has a parcel P1" in reasons[6]
    assert "parcel_code" in reasons[7]
    assert "not in Quebec" in reasons[8] and "not in Quebec" in reasons[9]
    assert "contact_name" in reasons[10]
    assert "language" in reasons[11]
    assert report.added == 2
    farm = _farm(runtime, "Ferme Bonne")
    assert farm is not None and [p.code for p in farm.parcels] == ["P1", "P6"]
    assert _farm(runtime, "Ferme Loin") is None
    # Every row, good or bad, has its outcome, in file order.
    assert [o.line for o in report.outcomes] == [2, *range(3, 12), 13]


def test_a_phone_belongs_to_one_farm_only(runtime: Runtime) -> None:
    taken = seed.phone(0)  # Ferme Beaulieu's farmer, from the demo data
    report = _import_farms(
        runtime,
        FARM_HEADER
        + f"Ferme Un,Rawdon,,,,,,Paul,{taken},,P1,,,,\n"  # 2: someone else's
        + "Ferme Deux,Rawdon,,,,,,Lise,450-555-0166,,P1,,,,\n"  # 3
        + "Ferme Deux,Rawdon,,,,,,Lise,(450) 555-0166,,P2,,,,\n"  # 4: same farm
        + "Ferme Trois,Rawdon,,,,,,Marc,+1 450 555 0166,,P1,,,,\n"  # 5: taken now
        + "Ferme Quatre,Rawdon,,,,,,Zoé,450 555,,P1,,,,\n",  # 6: not a number
    )
    reasons = _reasons(report)
    assert sorted(reasons) == [2, 5, 6]
    assert "already belongs to a contact" in reasons[2]
    assert "already belongs to a contact" in reasons[5]
    assert "phone is not a valid number" in reasons[6]
    # Phone numbers are masked in the reasons: they can end up in logs.
    assert "0166" not in reasons[5] and taken[-4:] not in reasons[2]
    farm = _farm(runtime, "Ferme Deux")
    assert farm is not None and len(farm.contacts) == 1
    assert [p.code for p in farm.parcels] == ["P1", "P2"]


def test_an_existing_farm_gets_the_new_parcels(runtime: Runtime) -> None:
    before = _farm(runtime, "Ferme Beaulieu")
    assert before is not None
    codes = [p.code for p in before.parcels]
    report = _import_farms(
        runtime,
        FARM_HEADER
        + f"Ferme Beaulieu,Saint-Jacques,,,,,,,{seed.phone(0)},,,le nouveau,,,\n",
    )
    assert report.errors == [] and report.counts() == {"parcel": 1}
    after = _farm(runtime, "Ferme Beaulieu")
    assert after is not None
    assert [p.code for p in after.parcels] == [*codes, f"P{len(codes) + 1}"]
    assert len(after.contacts) == len(before.contacts)


def test_farm_details_that_disagree_are_refused(runtime: Runtime) -> None:
    report = _import_farms(
        runtime,
        FARM_HEADER
        + "Ferme Deux Adresses,Rawdon,1 rue A,,,,,,,,P1,,,,\n"
        + "Ferme Deux Adresses,Rawdon,1 RUE A,,,,,,,,P2,,,,\n"  # same, other case
        + "Ferme Deux Adresses,Rawdon,9 rue Z,,,,,,,,P3,,,,\n",
    )
    assert list(_reasons(report)) == [4]
    assert "address" in _reasons(report)[4] and "line 2" in _reasons(report)[4]


def test_semicolons_any_header_case_and_unknown_columns() -> None:
    text = "\ufeffFarm Name;Municipality;Notes\nFerme X;Joliette;hello\n\n;;\n"
    sheet = importer.read(io.StringIO(text), "farms")
    assert sheet.numbered == [(2, {"farm_name": "Ferme X", "municipality": "Joliette"})]
    assert sheet.ignored == ["notes"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("name,municipality\nA,Joliette\n", "farm_name"),
        ('farm_name,municipality\n"broken,Joliette\n', "CSV"),
    ],
)
def test_files_that_are_no_table_say_why(text: str, words: str) -> None:
    with pytest.raises(importer.RowError) as refused:
        importer.read(io.StringIO(text), "farms")
    assert words in str(refused.value)


def test_reasons_carry_a_message_id_for_translation() -> None:
    with pytest.raises(importer.RowError) as refused:
        importer.read(io.StringIO("a,b\n1,2\n"), "farms")
    assert refused.value.msgid.startswith("missing column(s): %(columns)s")
    assert refused.value.params["columns"] == "farm_name, municipality"


@pytest.mark.parametrize(
    "text",
    [
        "46.05,-73.41; 46.05,-73.40; 46.06,-73.40",
        "46.05, 73.41\n46.05, 73.40\n46.06, 73.40",  # minus sign forgotten
        "46.05 -73.41, 46.05 -73.40, 46.06 -73.40",
        "POLYGON ((-73.41 46.05, -73.40 46.05, -73.40 46.06, -73.41 46.05))",
        "POLYGON ((46.05 -73.41, 46.05 -73.40, 46.06 -73.40, 46.05 -73.41))",
    ],
)
def test_outlines_are_read_however_they_are_pasted(text: str) -> None:
    wkt, lat, lon = importer.parcel_shape(importer.parse_outline(text))
    assert wkt == "POLYGON ((-73.41 46.05, -73.4 46.05, -73.4 46.06, -73.41 46.05))"
    assert (lat, lon) == (46.053333, -73.403333)
    assert importer.outline_as_pairs(wkt) == "46.05,-73.41; 46.05,-73.4; 46.06,-73.4"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("46.05,-73.41; 46.06,-73.40; 46.05,-73.40; 46.06,-73.41", "crosses itself"),
        ("46.05,-73.41; 46.06,-73.40", "at least 3"),
        ("46.0,-73.0; 46.1,-73.1; 46.2,-73.2", "one line"),
        ("46.05,-73.41; 46.05; 46.06,-73.40", "'46.05'"),
        ("48.85,2.35; 48.86,2.35; 48.86,2.36", "not in Quebec"),
        ("POLYGON ((-73.41 46.05, -73.40", "WKT"),
        ("LINESTRING (-73.41 46.05, -73.40 46.05)", "POLYGON"),
    ],
)
def test_bad_outlines_say_what_to_fix(text: str, words: str) -> None:
    with pytest.raises(importer.ShapeError) as refused:
        importer.parse_outline(text)
    assert words in str(refused.value)


def test_organizations_import_keeps_its_contract(runtime: Runtime) -> None:
    text = (
        "name;municipality;phone;categories;channels;language\n"
        "Frigo A;ste-elisabeth;450 555 0181;legume;sms;English\n"
        "Frigo B;Joliette;;viande;;\n"
    )
    with transaction(runtime.sessions) as session:
        report = importer.import_rows(session, importer.rows(io.StringIO(text)))
        assert report.added == 1 and list(_reasons(report)) == [3]
        assert "unknown category: viande" in _reasons(report)[3]
        contact = session.scalar(select(Contact).where(Contact.phone == "+14505550181"))
        assert contact is not None and contact.organization is not None
        assert contact.organization.municipality == "Sainte-Élisabeth"
        assert contact.organization.language == "en"


def test_cli_imports_farms_with_a_progress_bar_and_exit_code(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv_file = tmp_path / "farms.csv"
    csv_file.write_text(
        FARM_HEADER
        + "Ferme CLI,Joliette,,,,,,Rémi,450 555 0188,,P1,le champ,,,\n"
        + "Ferme CLI,Joliette,,,,,,Rémi,450 555 0188,,P2,,,,\n"
        + "Ferme Perdue,Atlantide,,,,,,,,,,,,,\n",
        encoding="utf-8-sig",
    )
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["import", "farms", str(csv_file)])
    assert result.exit_code == 1, result.output
    assert "2 added (1 farms, 2 parcels, 1 contacts), 1 rejected" in result.output
    assert "line 4: unknown municipality 'Atlantide'" in result.output
    assert "Importing farms" in result.output

    from sqlalchemy import create_engine

    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        count = connection.execute(
            select(func.count(Parcel.id))
            .join(Farm, Farm.id == Parcel.farm_id)
            .where(Farm.name == "Ferme CLI")
        ).scalar()
    engine.dispose()
    assert count == 2

    again = CliRunner().invoke(main, ["import", "farms", str(csv_file)])
    assert again.exit_code == 1 and "0 added" in again.output  # P1, P2 are there


def test_cli_says_when_a_file_is_no_farms_file(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv_file = tmp_path / "orgs.csv"
    csv_file.write_text("name,municipality\nA,Joliette\n", encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["import", "farms", str(csv_file)])
    assert result.exit_code == 1 and "missing column(s): farm_name" in result.output
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(FARM_HEADER.encode() + "Ferme Élan,Joliette\n".encode("cp1252"))
    result = CliRunner().invoke(main, ["import", "farms", str(latin)])
    assert result.exit_code == 1 and "not UTF-8" in result.output
