"""Every phrase a person can read has its French translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from shared.i18n import TRANSLATIONS_DIR, format_kg, pick_language, t

ROOT = Path(__file__).resolve().parents[2]


def test_every_extracted_message_is_translated_to_french(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [Path(sys.executable).parent / "pybabel", "extract",
         "-F", "babel.cfg", "-k", "t:2", "-k", "tn:2,3", "-k", "_l",
         "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with (TRANSLATIONS_DIR / "fr/LC_MESSAGES/messages.po").open("rb") as f:
        french = {m.id: m.string for m in read_po(f) if m.id}
    untranslated = sorted(str(i) for i in wanted if not french.get(i))
    assert untranslated == []


def test_translation_and_formatting() -> None:
    assert (
        t("fr", "Which parcel? ({codes})", codes="P1, P2")
        == "Quelle parcelle? (P1, P2)"
    )
    assert t("en", "Which parcel? ({codes})", codes="P1") == "Which parcel? (P1)"
    assert format_kg(1234.5, "fr") == "1\u202f234,5 kg"
    assert format_kg(1234.5, "en") == "1,234.5 kg"
    assert format_kg(500.0, "fr") == "500 kg"
    assert pick_language("en-CA") == "en" and pick_language("de") == "fr"
