"""The panel's messages pages (being built)."""

from services.web.panel.base import bp

__all__ = ["bp"]
