"""Editing the public site in the panel: an editor writes, publishes and
previews; a viewer reads only; forms keep what was typed; images are checked
by their bytes; nothing typed can run as script in the preview."""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from services.web.panel.content import uploads_bp
from shared import uploads
from shared.content import FIELDS
from shared.db import transaction
from shared.models import CONTENT_KINDS, AuditEntry, ContentItem, User
from shared.runtime import Runtime
from shared.seed import ensure_admin
from tests.services.web.panel.conftest import csrf, sign_in

EDITOR = ("editor@example.org", "editor password 123")
PAYLOADS = (
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
)
HOSTILE = " ".join(PAYLOADS)


@pytest.fixture(autouse=True)
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploads go to the test's own folder, never to the project's instance/."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("GLANAGE_INSTANCE", str(folder))
    return folder


@pytest.fixture
def editor(app: Flask, runtime: Runtime) -> FlaskClient:
    with transaction(runtime.sessions) as session:
        user = ensure_admin(session, *EDITOR)
        user.role = "editor"
    client = sign_in(app.test_client(), *EDITOR)
    # The panel in English: the messages checked here are the msgids.
    assert client.get("/panel/site?lang=en").status_code == 200
    return client


@pytest.fixture
def public_uploads(app: Flask) -> Flask:
    """The app with the public /uploads/ route, as the app factory will have it."""
    if "uploads.upload" not in app.view_functions:
        app.register_blueprint(uploads_bp)
    return app


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def done(response: Any) -> Any:
    """The response read and closed: served files and large uploads hold open
    files (Werkzeug's test client leaves a request's body open when it does
    not follow a redirect)."""
    response.get_data()
    response.close()
    response.request.input_stream.close()
    return response


def post(client: FlaskClient, url: str, data: dict[str, Any], page: str) -> Any:
    """POST a form the way a browser does: with the CSRF token of its page."""
    token = csrf(client.get(page).get_data(as_text=True))
    return done(client.post(url, data={"csrf_token": token, **data}))


def news(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title_fr": "Journée de glanage à Saint-Jacques",
        "title_en": "Gleaning day in Saint-Jacques",
        "summary_fr": "Venez glaner des courges avec nous.",
        "summary_en": "Come and glean squash with us.",
        "body_fr": "## Le programme\n\nRendez-vous à **9 h** à la ferme.",
        "body_en": "## The plan\n\nMeet at **9 am** at the farm.",
        "slug": "",
        "position": "0",
        "action": "draft",
    }
    data.update(changes)
    return data


def items(runtime: Runtime, **where: Any) -> list[ContentItem]:
    with runtime.sessions() as session:
        query = select(ContentItem).filter_by(**where).order_by(ContentItem.id)
        return list(session.scalars(query))


def the_item(runtime: Runtime, **where: Any) -> ContentItem:
    (found,) = items(runtime, **where)
    return found


def audit_rows(runtime: Runtime, item_id: int | None = None) -> list[AuditEntry]:
    with runtime.sessions() as session:
        query = select(AuditEntry).where(AuditEntry.entity == "content")
        if item_id is not None:
            query = query.where(AuditEntry.entity_id == item_id)
        return list(session.scalars(query.order_by(AuditEntry.id)))


def create(client: FlaskClient, kind: str = "news", **changes: Any) -> Any:
    url = f"/panel/site/new/{kind}"
    return post(client, url, news(**changes), url)


def png(width: int = 2, height: int = 2, padding: int = 0) -> bytes:
    """A valid PNG, built by hand; `padding` bytes of text make it larger."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x2e\x6b\x34" * width for _ in range(height))
    extra = chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + extra
        + chunk(b"IEND", b"")
    )


def a_file(data: bytes, name: str = "photo.png", kind: str = "image/png") -> Any:
    return (io.BytesIO(data), name, kind)


def stored_uploads(instance: Path) -> list[str]:
    folder = instance / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---- Who may do what --------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/panel/site", "/panel/site/new/news", "/panel/site/1", "/panel/site/1/preview"],
)
def test_the_site_pages_need_login(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/panel/login" in response.headers["Location"]


def test_a_viewer_reads_and_every_post_is_refused(
    editor: FlaskClient, viewer: FlaskClient, runtime: Runtime
) -> None:
    assert create(editor, action="publish").status_code == 302
    item = the_item(runtime)
    before = audit_rows(runtime)
    list_page = text(viewer.get("/panel/site"))
    assert item.title_fr in list_page and "/panel/site/new/" not in list_page
    page = text(viewer.get(f"/panel/site/{item.id}"))
    assert "<fieldset disabled" in page and "/unpublish" not in page
    preview = viewer.get(f"/panel/site/{item.id}/preview?lang=en")  # the app's switch
    assert (
        preview.status_code == 200
        and '<article class="card content-preview" lang="en"' in text(preview)
    )
    assert "/publish" not in text(preview) and "/unpublish" not in text(preview)
    assert viewer.get("/panel/site/new/news").status_code == 403
    assert viewer.get(f"/panel/site/{item.id}/delete").status_code == 403
    token = csrf(page)
    for path in (
        "/panel/site/new/news",
        "/panel/site/new/event",
        f"/panel/site/{item.id}",
        f"/panel/site/{item.id}/publish",
        f"/panel/site/{item.id}/unpublish",
        f"/panel/site/{item.id}/delete",
    ):
        data = {"csrf_token": token, **news(title_fr="Piraté", action="draft")}
        response = viewer.post(path, data=data)
        assert response.status_code == 403, path
    after = the_item(runtime)
    assert (after.title_fr, after.status) == (item.title_fr, "published")
    assert len(items(runtime)) == 1
    assert [e.id for e in audit_rows(runtime)] == [e.id for e in before]


def test_a_coordinator_can_edit_the_site_too(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    assert create(coordinator).status_code == 302
    assert the_item(runtime).status == "draft"


def test_an_unknown_kind_is_not_found(editor: FlaskClient) -> None:
    assert editor.get("/panel/site/new/recipe").status_code == 404
    assert editor.get("/panel/site/999999").status_code == 404


# ---- Writing, publishing, editing -------------------------------------------


def test_an_editor_writes_a_news_item_publishes_it_then_edits_it(
    editor: FlaskClient, runtime: Runtime
) -> None:
    form = text(editor.get("/panel/site/new/news"))
    assert 'name="title_fr"' in form and 'name="title_en"' in form
    assert 'enctype="multipart/form-data"' in form
    assert 'accept="image/png,image/jpeg,image/webp"' in form
    assert "Markdown" in form

    response = create(editor)
    assert response.status_code == 302
    item = the_item(runtime, kind="news")
    assert item.status == "draft" and item.published_at is None
    assert item.slug == "journee-de-glanage-a-saint-jacques"
    assert item.title_en == "Gleaning day in Saint-Jacques"
    with runtime.sessions() as session:
        author = session.get(User, item.author_id)
        assert author is not None and author.email == EDITOR[0]
    page = text(editor.get(response.headers["Location"]))
    assert 'data-status="draft"' in page
    assert 'value="Gleaning day in Saint-Jacques"' in page

    # Publishing from the form saves and puts it online.
    url = f"/panel/site/{item.id}"
    response = post(editor, url, news(slug=item.slug, action="publish"), url)
    assert response.status_code == 302
    published = the_item(runtime, id=item.id)
    assert published.status == "published" and published.published_at is not None
    first_published = published.published_at

    # An edit keeps it published and keeps its first publication date.
    response = post(
        editor,
        url,
        news(slug=item.slug, title_en="A gleaning day", action="publish"),
        url,
    )
    assert response.status_code == 302
    edited = the_item(runtime, id=item.id)
    assert edited.title_en == "A gleaning day" and edited.status == "published"
    assert edited.published_at == first_published

    # Unpublish, then publish again: the first date stays.
    assert post(editor, f"{url}/unpublish", {}, url).status_code == 302
    assert the_item(runtime, id=item.id).status == "draft"
    assert post(editor, f"{url}/publish", {}, url).status_code == 302
    again = the_item(runtime, id=item.id)
    assert again.status == "published" and again.published_at == first_published

    rows = audit_rows(runtime, item.id)
    assert [r.action for r in rows] == [
        "create",
        "publish",
        "edit",
        "unpublish",
        "publish",
    ]
    created, publish, edit = rows[0], rows[1], rows[2]
    assert created.before is None and created.after is not None
    assert created.after["kind"] == "news" and created.after["status"] == "draft"
    assert created.user_id == item.author_id
    assert publish.before is not None and publish.after is not None
    assert (publish.before["status"], publish.after["status"]) == (
        "draft",
        "published",
    )
    assert edit.before is not None and edit.after is not None
    assert edit.before["title_en"] == "Gleaning day in Saint-Jacques"
    assert edit.after["title_en"] == "A gleaning day"
    assert edit.after["changed_fields"] == ["title_en"]
    history = text(editor.get(url))
    assert "History of changes" in history


def test_a_body_edit_is_audited_and_saving_nothing_is_not(
    editor: FlaskClient, runtime: Runtime
) -> None:
    create(editor)
    item = the_item(runtime)
    url = f"/panel/site/{item.id}"
    same = news(slug=item.slug, action="draft")
    assert post(editor, url, same, url).status_code == 302
    assert [r.action for r in audit_rows(runtime, item.id)] == ["create"]
    changed = news(slug=item.slug, action="draft", body_fr="Nouveau texte.")
    assert post(editor, url, changed, url).status_code == 302
    edit = audit_rows(runtime, item.id)[-1]
    assert edit.action == "edit" and edit.after is not None
    assert edit.after["changed_fields"] == ["body_fr"]


def test_publishing_at_once_sets_the_date(
    editor: FlaskClient, runtime: Runtime
) -> None:
    assert create(editor, action="publish").status_code == 302
    item = the_item(runtime)
    assert item.status == "published" and item.published_at is not None
    assert item.published_at <= datetime.now(UTC)


@pytest.mark.parametrize("kind", CONTENT_KINDS)
def test_every_kind_has_its_form(editor: FlaskClient, kind: str) -> None:
    page = text(editor.get(f"/panel/site/new/{kind}"))
    for field in FIELDS[kind]:
        assert f'name="{field.name}"' in page
        if field.kind == "datetime":
            assert f'name="{field.name}" type="datetime-local"' in page
        if field.kind == "date":
            assert f'name="{field.name}" type="date"' in page
        if field.kind == "url":
            assert f'name="{field.name}" type="url"' in page
        for choice in field.choices:
            assert f'value="{escape(choice)}"' in page


def test_an_event_keeps_its_local_time(editor: FlaskClient, runtime: Runtime) -> None:
    response = create(
        editor,
        "event",
        starts_at="2026-09-20T10:00",
        ends_at="2026-09-20T15:30",
        location="Ferme Beaulieu",
        url="https://example.org/glanage",
    )
    assert response.status_code == 302, text(response)
    item = the_item(runtime, kind="event")
    assert item.fields == {
        "starts_at": "2026-09-20T10:00:00-04:00",
        "ends_at": "2026-09-20T15:30:00-04:00",
        "location": "Ferme Beaulieu",
        "url": "https://example.org/glanage",
    }
    page = text(editor.get(f"/panel/site/{item.id}"))
    assert 'value="2026-09-20T10:00"' in page and 'value="2026-09-20T15:30"' in page
    preview = text(editor.get(f"/panel/site/{item.id}/preview?version=fr"))
    assert "dimanche 20 septembre 2026, 10:00" in preview
    assert '<a href="https://example.org/glanage"' in preview


def test_a_partner_with_numbers_and_choices(
    editor: FlaskClient, runtime: Runtime
) -> None:
    response = create(
        editor,
        "partner",
        partner_kind="ferme",
        mrc="Montcalm",
        municipality="Saint-Jacques",
        lat="46,05",
        lon="-73.57",
    )
    assert response.status_code == 302, text(response)
    item = the_item(runtime, kind="partner")
    assert item.fields["lat"] == 46.05 and item.fields["lon"] == -73.57
    assert item.fields["partner_kind"] == "ferme" and item.fields["mrc"] == "Montcalm"


def test_missing_and_wrong_fields_come_back_with_what_was_typed(
    editor: FlaskClient, runtime: Runtime
) -> None:
    response = create(
        editor,
        "event",
        title_fr="",
        title_en="Harvest supper",
        body_fr="Un **souper** de récolte.",
        starts_at="samedi prochain",
        ends_at="",
        url="javascript:alert(1)",
        location="Salle paroissiale",
        position="1,5",
    )
    assert response.status_code == 422
    page = text(response)
    assert 'value="Harvest supper"' in page and 'value="samedi prochain"' in page
    assert 'value="Salle paroissiale"' in page and 'value="javascript:alert(1)"' in page
    assert "Un **souper** de récolte.</textarea>" in page
    assert page.count('aria-invalid="true"') == 4  # title, start, link, position
    assert "Please fill this in." in page
    assert "Write a date and time like 2026-09-20 10:00." in page
    assert "https://" in page
    assert items(runtime) == [] and audit_rows(runtime) == []


def test_an_end_before_the_start_is_refused(
    editor: FlaskClient, runtime: Runtime
) -> None:
    response = create(
        editor, "event", starts_at="2026-09-20T10:00", ends_at="2026-09-19T10:00"
    )
    assert response.status_code == 422
    assert "The end comes before the start." in text(response)
    assert items(runtime) == []


def test_required_choices_numbers_and_dates(
    editor: FlaskClient, runtime: Runtime
) -> None:
    partner = create(editor, "partner", partner_kind="", lat="beaucoup", mrc="Paris")
    assert partner.status_code == 422
    page = text(partner)
    assert 'value="beaucoup"' in page and "Pick one." in page
    assert "Pick one of the choices." in page
    job = create(editor, "job", employer="", deadline="31/02/2026")
    assert job.status_code == 422
    assert 'value="31/02/2026"' in text(job) and "Write a date like" in text(job)
    roadmap = create(editor, "roadmap", objective="Informer", term="short")
    assert roadmap.status_code == 422  # progress is required too
    assert items(runtime) == []


def test_a_slug_is_unique_within_its_kind(
    editor: FlaskClient, runtime: Runtime
) -> None:
    title = "Journée à Saint-Jacques!"
    assert create(editor, title_fr=title).status_code == 302
    assert create(editor, title_fr=title).status_code == 302
    slugs = [i.slug for i in items(runtime, kind="news")]
    assert slugs == ["journee-a-saint-jacques", "journee-a-saint-jacques-2"]

    taken = create(editor, title_fr="Autre chose", slug="Journée à Saint-Jacques")
    assert taken.status_code == 422
    page = text(taken)
    assert "«Journée à Saint-Jacques!»" in page or "Journée à Saint-Jacques!" in page
    assert "journee-a-saint-jacques-3" in page
    assert 'value="Autre chose"' in page
    assert len(items(runtime, kind="news")) == 2

    # Another kind may use the same address.
    event = create(
        editor,
        "event",
        title_fr="Autre",
        slug="journee-a-saint-jacques",
        starts_at="2026-09-20T10:00",
    )
    assert event.status_code == 302
    assert the_item(runtime, kind="event").slug == "journee-a-saint-jacques"

    # Renaming one item to another's address is refused too.
    first = items(runtime, kind="news")[1]
    url = f"/panel/site/{first.id}"
    again = post(editor, url, news(slug="journee-a-saint-jacques"), url)
    assert again.status_code == 422
    assert the_item(runtime, id=first.id).slug == "journee-a-saint-jacques-2"


# ---- Images -----------------------------------------------------------------


def test_a_real_png_is_stored_under_a_random_name_and_served(
    public_uploads: Flask, editor: FlaskClient, runtime: Runtime, instance: Path
) -> None:
    app = public_uploads
    response = create(editor, image=a_file(png(), "../../etc/passwd.png"))
    assert response.status_code == 302, text(response)
    item = the_item(runtime)
    # The item holds the image's public address, as the public site uses it.
    assert item.image.startswith("/uploads/") and item.image.endswith(".png")
    name = uploads.name_from_url(item.image)
    assert name is not None and uploads.url_for_upload(name) == item.image
    assert "passwd" not in name
    assert stored_uploads(instance) == [name]
    assert (instance / "uploads" / name).read_bytes() == png()

    page = text(editor.get(f"/panel/site/{item.id}"))
    assert f"/panel/site/uploads/{name}" in page
    served = done(editor.get(f"/panel/site/uploads/{name}"))
    assert served.status_code == 200 and served.data == png()
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"

    public = done(app.test_client().get(item.image))
    assert public.status_code == 200 and public.data == png()
    assert "immutable" in public.headers["Cache-Control"]
    assert app.test_client().get("/panel/site/uploads/" + name).status_code == 302
    for bad in ("nothing.png", "x" * 20 + ".svg", ".part-" + "x" * 20):
        assert app.test_client().get(f"/uploads/{bad}").status_code == 404


def test_a_text_file_named_png_is_refused(
    editor: FlaskClient, runtime: Runtime, instance: Path
) -> None:
    fake = b"<svg onload=alert(1)>this is text, not an image</svg>"
    response = create(editor, image=a_file(fake, "photo.png"))
    assert response.status_code == 422
    page = text(response)
    assert "not a PNG, JPEG or WebP image" in page
    assert 'value="Journée de glanage à Saint-Jacques"' in page
    assert items(runtime) == [] and stored_uploads(instance) == []


def test_an_image_over_2_mb_is_refused(
    editor: FlaskClient, runtime: Runtime, instance: Path
) -> None:
    big = png(padding=uploads.MAX_BYTES)
    assert len(big) > 2 * 1024 * 1024
    response = create(editor, image=a_file(big))
    assert response.status_code == 422
    assert "larger than 2 MB" in text(response)
    assert items(runtime) == [] and stored_uploads(instance) == []
    # Just under the limit is fine, though the app takes 1 MB elsewhere.
    almost = png(padding=uploads.MAX_BYTES - 200)
    assert 1024 * 1024 < len(almost) <= uploads.MAX_BYTES
    assert create(editor, image=a_file(almost)).status_code == 302


def test_jpeg_and_webp_are_known_by_their_bytes() -> None:
    assert uploads.sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00") == "jpg"
    webp = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"
    assert uploads.sniff(webp) == "webp"
    assert uploads.sniff(b"GIF89a") is None
    assert uploads.sniff(b"\x89PNG\r\n\x1a\n") is None  # a signature alone
    assert not uploads.is_name("../instance/glanage.db")
    assert uploads.url_for_upload("../x.png") == ""
    assert uploads.name_from_url("/uploads/../../etc/passwd") is None
    assert uploads.name_from_url("https://example.org/uploads/x.png") is None


def test_an_image_survives_a_form_with_mistakes_and_can_be_removed(
    editor: FlaskClient, runtime: Runtime, instance: Path
) -> None:
    first = create(editor, title_fr="", image=a_file(png()))
    assert first.status_code == 422
    (kept,) = stored_uploads(instance)
    page = text(first)
    assert f'name="uploaded" value="{kept}"' in page
    assert f"/panel/site/uploads/{kept}" in page
    second = create(editor, uploaded=kept)
    assert second.status_code == 302
    item = the_item(runtime)
    assert item.image == f"/uploads/{kept}"

    # A name that is no upload of ours is ignored.
    forged = create(editor, title_fr="Autre", uploaded="../glanage.db")
    assert forged.status_code == 302
    assert the_item(runtime, title_fr="Autre").image == ""

    url = f"/panel/site/{item.id}"
    removed = post(editor, url, news(slug=item.slug, remove_image="1"), url)
    assert removed.status_code == 302
    assert the_item(runtime, id=item.id).image == ""
    assert audit_rows(runtime, item.id)[-1].after["image"] == ""  # type: ignore[index]


# ---- Preview ----------------------------------------------------------------


class Markup(HTMLParser):
    """What a browser would run: script elements, on* handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
            if name in ("href", "src", "action", "formaction") and value:
                self.urls.append(re.sub(r"\s", "", value).lower())


def article(page: str) -> str:
    found = re.search(r"<article.*?</article>", page, re.S)
    assert found, "the preview has no article"
    return found.group(0)


def body_of(page: str) -> str:
    found = re.search(r'<div class="content-body">(.*?)</div>\s*</article>', page, re.S)
    assert found
    return found.group(1)


@pytest.mark.parametrize("kind", CONTENT_KINDS)
def test_the_preview_of_hostile_text_is_inert(
    editor: FlaskClient, runtime: Runtime, kind: str
) -> None:
    """Every text and every extra field holds script; none of it can run."""
    with transaction(runtime.sessions) as session:
        item = ContentItem(
            kind=kind,
            slug="piege",
            title_fr=HOSTILE,
            title_en=HOSTILE,
            summary_fr=HOSTILE,
            summary_en=HOSTILE,
            body_fr="\n\n".join(PAYLOADS),
            body_en="\n\n".join(PAYLOADS),
            image=PAYLOADS[2],
            fields={f.name: HOSTILE for f in FIELDS[kind]}
            | {"url": "javascript:alert(1)"},
        )
        session.add(item)
        session.flush()
        item_id = item.id
    for lang in ("fr", "en"):
        response = editor.get(f"/panel/site/{item_id}/preview?version={lang}")
        assert response.status_code == 200
        page = text(response)
        assert "Preview — not published yet." in page
        parsed = Markup()
        parsed.feed(page)
        # The layout's own script is the only one, and it comes from /static.
        assert [s.get("src") for s in parsed.scripts] == ["/static/live.js"]
        assert parsed.handlers == []
        assert not [u for u in parsed.urls if u.startswith(("javascript:", "data:"))]
        shown = article(page)
        assert "<script" not in shown and "<img src=x" not in shown
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown  # shown as text
        body = body_of(page)
        assert "javascript:" not in body and "onerror" not in body
        assert "<script" not in body
    edit_page = Markup()
    edit_page.feed(text(editor.get(f"/panel/site/{item_id}")))
    assert edit_page.handlers == [] and len(edit_page.scripts) == 1


def test_hostile_text_typed_in_the_form_is_inert_in_the_preview(
    editor: FlaskClient, runtime: Runtime
) -> None:
    response = create(
        editor,
        "event",
        title_fr=HOSTILE,
        title_en=HOSTILE,
        summary_fr=HOSTILE,
        summary_en=HOSTILE,
        body_fr="\n\n".join(PAYLOADS),
        body_en="\n\n".join(PAYLOADS),
        starts_at="2026-09-20T10:00",
        location=HOSTILE,
    )
    assert response.status_code == 302
    item = the_item(runtime)
    assert item.body_fr == "\n\n".join(PAYLOADS)  # stored as typed, cleaned on output
    page = text(editor.get(f"/panel/site/{item.id}/preview?version=en"))
    parsed = Markup()
    parsed.feed(page)
    assert len(parsed.scripts) == 1 and parsed.handlers == []
    assert not [u for u in parsed.urls if u.startswith("javascript:")]
    body = body_of(page)
    assert "javascript:" not in body and "onerror" not in body
    assert "<script" not in article(page)


def test_the_preview_shows_the_item_as_the_public_will(
    editor: FlaskClient, runtime: Runtime
) -> None:
    create(editor, body_en="", title_en="", image=a_file(png()))
    item = the_item(runtime)
    fr = text(editor.get(f"/panel/site/{item.id}/preview?version=fr"))
    assert "<h2>Le programme</h2>" in fr and "<strong>9 h</strong>" in fr
    assert "Venez glaner des courges avec nous." in fr
    assert f"/panel/site/uploads/{uploads.name_from_url(item.image)}" in fr
    assert 'lang="fr"' in fr and "Preview — not published yet." in fr
    en = text(editor.get(f"/panel/site/{item.id}/preview?version=en"))
    assert "No English version yet" in en and "<h2>Le programme</h2>" in en
    assert "Come and glean squash with us." in en
    url = f"/panel/site/{item.id}/preview"
    assert post(editor, f"/panel/site/{item.id}/publish", {"back": "preview"}, url)
    published = text(editor.get(url))
    assert "Preview — published" in published and "not published yet" not in published


# ---- Deleting and listing ---------------------------------------------------


def test_deleting_asks_first_and_keeps_the_text_in_the_audit_log(
    editor: FlaskClient, runtime: Runtime
) -> None:
    create(editor, action="publish")
    item = the_item(runtime)
    page = text(editor.get(f"/panel/site/{item.id}"))
    assert f"/panel/site/{item.id}/delete" in page
    confirm = editor.get(f"/panel/site/{item.id}/delete")
    assert confirm.status_code == 200
    assert "Delete for good" in text(confirm) and "<form" in text(confirm)
    assert items(runtime) != []  # asking deleted nothing
    url = f"/panel/site/{item.id}/delete"
    response = post(editor, url, {}, url)
    assert response.status_code == 302
    assert items(runtime) == []
    deleted = audit_rows(runtime, item.id)[-1]
    assert deleted.action == "delete" and deleted.after is None
    assert deleted.before is not None
    assert deleted.before["body_fr"] == item.body_fr
    assert deleted.before["status"] == "published"
    assert editor.get(f"/panel/site/{item.id}").status_code == 404


def test_the_list_groups_by_kind_searches_and_filters(
    editor: FlaskClient, runtime: Runtime
) -> None:
    create(editor, title_fr="Récolte de pommes à L'Épiphanie", action="publish")
    create(editor, title_fr="Bilan de la saison")
    create(
        editor,
        "event",
        title_fr="Souper de récolte",
        title_en="Harvest supper",
        starts_at="2026-10-03T18:00",
    )
    page = text(editor.get("/panel/site"))
    for title in ("Récolte de pommes", "Bilan de la saison", "Souper de récolte"):
        assert title in page
    assert 'data-status="published"' in page and 'data-status="draft"' in page
    assert "/panel/site/new/partner" in page  # every kind has its section

    found = text(editor.get("/panel/site?q=epiphanie"))
    assert "Récolte de pommes" in found and "Bilan de la saison" not in found
    english = text(editor.get("/panel/site?q=harvest"))
    assert "Souper de récolte" in english and "Bilan" not in english

    events = text(editor.get("/panel/site?kind=event"))
    assert "Souper de récolte" in events and "Bilan de la saison" not in events
    assert 'id="kind-news"' not in events and 'id="kind-event"' in events
    counts = re.findall(r'<span class="pill pill--muted">(\d+)</span>', page)
    assert counts[:3] == ["3", "2", "1"]  # all, news, events


@pytest.mark.parametrize(
    ("image", "shown"),
    [
        ("https://example.org/verger.jpg", "https://example.org/verger.jpg"),
        ("/static/site/verger.jpg", "/static/site/verger.jpg"),
        ("javascript:alert(1)", None),
        ("//evil.example/x.png", None),
        ("data:image/svg+xml,<svg onload=alert(1)>", None),
    ],
)
def test_an_image_address_not_uploaded_here_is_shown_only_when_safe(
    editor: FlaskClient, runtime: Runtime, image: str, shown: str | None
) -> None:
    """The demo's seed may give an address instead of an upload."""
    with transaction(runtime.sessions) as session:
        item = ContentItem(kind="news", slug="image", title_fr="Image", image=image)
        session.add(item)
        session.flush()
        item_id = item.id
    for url in (f"/panel/site/{item_id}", f"/panel/site/{item_id}/preview"):
        parsed = Markup()
        parsed.feed(text(editor.get(url)))
        images = [u for u in parsed.urls if "verger" in u or "evil" in u or ":" in u]
        if shown is None:
            assert not [
                u for u in parsed.urls if u.startswith(("javascript:", "data:"))
            ]
            assert not [u for u in images if "evil" in u]
        else:
            assert shown in images
