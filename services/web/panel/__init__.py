"""The coordinator's panel: one blueprint, a module per area."""

from services.web.panel import (  # noqa: F401 - importing registers the views
    actions,
    audit_log,
    auth,
    board,
    content,
    directory,
    figures,
    map,
    messages,
    newsletter,
    simulator,
)
from services.web.panel.base import bp, limiter, login_manager

__all__ = ["bp", "limiter", "login_manager"]
