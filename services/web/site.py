"""The public front door. The network's full site is built on this blueprint."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("site", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("site/index.html")
