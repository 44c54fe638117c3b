"""What the public site's pages share: one blueprint served twice, French at
the root and English under /en/, and the helpers that pick the right one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for

bp = Blueprint("site", __name__)
ENGLISH = "site_en"  # the name of the blueprint's second registration, under /en


def register(app: Any) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/en", name=ENGLISH)


def site_lang() -> str | None:
    """The language the public URL asks for; None outside the public site."""
    if request.blueprint == ENGLISH:
        return "en"
    if request.blueprint == "site":
        return "fr"
    return None


def site_url(endpoint: str, lang: str | None = None, **values: Any) -> str:
    """url_for a public page in a language (default: the current page's)."""
    name = ENGLISH if (lang or site_lang()) == "en" else "site"
    return url_for(f"{name}.{endpoint}", **values)
