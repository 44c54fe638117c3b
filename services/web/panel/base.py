"""What every panel page shares: the blueprint, sign-in, roles, the menu,
and the audit of changes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_required

from services.web.context import db
from shared import audit
from shared.models import User

bp = Blueprint("panel", __name__, url_prefix="/panel")
login_manager = LoginManager()
login_manager.login_view = "panel.login"
login_manager.login_message = None  # the login page says enough
limiter = Limiter(key_func=get_remote_address, default_limits=[])

View = Callable[..., ResponseReturnValue]

__all__ = ["bp", "can_change", "changes", "limiter", "login_manager", "login_required"]


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db().get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def requires(role: str) -> Callable[[View], View]:
    """Only users who can act as `role` (coordinators can do everything)."""

    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


changes = requires("coordinator")


def can_change() -> bool:
    return bool(current_user.is_authenticated and current_user.can("coordinator"))


def audit_change(
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record a change by the signed-in person, in the request's transaction."""
    audit.record(db(), current_user.id, action, entity, entity_id, before, after)


def nav() -> list[tuple[str, str, bool]]:
    """The panel's menu; the current page is marked."""
    items = [
        ("panel.board", _("Board")),
        ("panel.map_page", _("Map")),
        ("panel.messages", _("Messages")),
        ("panel.directory", _("Directory")),
        ("panel.figures", _("Figures")),
        ("panel.content_list", _("Site")),
        ("panel.newsletter", _("Newsletter")),
        ("panel.simulator", _("SMS simulator")),
        ("panel.audit_log", _("Audit log")),
    ]
    menu = [
        (url_for(endpoint), label, request.endpoint == endpoint)
        for endpoint, label in items
        if endpoint in _registered()
    ]
    menu.append((url_for("panel.logout"), _("Log out"), False))
    return menu


def _registered() -> set[str]:
    from flask import current_app

    return set(current_app.view_functions)
