"""The glanage command as other programs use it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from services.cli import main
from shared.config import Settings


def test_parse_one_message_with_a_fixed_now() -> None:
    result = CliRunner().invoke(
        main,
        [
            "parse",
            "DISPO P3 courges 500 kg jusqu'à vendredi",
            "--now",
            "2026-09-14T10:00:00",
        ],
    )
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.output)
    assert parsed["parcel"] == "P3" and parsed["available_until"] == "2026-09-18"


def test_parse_stdin_one_json_line_per_message_empty_lines_included() -> None:
    lines = "OUI A12 200\n\nNON A12\nSTOP\n"
    result = CliRunner().invoke(
        main, ["parse", "-", "--now", "2026-09-14T10:00:00-04:00"], input=lines
    )
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["intent"] for o in out] == ["claim", "unknown", "decline", "stop"]
    assert out[0]["offer_code"] == "A12" and out[0]["quantity"] == 200


def test_parse_rejects_a_bad_now() -> None:
    result = CliRunner().invoke(main, ["parse", "AIDE", "--now", "tomorrow"])
    assert result.exit_code == 2 and "ISO 8601" in result.output


def test_import_organizations_keeps_good_rows_and_reports_bad_ones(
    tmp_path: Path, settings: Settings, monkeypatch: object
) -> None:
    csv_file = tmp_path / "orgs.csv"
    csv_file.write_text(
        "name,municipality,phone,weekly_capacity_kg,categories,cold_storage\n"
        "Frigo de Joliette,Joliette,450 555 0180,300,legume;fruit,oui\n"
        ",Joliette,,,,\n"
        "Cuisine X,Nulle-Part,,,,\n"
        "Cuisine Y,Rawdon,not a phone,,,\n"
        "Cuisine Z,Rawdon,,beaucoup,,\n"
        "Panier W,Rawdon,,,viande,\n"
        "Comptoir V,Lanoraie,,120,,non\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DATABASE_URL", settings.database_url)  # type: ignore[attr-defined]
    result = CliRunner().invoke(main, ["import", "organizations", str(csv_file)])
    assert result.exit_code == 1
    assert "2 added, 5 rejected" in result.output
    for line, words in (
        (3, "name is empty"),
        (4, "Nulle-Part"),
        (5, "phone"),
        (6, "weekly_capacity_kg"),
        (7, "viande"),
    ):
        assert f"line {line}: " in result.output and words in result.output
    from sqlalchemy import create_engine, text

    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        names = (
            connection.execute(
                text(
                    "SELECT name FROM organizations"
                    " WHERE name IN ('Frigo de Joliette', 'Comptoir V')"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert sorted(names) == ["Comptoir V", "Frigo de Joliette"]


def test_users_create_and_reset_password(
    settings: Settings, monkeypatch: object
) -> None:
    from sqlalchemy import create_engine, text
    from werkzeug.security import check_password_hash

    monkeypatch.setenv("DATABASE_URL", settings.database_url)  # type: ignore[attr-defined]
    runner = CliRunner()
    created = runner.invoke(
        main,
        [
            "users",
            "create",
            "lea@example.org",
            "--role",
            "viewer",
            "--password",
            "a long passphrase",
        ],
    )
    assert created.exit_code == 0, created.output
    again = runner.invoke(
        main, ["users", "create", "lea@example.org", "--password", "a long passphrase"]
    )
    assert again.exit_code == 1 and "reset-password" in again.output
    short = runner.invoke(
        main, ["users", "reset-password", "lea@example.org", "--password", "short"]
    )
    assert short.exit_code == 2
    reset = runner.invoke(
        main,
        [
            "users",
            "reset-password",
            "lea@example.org",
            "--password",
            "another passphrase",
        ],
    )
    assert reset.exit_code == 0, reset.output

    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        role, digest = connection.execute(
            text(
                "SELECT role, password_hash FROM users WHERE email = 'lea@example.org'"
            )
        ).one()
    engine.dispose()
    assert role == "viewer" and check_password_hash(digest, "another passphrase")


# ---- Privacy: export, forget, purge -------------------------------------------


FARMER = "+14505550100"  # the seed's first farmer (shared.seed.phone(0))


def _with_messages(url: str) -> None:
    """Two texts with the seed's first farmer, one of them a year and a half old,
    and one with someone else."""
    from datetime import timedelta

    from sqlalchemy import select

    from shared.db import make_engine, make_session_factory, transaction
    from shared.models import Contact, Message, utcnow

    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        farmer = session.scalar(select(Contact).where(Contact.phone == FARMER))
        assert farmer is not None
        for body, days, other in (
            ("DISPO P1 courges 500 kg", 550, FARMER),
            ("LISTE", 1, FARMER),
            ("OUI A1", 1, "+14505550120"),
        ):
            session.add(
                Message(
                    direction="in",
                    channel="sms",
                    to_addr="glanage",
                    from_addr=other,
                    body=body,
                    status="received",
                    contact_id=farmer.id if other == FARMER else None,
                    created_at=utcnow() - timedelta(days=days),
                )
            )
    engine.dispose()


def test_contacts_export_prints_what_is_held_or_says_nothing_is(
    settings: Settings, monkeypatch: object
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)  # type: ignore[attr-defined]
    _with_messages(settings.database_url)
    runner = CliRunner()

    result = runner.invoke(main, ["contacts", "export", "450 555 0100"])
    assert result.exit_code == 0, result.output
    copy = json.loads(result.output)
    assert [c["phone"] for c in copy["contacts"]] == [FARMER]
    assert sorted(m["body"] for m in copy["messages"]) == [
        "DISPO P1 courges 500 kg",
        "LISTE",
    ]

    stranger = runner.invoke(main, ["contacts", "export", "819-555-0199"])
    assert stranger.exit_code == 1
    assert "nothing is held on +18195550199" in stranger.output
    bad = runner.invoke(main, ["contacts", "export", "hello"])
    assert bad.exit_code == 2 and "neither a phone number nor an email" in bad.output


def test_contacts_forget_asks_then_erases_once(
    settings: Settings, monkeypatch: object
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)  # type: ignore[attr-defined]
    _with_messages(settings.database_url)
    runner = CliRunner()

    declined = runner.invoke(main, ["contacts", "forget", FARMER], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert "2 messages to or from them" in declined.output
    assert runner.invoke(main, ["contacts", "export", FARMER]).exit_code == 0

    done = runner.invoke(main, ["contacts", "forget", FARMER], input="y\n")
    assert done.exit_code == 0, done.output
    assert "erased 1 contact, 2 messages" in done.output

    again = runner.invoke(main, ["contacts", "forget", "--yes", FARMER])
    assert again.exit_code == 0, again.output
    assert "already erased on" in again.output and "erased 1" not in again.output
    copy = json.loads(runner.invoke(main, ["contacts", "export", FARMER]).output)
    assert copy["contacts"] == [] and len(copy["erased"]) == 1

    stranger = runner.invoke(main, ["contacts", "forget", "--yes", "a@b.example"])
    assert stranger.exit_code == 0 and "nothing to erase" in stranger.output


def test_messages_purge_blanks_old_bodies(
    settings: Settings, monkeypatch: object
) -> None:
    from sqlalchemy import create_engine, text

    monkeypatch.setenv("DATABASE_URL", settings.database_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("GLANAGE_RETENTION_DAYS", "365")  # type: ignore[attr-defined]
    _with_messages(settings.database_url)
    runner = CliRunner()

    result = runner.invoke(main, ["messages", "purge"])
    assert result.exit_code == 0, result.output
    assert "purged 1 message created before" in result.output
    assert "(365 days); kept 2 newer messages" in result.output
    assert "purged 0 messages" in runner.invoke(main, ["messages", "purge"]).output
    short = runner.invoke(main, ["messages", "purge", "--days", "0"])
    assert short.exit_code == 2

    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        bodies = connection.execute(
            text("SELECT body FROM messages ORDER BY id")
        ).scalars()
        assert list(bodies) == ["[purged]", "LISTE", "OUI A1"]
    engine.dispose()
