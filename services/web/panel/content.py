"""The public site's content, edited in the panel: news, events, partners,
resources, fact sheets, roadmap items, jobs and fixed pages.

Everyone signed in reads; editors (and coordinators) change. Each item has a
French and an English version side by side, the extra fields its kind has
(shared.content.FIELDS), an optional image, and a status: a draft is seen in
the panel's preview only, a published item by the public. Every change goes
to the audit log. Forms work without JavaScript and come back with what was
typed and a message beside each field (HTTP 422).

Nothing typed here is trusted as HTML: Markdown bodies go through
shared.content.render (nh3) and everything else is plain, escaped text.

The public sees uploaded images at /uploads/<name>, served by `uploads_bp`
(registered by the app factory, beside the panel's blueprint).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from services.web.context import db, runtime
from services.web.panel.base import audit_change, bp, login_required, nav, requires
from services.web.panel.directory.common import changed
from services.web.panel.directory.forms import Form
from shared import audit, importer, uploads
from shared.content import FIELDS, Field, localized, render, slugify
from shared.models import CONTENT_KINDS, AuditEntry, ContentItem, utcnow

__all__ = ["bp", "uploads_bp"]

edits = requires("editor")

KINDS = {
    "news": _l("News"),
    "event": _l("Events"),
    "partner": _l("Partners"),
    "resource": _l("Toolbox"),
    "factsheet": _l("Fact sheets"),
    "roadmap": _l("Roadmap"),
    "job": _l("Jobs"),
    "page": _l("Pages"),
}
NEW_LABELS = {
    "news": _l("New news item"),
    "event": _l("New event"),
    "partner": _l("New partner"),
    "resource": _l("New resource"),
    "factsheet": _l("New fact sheet"),
    "roadmap": _l("New roadmap item"),
    "job": _l("New job offer"),
    "page": _l("New page"),
}
assert set(KINDS) == set(NEW_LABELS) == set(CONTENT_KINDS)

FIELD_LABELS = {
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "location": _l("Place"),
    "url": _l("Link"),
    "partner_kind": _l("Kind of partner"),
    "mrc": _l("MRC"),
    "municipality": _l("Municipality"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "theme": _l("Theme"),
    "file": _l("File"),
    "objective": _l("Objective"),
    "term": _l("Term"),
    "progress": _l("Progress"),
    "employer": _l("Employer"),
    "deadline": _l("Apply by"),
}
FIELD_HINTS = {
    "url": _l("A full address starting with https://"),
    "file": _l("The name or address of the file to download."),
    "objective": _l("The objective of the communication plan it serves."),
}
CHOICE_LABELS = {
    "ferme": _l("Farm"),
    "organisme": _l("Organization"),
    "institution": _l("Institution"),
    "bailleur": _l("Funder"),
    "short": _l("Short term"),
    "medium": _l("Medium term"),
    "long": _l("Long term"),
    "ongoing": _l("Ongoing"),
    "done": _l("Done"),
    "in_progress": _l("In progress"),
    "planned": _l("Planned"),
}
INPUT_TYPES = {
    "text": "text",
    "date": "date",
    "datetime": "datetime-local",
    "number": "text",  # with inputmode=decimal: "46,05" is a number here
    "choice": "select",
    "url": "url",
}
NUMBER_RANGES = {"lat": (-90.0, 90.0), "lon": (-180.0, 180.0)}

# The form's own names; a kind's extra fields must not reuse them.
TEXT_FORM = (
    "title_fr", "title_en", "summary_fr", "summary_en", "body_fr", "body_en",
    "slug", "position", "uploaded",
)  # fmt: skip
OWN_NAMES = {*TEXT_FORM, "image", "remove_image", "action", "csrf_token"}
assert not OWN_NAMES & {f.name for fields in FIELDS.values() for f in fields}

# What the audit log keeps of an item (a body's every word would be too much);
# an edit also names the fields it changed.
SNAPSHOT = ("kind", "slug", "status", "title_fr", "title_en", "image", "position")
STORED = (
    *SNAPSHOT, "summary_fr", "summary_en", "body_fr", "body_en", "fields",
)  # fmt: skip

LIMITS = {"title": 300, "summary": 2000, "body": 100_000}
# A request may carry an image of MAX_BYTES and the texts around it; an image
# too large is then refused by a message on the form, not by a bare 413.
UPLOAD_REQUEST_LIMIT = uploads.MAX_BYTES + 6 * 1024 * 1024
PAGE = 300


def can_edit() -> bool:
    return bool(current_user.is_authenticated and current_user.can("editor"))


@bp.url_value_preprocessor
def _room_for_an_image(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """The app takes 1 MB per request; an editor's form may carry an image of
    2 MB. Runs before the CSRF check reads the form."""
    if (
        endpoint in ("panel.content_new", "panel.content_save")
        and request.method == "POST"
        and can_edit()
    ):
        request.max_content_length = UPLOAD_REQUEST_LIMIT


# ---- Pages ------------------------------------------------------------------


def _page(template: str, form: Form | None = None, **context: Any) -> tuple[str, int]:
    """A page of this area; 422 when the form it shows has errors."""
    status = 422 if form is not None and form.errors else 200
    return (
        render_template(
            f"panel/content/{template}",
            form=form,
            can_edit=can_edit(),
            nav_items=nav(),
            kinds=KINDS,
            new_labels=NEW_LABELS,
            **context,
        ),
        status,
    )


def _get(item_id: int) -> ContentItem:
    item = db().get(ContentItem, item_id)
    if item is None:
        abort(404)
    return item


def _fold(text: str | None) -> str:
    return importer.fold(text or "")


def _matches(words: list[str], item: ContentItem) -> bool:
    """Every word of the search is in a title, a summary or the slug."""
    haystack = " ".join(
        _fold(text)
        for text in (
            item.title_fr,
            item.title_en,
            item.summary_fr,
            item.summary_en,
            item.slug.replace("-", " "),
        )
    )
    return all(word in haystack for word in words)


@bp.get("/site")
@login_required
def content_list() -> ResponseReturnValue:
    """Every item of the public site, by kind, searchable."""
    q = request.args.get("q", "").strip()[:200]
    kind = request.args.get("kind", "")
    kind = kind if kind in KINDS else ""
    words = _fold(q).split()
    items = db().scalars(
        select(ContentItem).order_by(
            ContentItem.position, ContentItem.updated_at.desc(), ContentItem.id.desc()
        )
    )
    found: dict[str, list[ContentItem]] = {name: [] for name in KINDS}
    for item in items:
        if item.kind in found and _matches(words, item):
            found[item.kind].append(item)
    return _page(
        "list.html",
        q=q,
        kind=kind,
        counts={name: len(rows) for name, rows in found.items()},
        total=sum(len(rows) for rows in found.values()),
        sections=[
            (name, found[name][:PAGE]) for name in KINDS if name == kind or not kind
        ],
        page=PAGE,
    )


# ---- Reading the form -------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One of a kind's extra fields, as the form shows it."""

    name: str
    label: str
    type: str  # an <input> type, or "select"
    required: bool
    options: list[tuple[str, str]]
    hint: str
    decimal: bool


def _inputs(kind: str) -> list[Input]:
    return [
        Input(
            name=f.name,
            label=str(FIELD_LABELS.get(f.name, f.name)),
            type=INPUT_TYPES.get(f.kind, "text"),
            required=f.required,
            options=[(c, str(CHOICE_LABELS.get(c, c))) for c in f.choices],
            hint=str(FIELD_HINTS.get(f.name, "")),
            decimal=f.kind == "number",
        )
        for f in FIELDS[kind]
    ]


def _shown_number(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)


def _local_input(raw: Any) -> str:
    """A stored moment as a datetime-local input shows it, in local time."""
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        return str(raw)
    if moment.tzinfo is not None:
        moment = moment.astimezone(runtime().settings.tz)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _field_shown(f: Field, value: Any) -> str:
    if value is None:
        return ""
    if f.kind == "datetime":
        return _local_input(value)
    if f.kind == "number":
        return _shown_number(value)
    return str(value)


def _values(item: ContentItem | None) -> dict[str, Any]:
    """The form filled in from an item, or empty for a new one."""
    if item is None:
        return {name: "" for name in TEXT_FORM} | {"position": "0"}
    values: dict[str, Any] = {
        name: getattr(item, name) or "" for name in TEXT_FORM if name != "uploaded"
    }
    values["position"] = str(item.position)
    values["uploaded"] = ""
    stored = item.fields or {}
    for f in FIELDS[item.kind]:
        values[f.name] = _field_shown(f, stored.get(f.name))
    return values


def _posted(kind: str) -> Form:
    return Form.posted([*TEXT_FORM, *(f.name for f in FIELDS[kind])])


def _parse_moment(raw: str) -> datetime | None:
    """A datetime-local value ("2026-09-20T10:00") in the network's time zone."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    tz = runtime().settings.tz
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def _web_address(raw: str) -> bool:
    parts = urlsplit(raw)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in raw


def _read_fields(form: Form, kind: str) -> dict[str, Any]:
    """The kind's extra fields, checked; None for a field left empty."""
    read: dict[str, Any] = {}
    for f in FIELDS[kind]:
        raw = str(form.values.get(f.name, ""))
        read[f.name] = None
        if not raw:
            if f.required:
                form.error(
                    f.name,
                    _("Pick one.") if f.kind == "choice" else _("Please fill this in."),
                )
            continue
        if f.kind == "date":
            try:
                read[f.name] = date.fromisoformat(raw).isoformat()
            except ValueError:
                form.error(f.name, _("Write a date like 2026-09-20."))
        elif f.kind == "datetime":
            moment = _parse_moment(raw)
            if moment is None:
                form.error(f.name, _("Write a date and time like 2026-09-20 10:00."))
            else:
                read[f.name] = moment.isoformat(timespec="seconds")
        elif f.kind == "number":
            low, high = NUMBER_RANGES.get(f.name, (-1e9, 1e9))
            read[f.name] = form.number(f.name, low=low, high=high)
        elif f.kind == "choice":
            if raw in f.choices:
                read[f.name] = raw
            else:
                form.error(f.name, _("Pick one of the choices."))
        elif f.kind == "url":
            if len(raw) > 500:
                form.error(f.name, _("At most %(n)s characters, please.", n=500))
            elif not _web_address(raw):
                form.error(
                    f.name,
                    _("Write a web address starting with https:// or http://."),
                )
            else:
                read[f.name] = raw
        else:
            read[f.name] = form.text(f.name, limit=300)
    starts, ends = read.get("starts_at"), read.get("ends_at")
    if (
        starts
        and ends
        and datetime.fromisoformat(ends) < datetime.fromisoformat(starts)
    ):
        form.error("ends_at", _("The end comes before the start."))
    return read


def _slug_owner(kind: str, slug: str, item_id: int | None) -> ContentItem | None:
    return db().scalar(
        select(ContentItem).where(
            ContentItem.kind == kind,
            ContentItem.slug == slug,
            ContentItem.id != (item_id or 0),
        )
    )


def _free_slug(kind: str, base: str, item_id: int | None) -> str:
    """base, or base-2, base-3... the first that no other item of the kind has."""
    slug, n = base, 1
    while _slug_owner(kind, slug, item_id) is not None:
        n += 1
        slug = f"{base[:95]}-{n}"
    return slug


def _taken_message(
    kind: str, other: ContentItem, slug: str, item_id: int | None
) -> str:
    return _(
        "This address is already used by «%(title)s». Change it a little, "
        "for example %(free)s.",
        title=other.title_fr,
        free=_free_slug(kind, slug, item_id),
    )


def _read_slug(form: Form, kind: str, title: str, item_id: int | None) -> str:
    """The typed slug, made URL-safe; empty: made from the French title."""
    typed = form.text("slug", limit=100)
    if not typed:
        return _free_slug(kind, slugify(title), item_id) if title else ""
    slug = slugify(typed)
    other = _slug_owner(kind, slug, item_id)
    if other is not None:
        form.error("slug", _taken_message(kind, other, slug, item_id))
    return slug


def _upload_problem(code: str) -> str:
    words = {
        "empty": _("This file is empty."),
        "too_large": _(
            "This image is larger than %(mb)s MB: make it smaller (for example "
            "1600 pixels wide) and try again.",
            mb=uploads.MAX_BYTES // (1024 * 1024),
        ),
        "not_an_image": _(
            "This file is not a PNG, JPEG or WebP image, whatever its name says."
        ),
    }
    return words.get(code, code)


def _read_image(form: Form, current: str) -> str:
    """The item's image after this form: a new upload, one kept from a form
    that came back with mistakes, none when asked, or the one it had. Stored
    as its public address, /uploads/<name>."""
    kept = str(form.values.get("uploaded", ""))
    if kept and uploads.path_of(kept) is None:
        kept = ""
    remove = bool(request.form.get("remove_image"))
    form.values["remove_image"] = remove
    upload = request.files.get("image")
    if upload is not None and upload.filename:
        try:
            kept = uploads.save_image(upload.stream)
        except uploads.UploadError as refused:
            form.error("image", _upload_problem(refused.code))
    elif remove:
        kept = ""
    form.values["uploaded"] = kept
    if kept:
        return uploads.url_for_upload(kept)
    return "" if remove else current


def _read(form: Form, kind: str, item: ContentItem | None) -> dict[str, Any] | None:
    """Every stored value of an item from its form; None when something is wrong."""
    title_fr = form.text("title_fr", required=True, limit=LIMITS["title"])
    title_en = form.text("title_en", limit=LIMITS["title"])
    texts = {
        f"{name}_{lang}": form.text(f"{name}_{lang}", limit=LIMITS[name])
        for name in ("summary", "body")
        for lang in ("fr", "en")
    }
    slug = _read_slug(form, kind, title_fr, item.id if item else None)
    position = form.number("position", low=-10_000, high=10_000)
    if position is not None and not float(position).is_integer():
        form.error("position", _("Write a whole number, like 0, 1 or 10."))
    extra = _read_fields(form, kind)
    image = _read_image(form, item.image if item else "")
    if form.errors:
        return None
    fields = dict(item.fields or {}) if item else {}  # keys the form lacks stay
    for name, value in extra.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return {
        "slug": slug,
        "title_fr": title_fr,
        "title_en": title_en,
        **texts,
        "position": int(position or 0),
        "image": image,
        "fields": fields,
    }


# ---- Creating and editing ---------------------------------------------------


def _history(item_id: int) -> list[AuditEntry]:
    return list(
        db()
        .scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "content", AuditEntry.entity_id == item_id)
            .order_by(AuditEntry.id.desc())
            .limit(50)
            .options(selectinload(AuditEntry.user))
        )
        .all()
    )


def _action_label(action: str) -> str:
    labels = {
        "create": _("Added"),
        "edit": _("Edited"),
        "publish": _("Published"),
        "unpublish": _("Unpublished"),
        "delete": _("Deleted"),
    }
    return labels.get(action, action)


def _form_page(kind: str, item: ContentItem | None, form: Form) -> ResponseReturnValue:
    kept = str(form.values.get("uploaded", ""))
    return _page(
        "form.html",
        form,
        kind=kind,
        item=item,
        inputs=_inputs(kind),
        accept=uploads.ACCEPT,
        max_mb=uploads.MAX_BYTES // (1024 * 1024),
        image_url=_image_src(item.image) if item else "",
        kept_url=_preview_url(kept),
        history=_history(item.id) if item else [],
        changed=changed,
        action_label=_action_label,
    )


def _preview_url(name: str) -> str:
    """An upload, seen from the panel (the public route may not be there)."""
    if not uploads.is_name(name):
        return ""
    return url_for("panel.content_upload", name=name)


def _image_src(image: str) -> str:
    """Where the panel finds an item's image: an upload, or an address the
    public site would show as well (http(s) or a path of the site)."""
    name = uploads.name_from_url(image)
    if name is not None:
        return _preview_url(name)
    text = (image or "").strip()
    if text.lower().startswith(("https://", "http://")):
        return text
    return text if text.startswith("/") and not text.startswith("//") else ""


def _stored(item: ContentItem) -> dict[str, Any]:
    return audit.snapshot(item, STORED)


def _publish(item: ContentItem) -> None:
    item.status = "published"
    if item.published_at is None:
        item.published_at = utcnow()


def _slug_race(kind: str, item: ContentItem | None, form: Form) -> ResponseReturnValue:
    """Someone took the same address a moment ago: say so, keep what was typed."""
    db().rollback()
    form.error("slug", _("Another item took this address a moment ago: change it."))
    return _form_page(kind, db().get(ContentItem, item.id) if item else None, form)


def _done(item: ContentItem) -> str:
    if item.status == "published":
        return _("Published: the public sees it now.")
    return _("Saved as a draft: only the panel sees it.")


@bp.route("/site/new/<kind>", methods=["GET", "POST"])
@edits
def content_new(kind: str) -> ResponseReturnValue:
    if kind not in KINDS:
        abort(404)
    if request.method == "GET":
        return _form_page(kind, None, Form(_values(None)))
    form = _posted(kind)
    data = _read(form, kind, None)
    if data is None:
        return _form_page(kind, None, form)
    item = ContentItem(kind=kind, status="draft", author_id=current_user.id, **data)
    if request.form.get("action") == "publish":
        _publish(item)
    db().add(item)
    try:
        db().flush()
    except IntegrityError:
        return _slug_race(kind, None, form)
    audit_change("create", "content", item.id, None, audit.snapshot(item, SNAPSHOT))
    db().commit()
    flash(_done(item), "success")
    return redirect(url_for("panel.content_page", item_id=item.id))


@bp.get("/site/<int:item_id>")
@login_required
def content_page(item_id: int) -> ResponseReturnValue:
    item = _get(item_id)
    return _form_page(item.kind, item, Form(_values(item)))


@bp.post("/site/<int:item_id>")
@edits
def content_save(item_id: int) -> ResponseReturnValue:
    """Save; "publish" also puts it online, "draft" takes it off (or keeps it off)."""
    item = _get(item_id)
    form = _posted(item.kind)
    data = _read(form, item.kind, item)
    if data is None:
        return _form_page(item.kind, item, form)
    before, stored_before = audit.snapshot(item, SNAPSHOT), _stored(item)
    for name, value in data.items():
        setattr(item, name, value)
    asked = request.form.get("action", "")
    if asked == "publish":
        _publish(item)
    elif asked == "draft":
        item.status = "draft"
    stored_after = _stored(item)
    edited = [n for n in STORED if stored_before[n] != stored_after[n]]
    if not edited:
        flash(_("Nothing changed."), "info")
        return redirect(url_for("panel.content_page", item_id=item.id))
    action = "edit"
    if before["status"] != item.status:
        action = "publish" if item.status == "published" else "unpublish"
    after = audit.snapshot(item, SNAPSHOT) | {"changed_fields": edited}
    audit_change(action, "content", item.id, before, after)
    try:
        db().commit()
    except IntegrityError:
        return _slug_race(item.kind, item, form)
    flash(_done(item) if action != "edit" else _("Saved."), "success")
    return redirect(url_for("panel.content_page", item_id=item.id))


def _set_status(item_id: int, status: str) -> ResponseReturnValue:
    item = _get(item_id)
    back = request.form.get("back") == "preview"
    version = request.form.get("version")
    target = (
        url_for("panel.content_preview", item_id=item.id, version=version or None)
        if back
        else url_for("panel.content_page", item_id=item.id)
    )
    if item.status == status:
        flash(_done(item), "info")
        return redirect(target)
    before = audit.snapshot(item, SNAPSHOT)
    if status == "published":
        _publish(item)
    else:
        item.status = "draft"
    action = "publish" if status == "published" else "unpublish"
    audit_change(action, "content", item.id, before, audit.snapshot(item, SNAPSHOT))
    db().commit()
    flash(_done(item), "success")
    return redirect(target)


@bp.post("/site/<int:item_id>/publish")
@edits
def content_publish(item_id: int) -> ResponseReturnValue:
    return _set_status(item_id, "published")


@bp.post("/site/<int:item_id>/unpublish")
@edits
def content_unpublish(item_id: int) -> ResponseReturnValue:
    return _set_status(item_id, "draft")


@bp.route("/site/<int:item_id>/delete", methods=["GET", "POST"])
@edits
def content_delete(item_id: int) -> ResponseReturnValue:
    """A page that asks first; deleting happens on its POST."""
    item = _get(item_id)
    if request.method == "GET":
        return _page("delete.html", item=item)
    kind = item.kind
    # Everything it held goes to the audit log: a deletion loses no words.
    before = audit.snapshot(item, (*STORED, "published_at", "author_id"))
    db().delete(item)
    audit_change("delete", "content", item_id, before, None)
    db().commit()
    flash(_("«%(title)s» deleted.", title=before["title_fr"]), "success")
    return redirect(url_for("panel.content_list", kind=kind))


# ---- Preview ----------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    label: str
    text: str
    href: str = ""  # only ever an http(s) address


def _fact_text(f: Field, value: Any) -> str:
    if f.kind == "datetime":
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=runtime().settings.tz)
        return format_datetime(moment, "EEEE d MMMM yyyy, HH:mm")
    if f.kind == "date":
        try:
            return format_date(date.fromisoformat(str(value)), "d MMMM yyyy")
        except ValueError:
            return str(value)
    if f.kind == "choice":
        return str(CHOICE_LABELS.get(str(value), value))
    if f.kind == "number":
        return _shown_number(value)
    return str(value)


def _facts(item: ContentItem) -> list[Fact]:
    stored = item.fields or {}
    facts = []
    for f in FIELDS.get(item.kind, ()):
        value = stored.get(f.name)
        if value is None or value == "":
            continue
        text = _fact_text(f, value)
        href = text if f.kind == "url" and _web_address(text) else ""
        facts.append(Fact(str(FIELD_LABELS.get(f.name, f.name)), text, href))
    return facts


@bp.get("/site/<int:item_id>/preview")
@login_required
def content_preview(item_id: int) -> ResponseReturnValue:
    """The item as the public will see it, in French or English (?version=)."""
    item = _get(item_id)
    # ?version= picks the text's language; ?lang= (the app-wide switch) also
    # works, but it switches the panel's own language with it.
    lang = request.args.get("version") or request.args.get("lang", "fr")
    lang = lang if lang in ("fr", "en") else "fr"
    with force_locale(lang):  # labels and dates as the public reads them
        facts = _facts(item)
        kind_label = str(KINDS[item.kind]) if item.kind in KINDS else item.kind
    body: Markup = render(localized(item, "body", lang))
    return _page(
        "preview.html",
        item=item,
        view_lang=lang,
        kind_label=kind_label,
        title=localized(item, "title", lang),
        summary=localized(item, "summary", lang),
        body=body,
        image_url=_image_src(item.image),
        facts=facts,
        missing_en=lang == "en" and not (item.title_en or item.body_en),
    )


# ---- Images -----------------------------------------------------------------


def _send_upload(name: str, max_age: int) -> Response:
    path = uploads.path_of(name)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=uploads.mimetype_of(name), max_age=max_age)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/site/uploads/<name>")
@login_required
def content_upload(name: str) -> ResponseReturnValue:
    """An uploaded image, for the panel's forms and previews."""
    response = _send_upload(name, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# The public's images, at /uploads/<name>: the app factory registers this.
uploads_bp = Blueprint("uploads", __name__)


@uploads_bp.get("/uploads/<name>")
def upload(name: str) -> ResponseReturnValue:
    # A name is random and never reused: the image behind it never changes.
    response = _send_upload(name, max_age=365 * 24 * 3600)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
