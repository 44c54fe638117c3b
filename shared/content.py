"""The public site's content: what each kind holds, safe Markdown, queries.

Editors write Markdown; it is rendered with `markdown` and then cleaned with
`nh3` (an allow-list sanitizer), so nothing typed in the panel can run as
script on the public site.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import markdown as markdown_lib
import nh3
from markupsafe import Markup
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from shared.models import CONTENT_KINDS, ContentItem

# What Markdown may produce, and nothing else.
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "blockquote", "code", "pre",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render(text: str) -> Markup:
    """Markdown to clean HTML, safe to put in a page as it is."""
    html = markdown_lib.markdown(text or "", extensions=["tables", "sane_lists"])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # nosec B704 # cleaned by nh3 just above


def plain(text: str) -> str:
    """Text only: for summaries in feeds, Open Graph tags and emails."""
    return nh3.clean(str(render(text)), tags=set()).strip()


@dataclass(frozen=True)
class Field:
    """A field only some kinds have, stored in ContentItem.fields."""

    name: str
    kind: str  # text | date | datetime | number | choice | url
    required: bool = False
    choices: tuple[str, ...] = ()


# The extra fields of each kind; the panel's forms and checks follow this table.
FIELDS: dict[str, tuple[Field, ...]] = {
    "news": (),
    "event": (
        Field("starts_at", "datetime", required=True),
        Field("ends_at", "datetime"),
        Field("location", "text"),
        Field("url", "url"),
    ),
    "partner": (
        Field(
            "partner_kind",
            "choice",
            True,
            ("ferme", "organisme", "institution", "bailleur"),
        ),
        Field(
            "mrc",
            "choice",
            False,
            (
                "D'Autray",
                "Joliette",
                "L'Assomption",
                "Les Moulins",
                "Matawinie",
                "Montcalm",
            ),
        ),
        Field("municipality", "text"),
        Field("lat", "number"),
        Field("lon", "number"),
        Field("url", "url"),
    ),
    "resource": (
        Field("theme", "text", required=True),
        Field("url", "url"),
        Field("file", "text"),
    ),
    "factsheet": (),
    "roadmap": (
        Field("objective", "text", required=True),
        Field("term", "choice", True, ("short", "medium", "long", "ongoing")),
        Field("progress", "choice", True, ("done", "in_progress", "planned")),
    ),
    "job": (
        Field("employer", "text", required=True),
        Field("deadline", "date"),
        Field("url", "url"),
    ),
    "page": (),
}
assert set(FIELDS) == set(CONTENT_KINDS)


def slugify(text: str) -> str:
    """A URL part: "Journée à Saint-Jacques!" -> "journee-a-saint-jacques"."""
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:100] or "sans-titre"


def localized(item: ContentItem, name: str, lang: str) -> str:
    """The English text when there is one and English is asked; else French."""
    english = getattr(item, f"{name}_en") if lang == "en" else ""
    return english or getattr(item, f"{name}_fr")


def published(kind: str) -> Select[ContentItem]:
    """Published items of a kind, newest first (events and roadmap: callers sort)."""
    return (
        select(ContentItem)
        .where(ContentItem.kind == kind, ContentItem.status == "published")
        .order_by(ContentItem.published_at.desc(), ContentItem.id.desc())
    )


def find(session: Session, kind: str, slug: str) -> ContentItem | None:
    return session.scalar(
        select(ContentItem).where(
            ContentItem.kind == kind,
            ContentItem.slug == slug,
            ContentItem.status == "published",
        )
    )


def field(item: ContentItem, name: str, default: Any = None) -> Any:
    return (item.fields or {}).get(name, default)


def when(item: ContentItem, name: str) -> datetime | None:
    """A datetime field, parsed (stored as ISO 8601 text in JSON)."""
    raw = field(item, name)
    try:
        return datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None
