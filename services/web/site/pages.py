"""The public site's pages (being built)."""

from flask import render_template
from flask.typing import ResponseReturnValue

from services.web.site.base import bp


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("site/index.html")
