"""Signing in and out of the panel. Passwords are hashed (werkzeug's scrypt);
attempts are rate-limited per address."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from services.web.context import db
from services.web.panel.base import bp, limiter
from shared.models import User, utcnow

# A person mistyping gets several tries; a script guessing gets nowhere.
LOGIN_LIMIT = "10 per minute;50 per hour"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login() -> ResponseReturnValue:
    email = request.form.get("email", "").strip().lower()
    if request.method == "POST":
        user = db().scalar(select(User).where(User.email == email))
        password = request.form.get("password", "")
        if (
            user is not None
            and user.active
            and check_password_hash(user.password_hash, password)
        ):
            session.clear()
            login_user(user)
            user.last_login_at = utcnow()
            db().commit()
            return redirect(_safe_next(request.args.get("next", "")))
        flash(_("Wrong email or password."), "error")
    status = 401 if request.method == "POST" else 200
    return render_template("panel/login.html", email=email), status


def _safe_next(target: str) -> str:
    # Only local paths: never bounce a coordinator to another site.
    if not target.startswith("/") or target.startswith("//"):
        return url_for("panel.board")
    return target


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    logout_user()
    return redirect(url_for("panel.login"))
